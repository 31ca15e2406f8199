"""The snapshot of the last notes drawn, shown in the desktop's cached shell at start."""
