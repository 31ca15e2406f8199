"""A label deleted on one side reaches the other through the engine: its notes lose it,
nobody's edit is lost, and no conflict copy is made."""

# ruff: noqa: F811 (the engine tests' fixtures, imported, are the tests' arguments)
from __future__ import annotations

from tests.sync.device.test_engine import desktops, server  # noqa: F401 (fixtures)


def label_on_two_notes(desktop) -> dict:
    label = desktop.client.post("/api/labels", json={"name": "Trips"}).get_json()
    for title in ("Rome", "Oslo"):
        desktop.create(title=title, label_ids=[label["id"]])
    return label


def labels_of(desktop) -> dict[str, list[str]]:
    return {n["title"]: [lb["name"] for lb in n["labels"]] for n in desktop.notes()}


def test_a_label_deleted_on_a_desktop_leaves_every_device_without_it(desktops):
    a, b = desktops(), desktops()
    label = label_on_two_notes(a)
    a.sync(), b.sync()
    assert a.client.delete(f"/api/labels/{label['id']}").status_code == 204
    report = a.sync()
    assert report.in_step and report.conflict_copies == 0 and not report.invalid
    report = b.sync()
    assert report.in_step and report.conflict_copies == 0
    assert b.client.get("/api/labels").get_json() == []
    assert labels_of(b) == labels_of(a) == {"Rome": [], "Oslo": []}


def test_a_label_deleted_on_the_server_keeps_a_desktops_unsynced_edit(desktops, server):
    a = desktops()
    label_on_two_notes(a)
    a.sync()
    # Deleted in the web app while this desktop edits a note that carried it.
    web = server.client
    web.environ_base["HTTP_X_CSRFTOKEN"] = web.get("/api/csrf").get_json()["csrf_token"]
    (on_server,) = web.get("/api/labels").get_json()
    assert web.delete(f"/api/labels/{on_server['id']}").status_code == 204
    a.patch(a.by_title("Rome"), body="Colosseum at nine")
    report = a.sync()
    assert report.in_step and report.conflict_copies == 0 and not report.invalid
    assert labels_of(a) == {"Rome": [], "Oslo": []}
    assert a.by_title("Rome")["body"] == "Colosseum at nine"
    notes = web.get("/api/notes", query_string={"limit": 10}).get_json()["items"]
    assert {(n["title"], n["body"], len(n["labels"])) for n in notes} == {
        ("Rome", "Colosseum at nine", 0), ("Oslo", "", 0)
    }  # fmt: skip
