"""Issue #14's sync scenarios on real processes: a server (waitress; SQLite, or PostgreSQL
with KAAP_TEST_DATABASE_URL), two or three desktop processes with their own data directories
and clocks, each behind a TCP proxy; syncs through ``flask sync now``.

Every scenario ends by reading every replica's notes over its API (and the server's with the
account's token) and asserting they are the same notes, each once, with the text expected.
"""

from __future__ import annotations

import collections
import itertools
import threading

import pytest

from tests.sync.multi.harness import Desktop, snapshot

PUSH = b"POST /api/sync/push"


def sync_all(*desktops: Desktop, rounds: int = 2) -> None:
    """Everyone syncs, in turn, ``rounds`` times: what "after everyone syncs twice" means."""
    for _ in range(rounds):
        for desktop in desktops:
            desktop.sync()


def assert_in_step(account, *desktops: Desktop) -> collections.Counter:
    """Every desktop holds the server's notes (by content, each as many times)."""
    server = snapshot(account.notes())
    for desktop in desktops:
        assert snapshot(desktop.notes()) == server, desktop.name
    return server


def titles(notes) -> collections.Counter:
    return collections.Counter(note[0] for note in notes.elements())


def test_note_made_on_a_appears_on_b(make_desktop, account):
    a, b = make_desktop("A", "B", cli=True)  # `flask sync connect` in processes of their own
    a.create(title="Groceries", body="milk\neggs")
    assert "pushed 1" in a.sync(cli=True).stdout  # `flask sync now` in a process of its own
    assert "Pulled 1" in b.sync(cli=True).stdout
    assert b.find("Groceries")["body"] == "milk\neggs"
    assert len(assert_in_step(account, a, b)) == 1


def test_edits_to_different_lines_on_a_and_b_merge(make_desktop, account):
    a, b = make_desktop("A", "B")
    a.create(title="Plan", body="one\ntwo\nthree")
    sync_all(a, b, rounds=1)
    a.edit(a.find("Plan")["id"], body="ONE\ntwo\nthree")
    b.edit(b.find("Plan")["id"], body="one\ntwo\nTHREE")
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert [note[1] for note in notes] == ["ONE\ntwo\nTHREE"]


def test_edits_to_the_same_line_give_one_conflict_copy(make_desktop, account):
    a, b = make_desktop("A", "B")
    a.create(title="Plan", body="one\ntwo")
    sync_all(a, b, rounds=1)
    a.edit(a.find("Plan")["id"], body="one by A\ntwo")
    b.edit(b.find("Plan")["id"], body="one by B\ntwo")
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert sum(notes.values()) == 2  # the note and one copy, on every replica
    bodies = sorted(note[1] for note in notes)
    assert bodies == ["one by A\ntwo", "one by B\ntwo"]  # A pushed first: the note keeps A's
    copy = next(note for note in notes if note[1] == "one by B\ntwo")
    assert "(conflict on" in copy[0] and "Conflicts" in copy[4]


def test_a_tick_on_a_and_a_new_item_on_b_merge(make_desktop, account):
    a, b = make_desktop("A", "B")
    a.create(title="Shop", kind="checklist", items=[{"text": "milk"}, {"text": "eggs"}])
    sync_all(a, b, rounds=1)
    note = a.find("Shop")
    ticked = [{**note["items"][0], "checked": True}, note["items"][1]]
    a.edit(note["id"], items=ticked)
    note = b.find("Shop")
    b.edit(note["id"], items=[*note["items"], {"text": "bread"}])
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert [note[3] for note in notes] == [(("milk", True), ("eggs", False), ("bread", False))]


def test_a_label_added_on_a_and_one_removed_on_b_merge(make_desktop, account):
    a, b = make_desktop("A", "B")
    a.create(title="Trip", body="tickets", label_ids=[a.label_id("travel")])
    sync_all(a, b, rounds=1)
    note = a.find("Trip")
    a.edit(note["id"], label_ids=[a.label_id("travel"), a.label_id("urgent")])
    b.edit(b.find("Trip")["id"], label_ids=[])
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert [note[4] for note in notes] == [("urgent",)]


