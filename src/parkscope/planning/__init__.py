"""Planning: scenarios, the fewest additions that reach a target score, the feedback loop over years."""

from .projection import Projection, project

__all__ = ["Projection", "project"]
