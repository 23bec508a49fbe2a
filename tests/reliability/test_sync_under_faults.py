"""Sync through a network that cuts connections, and through a server that is SIGKILLed (docs/design.md §9).

Four inspectors' phones replay the PWA's sync protocol (tests/reliability/phone_replay.py) with
200 reports and 240 photos against gunicorn with three workers on the test database (SQLite or
PostgreSQL). Whatever the network or the crashes did, every report must end up stored exactly
once, on the ticket the phone was told, with all its photos, and every stored file must be whole.
The plan of cuts and kills is drawn from a printed seed (RELIABILITY_SEED replays it; the
interleaving of the phones' threads still varies from run to run).
"""
from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.services.photos.cleanup import scan_media, sweep_orphan_media
from app.timeutil import now_utc
from tests.reliability.chaos_proxy import ChaosProxy
from tests.reliability.conftest import assert_every_report_exactly_once, sync_all, temp_files

PHONES, REPORTS_EACH = 4, 50  # 200 reports
CUT_RATE = 0.3
KILLS = 4
# A minute or two each in CI; more on a loaded machine, where each restart of gunicorn takes long.
pytestmark = pytest.mark.timeout(600)


def test_every_report_arrives_exactly_once_through_a_network_that_cuts_30_percent_of_connections(
        gunicorn, fleet, media_root, seed, capsys):
    gunicorn.start()
    with ChaosProxy(gunicorn.port, seed=seed, cut_rate=CUT_RATE) as proxy:
        phones, expected = fleet(f"http://127.0.0.1:{proxy.port}", phones=PHONES, reports=REPORTS_EACH, seed=seed)
        sync_all(phones, timeout_s=420)
    gunicorn.stop()
    stats = proxy.stats
    with capsys.disabled():
        print(f"[reliability] seed={seed}: {len(expected)} reports through {stats.connections} connections, "
              f"{stats.cut} cut ({stats.cut_up} requests, {stats.cut_down} answers), "
              f"{stats.delayed_chunks} delayed chunks; {sum(p.failed_runs for p in phones)} sync runs backed off")

    assert stats.cut >= 0.2 * stats.connections, f"seed {seed}: the proxy cut too few connections to mean much"
    assert stats.cut_up and stats.cut_down
    assert "Traceback" not in gunicorn.log_path.read_text(errors="replace"), "the server crashed on a request"
    assert_every_report_exactly_once(phones, expected, media_root)


def test_every_report_arrives_exactly_once_when_the_server_is_killed_during_the_sync(
        gunicorn, fleet, media_root, seed, capsys):
    rng = random.Random(seed)
    gunicorn.start()
    phones, expected = fleet(gunicorn.base_url, phones=PHONES, reports=REPORTS_EACH, seed=seed)
    done = threading.Event()
    crashes: list[BaseException] = []
    in_flight: list[int] = []  # requests on their way at each kill

    def kill_at_random_moments() -> None:
        try:
            while gunicorn.kills < KILLS and not done.wait(rng.uniform(0.2, 1.5)):
                if rng.random() < 0.5:  # aim at a photo upload: its files are written just before its row commits
                    _wait_for_upload_in_flight(phones, done)
                    time.sleep(rng.uniform(0, 0.04))
                in_flight.append(sum(1 for p in phones if p.sending))
                gunicorn.kill()  # SIGKILL, master and workers
                gunicorn.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            crashes.append(exc)

    killer = threading.Thread(target=kill_at_random_moments, name="killer")
    started = time.monotonic()
    killer.start()
    try:
        sync_all(phones, timeout_s=450)
    finally:
        done.set()
        killer.join()
    synced_s = time.monotonic() - started
    gunicorn.stop()
    assert crashes == []

    left = scan_media()
    left_temp = temp_files(media_root)
    report = sweep_orphan_media(now_utc(), grace=timedelta(0))
    db.session.commit()
    with capsys.disabled():
        print(f"[reliability] seed={seed}: {len(expected)} reports in {synced_s:.0f} s, {gunicorn.kills} SIGKILLs "
              f"of the whole server ({sum(1 for n in in_flight if n)} with requests in flight); "
              f"{sum(p.failed_runs for p in phones)} sync runs backed off; the crashes left "
              f"{len(left.orphans)} unreferenced files ({len(left_temp)} half-written), "
              f"{len(report.removed)} removed by the sweep")

    assert gunicorn.kills >= 1, f"seed {seed}: the sync ended before the first kill"
    assert report.missing == []
    assert "Traceback" not in gunicorn.log_path.read_text(errors="replace"), "the server crashed on a request"
    assert_every_report_exactly_once(phones, expected, media_root)


def _wait_for_upload_in_flight(phones, done: threading.Event, timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not done.is_set():
        if any(p.sending == "PUT /api/v1/photos" for p in phones):
            return
        time.sleep(0.001)
