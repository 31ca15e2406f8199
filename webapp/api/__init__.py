"""The REST API under ``/api``: ``core`` builds it, ``envelope`` shapes its errors."""
