"""Sync between Kaap installations (issue #14): the server side here, the desktop's in ``device``."""
