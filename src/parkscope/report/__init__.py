"""Reports: the self-contained bilingual HTML report, its base map and its PNG figures."""

from .basemap import basemap_layers
from .figures import find_cjk_font, write_figures
from .html import render_report, write_report

__all__ = ["basemap_layers", "find_cjk_font", "render_report", "write_figures", "write_report"]
