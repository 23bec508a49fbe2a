"""Issue 20: the upload answers once the original is durable; the derivatives come from a real queue.

The rest of the suite makes derivatives at the upload's commit (TestConfig.TASK_IMMEDIATE); these
tests switch the app to a real queue: the embedded SQLite one (every run) or Redis on 127.0.0.1:6379
(a test needing Redis fails, never skips, without it), each under a queue name of its own, so
parallel runs and xdist workers never share one.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Photo
from app.services.photos import derivatives
from app.tasks import queue as task_queue
from app.timeutil import now_utc
from tests.conftest import REPO
from tests.live_server import live_server
from tests.photos.conftest import S3_SETTINGS, sha

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def inspector_client(api, create_user):
    return api(create_user("inspector"))


@pytest.fixture
def admin_client(login, create_user):
    return login(create_user("admin"))


def _use_queue(app, monkeypatch, **build):
    """Switch `app` to a real queue (not immediate) for this test; the fixture's teardown switches back."""
    monkeypatch.setitem(app.config, "TASK_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "TASK_IN_WEB", build.pop("in_web", "off"))
    tasks = task_queue.build(app, immediate=False, name=f"test-{uuid.uuid4().hex[:12]}", **build)
    monkeypatch.setitem(app.extensions, "tasks", tasks)
    monkeypatch.delitem(app.extensions, "tasks_in_web", raising=False)  # a runner of its own, if any
    return tasks


@pytest.fixture
def embedded(app, monkeypatch, tmp_path):
    return _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "tasks.sqlite3"))


@pytest.fixture
def on_redis(app, monkeypatch):
    tasks = _use_queue(app, monkeypatch, backend="redis", url=REDIS_URL)
    tasks.huey.storage.conn.ping()  # no Redis: this test fails here (it must not be skipped)
    yield tasks
    tasks.huey.flush()


def _state(sha256: str) -> Photo:
    db.session.rollback()  # see what other sessions and processes committed
    return db.session.get(Photo, sha256)