def test_trash_on_a_against_an_edit_on_b_keeps_the_edit(make_desktop, account):
    a, b = make_desktop("A", "B")
    a.create(title="Draft", body="first")
    sync_all(a, b, rounds=1)
    a.trash(a.find("Draft")["id"])
    b.edit(b.find("Draft")["id"], body="first\nsecond")
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    [(title, body, *_, trashed)] = notes
    assert (title, body, trashed) == ("Draft", "first\nsecond", False)


def test_delete_forever_on_b_against_an_edit_on_c_reaches_a_third_desktop(make_desktop, account):
    """B deletes a note forever while C adds an item to it: the edit wins (the note comes
    back), and A, which saw neither, ends with it too."""
    a, b, c = make_desktop("A", "B", "C")
    a.create(title="Shop", kind="checklist", items=[{"text": "milk"}])
    sync_all(a, b, c, rounds=1)
    b.delete(b.find("Shop")["id"])
    note = c.find("Shop")
    c.edit(note["id"], items=[*note["items"], {"text": "bread"}])
    sync_all(b, c, a)
    sync_all(a, b, c)
    notes = assert_in_step(account, a, b, c)
    assert [note[3] for note in notes] == [(("milk", False), ("bread", False))]


def test_a_note_trashed_synced_and_restored_on_a_is_restored_everywhere(make_desktop, account):
    a, b = make_desktop("A", "B")
    a.create(title="Keep me", body="text")
    sync_all(a, b, rounds=1)
    a.trash(a.find("Keep me")["id"])
    a.sync()
    a.restore(a.find("Keep me")["id"])
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert [(note[0], note[8]) for note in notes] == [("Keep me", False)]


def test_a_desktop_whose_clock_is_behind_the_servers_lists_the_notes_it_pulls(
    make_desktop, account
):
    a, b = make_desktop("A", "B")
    b.set_clock(minutes=-10)  # a computer's clock ten minutes slow
    a.create(title="Fresh", body="made on A")
    sync_all(a, b, rounds=1)
    assert b.find("Fresh")["body"] == "made on A"


def test_a_offline_for_a_month_with_200_changes_comes_back_in_step(make_desktop, account, server):
    """A month on every clock (the server's and the desktops' start 30 days back and move to
    now): A makes 200 changes offline while B edits and syncs; both sync twice; nothing lost,
    no duplicate, and B's deletions reach A (tombstones are kept 90 days: no resync)."""
    a, b = make_desktop("A", "B")

    def month_day(day: int) -> None:
        server.set_clock(days=day - 30)
        a.set_clock(days=day - 30)
        b.set_clock(days=day - 30)

    month_day(0)
    for n in range(20):
        a.create(title=f"shared {n}", body=f"line one {n}\nline two {n}")
    sync_all(a, b, rounds=1)
    a.proxy.offline()
    assert a.sync(expect_ok=False).returncode != 0  # offline: it says so, nothing breaks
    written: set[str] = set()
    b_deleted, b_trashed = set(), set()
    changes = 0
    for day in range(30):
        month_day(day)
        for _ in range(min(7, 200 - changes)):  # 200 in 29 days
            n = changes
            if n % 4 == 0:
                a.create(title=f"A new {n}", body=f"A wrote {n}")
                written.add(f"A wrote {n}")
            elif n % 4 == 1:  # line one of a shared note (B edits line two)
                note = a.find(f"shared {n % 20}")
                first, *rest = note["body"].split("\n")
                a.edit(note["id"], body="\n".join([f"{first} A{n}", *rest]))
                written.add(f"A{n}")
            elif n % 4 == 2:  # one of A's own new notes gets a line
                note = a.find(f"A new {n - 2}")
                a.edit(note["id"], body=f"{note['body']}\nA added {n}")
                written.add(f"A added {n}")
            else:  # trash one of A's own notes (its text stays, in the trash)
                a.trash(a.find(f"A new {n - 3}")["id"])
            changes += 1
        if day % 3 == 0:  # B edits line two of a shared note, and syncs
            note = b.find(f"shared {day % 20}")
            head, second = note["body"].split("\n")[:1], note["body"].split("\n")[1]
            b.edit(note["id"], body="\n".join([*head, f"{second} B{day}"]))
            written.add(f"B{day}")
            if day in (3, 9):
                made = b.create(title=f"B gone {day}", body="soon deleted")
                b.sync()
                b.delete(made["id"])
                b_deleted.add(f"B gone {day}")
            if day in (6, 12):
                made = b.create(title=f"B trashed {day}", body=f"B trashed {day}")
                b.sync()
                b.trash(made["id"])
                b_trashed.add(f"B trashed {day}")
            b.sync()
    assert changes == 200
    month_day(30)
    a.proxy.online()
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert max(titles(notes).values()) == 1, "a note came twice"
    everything = "\n".join(f"{note[0]}\n{note[1]}" for note in notes)
    assert not [piece for piece in written if piece not in everything], "text was lost"
    assert not b_deleted & set(titles(notes)), "a note B deleted came back (a resync?)"
    trashed = {note[0] for note in notes if note[8]}
    assert b_trashed <= trashed
    assert len(titles(notes)) == 20 + 50 + len(b_trashed)


