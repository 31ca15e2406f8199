"""A seeded corpus of notes mixing English and Korean, checklists and labels, loaded in bulk.

``load(db_path, n, seed)`` writes the same rows the app's service writes (``search_text`` comes
from the app's own function) straight into a migrated SQLite file. The search triggers are
set aside while it writes and the indexes are then rebuilt by the app's own rebuild (what
``flask --app webapp search rebuild`` runs), which is faster than a trigger per row and
gives the same index. Usage: ``python bench/corpus.py DATA_DIR N``.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.notes.keys import ascending
from webapp.notes.models import COLORS
from webapp.notes.service import search_text
from webapp.search.index import REBUILD, register_functions

ENGLISH = (
    "meeting project report plan call buy milk eggs bread coffee idea draft review budget "
    "travel book flight hotel garden recipe dinner lunch weekend family birthday gift list "
    "school homework doctor appointment gym run walk read write email follow up client team "
    "design code release bug fix deploy server backup photo camera music movie trip beach "
    "mountain river city train ticket passport bank tax invoice payment rent car repair paint "
    "kitchen table chair window door light phone laptop charger cable battery notes ideas"
).split()
KOREAN = (
    "회의 주간회의록 프로젝트 보고서 일정 장보기 우유 계란 빵 커피 아이디어 초안 검토 예산 "
    "여행 항공권 호텔 정원 요리 저녁 점심 주말 가족 생일 선물 목록 학교 숙제 병원 예약 운동 "
    "산책 독서 메일 고객 디자인 코드 배포 서버 백업 사진 음악 영화 바다 산 기차 은행 세금"
).split()
RARE = "zephyrine"  # in about 1 note in 2,000
LABELS = [f"label {i}" for i in range(20)] + ["업무", "개인", "가족", "여행"]


def _cumulative_zipf(size: int) -> list[float]:
    total, out = 0.0, []
    for rank in range(size):
        total += 1 / (rank + 1)
        out.append(total)
    return out


_CUM = {id(ENGLISH): _cumulative_zipf(len(ENGLISH)), id(KOREAN): _cumulative_zipf(len(KOREAN))}


def _zipf_words(rng: random.Random, vocab: list[str], k: int) -> list[str]:
    return rng.choices(vocab, cum_weights=_CUM[id(vocab)], k=k)


def _sentence(rng: random.Random, k: int) -> str:
    words = _zipf_words(rng, ENGLISH, k)
    if rng.random() < 0.4:  # two notes in five carry Korean
        words += _zipf_words(rng, KOREAN, max(1, k // 2))
        rng.shuffle(words)
    if rng.random() < 1 / 2000:
        words.insert(rng.randrange(len(words) + 1), RARE)
    return " ".join(words)


def generate(n: int, seed: int = 1):
    """Yield ``n`` notes as plain dicts, the same for the same seed."""
    rng = random.Random(seed)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    for i in range(n):
        checklist = rng.random() < 0.3
        created = start + timedelta(seconds=rng.randrange(5 * 365 * 86400), microseconds=i)
        updated = created + timedelta(seconds=rng.randrange(30 * 86400))
        state = rng.random()
        yield {
            "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "title": _sentence(rng, rng.randint(1, 5)) if rng.random() < 0.7 else "",
            "body": "" if checklist else _sentence(rng, rng.randint(8, 60)),
            "kind": "checklist" if checklist else "text",
            "items": [
                (_sentence(rng, rng.randint(1, 4)), rng.random() < 0.3)
                for _ in range(rng.randint(2, 10) if checklist else 0)
            ],
            "labels": rng.sample(range(len(LABELS)), k=rng.choice([0, 0, 1, 1, 2])),
            "color": rng.choice(COLORS) if rng.random() < 0.4 else "default",
            "pinned": rng.random() < 0.02,
            "archived": 0.90 < state < 0.98,
            "trashed_at": updated + timedelta(days=1) if state >= 0.98 else None,
            "created_at": created,
            "updated_at": updated,
        }


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def load(db_path: Path, n: int, seed: int = 1, owner_id: int = 1) -> float:
    """Append ``n`` notes to a migrated database; returns the seconds it took."""
    began = time.perf_counter()
    conn = sqlite3.connect(db_path)
    register_functions(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'notes'"
    ).fetchall()
    with conn:
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        label_ids = []
        for name in LABELS:
            row = conn.execute(
                "SELECT id FROM labels WHERE owner_id = ? AND name_key = ?",
                (owner_id, name.casefold()),
            ).fetchone()
            if row is None:
                row = (
                    conn.execute(
                        "INSERT INTO labels (owner_id, name, name_key, created_at, uid) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (
                            owner_id,
                            name,
                            name.casefold(),
                            _ts(datetime.now(UTC)),
                            str(uuid.uuid4()),
                        ),  # unique per owner since 0012
                    ).lastrowid,
                )
            label_ids.append(row[0])
        notes = list(generate(n, seed))
        # The own order as migration 0011 gives it: ascending keys, the oldest edit first.
        # Worked out here, not by a query after the load: a query on notes now would make
        # PRAGMA optimize below ANALYZE the table, and with those statistics SQLite lists by
        # the trashed_at index and a sort (see the report of #16's own order), on main too.
        # A second load into the same owner repeats keys: the id breaks those ties.
        by_edit = sorted(range(n), key=lambda i: (notes[i]["updated_at"], i))
        positions = dict(zip(by_edit, ascending(n), strict=True))
        for number, note in enumerate(notes):
            view = SimpleNamespace(
                title=note["title"],
                body=note["body"],
                items=[SimpleNamespace(text=text) for text, _ in note["items"]],
                labels=[
                    SimpleNamespace(name=LABELS[i])
                    for i in sorted(note["labels"], key=lambda i: LABELS[i].casefold())
                ],
            )
            note_id = conn.execute(
                "INSERT INTO notes (owner_id, uid, title, body, kind, color, pinned, archived, "
                "trashed_at, created_at, updated_at, version, search_text, position) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    owner_id,
                    note["uid"], note["title"], note["body"], note["kind"], note["color"],
                    note["pinned"], note["archived"], _ts(note["trashed_at"]),
                    _ts(note["created_at"]), _ts(note["updated_at"]), search_text(view),
                    positions[number],
                ),
            ).lastrowid  # fmt: skip
            conn.executemany(
                "INSERT INTO checklist_items (note_id, position, text, checked, uid) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (note_id, pos, text, checked, str(uuid.uuid4()))
                    for pos, (text, checked) in enumerate(note["items"])
                ],
            )
            conn.executemany(
                "INSERT INTO note_labels (note_id, label_id) VALUES (?, ?)",
                [(note_id, label_ids[i]) for i in note["labels"]],
            )
        for statement in REBUILD:
            conn.execute(statement)
        for _, sql in triggers:
            conn.execute(sql)
    conn.execute("PRAGMA optimize")
    conn.close()
    return time.perf_counter() - began


if __name__ == "__main__":
    from webapp import create_app

    data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
    create_app({"CONFIG": "testing", "DATA_DIR": str(data_dir)})
    seconds = load(data_dir / "kaap.sqlite3", count)
    print(f"loaded {count} notes in {seconds:.1f} s")


def empty_postgres(url: str) -> None:
    """Empty every table of a PostgreSQL database but Alembic's (as the tests do before each)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables if name != "alembic_version")
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
