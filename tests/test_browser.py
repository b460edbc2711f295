"""The report in a real headless Chromium, with the network blocked.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/install-browser.sh`` installs them;
``make test`` runs it). Without them these tests fail — they never skip: an untested report is
exactly what they are here to prevent.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

import parkscope

BBOX = "24.940,60.166,24.948,60.172"
EVIL = ('<script>window.__pwned=1</script>', '"><img src=x onerror="window.__pwned=1">')
CHROMIUM = os.environ.get("PARKSCOPE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PARKSCOPE_CHROMEDRIVER", "/usr/bin/chromedriver")
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Where the screenshots go, for a person to look at (kept after the run).
SHOTS = Path(os.environ.get("PARKSCOPE_SCREENSHOTS", "/tmp/parkscope-browser-test"))


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(p))]
    if missing:
        pytest.fail(
            f"Headless Chromium is needed for the browser test, and {', '.join(missing)} is missing. "
            "Run `bash scripts/install-browser.sh` (Debian: apt-get install chromium chromium-driver "
            "fonts-noto-cjk), or point PARKSCOPE_CHROMIUM / PARKSCOPE_CHROMEDRIVER at them.",
            pytrace=False,
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("The browser test needs the selenium package: pip install -e '.[test]'", pytrace=False)


@pytest.fixture(scope="module")
def report(helsinki, tmp_path_factory) -> Path:
    _need_browser()
    a = parkscope.assess(helsinki, bbox=BBOX)
    a.extract_path = helsinki
    a = copy.copy(a)
    a.amenities = a.amenities.copy()
    am = a.amenities
    inside = shapely.contains_xy(a.area.park, am["lon"].to_numpy(), am["lat"].to_numpy())
    rows = np.nonzero(inside & (am["name"].astype(str) != "").to_numpy())[0][:2]
    for evil, aid in zip(EVIL, am["amenity_id"].to_numpy()[rows], strict=True):
        am.loc[am["amenity_id"] == aid, "name"] = evil
    return a.to_report(tmp_path_factory.mktemp("browser") / "report.html")


def offline_driver(uri: str, ready: str, timeout_s: float = 20.0):
    """Headless Chromium showing ``uri`` with every network request refused, once the script ``ready``
    returns true and Bokeh has drawn; ``driver.page_logs`` holds the browser and performance logs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--lang=en-US"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        # anything but the file itself is refused
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*",
                                                                    "ftp://*"]})
        driver.get(uri)
        deadline = time.monotonic() + timeout_s
        while not driver.execute_script(ready):
            assert time.monotonic() < deadline, "the map never rendered"
            time.sleep(0.05)
        # Bokeh draws on the next frames
        driver.execute_script("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
        time.sleep(0.3)
        driver.page_logs = {kind: driver.get_log(kind) for kind in ("browser", "performance")}
    except BaseException:
        driver.quit()
        raise
    return driver


@pytest.fixture(scope="module")
def browser(report):
    driver = offline_driver(report.as_uri(), "return !!(window.parkscope && window.parkscope.ready())")
    try:
        yield driver
    finally:
        driver.quit()


def _network(logs) -> tuple[list[str], list[dict]]:
    urls, failed = [], []
    for entry in logs:
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg["method"] == "Network.loadingFailed":
            failed.append(msg["params"])
    return urls, failed


def _map_pixels(driver) -> np.ndarray:
    from PIL import Image

    el = driver.find_element("id", "map-area")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    time.sleep(0.3)
    png = el.screenshot_as_png
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), png


