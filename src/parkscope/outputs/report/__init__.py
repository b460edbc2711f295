"""Reports: the self-contained bilingual HTML report, its base map and its PNG figures."""

from parkscope.outputs.report.basemap import basemap_layers
from parkscope.outputs.report.figures import find_cjk_font, write_figures
from parkscope.outputs.report.html import render_report, write_report

__all__ = ["basemap_layers", "find_cjk_font", "render_report", "write_figures", "write_report"]
