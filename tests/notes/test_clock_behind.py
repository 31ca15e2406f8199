"""A list shows every note even when the clock went back since a note's last edit."""


def test_a_note_edited_while_the_clock_is_behind_stays_listed(client, clock):
    note = client.post("/api/notes", json={"title": "first"}).get_json()
    clock.advance(hours=1)
    client.patch(f"/api/notes/{note['id']}", json={"title": "edited later"})
    clock.advance(hours=-2)  # the computer's clock set back
    client.patch(f"/api/notes/{note['id']}", json={"title": "edited with the clock behind"})
    titles = [n["title"] for n in client.get("/api/notes").get_json()["items"]]
    assert titles == ["edited with the clock behind"]


def test_a_walk_that_began_with_the_clock_behind_pages_every_note_once(client, clock):
    made = [client.post("/api/notes", json={"title": f"n{i}"}).get_json() for i in range(5)]
    clock.advance(hours=1)
    for note in made:
        client.patch(f"/api/notes/{note['id']}", json={"body": "later"})
    clock.advance(hours=-2)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/notes", query_string=query).get_json()
        seen += [n["title"] for n in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"n{i}" for i in range(5)]
