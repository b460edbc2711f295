"""Planning: scenarios, the fewest additions that reach a target score, the feedback loop over years
(docs/planning.md, docs/projection.md)."""

from .cover import CoverResult, cover
from .projection import Projection, project

__all__ = ["CoverResult", "Projection", "cover", "project"]