def _wait_for(predicate, timeout_s: float = 60.0):
    """Poll until `predicate()` is truthy (the test's own timeout bounds a hang; no timing is asserted)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("gave up waiting")


def _image_at(client, url: str) -> bytes:
    resp = client.get(url)
    try:
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
        return resp.data
    finally:
        resp.close()  # a file sent: closed here, not by the garbage collector


def _is_jpeg(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image.size


def test_the_upload_answers_pending_and_the_task_makes_the_derivatives(embedded, inspector_client, upload,
                                                                        make_jpeg, media):
    data = make_jpeg(size=(1600, 1200), seed=21)
    resp = upload(inspector_client, data)
    assert resp.status_code == 201
    body = resp.json
    assert (body["derivatives"], body["web_url"], body["thumbnail_url"]) == ("pending", None, None)
    assert (body["width"], body["height"]) == (1600, 1200)  # from the header alone
    store = media
    assert store.exists("original", body["sha256"])
    assert not store.exists("thumb", body["sha256"]) and not store.exists("web", body["sha256"])
    for variant in ("thumb", "web"):  # never a placeholder image in the thumbnail's place
        pending = inspector_client.get(f"/api/v1/photos/{body['sha256']}/{variant}")
        assert pending.status_code == 409 and pending.json["error"]["code"] == "derivatives_pending"
        assert int(pending.headers["Retry-After"]) >= 1
    assert _state(body["sha256"]).phash is None
    assert embedded.counts() == {"queued": 1, "scheduled": 0}

    db.session.commit()
    assert embedded.drain() == 1

    ready = inspector_client.get(f"/api/v1/photos/{body['sha256']}").json
    assert ready["derivatives"] == "ready"
    assert _is_jpeg(_image_at(inspector_client, ready["thumbnail_url"])) == (320, 240)
    assert _is_jpeg(_image_at(inspector_client, ready["web_url"])) == (1280, 960)
    photo = _state(body["sha256"])
    assert photo.phash and photo.derivative_attempts == 1 and photo.derivative_error is None
    assert embedded.drain() == 0  # nothing left, nothing run twice


def test_the_same_task_twice_decodes_once(embedded, inspector_client, upload, make_jpeg, monkeypatch):
    sha256 = upload(inspector_client, make_jpeg(seed=22)).json["sha256"]
    embedded.enqueue("photo_derivatives", sha256)  # e.g. the scheduler's requeue of a photo it thought lost
    db.session.commit()
    assert embedded.drain() == 2
    assert _state(sha256).derivative_attempts == 1


def test_a_failing_task_is_retried_later_each_time_then_failed_and_shown_to_admins(
        app, monkeypatch, tmp_path, inspector_client, admin_client, upload, make_jpeg):
    monkeypatch.setitem(app.config, "PHOTO_TASK_RETRIES", 2)
    monkeypatch.setitem(app.config, "PHOTO_TASK_RETRY_DELAY_S", 0.2)
    tasks = _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "tasks.sqlite3"))
    monkeypatch.setattr(derivatives, "compute", _raise(OSError(5, "Input/output error")))
    sha256 = upload(inspector_client, make_jpeg(seed=23)).json["sha256"]
    db.session.commit()

    waits = []
    for attempt in (1, 2):
        queued_at = time.time()
        assert tasks.drain() == 1
        photo = _state(sha256)
        assert (photo.derivatives, photo.derivative_attempts) == ("pending", attempt)
        assert "Input/output error" in photo.derivative_error
        [retry] = tasks.huey.scheduled()  # not run again at once: scheduled for later
        waits.append(retry.eta.timestamp() - queued_at)
        db.session.commit()
        _wait_for(lambda r=retry: time.time() > r.eta.timestamp() + 0.05)
    assert waits[1] > waits[0] * 1.5  # backoff: the second wait is about twice the first

    assert tasks.drain() == 1
    photo = _state(sha256)
    assert (photo.derivatives, photo.derivative_attempts) == ("failed", 3)
    assert tasks.counts() == {"queued": 0, "scheduled": 0}  # bounded: no fourth try
    assert inspector_client.get(f"/api/v1/photos/{sha256}").json["thumbnail_url"] is None

    db.session.commit()
    page = admin_client.get("/admin/photos")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert sha256[:16] in text and "Input/output error" in text
    check = app.test_cli_runner().invoke(args=["photos", "check"])
    assert f"derivatives failed: {sha256}: OSError" in check.output
    assert "0 derivatives pending, 1 failed" in check.output

    monkeypatch.undo()  # the disk works again: `photos reprocess --failed` makes them
    db.session.commit()
    done = app.test_cli_runner().invoke(args=["photos", "reprocess", "--failed"])
    assert "Rebuilt 1 photos; 0 failed." in done.output
    assert _state(sha256).derivatives == "ready"


def _raise(exc):
    def fail(*_args, **_kwargs):
        raise exc
    return fail


def test_pixels_that_do_not_decode_fail_at_once(embedded, inspector_client, upload, make_jpeg):
    """The header passes (the upload is answered), the pixels do not: no retry, the same bytes would fail again."""
    data = make_jpeg(size=(800, 600), seed=24)
    sha256 = upload(inspector_client, data[: len(data) // 2]).json["sha256"]
    db.session.commit()
    assert embedded.drain() == 1
    photo = _state(sha256)
    assert (photo.derivatives, photo.derivative_attempts) == ("failed", 1)
    assert photo.derivative_error.startswith("CorruptImage")
    assert embedded.counts() == {"queued": 0, "scheduled": 0}


def test_scheduler_once_drains_the_due_tasks(embedded, inspector_client, upload, make_jpeg, app):
    sha256 = upload(inspector_client, make_jpeg(seed=25)).json["sha256"]
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert "tasks: 1" in result.output, result.output
    assert _state(sha256).derivatives == "ready"


def test_with_no_worker_the_web_process_makes_the_thumbnails_after_its_answer(app, monkeypatch, tmp_path,
                                                                               inspector_client, make_jpeg):
    """A bare web server (here werkzeug's, threaded) with the embedded queue: thumbnails still appear."""
    _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "tasks.sqlite3"), in_web="auto")
    data = make_jpeg(size=(1200, 900), seed=26)
    db.session.commit()
    headers = {"Authorization": f"Bearer {inspector_client.token}"}
    with live_server(app) as base:
        put = urllib.request.Request(f"{base}/api/v1/photos/{sha(data)}", data=data, method="PUT",
                                     headers={**headers, "Content-Type": "image/jpeg"})
        with urllib.request.urlopen(put) as answer:
            assert answer.status == 201
            assert json.load(answer)["derivatives"] == "pending"

        def ready_thumbnail():
            with urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/photos/{sha(data)}",
                                                               headers=headers)) as meta:
                url = json.load(meta)["thumbnail_url"]
            if url:
                with urllib.request.urlopen(urllib.request.Request(base + url, headers=headers)) as thumb:
                    return thumb.read()
            return None

        assert _is_jpeg(_wait_for(ready_thumbnail)) == (320, 240)
    assert app.extensions["tasks_in_web"].ran == 1


