"""The installed package's version (one place; ``parkscope.__version__`` re-exports it)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("parkscope")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
