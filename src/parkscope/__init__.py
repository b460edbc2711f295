"""parkscope: industry–city–people (产城融合) diagnosis of science parks from OpenStreetMap."""

from __future__ import annotations

from parkscope._version import __version__
from parkscope.assessment import Assessment, assess
from parkscope.errors import ParkscopeError
from parkscope.settings.config import Settings, load_settings
from parkscope.settings.summary import Summary, read_summary

__all__ = [
    "Assessment", "ParkscopeError", "Settings", "Summary", "__version__", "assess", "load_settings",
    "read_summary",
]
