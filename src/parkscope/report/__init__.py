"""Reports: the self-contained HTML report and its figures."""
