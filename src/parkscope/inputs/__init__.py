"""What parkscope reads: OpenStreetMap extracts, rasters, map coordinates, the study area."""
