"""Planning: scenarios, the fewest additions that reach a target score, the feedback loop over years
(docs/scenario.md, docs/planning.md, docs/projection.md)."""

from .apply import Applied, apply_changes
from .changes import Change, read_changes
from .cover import CoverResult, cover
from .projection import Projection, project
from .scenario import Evaluation, evaluate
from .state import Stages, load_stages, save_stages

__all__ = ["Applied", "Change", "CoverResult", "Evaluation", "Projection", "Stages", "apply_changes", "cover",
           "evaluate", "load_stages", "project", "read_changes", "save_stages"]
