"""Planning: scenarios (what a set of changes does to an assessment)."""

from .apply import Applied, apply_changes
from .changes import Change, read_changes
from .scenario import Evaluation, evaluate
from .state import Stages, load_stages, save_stages

__all__ = ["Applied", "Change", "Evaluation", "Stages", "apply_changes", "evaluate", "load_stages",
           "read_changes", "save_stages"]
