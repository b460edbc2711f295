"""Settings and the shared vocabulary: the bottom layer; imports no domain module."""
