def test_index_says_where_notes_appear_when_there_are_none(client):
    page = client.get("/").get_data(as_text=True)
    assert "Notes you add appear here" in page


def test_index_lists_notes_with_their_text_escaped(client, make_note):
    make_note(title="<script>alert(1)</script>", body="plain & simple")
    page = client.get("/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "plain &amp; simple" in page


def test_index_does_not_show_trashed_notes(client, make_note):
    note = make_note(title="gone soon")
    client.post(f"/api/notes/{note['id']}/trash")
    assert "gone soon" not in client.get("/").get_data(as_text=True)