def test_a_web_runner_that_was_replaced_never_drains_the_queue_that_replaced_its_own(app, monkeypatch, tmp_path):
    """Its thread may be asleep when the app's queue changes (a test's ends, a reconfigured app): woken,
    it stops, and a task of the new queue waits for whoever runs that one."""
    from app.tasks import in_web
    from app.tasks.photos import KIND

    _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "old.sqlite3"), in_web="auto")
    old = in_web.runner(app)
    old.ensure_started()
    assert old.thread.is_alive()
    tasks = _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "new.sqlite3"))  # in_web off
    tasks.enqueue(KIND, "0" * 64)
    old.wake.set()
    old.thread.join(timeout=10)
    assert not old.thread.is_alive()
    assert (old.ran, tasks.counts()["queued"]) == (0, 1)


def _settled(read):
    """A read whose transaction ends at once: on SQLite an open one holds the write lock the runner needs."""
    try:
        return read()
    finally:
        db.session.rollback()


def _lose_the_queued_tasks(tasks, shas) -> None:
    """What a crash leaves: photos pending in the database, and none of their tasks in the queue."""
    db.session.commit()
    assert tasks.counts()["queued"] == len(shas)
    tasks.huey.flush()
    assert tasks.counts()["queued"] == 0 and all(_state(s).derivatives == "pending" for s in shas)


def test_tasks_a_crash_lost_are_queued_again_by_the_next_web_process(app, monkeypatch, tmp_path, inspector_client,
                                                                     upload, make_jpeg):
    """Killed processes lose the tasks they were running, or had committed but not queued. Counted by
    the upload backlog until requeue_stale's 10 minutes, a dozen of them refused every phone's upload."""
    from app.tasks import in_web

    tasks = _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "tasks.sqlite3"))  # in_web off
    shas = [upload(inspector_client, make_jpeg(seed=50 + i)).json["sha256"] for i in range(3)]
    _lose_the_queued_tasks(tasks, shas)
    # The web process that starts after the crash.
    monkeypatch.setitem(app.config, "TASK_IN_WEB", "auto")
    monkeypatch.setattr(in_web, "_process_started", now_utc())
    runner = in_web.runner(app)
    runner.kick()
    _wait_for(lambda: _settled(lambda: all(_state(s).derivatives == "ready" for s in shas)))
    assert (runner.recovered, runner.ran) == (3, 3)
    assert all(_state(s).derivative_attempts == 1 for s in shas)


def test_recovering_queues_only_the_pending_photos_whose_task_is_gone(embedded, inspector_client, upload, make_jpeg):
    from app.tasks.photos import KIND

    ready, queued, lost = (upload(inspector_client, make_jpeg(seed=60 + i)).json["sha256"] for i in range(3))
    db.session.commit()
    assert embedded.drain(max_tasks=1) == 1  # the first photo's task ran: it is ready
    assert _settled(lambda: _state(ready).derivatives) == "ready"
    embedded.huey.flush()  # the crash: the queued tasks are gone ...
    embedded.enqueue(KIND, queued)  # ... but for one (a durable queue keeps what was not yet taken)
    assert embedded.waiting_keys(KIND) == {queued}
    assert embedded.recover(now_utc() - timedelta(minutes=1)) == 0  # a consumer started before the uploads
    assert embedded.recover(now_utc()) == 1  # the lost one only: a queued task is not queued twice
    assert embedded.waiting_keys(KIND) == {queued, lost}
    assert embedded.counts()["queued"] == 2
    assert embedded.drain() == 2
    assert _settled(lambda: [_state(s).derivative_attempts for s in (ready, queued, lost)]) == [1, 1, 1]


