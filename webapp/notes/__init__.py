"""Notes: Keep's text and checklist notes, their trash, search and pagination."""
