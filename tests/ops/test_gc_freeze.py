"""Long-lived processes freeze what they loaded at startup (app/ops/gc_freeze.py)."""
from __future__ import annotations

import gc
import runpy
import uuid
import weakref
from pathlib import Path

import pytest
from huey.consumer import Consumer

from app.ops.gc_freeze import freeze_startup_objects
from app.tasks import queue as task_queue

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()  # the rest of the suite runs with the usual collector


def test_startup_garbage_is_collected_and_the_rest_frozen(unfrozen):
    class Node:
        pass

    cycle = Node()
    cycle.self = cycle  # garbage that only a collection frees
    gone = weakref.ref(cycle)
    del cycle
    frozen = freeze_startup_objects()
    assert gone() is None  # collected, not frozen for good
    assert frozen > 10_000  # the app and pytest are loaded
    # The count it returns is the frozen generation's; the one read here may differ by a few, since
    # other threads of the test process (a live server, a task runner) run between the two reads
    # (CI once saw 456,406 against 456,405).
    assert abs(gc.get_freeze_count() - frozen) <= 1_000


def test_every_gunicorn_worker_freezes_once_the_app_is_loaded(unfrozen, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # the config would make a folder otherwise
    settings = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    settings["post_worker_init"](None)
    assert gc.get_freeze_count() > 10_000


def test_the_task_worker_freezes_before_it_takes_a_task(unfrozen, app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "TASK_IMMEDIATE", False)
    tasks = task_queue.build(app, immediate=False, name=f"test-{uuid.uuid4().hex[:12]}", backend="embedded",
                             url=str(tmp_path / "tasks.sqlite3"))
    monkeypatch.setitem(app.extensions, "tasks", tasks)
    frozen_at_run = []
    monkeypatch.setattr(Consumer, "run", lambda self: frozen_at_run.append(gc.get_freeze_count()))
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert frozen_at_run and frozen_at_run[0] > 10_000