def _worker(app, tasks, media_root) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MEDIA_ROOT": str(media_root),
           "TASK_QUEUE": "redis", "TASK_QUEUE_URL": REDIS_URL, "TASK_QUEUE_NAME": tasks.huey.name,
           "TASK_IMMEDIATE": "0", "TASK_WORKERS": "2", "LOG_LEVEL": "WARNING",
           **{name: str(app.config[name]) for name in S3_SETTINGS if app.config.get(name)}}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        _out, err = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        _out, err = worker.communicate()
    return err.decode(errors="replace")


def test_a_worker_process_makes_the_derivatives_from_redis(on_redis, app, inspector_client, upload, make_jpeg,
                                                            media_root):
    shas = [upload(inspector_client, make_jpeg(seed=30 + i)).json["sha256"] for i in range(3)]
    db.session.commit()
    assert on_redis.counts()["queued"] == 3
    worker = _worker(app, on_redis, media_root)
    try:
        _wait_for(lambda: _settled(lambda: all(_state(s).derivatives == "ready" for s in shas)), timeout_s=120)
        _wait_for(on_redis.worker_alive)  # its heartbeat: web processes leave the work to it
    finally:
        log = _stop(worker)
    assert all(_state(s).derivative_attempts == 1 for s in shas), log
    assert _is_jpeg(_image_at(inspector_client, f"/api/v1/photos/{shas[0]}/thumb")) == (320, 240)


def test_a_worker_and_web_processes_draining_at_once_run_each_task_once(on_redis, app, inspector_client, upload,
                                                                         make_jpeg, media_root):
    """The claim is in the queue: whoever dequeues a task runs it, nobody else."""
    shas = [upload(inspector_client, make_jpeg(seed=40 + i)).json["sha256"] for i in range(8)]
    db.session.commit()
    worker = _worker(app, on_redis, media_root)
    ran = []

    def drain_here():
        with app.app_context():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and on_redis.huey.pending_count():
                ran.append(on_redis.drain(max_tasks=1))

    try:
        threads = [threading.Thread(target=drain_here) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _wait_for(lambda: _settled(lambda: all(_state(s).derivatives == "ready" for s in shas)), timeout_s=120)
    finally:
        log = _stop(worker)
    attempts = db.session.execute(sa.select(Photo.sha256, Photo.derivative_attempts)
                                  .where(Photo.sha256.in_(shas))).all()
    assert sorted(n for _sha, n in attempts) == [1] * 8, log


def test_a_near_identical_after_photo_is_flagged_once_its_phash_is_made(embedded, report, create_user, make_jpeg):
    """Attached while its phash is pending (no flag possible yet), flagged when the task makes it."""
    from app.services.actor import Actor
    from app.services.photos import evidence
    from app.services.photos.store import store_photo
    from app.services.tickets.transitions import ActionInput, transition
    from tests.factories import SEAT

    inspector = create_user("inspector")
    original = make_jpeg(size=(1600, 1200), seed=11)
    smaller = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((1200, 900)).save(smaller, "JPEG", quality=55)
    before = store_photo(original, None, "image/jpeg", Actor.of(inspector))[0].sha256
    db.session.commit()
    ticket = report(at=SEAT, reporter=inspector, photos=[before]).ticket
    staff = create_user("department", ticket.department.code)
    after = store_photo(smaller.getvalue(), None, "image/jpeg", Actor.of(staff))[0].sha256
    ticket = transition(ticket.id, ActionInput(action="accept", version=ticket.version), Actor.of(staff))
    ticket = transition(ticket.id, ActionInput(action="resolve", version=ticket.version, photos=[after]),
                        Actor.of(staff))
    db.session.commit()
    assert [f.code for f in evidence.flags_for(ticket)] == []  # no phash on either side yet
    db.session.commit()  # on SQLite an open transaction holds the write lock the task needs

    assert embedded.drain() == 2
    db.session.rollback()
    flags = [(f.code, f.photo_sha256, f.details["identical"]) for f in evidence.flags_for(ticket)]
    assert flags == [("reused_photo", after, False)]
