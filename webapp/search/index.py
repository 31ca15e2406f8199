"""SQLite full-text indexes for search, kept in step with ``notes.search_text`` by triggers.

- ``notes_fts``: FTS5 with the trigram tokenizer over the owner's token and the case-folded
  ``search_text`` (external content, the view ``notes_fts_source``, so the text is stored
  once). It answers any term of 3 or more characters as an exact substring.
- ``notes_grams``: FTS5 over the owner's token and the 1- and 2-character grams of
  ``search_text`` that contain a character outside ASCII, written as tokens by
  ``kaap_grams()``. It answers the short terms trigrams cannot (``회의`` in ``주간회의록``).
  Short ASCII terms (``%``, ``ab``) have no index: they are checked on the rows the list walk
  reaches, which stops when a page is full.

Every match names the owner's token first (migration 0009): the index then narrows to the
owner's own rows, and another person's notes are skipped by the index, not read.

Both are written by triggers on ``notes`` in the transaction that changes the note, so the
index can never disagree with a committed note. Other databases use plain substring
conditions (see ``choose_driver``).
"""

from __future__ import annotations

from sqlalchemy import bindparam, column, exists, func, literal_column, not_, or_, select, table
from sqlalchemy.engine import Connection

from webapp.db.prepared import run
from webapp.notes.models import Note
from webapp.search.query import Query

TABLES = ("notes_fts", "notes_grams")
_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content")


def is_search_table(name: str) -> bool:
    """An FTS table or one of its shadow tables (not in the models' metadata)."""
    return any(name == t or name in {t + s for s in _SHADOW} for t in TABLES)


# Capital letters (Latin, Greek, Cyrillic): case-folded text never holds one, so no note can
# carry another owner's token into the index. Three of them are one trigram, one index term,
# for the first 551,368 owners. Later owners get longer tokens, which contain a shorter
# owner's token: that owner's search then also steps over their rows (results stay exact,
# the owner condition is checked on every row), so narrowing is exact below that number.
_OWNER_LETTERS = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    + "".join(chr(c) for c in range(0x391, 0x3AA) if c != 0x3A2)
    + "".join(chr(c) for c in range(0x410, 0x430))
)


def owner_token(owner_id: int) -> str:
    """The owner's term in ``notes_fts``: ``owner_id`` in base 82, at least 3 letters."""
    digits, rest = [], owner_id
    while rest or len(digits) < 3:
        rest, digit = divmod(rest, len(_OWNER_LETTERS))
        digits.append(_OWNER_LETTERS[digit])
    return "".join(digits)


def owner_gram(owner_id: int) -> str:
    """The owner's term in ``notes_grams``: not hex, so never one of ``grams()``'s tokens."""
    return f"o{owner_id}"


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


def owner_grams(owner_id: int, text: str | None) -> str:
    """What ``notes_grams`` indexes for a note: the owner's term, then ``grams(text)``."""
    return f"{owner_gram(owner_id)} {grams(text)}"


def register_functions(dbapi_connection) -> None:
    """Make ``kaap_grams()`` and ``kaap_owner()`` known to a raw sqlite3 connection (the
    triggers and ``notes_fts_source`` call them; the one-argument ``kaap_grams`` is 0003's)."""
    dbapi_connection.create_function("kaap_grams", 1, grams, deterministic=True)
    dbapi_connection.create_function("kaap_grams", 2, owner_grams, deterministic=True)
    dbapi_connection.create_function("kaap_owner", 1, owner_token, deterministic=True)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _gram_token(term: str) -> str:
    return "".join(_hex(ch) for ch in term)


_fts = table("notes_fts", column("rowid"))
_grams = table("notes_grams", column("rowid"))
_labels = table("note_labels", column("note_id"), column("label_id"))

# A candidate set this small drives the query (fetch the candidates, then sort them); when
# every candidate set is larger, walking the list in order finds a page of matches quickly.
# A label's notes come from a covering index, cheap to count and fetch, so more may drive.
DRIVE_AT_MOST = {"text": 1000, "grams": 1000, "label": 10000}


def substring(term: str, dialect: str):
    """The exact semantics: ``term`` (case-folded) occurs in the note's case-folded text."""
    if dialect == "sqlite":
        return func.instr(Note.search_text, term) > 0
    return Note.search_text.contains(term, autoescape=True)


