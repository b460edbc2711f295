"""Measures per node, cell and park: indicators, jobs and residents and where they come from, the
life-convenience score, the coupling indices, the reference scale, data sufficiency."""
