"""The files parkscope writes: the one atomic writer and the GeoPackage styles for QGIS."""
