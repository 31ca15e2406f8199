"""Imports against a hostile or broken archive: limits, one-by-one refusals, no deletions."""

import json
import zipfile

import pytest

from tests.transfer import takeout
from webapp import images, maintenance
from webapp.extensions import db
from webapp.transfer.importer import Limits, import_path

KEEP = "Takeout/Keep"


def run_import(app, path, limits=None):
    with app.app_context():
        store = app.extensions["kaap.images"]
        return import_path(db.session, store, 1, path, images.work(app), None, None, limits)


def keep_zip(path, notes: dict[str, object], method=zipfile.ZIP_DEFLATED):
    """A Takeout of these JSON files (a dict becomes JSON; bytes are written as they are)."""
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, content in notes.items():
            data = (
                content
                if isinstance(content, bytes)
                else json.dumps(content, ensure_ascii=False).encode()
            )
            archive.writestr(f"{KEEP}/{name}", data)
    return path


def note(title, i=0, **fields):
    return {"title": title, "textContent": "x", "createdTimestampUsec": 1000 + i, **fields}


def titles(client, state="active"):
    items = client.get(f"/api/notes?state={state}&limit=100").get_json()["items"]
    return sorted(n["title"] for n in items)


def reasons(rows):
    return {row["file"].rsplit("/", 1)[-1]: row["reason"] for row in rows}


def test_trashed_notes_get_the_whole_trash_period_from_the_import(app, client, clock, tmp_path):
    # Edited in Keep years ago: dated by that edit, the purge right after took it.
    old = note("rescued", isTrashed=True, userEditedTimestampUsec=1_500_000_000_000_000)
    path = keep_zip(tmp_path / "t.zip", {"a.json": old})
    before = clock.current
    run_import(app, path)
    with app.app_context():
        maintenance.run(app)
    trashed = client.get("/api/notes?state=trashed").get_json()["items"]
    assert [n["title"] for n in trashed] == ["rescued"]
    assert trashed[0]["trashed_at"] > before.isoformat().replace("+00:00", "")
    clock.advance(days=app.config["TRASH_DAYS"], hours=-1)
    with app.app_context():
        maintenance.run(app)
    assert titles(client, "trashed") == ["rescued"]
    clock.advance(hours=2)
    with app.app_context():
        maintenance.run(app)
    assert titles(client, "trashed") == []


def test_small_compressible_notes_stop_at_the_import_text_limit(app, client, tmp_path):
    # 300 notes of 100 KB of one letter: a few KB zipped, each under the bomb check's 1 MB.
    notes = {f"n{i:03}.json": note(f"n{i:03}", i, textContent="a" * 100_000) for i in range(300)}
    path = keep_zip(tmp_path / "bomb.zip", notes)
    assert path.stat().st_size < 400_000
    summary = run_import(app, path, Limits(text_bytes=1_000_000))
    assert summary.imported == 9
    assert "IMPORT_MAX_TEXT_BYTES" in summary.stopped
    assert summary.failed[-1] == {"file": f"{KEEP}/n009.json", "reason": summary.stopped}
    assert "290 entries after it were not imported" in summary.stopped
    assert len(titles(client)) == 9


def test_the_account_quota_counts_the_notes_already_there(app, client, make_note, tmp_path):
    make_note(title="t" * 10, body="b" * 990, items=[{"text": "i" * 100}], kind="checklist")
    notes = {f"n{i}.json": note(f"n{i}", i, textContent="a" * 499) for i in range(5)}
    limits = Limits(account_text_bytes=1100 + 2 * 501)  # room for two notes of 501 bytes
    summary = run_import(app, keep_zip(tmp_path / "q.zip", notes), limits)
    assert summary.imported == 2
    assert "your account's quota" in summary.stopped


def test_the_total_unpacked_size_is_bounded(app, client, tmp_path):
    notes = {f"n{i}.json": note(f"n{i}", i, textContent="a" * 10_000) for i in range(5)}
    summary = run_import(app, keep_zip(tmp_path / "big.zip", notes), Limits(30_000))
    assert summary.imported == 2
    refused = [s["reason"] for s in summary.skipped]
    assert refused == ["refused: the archive unpacks to more than 30,000 bytes"
                       " (IMPORT_MAX_UNCOMPRESSED_BYTES)"] * 3  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": "t" * 1001}, "its title is over 1,000 characters"),
        ({"textContent": "é" * 500_001}, "its text is over 1 MB"),
        ({"listContent": [{"text": "x"}] * 1001}, "it has over 1,000 checklist items"),
        ({"listContent": [{"text": "x" * 10_001}]}, "a checklist item is over 10,000 characters"),
        ({"labels": [{"name": f"l{i}"} for i in range(1001)]}, "it has over 1,000 labels"),
    ],
)
def test_the_apis_limits_refuse_one_note_alone(app, client, tmp_path, fields, reason):
    path = keep_zip(
        tmp_path / "l.zip", {"big.json": {**note("big", 1), **fields}, "ok.json": note("ok", 2)}
    )
    summary = run_import(app, path)
    assert reasons(summary.failed) == {"big.json": reason}
    assert titles(client) == ["ok"]