def _sync_in_background(desktop: Desktop) -> tuple[threading.Thread, list]:
    done: list = []
    thread = threading.Thread(target=lambda: done.append(desktop.sync(expect_ok=False)))
    thread.start()
    return thread, done


@pytest.mark.parametrize(
    "where", ["answer_lost", "request_half_sent"], ids=["after-it-landed", "before-it-landed"]
)
def test_server_killed_during_a_push_and_restarted_no_duplicate_no_loss(
    make_desktop, account, server, where
):
    a, b = make_desktop("A", "B")
    a.create(title="Old", body="old text")
    sync_all(a, b, rounds=1)
    for n in range(3):
        a.create(title=f"New {n}", body=f"new text {n}")
    a.edit(a.find("Old")["id"], body="old text\nedited on A")
    if where == "answer_lost":  # the server applied the push; its answer never arrives
        rule = a.proxy.hold(PUSH, direction="down")
    else:  # half the request reached the server, which dies before reading the rest
        rule = a.proxy.hold(PUSH, direction="up", after=120)
    thread, done = _sync_in_background(a)
    assert rule.reached.wait(60), "the push never went out"
    server.kill()
    a.proxy.drop_all()
    thread.join(120)
    assert done and done[0].returncode != 0, "a sync that lost its server must fail"
    assert done[0].stderr.strip(), "and say why"
    server.restart()
    landed = sorted(note["title"] for note in account.notes())
    if where == "answer_lost":  # the case to prove: applied there, not known here
        assert landed == ["New 0", "New 1", "New 2", "Old"]
    else:
        assert landed == ["Old"]
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert sorted(titles(notes).elements()) == ["New 0", "New 1", "New 2", "Old"]
    assert [note[1] for note in notes if note[0] == "Old"] == ["old text\nedited on A"]


def test_an_edit_after_a_lost_push_answer_merges_without_a_conflict_copy(make_desktop, account):
    """A's push lands but its answer is lost (A's base stays older than the server's note,
    which has A's edit); A edits the next line, B another: one note, no copy."""
    a, b = make_desktop("A", "B")
    a.create(title="List", body="one\ntwo\nthree")
    sync_all(a, b, rounds=1)
    a.edit(a.find("List")["id"], body="one A\ntwo\nthree")
    a.proxy.cut(PUSH, after=0)
    assert a.sync(expect_ok=False).returncode != 0
    b.edit(b.find("List")["id"], body="one\ntwo\nthree B")
    b.sync()  # merged with A's edit there: "one A", "two", "three B"
    a.edit(a.find("List")["id"], body="one A\ntwo A\nthree")
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert [note[1] for note in notes] == ["one A\ntwo A\nthree B"]


