"""Moving a note: another person's notes are not there, as neighbours either."""

from tests.conftest import error_code


def test_another_persons_notes_are_404_as_neighbours(app, sign_up):
    ana = sign_up("ana")
    app.config["OPEN_SIGNUP"] = True
    bob = sign_up("bob")
    theirs = ana.post("/api/notes", json={"title": "ana's"}).get_json()
    mine = [bob.post("/api/notes", json={"title": t}).get_json() for t in "xy"]
    for body in ({"after": theirs["id"]}, {"before": theirs["id"], "after": mine[1]["id"]}):
        response = bob.post(f"/api/notes/{mine[0]['id']}/move", json=body)
        assert response.status_code == 404 and error_code(response) == "not_found"
    assert ana.get(f"/api/notes/{theirs['id']}").get_json()["version"] == 1
    # Bob's own notes he moves: the 404s were the owner check's.
    response = bob.post(f"/api/notes/{mine[0]['id']}/move", json={"before": mine[1]["id"]})
    assert response.status_code == 200