def _ids_matching(table_, match):
    return select(table_.c.rowid).where(literal_column(table_.name).op("MATCH")(match))


def _label_ids(label_id):
    return select(_labels.c.note_id).where(_labels.c.label_id == label_id)


def _probe(source, limit: int):
    return select(func.count()).select_from(source.limit(limit).subquery())


# How many candidates each index has, counted no further than its DRIVE_AT_MOST. Built
# once: constructing statements per request cost more than running these.
_PROBES = {
    "text": _probe(_ids_matching(_fts, bindparam("match")), DRIVE_AT_MOST["text"]),
    "grams": _probe(_ids_matching(_grams, bindparam("match")), DRIVE_AT_MOST["grams"]),
    "label": _probe(_label_ids(bindparam("match")), DRIVE_AT_MOST["label"]),
}


# Whether anyone else has notes (two index seeks).
_NEIGHBOURS = select(
    or_(
        exists().where(Note.owner_id < bindparam("owner_id")),
        exists().where(Note.owner_id > bindparam("owner_id")),
    )
)


def _sources(connection, query: Query, label_id: int | None, owner_id: int) -> list:
    """Candidate sets an index can produce: (what, the probe's parameter).

    A match starts with the owner's term, which FTS5 intersects with the others as it walks
    them, seeking past other owners' rows instead of reading them. An owner alone in the
    database (the desktop) is left out of it: the term would match every row, and
    intersecting it cost a rare word's probe 0.3 ms at 100,000 notes.
    """
    sources = []
    long_terms = [t for t in query.include if len(t) >= 3]
    wide_terms = [t for t in query.include if len(t) < 3 and not t.isascii()]
    owned = bool(long_terms or wide_terms) and bool(
        run(connection, _NEIGHBOURS, {"owner_id": owner_id}).scalar_one()
    )
    if long_terms:
        terms = ([owner_token(owner_id)] if owned else []) + long_terms
        sources.append(("text", " AND ".join(map(_phrase, terms))))
    if wide_terms:
        terms = ([owner_gram(owner_id)] if owned else []) + list(map(_gram_token, wide_terms))
        sources.append(("grams", " AND ".join(terms)))
    if label_id is not None:
        sources.append(("label", label_id))
    return sources


def choose_driver(connection: Connection, query: Query, label_id: int | None, owner_id: int):
    """The smallest candidate set under ``DRIVE_AT_MOST`` as ``(what, value)``, or None.

    Every term is checked as an exact substring of ``search_text`` on the rows a list query
    reaches; the indexes only decide which rows are reached: a candidate set this small
    drives (fetch the candidates, then sort them), else the walk in list order stops as soon
    as a page is full. SQLite only: other databases always walk.
    """
    dialect = connection.dialect
    if dialect.name != "sqlite":
        return None
    best = None
    for what, value in _sources(connection, query, label_id, owner_id):
        size = run(connection, _PROBES[what], {"match": value}).scalar_one()
        if size < DRIVE_AT_MOST[what] and (best is None or size < best[0]):
            best = (size, what, value)
    return None if best is None else best[1:]


def driver_condition(what: str, value):
    """Notes among the candidates of a driver (``value`` may be a bound parameter)."""
    if what == "label":
        return Note.id.in_(_label_ids(value))
    return Note.id.in_(_ids_matching(_fts if what == "text" else _grams, value))


def label_condition(label_id):
    """Notes with the label (``label_id`` may be a bound parameter)."""
    return Note.id.in_(_label_ids(label_id))


def term_conditions(include, exclude, dialect: str) -> list:
    """Every included term occurs and no excluded one does (terms or bound parameters)."""
    return [substring(t, dialect) for t in include] + [not_(substring(t, dialect)) for t in exclude]


# Refill both indexes from notes (plain SQL, so bulk loaders and migrations can run it too).
REBUILD = (
    "INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
    "INSERT INTO notes_grams(notes_grams) VALUES ('delete-all')",
    "INSERT INTO notes_grams(rowid, grams) SELECT id, kaap_grams(owner_id, search_text) FROM notes",
)


def rebuild(connection: Connection) -> int:
    """Rebuild both indexes from ``notes.search_text``; returns the number of notes."""
    for statement in REBUILD:
        connection.exec_driver_sql(statement)
    return connection.execute(select(func.count()).select_from(Note)).scalar_one()
