"""Writers of one account at once: every change gets its own number, and the counter ends at
the number of changes (SQLite and, with KAAP_TEST_DATABASE_URL, PostgreSQL)."""

import threading

from sqlalchemy import select

from webapp.extensions import db
from webapp.notes.models import Note
from webapp.sync.models import SyncSequence

WRITERS = 4
WRITES_EACH = 6


def test_concurrent_writes_get_distinct_increasing_numbers(app, client):
    start = threading.Barrier(WRITERS)
    failures = []

    def write(number):
        mine = app.test_client()
        mine.environ_base["HTTP_X_CSRFTOKEN"] = mine.get("/api/csrf").get_json()["csrf_token"]
        start.wait()
        for i in range(WRITES_EACH):
            response = mine.post("/api/notes", json={"title": f"w{number} {i}"})
            if response.status_code != 201:
                failures.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with app.app_context():
        seqs = db.session.scalars(select(Note.seq)).all()
        (counter,) = db.session.scalars(select(SyncSequence.seq)).all()
    assert len(seqs) == WRITERS * WRITES_EACH == len(set(seqs))
    assert counter == max(seqs) == len(seqs)
    # A reader that walks the feed meets every one, in order.
    walked, since = [], 0
    while True:
        page = client.get(f"/api/sync/changes?since={since}&limit=5").get_json()
        walked += [change["seq"] for change in page["changes"]]
        since = page["high_water"]
        if not page["more"]:
            break
    assert walked == sorted(seqs)
