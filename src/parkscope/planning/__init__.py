"""Planning: scenarios, the fewest additions that reach a target score, the feedback loop over years
(docs/scenario.md, docs/planning.md, docs/projection.md)."""

from parkscope.planning.apply import Applied, apply_changes
from parkscope.planning.changes import Change, read_changes
from parkscope.planning.cover import CoverResult, cover
from parkscope.planning.projection import Projection, project
from parkscope.planning.scenario import Evaluation, evaluate
from parkscope.planning.state import Stages, load_stages, save_stages

__all__ = ["Applied", "Change", "CoverResult", "Evaluation", "Projection", "Stages", "apply_changes", "cover",
           "evaluate", "load_stages", "project", "read_changes", "save_stages"]
