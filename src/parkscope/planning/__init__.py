"""Planning: scenarios (what a set of changes does to an assessment)."""

from .changes import Change, read_changes
from .scenario import Applied, Evaluation, apply_changes, evaluate
from .state import Stages, load_stages, save_stages

__all__ = ["Applied", "Change", "Evaluation", "Stages", "apply_changes", "evaluate", "load_stages",
           "read_changes", "save_stages"]
