"""Database plumbing shared by every feature: SQLite settings and transactions, migrations,
prepared statements, column types."""
