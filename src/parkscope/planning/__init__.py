"""Planning: what to add, and where, to raise the park's score (docs/planning.md)."""

from .cover import CoverResult, cover

__all__ = ["CoverResult", "cover"]
