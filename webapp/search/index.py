"""SQLite full-text indexes for search, kept in step with ``notes.search_text`` by triggers.

- ``notes_fts``: FTS5 with the trigram tokenizer over the case-folded ``search_text``
  (external content, so the text is stored once). It answers any term of 3 or more
  characters as an exact substring.
- ``notes_grams``: FTS5 over the 1- and 2-character grams of ``search_text`` that contain a
  character outside ASCII, written as hex tokens by ``kaap_grams()``. It answers the short
  terms trigrams cannot (``회의`` in ``주간회의록``). Short ASCII terms (``%``, ``ab``) are
  matched by scanning in list order, which stops as soon as a page is full.

Both are written by triggers on ``notes`` in the transaction that changes the note, so the
index can never disagree with a committed note. Other databases use plain substring
conditions (see ``conditions``).
"""

from __future__ import annotations

from sqlalchemy import column, func, literal_column, not_, select, table, text
from sqlalchemy.engine import Connection

from webapp.notes.models import Note
from webapp.search.query import Query

TABLES = ("notes_fts", "notes_grams")
_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content")


def is_search_table(name: str) -> bool:
    """An FTS table or one of its shadow tables (not in the models' metadata)."""
    return any(name == t or name in {t + s for s in _SHADOW} for t in TABLES)


def _hex(ch: str) -> str:
    return f"{ord(ch):06x}"


def grams(text: str | None) -> str:
    """Space-separated tokens of the distinct short grams of ``text`` with a non-ASCII char."""
    if not text:
        return ""
    out: set[str] = set()
    prev = ""
    for ch in text:
        if ch == "\n":
            prev = ""
            continue
        wide = ord(ch) > 127
        if wide:
            out.add(_hex(ch))
        if prev and (wide or ord(prev) > 127):
            out.add(_hex(prev) + _hex(ch))
        prev = ch
    return " ".join(out)


def register_functions(dbapi_connection) -> None:
    """Make ``kaap_grams()`` known to a raw sqlite3 connection (the triggers call it)."""
    dbapi_connection.create_function("kaap_grams", 1, grams, deterministic=True)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _gram_token(term: str) -> str:
    return "".join(_hex(ch) for ch in term)


_fts = table("notes_fts", column("rowid"))
_grams = table("notes_grams", column("rowid"))


def _fts_ids(terms: list[str], joiner: str):
    match = literal_column("notes_fts").op("MATCH")(joiner.join(map(_phrase, terms)))
    return select(_fts.c.rowid).where(match)


def _gram_ids(terms: list[str], joiner: str):
    match = literal_column("notes_grams").op("MATCH")(joiner.join(map(_gram_token, terms)))
    return select(_grams.c.rowid).where(match)


def _substring(term: str):
    return Note.search_text.contains(term, autoescape=True)


def conditions(query: Query, dialect: str) -> list:
    """SQL conditions on ``notes`` for a parsed query."""
    if dialect != "sqlite":
        return [_substring(t) for t in query.include] + [not_(_substring(t)) for t in query.exclude]
    out = []
    long_in = [t for t in query.include if len(t) >= 3]
    wide_in = [t for t in query.include if len(t) < 3 and not t.isascii()]
    if long_in:
        out.append(Note.id.in_(_fts_ids(long_in, " AND ")))
    if wide_in:
        out.append(Note.id.in_(_gram_ids(wide_in, " AND ")))
    out += [_substring(t) for t in query.include if len(t) < 3 and t.isascii()]
    long_out = [t for t in query.exclude if len(t) >= 3]
    wide_out = [t for t in query.exclude if len(t) < 3 and not t.isascii()]
    if long_out:
        out.append(Note.id.not_in(_fts_ids(long_out, " OR ")))
    if wide_out:
        out.append(Note.id.not_in(_gram_ids(wide_out, " OR ")))
    out += [not_(_substring(t)) for t in query.exclude if len(t) < 3 and t.isascii()]
    return out


def rebuild(connection: Connection) -> int:
    """Rebuild both indexes from ``notes.search_text``; returns the number of notes."""
    connection.execute(text("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')"))
    connection.execute(text("INSERT INTO notes_grams(notes_grams) VALUES ('delete-all')"))
    connection.execute(
        text("INSERT INTO notes_grams(rowid, grams) SELECT id, kaap_grams(search_text) FROM notes")
    )
    return connection.execute(select(func.count()).select_from(Note)).scalar_one()
