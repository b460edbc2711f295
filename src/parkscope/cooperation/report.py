"""network.html (stub)."""

from __future__ import annotations

from typing import Any


def render_network_report(result: Any) -> str:
    return "<html></html>"
