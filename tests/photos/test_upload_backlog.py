"""Issue 20: while PHOTO_BACKLOG_LIMIT photos wait for their derivatives, a new upload answers 503
`busy` with Retry-After before its body is stored; stored bytes are still answered; once the tasks
catch up, uploads are taken again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Photo
from tests.photos.conftest import sha
from tests.photos.test_derivative_tasks import _use_queue


@pytest.fixture
def queued(app, monkeypatch, tmp_path):
    """A real queue with nobody draining it, and room for two pending photos."""
    monkeypatch.setitem(app.config, "PHOTO_BACKLOG_LIMIT", 2)
    monkeypatch.setitem(app.config, "PHOTO_BACKLOG_RETRY_S", 3)
    return _use_queue(app, monkeypatch, backend="embedded", url=str(tmp_path / "tasks.sqlite3"))


@pytest.fixture
def inspector_client(api, create_user):
    return api(create_user("inspector"))


def test_a_full_backlog_answers_busy_until_the_tasks_catch_up(queued, inspector_client, upload, make_jpeg,
                                                              media):
    first, second, third = (make_jpeg(seed=s) for s in (31, 32, 33))
    assert upload(inspector_client, first).status_code == 201
    assert upload(inspector_client, second).status_code == 201

    busy = upload(inspector_client, third)
    assert busy.status_code == 503 and busy.json["error"]["code"] == "busy"
    assert busy.headers["Retry-After"] == "3"
    assert db.session.get(Photo, sha(third)) is None  # nothing half-written
    assert not media.exists("original", sha(third))

    again = upload(inspector_client, first)  # stored bytes: answered as before, no new work
    assert again.status_code == 200 and again.json["derivatives"] == "pending"

    db.session.commit()
    assert queued.drain() == 2
    taken = upload(inspector_client, third)
    assert taken.status_code == 201 and taken.json["derivatives"] == "pending"


def test_photos_whose_tasks_were_lost_do_not_hold_the_phones_back(queued, inspector_client, upload, make_jpeg):
    from datetime import timedelta

    from app.services.photos import derivatives
    from app.timeutil import now_utc

    first, second, third = (make_jpeg(seed=s) for s in (61, 62, 63))
    assert upload(inspector_client, first).status_code == 201
    assert upload(inspector_client, second).status_code == 201
    assert upload(inspector_client, third).status_code == 503  # two pending: full
    long_ago = now_utc() - derivatives.STALE_PENDING - timedelta(minutes=1)
    for photo in db.session.scalars(sa.select(Photo)):  # a killed worker took their tasks with it
        photo.created_at, photo.derivatives_at = long_ago, None
    db.session.commit()
    assert upload(inspector_client, third).status_code == 201  # the requeue job's, not the phones' problem


def test_no_limit_takes_every_upload(queued, app, monkeypatch, inspector_client, upload, make_jpeg):
    monkeypatch.setitem(app.config, "PHOTO_BACKLOG_LIMIT", 0)
    for seed in (41, 42, 43):
        assert upload(inspector_client, make_jpeg(seed=seed)).status_code == 201


def test_a_bad_hash_is_refused_as_before_when_busy(queued, inspector_client, upload, make_jpeg):
    for seed in (51, 52):
        upload(inspector_client, make_jpeg(seed=seed))
    resp = upload(inspector_client, make_jpeg(seed=53), declared="zz\x00" + "0" * 61)
    assert resp.status_code not in (500, 503)


def test_the_busy_message_is_translated(queued, inspector_client, upload, make_jpeg):
    for seed in (61, 62):
        upload(inspector_client, make_jpeg(seed=seed))
    data = make_jpeg(seed=63)
    chinese = upload(inspector_client, data)  # zh-CN by default
    english = inspector_client.put(f"/api/v1/photos/{sha(data)}?lang=en", data=data, content_type="image/jpeg")
    assert "busy" in english.json["error"]["message"]
    assert "缩略图" in chinese.json["error"]["message"]


def test_the_backlog_check_asks_the_database_once(queued, make_jpeg):
    from app.services.photos.backlog import refuse_if_backlogged

    db.session.rollback()
    selects = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            selects.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        refuse_if_backlogged(sha(make_jpeg(seed=41)))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(selects) == 1, selects  # whether the bytes are stored, and how many photos wait
    db.session.rollback()