def test_syncs_through_a_slow_and_breaking_network_end_in_step(make_desktop, account):
    """The proxy delays every chunk, cuts answers half way, drops connections mid-sync and
    refuses them; each failed sync says so, and the next ones bring everyone in step."""
    a, b = make_desktop("A", "B")
    a.proxy.delay = b.proxy.delay = 0.02
    for n in range(30):
        a.create(title=f"note {n}", body=f"text {n}")
    a.proxy.cut(b"GET /api/sync/changes", after=150)  # an answer broken off half way
    failed = a.sync(expect_ok=False, cli=True)
    assert failed.returncode != 0 and "Offline" in failed.stderr
    a.proxy.cut(PUSH, after=0)  # the push lands, its answer is lost
    assert a.sync(expect_ok=False).returncode != 0
    assert len(account.notes()) == 30
    a.proxy.offline()
    assert "Offline" in a.sync(expect_ok=False).stderr
    a.proxy.online()
    for n in range(10):
        b.create(title=f"from B {n}", body=f"B {n}")
    timer = threading.Timer(0.5, b.proxy.drop_all)  # somewhere in B's sync
    timer.start()
    b.sync(expect_ok=False)
    timer.join()
    sync_all(a, b)
    notes = assert_in_step(account, a, b)
    assert sum(notes.values()) == 40 and max(titles(notes).values()) == 1


@pytest.mark.slow
def test_three_replicas_through_a_week_of_offline_edits_restarts_and_cuts(
    make_desktop, account, server
):
    """Two desktops and a phone's browser (edits straight on the server, as the page does)
    over a week: each day someone is offline, the server restarts, connections are cut;
    at the end every replica holds the same notes, each once, with every line written."""
    a, b, c = make_desktop("A", "B", "C")
    desktops = (a, b, c)

    def week_day(day: int) -> None:
        server.set_clock(days=day - 7)
        for desktop in desktops:
            desktop.set_clock(days=day - 7)

    week_day(0)
    # A line per desktop per day, each desktop's lines together: no two desktops ever edit
    # the same line, or lines next to each other.
    a.create(title="diary", body="\n".join(f"{x} day {d}" for x in "ABC" for d in range(7)))
    sync_all(*desktops, rounds=1)
    written: set[str] = set()
    counter = itertools.count()
    with account.client() as phone:
        for day in range(7):
            week_day(day)
            offline = desktops[day % 3]
            offline.proxy.offline()
            for desktop in desktops:
                n = next(counter)
                desktop.create(title=f"{desktop.name} day {day} #{n}", body=f"words {n}")
                written.add(f"words {n}")
                diary = desktop.find("diary")
                lines = diary["body"].split("\n")
                lines[7 * "ABC".index(desktop.name) + day] += f" {desktop.name}{n}"
                written.add(f"{desktop.name}{n}")
                desktop.edit(diary["id"], body="\n".join(lines))
            made = phone.post("/api/notes", json={"title": f"phone day {day}", "body": "p"})
            assert made.status_code == 201, made.text
            if day == 2:
                server.kill()
                for desktop in desktops:
                    assert desktop.sync(expect_ok=False).returncode != 0
                server.restart()
            if day == 4:
                for desktop in desktops:
                    desktop.proxy.cut(PUSH, after=0)
            for desktop in desktops:
                desktop.sync(expect_ok=False)
            offline.proxy.online()
    week_day(7)
    sync_all(*desktops)
    notes = assert_in_step(account, *desktops)
    everything = "\n".join(f"{note[0]}\n{note[1]}" for note in notes)
    assert not [piece for piece in written if piece not in everything], "text was lost"
    names = titles(notes)
    assert sum(1 for name in names if name.startswith("phone day")) == 7
    copies = [name for name in names.elements() if "(conflict on" in name]
    assert max(count for name, count in names.items() if name not in copies) == 1
    # Last: edits of different lines merge, even after a push whose answer was lost (the
    # base is then older than the server's note, which has this desktop's edit already).
    assert not copies, "conflict copies of a note only ever edited on different lines"
