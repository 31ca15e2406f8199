"""Import jobs: bounded in number, forgotten after a while, small answers, no SQL shown."""

import io
import threading
import time
import zipfile

import pytest

from webapp.transfer import jobs as jobs_module

NOTE = b'{"title": "t%d", "textContent": "x", "createdTimestampUsec": %d}'


def archive(count=1, start=0, extra=()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(start, start + count):
            zf.writestr(f"Takeout/Keep/n{i}.json", NOTE % (i, i + 1))
        for name in extra:
            zf.writestr(name, b'{"title": "", "textContent": ""}')
    return out.getvalue()


def start(client, data: bytes):
    return client.post(
        "/api/imports",
        data={"file": (io.BytesIO(data), "takeout.zip")},
        content_type="multipart/form-data",
    )


def finish(client, response) -> dict:
    assert response.status_code == 202, response.get_json()
    for _ in range(400):
        job = client.get(response.headers["Location"]).get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(job)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock_jobs(app):
    fake = FakeClock()
    app.extensions["kaap.jobs"]._clock = fake
    return fake


def test_finished_jobs_expire_after_an_hour(client, clock_jobs):
    response = start(client, archive())
    assert finish(client, response)["status"] == "done"
    clock_jobs.now += jobs_module.FINISHED_TTL - 1
    assert client.get(response.headers["Location"]).status_code == 200
    clock_jobs.now += 2
    missing = client.get(response.headers["Location"])
    assert missing.status_code == 404
    assert "forgotten an hour after" in missing.get_json()["error"]["message"]


def test_only_the_newest_finished_jobs_of_an_owner_are_kept(app, client, clock_jobs):
    locations = []
    for i in range(jobs_module.FINISHED_PER_OWNER + 2):
        response = start(client, archive(start=i))
        finish(client, response)
        clock_jobs.now += 1
        locations.append(response.headers["Location"])
    codes = [client.get(location).status_code for location in locations]
    assert codes == [404, 404] + [200] * jobs_module.FINISHED_PER_OWNER
    assert len(app.extensions["kaap.jobs"]) == jobs_module.FINISHED_PER_OWNER


def test_one_import_at_a_time_per_owner(app, client, monkeypatch):
    release = threading.Event()
    real = jobs_module.import_path

    def slow(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "import_path", slow)
    first = start(client, archive())
    second = start(client, archive())
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "import_running"
    release.set()
    assert finish(client, first)["status"] == "done"
    assert finish(client, start(client, archive(start=5)))["status"] == "done"


def test_the_summary_lists_at_most_200_of_each_kind_but_counts_all(client):
    empties = [f"Takeout/Keep/e{i}.json" for i in range(250)]
    job = finish(client, start(client, archive(3, extra=empties)))
    summary = job["summary"]
    assert summary["imported"] == 3
    assert len(summary["skipped"]) == 200
    assert summary["totals"] == {"skipped": 250, "failed": 0, "warnings": 0}


def test_a_job_stopped_by_the_text_limit_says_why(app, client):
    app.config["IMPORT_MAX_TEXT_BYTES"] = 7  # each note holds 3 bytes: "t0", "x"
    job = finish(client, start(client, archive(3)))
    assert (job["status"], job["summary"]["imported"]) == ("done", 2)
    assert "IMPORT_MAX_TEXT_BYTES" in job["error"]
    assert job["summary"]["stopped"] == job["error"]


def test_a_failed_job_shows_no_sql(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("SELECT notes.body FROM notes WHERE owner_id = 1", {}, Exception())

    monkeypatch.setattr(jobs_module, "import_path", broken)
    job = finish(client, start(client, archive()))
    assert job["status"] == "failed"
    assert "SELECT" not in job["error"] and "the server's log" in job["error"]


def test_too_many_imports_in_all_is_503(client, monkeypatch):
    monkeypatch.setattr(jobs_module, "RUNNING_MAX", 0)
    response = start(client, archive())
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "imports_busy"
