#!/usr/bin/env bash
# Install what the browser test (tests/test_browser.py) and the report figures need, from Debian:
#   chromium + chromium-driver  headless browser and its WebDriver (the test loads report.html offline)
#   fonts-noto-cjk              a CJK font, so Chinese text in the PNG figures and screenshots is no tofu
# Idempotent: does nothing when all three are already there. Uses sudo only when not root.
set -euo pipefail

have_all() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] \
    && { fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; }
}

if have_all; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser.sh: apt-get not found. Install Chromium, its chromedriver (at /usr/bin/chromium and" \
       "/usr/bin/chromedriver) and a Noto Sans CJK font with your system's package manager." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-browser.sh: not root and no sudo: run as root:" \
         "apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver fonts-noto-cjk" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk >/dev/null; }; then
  echo "install-browser.sh: could not install chromium, chromium-driver and fonts-noto-cjk with apt-get" \
       "(see the messages above); the browser test cannot run without them." >&2
  exit 1
fi

if ! have_all; then
  echo "install-browser.sh: apt-get finished but /usr/bin/chromium, /usr/bin/chromedriver or the Noto CJK" \
       "font is still missing." >&2
  exit 1
fi
echo "install-browser.sh: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), chromedriver and fonts-noto-cjk installed."
