"""parkscope: industry–city–people (产城融合) diagnosis of science parks from OpenStreetMap."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("parkscope")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from .assessment import Assessment, assess  # noqa: E402
from .config import Settings, load_settings  # noqa: E402
from .errors import ParkscopeError  # noqa: E402

__all__ = ["Assessment", "ParkscopeError", "Settings", "__version__", "assess", "load_settings"]