def test_malformed_keep_entries_are_refused_one_by_one(app, client, tmp_path):
    path = keep_zip(
        tmp_path / "bad.zip",
        {
            "types.json": note(
                "types", 1, labels=5, annotations=5, attachments="x", listContent=[5]
            ),
            "deep.json": b"[" * 100_000 + b"]" * 100_000,
            "digits.json": b'{"title": 1' + b"1" * 5000 + b"}",
            "nul.json": note("nul\u0000", 2, textContent="a\u0000b", labels=[{"name": "L\u0000"}]),
            "crc.json": note("crc", 3),
            "locked.json": note("locked", 4),
            "deflate64.json": note("deflate64", 5),
            "Labels.txt": b"Fine\nNul\x00label\n",
            "ok.json": note("ok", 6),
        },
        method=zipfile.ZIP_STORED,
    )
    takeout.patch_member(path, f"{KEEP}/crc.json", corrupt=True)
    takeout.patch_member(path, f"{KEEP}/locked.json", flags=0x1)
    takeout.patch_member(path, f"{KEEP}/deflate64.json", method=9)
    summary = run_import(app, path)
    assert titles(client) == ["nul\ufffd", "ok", "types"]
    failed = reasons(summary.failed)
    assert failed["deep.json"] == "not valid JSON (nested too deeply)"
    assert "digits.json" in failed
    assert failed["crc.json"].startswith(f"{KEEP}/crc.json could not be read (Bad CRC-32")
    skipped = reasons(summary.skipped)
    assert skipped["locked.json"] == "refused: encrypted"
    assert (
        skipped["deflate64.json"]
        == "refused: compressed with a method Kaap cannot read (deflate64)"
    )
    assert "3 NUL characters (U+0000" in reasons(summary.warnings)["nul.json"]
    assert "1 NUL character (U+0000" in reasons(summary.warnings)["Labels.txt"]
    labels = {label["name"] for label in client.get("/api/labels").get_json()}
    assert labels == {"Fine", "Nul\ufffdlabel", "L\ufffd"}
    nul = client.get("/api/notes?q=nul").get_json()["items"][0]
    assert nul["body"] == "a\ufffdb"


def kaap_zip(path, notes, labels=()):
    index = {"format": "kaap-export", "version": 1, "labels": list(labels), "notes": notes}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("kaap.json", json.dumps(index))
    return path


def kaap_note(uid, **fields):
    return {"uid": uid, "title": uid, "body": "x", **fields}


def test_malformed_kaap_entries_are_refused_or_repaired_one_by_one(app, client, tmp_path):
    path = kaap_zip(
        tmp_path / "k.zip",
        [
            kaap_note("v31", version=2**31),
            kaap_note("v63", version=2**63 - 1),
            kaap_note("vstr", version="7"),
            kaap_note("early", created_at="0001-01-01T00:00:00+01:00"),
            kaap_note("late", updated_at="9999-12-31T23:59:59-01:00"),
            kaap_note("types", items=5, labels=5, images=5, kind=[], color={}),
            kaap_note("nul\u0000", body="\u0000"),
            "not a note",
            {"uid": 5},
            kaap_note("ok", version=3),
        ],
        labels=[{"name": "ok"}, {"name": 5}, "x"],
    )
    summary = run_import(app, path)
    assert summary.imported == 8, summary
    assert [f["reason"] for f in summary.failed] == ["a note without a valid uid"] * 2
    warned = " | ".join(w["reason"] for w in summary.warnings)
    assert "version 2147483648 is out of range" in warned
    assert "version 9223372036854775807 is out of range" in warned
    assert "created_at '0001-01-01T00:00:00+01:00' is not a time Kaap can store" in warned
    assert "updated_at '9999-12-31T23:59:59-01:00' is not a time Kaap can store" in warned
    notes = {n["title"]: n for n in client.get("/api/notes?limit=100").get_json()["items"]}
    assert notes["ok"]["version"] == 3
    # The note that came with the largest version can still be edited.
    edited = client.patch(f"/api/notes/{notes['v63']['id']}", json={"body": "edited"})
    assert edited.status_code == 200 and edited.get_json()["version"] == 2
    assert notes["nul\ufffd"]["body"] == "\ufffd"


def test_a_database_error_shows_no_sql(app, client, tmp_path, monkeypatch):
    from sqlalchemy.exc import DataError

    from webapp.transfer import importer

    def refuse(*args, **kwargs):
        raise DataError("INSERT INTO notes (title) VALUES (%(title)s)", {"title": "x"}, Exception())

    monkeypatch.setattr(importer, "write", refuse)
    summary = run_import(app, keep_zip(tmp_path / "d.zip", {"a.json": note("a")}))
    assert reasons(summary.failed) == {"a.json": "could not be stored (the database refused it)"}


def test_an_image_that_breaks_the_pipeline_costs_only_the_image(app, client, tmp_path, monkeypatch):
    from webapp.transfer import notes

    def explode(*args):
        raise RuntimeError("a decoder Kaap did not foresee")

    monkeypatch.setattr(notes.pipeline, "process", explode)
    with_photo = note("photo", 1, attachments=[{"filePath": "p.png", "mimetype": "image/png"}])
    path = keep_zip(
        tmp_path / "i.zip", {"photo.json": with_photo, "p.png": takeout.image_bytes("PNG")}
    )
    summary = run_import(app, path)
    assert summary.imported == 1
    assert "its images were not imported" in reasons(summary.warnings)["photo.json"]


def test_a_refused_note_costs_none_of_the_text_limit(app, client, tmp_path):
    notes = {
        "a-big.json": {**note("big", 1), "title": "t" * 1001},
        "b-ok.json": note("ok", 2, textContent="x" * 100),
    }
    summary = run_import(app, keep_zip(tmp_path / "c.zip", notes), Limits(text_bytes=1100))
    assert summary.imported == 1 and summary.stopped is None


def test_the_account_quota_applies_in_server_mode_only():
    config = {"IMPORT_MAX_TEXT_BYTES": 10, "ACCOUNT_MAX_TEXT_BYTES": 20}
    assert Limits.from_config({**config, "ACCOUNTS": False}).account_text_bytes is None
    server = Limits.from_config({**config, "ACCOUNTS": True})
    assert (server.text_bytes, server.account_text_bytes) == (10, 20)
