"""Search: the query language, the SQLite full-text indexes and where the matches are.

Semantics, the same on every database: a note matches a term when the term, case-folded, is
a substring of the note's case-folded title, body, checklist items or label names.
"""