def test_loads_offline_with_no_failed_request_and_no_error(browser):
    urls, failed = _network(browser.page_logs["performance"])
    assert urls and urls[0].startswith("file://")
    outside = [u for u in urls if not u.startswith(("file://", "data:", "blob:"))]
    assert not outside, f"the report asked the network for {outside}"
    assert not failed, f"failed requests: {failed}"
    severe = [e for e in browser.page_logs["browser"] + browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def test_osm_text_shows_as_text_and_never_runs(browser):
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.execute_script("return document.images.length") == 0
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#inpark-table td.osm-name')).map(td => td.innerText)")
    for evil in EVIL:
        assert evil in names
    assert all(e in browser.execute_script("return document.body.innerText") for e in EVIL)


_FIND_AMENITY = """
const view = Object.values(Bokeh.index).find(v => v.model.name === 'ps-map');
for (let i = 0; ; i++) {
  const r = window.parkscope.model('ps-amen-' + i);
  if (!r) return null;
  const data = r.data_source.data, get = k => (data instanceof Map ? data.get(k) : data[k]);
  const j = Array.from(get('name')).indexOf(arguments[0]);
  if (j >= 0) {
    const box = view.el.getBoundingClientRect();
    const {x_scale, y_scale} = view.frame;
    return [box.left + x_scale.compute(get('x')[j]), box.top + y_scale.compute(get('y')[j])];
  }
}
"""
_TOOLTIP_TEXT = """
const out = [];
(function walk(n) {
  if (n.shadowRoot) walk(n.shadowRoot);
  for (const c of n.children || []) walk(c);
  if (n.classList && Array.from(n.classList).some(c => c.includes('tooltip'))) out.push(n.innerText);
})(document.body);
return out.join('\\n');
"""


def test_hover_shows_osm_names_as_text(browser):
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    browser.execute_script("document.getElementById('map-area').scrollIntoView({block: 'center'})")
    time.sleep(0.3)
    for evil in EVIL:
        xy = browser.execute_script(_FIND_AMENITY, evil)
        assert xy is not None, f"{evil!r} is not on the map"
        action = ActionBuilder(browser)
        action.pointer_action.move_to_location(int(xy[0]), int(xy[1]))
        action.perform()
        time.sleep(0.4)
        assert evil in browser.execute_script(_TOOLTIP_TEXT)
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "hover.png"))
    action = ActionBuilder(browser)
    action.pointer_action.move_to_location(5, 5)
    action.perform()


def test_language_switch_covers_page_and_charts(browser):
    toggle = browser.find_element("id", "lang-toggle")
    heading = browser.find_element("css selector", "#summary h2")
    assert heading.text == "Summary" and toggle.text == "中文"
    factors = "return window.parkscope.model('ps-cov-y').factors"
    assert not any(CJK.search(f) for f in browser.execute_script(factors))
    toggle.click()
    try:
        assert heading.text == "摘要" and toggle.text == "English"
        assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
        assert all(CJK.search(f) for f in browser.execute_script(factors))
        tooltip = browser.execute_script("return window.parkscope.model('ps-hover-cells').tooltips[0][0]")
        assert CJK.search(tooltip)
        # every heading, header cell, layer label and summary sentence now reads in Chinese
        texts = browser.execute_script(
            "return Array.from(document.querySelectorAll('h2, h3, th, .panel label, .panel legend, "
            "ul.summary li, .kpi small, p.note, footer')).map(e => e.innerText).filter(t => t.trim())")
        english = [t for t in texts if not CJK.search(t)]
        assert not english, english
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "report-zh.png"))
    finally:
        toggle.click()
    assert heading.text == "Summary"


def test_layer_switch_and_map_is_not_blank(browser):
    model = "return window.parkscope.model(arguments[0]).visible"
    before, png = _map_pixels(browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "map-score.png").write_bytes(png)
    def visible(name: str) -> bool:
        return browser.execute_script(model, name)

    assert visible("ps-cells-score") and not visible("ps-cells-lag")
    browser.find_element("css selector", "input[name=cells][value=lag]").click()
    assert visible("ps-cells-lag") and not visible("ps-cells-score")
    browser.find_element("id", "layer-amenities").click()
    assert not browser.execute_script(model, "ps-amen-0")
    time.sleep(0.4)
    after, png = _map_pixels(browser)
    (SHOTS / "map-lag-no-amenities.png").write_bytes(png)
    # not blank: many colours, real contrast, and the switch changed what is drawn
    for pixels in (before, after):
        h, w, _ = pixels.shape
        assert h > 400 and w > 400
        colours = np.unique(pixels.reshape(-1, 3) // 8, axis=0)
        assert len(colours) > 150, f"only {len(colours)} colours in the map"
        assert pixels.std() > 20
    assert np.abs(before.astype(int) - after.astype(int)).mean() > 2
    browser.find_element("id", "layer-amenities").click()
    browser.find_element("css selector", "input[name=cells][value=score]").click()
    assert browser.execute_script(model, "ps-amen-0") and browser.execute_script(model, "ps-cells-score")
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
