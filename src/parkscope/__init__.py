"""parkscope: industry–city–people (产城融合) diagnosis of science parks from OpenStreetMap."""

from __future__ import annotations

from ._version import __version__
from .assessment import Assessment, assess
from .config import Settings, load_settings
from .errors import ParkscopeError
from .summary import Summary, read_summary

__all__ = [
    "Assessment", "ParkscopeError", "Settings", "Summary", "__version__", "assess", "load_settings",
    "read_summary",
]
