import pytest

from tests.conftest import error_code


def test_create_list_rename_delete(client):
    response = client.post("/api/labels", json={"name": "Work"})
    assert response.status_code == 201
    label = response.get_json()
    assert response.headers["Location"] == f"/api/labels/{label['id']}"
    assert client.get("/api/labels").get_json() == [
        {"id": label["id"], "name": "Work", "note_count": 0}
    ]
    renamed = client.patch(f"/api/labels/{label['id']}", json={"name": "Job"}).get_json()
    assert renamed["name"] == "Job"
    assert client.delete(f"/api/labels/{label['id']}").status_code == 204
    assert client.get("/api/labels").get_json() == []


def test_labels_are_listed_by_name_with_note_counts(client, make_label, make_note):
    b, a = make_label("beta"), make_label("Alpha")
    make_note(label_ids=[a["id"], b["id"]])
    make_note(label_ids=[a["id"]])
    trashed = make_note(label_ids=[a["id"]])
    client.post(f"/api/notes/{trashed['id']}/trash")
    assert client.get("/api/labels").get_json() == [
        {"id": a["id"], "name": "Alpha", "note_count": 2},
        {"id": b["id"], "name": "beta", "note_count": 1},
    ]
    assert client.get(f"/api/labels/{a['id']}").get_json()["note_count"] == 2


@pytest.mark.parametrize("name", ["work", "WORK", "Work"])
def test_names_are_unique_regardless_of_case(client, make_label, name):
    make_label("Work")
    response = client.post("/api/labels", json={"name": name})
    assert response.status_code == 409
    assert error_code(response) == "label_exists"


def test_unicode_case_folding_counts_as_the_same_name(client, make_label):
    make_label("STRASSE")
    assert client.post("/api/labels", json={"name": "straße"}).status_code == 409


def test_renaming_to_its_own_name_in_another_case_is_allowed(client, make_label):
    label = make_label("work")
    response = client.patch(f"/api/labels/{label['id']}", json={"name": "Work"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "Work"


def test_renaming_onto_another_label_is_409(client, make_label):
    make_label("Home")
    work = make_label("Work")
    assert client.patch(f"/api/labels/{work['id']}", json={"name": "home"}).status_code == 409


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, None, 7])
def test_invalid_names_are_400(client, name):
    response = client.post("/api/labels", json={"name": name})
    assert response.status_code == 400
    assert "name" in response.get_json()["error"]["fields"]


def test_name_is_trimmed(client):
    assert client.post("/api/labels", json={"name": "  Trip  "}).get_json()["name"] == "Trip"


def test_unknown_fields_are_400(client):
    response = client.post("/api/labels", json={"name": "x", "color": "red"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"color": "unknown field"}


def test_deleting_a_label_keeps_its_notes(client, make_label, make_note):
    label = make_label("Temp")
    note = make_note(label_ids=[label["id"]])
    client.delete(f"/api/labels/{label['id']}")
    got = client.get(f"/api/notes/{note['id']}")
    assert got.status_code == 200
    assert got.get_json()["labels"] == []


def test_filtering_notes_by_label(client, make_label, make_note):
    label = make_label("Trip")
    tagged = make_note(label_ids=[label["id"]])
    make_note()
    items = client.get(f"/api/notes?label={label['id']}").get_json()["items"]
    assert [note["id"] for note in items] == [tagged["id"]]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_missing_label_is_404(client, method):
    response = getattr(client, method)("/api/labels/404", json={"name": "x"})
    assert response.status_code == 404
    assert error_code(response) == "not_found"
