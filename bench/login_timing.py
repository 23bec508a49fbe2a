"""Login timing benchmark (issue 12): does a failed login take as long for an unknown username as for a real one?

    python bench/login_timing.py [--attempts 40]

Through the real login view (Flask test client, CSRF and all, a temp SQLite DB), with the production
password hash (Config.PASSWORD_HASH_METHOD, scrypt N=2^17), it times N failed logins each, interleaved:
  - known user, wrong password (the baseline),
  - unknown username,
  - disabled user, wrong password,
and reports median and p95 of each and the ratios unknown/known and disabled/known. Equal work gives
ratios near 1 (budget: the unknown username's median at least 0.80 of the known user's, as load on a
shared machine moves single timings; before the fix it was about 0.001: 1 ms against 950 ms). CPU
time of the same attempts (this process does all the work) is reported too, as a cross-check
immune to load from elsewhere. Throttling is switched off here (its limits raised): it is not what is timed.
Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUDGET = 0.80  # a shared 2-core machine moves single scrypt timings by ±15%; before the fix: 0.001
PASSWORD = "Bench-pass-123"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def attempt_s(client, username: str) -> tuple[float, float]:
    """(wall, CPU) seconds for one failed POST /login (the form's GET, for its CSRF token, is not timed)."""
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    started, cpu_started = time.perf_counter(), time.process_time()
    resp = client.post("/login", data={"username": username, "password": "Wrong-pass-999", "csrf_token": token})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert resp.status_code == 401, (username, resp.status_code)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=40, help="failed logins per kind of username")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xuncha-bench-") as tmp:
        os.environ.update({  # Config reads them at import
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "MEDIA_ROOT": str(Path(tmp) / "media"),
            "SECRET_KEY": "bench-" + uuid.uuid4().hex, "LOGIN_FREE_FAILURES": "1000000",
            "LOGIN_FREE_FAILURES_PER_IP": "1000000", "LOGIN_FREE_FAILURES_PER_ACCOUNT": "1000000"})
        from flask_migrate import upgrade

        from app import create_app
        from app.config import Config
        from app.extensions import db
        from app.services.accounts import users

        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            users.create_user("known", PASSWORD, "inspector")
            users.create_user("disabled", PASSWORD, "inspector").active = False
            db.session.commit()
            method = users.hash_parameters(users.hash_password(PASSWORD))
        print(f"password hash: {method} (Config.PASSWORD_HASH_METHOD = {Config.PASSWORD_HASH_METHOD}); "
              f"{args.attempts} failed logins each, interleaved", flush=True)

        client = app.test_client()
        kinds = {"known user, wrong password": "known", "unknown username": "nobody-here",
                 "disabled user, wrong password": "disabled"}
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        cpu_times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for name in kinds.values():  # warm-up: imports, the dummy hash, the first connection
            attempt_s(client, name)
        for i in range(args.attempts):
            # Interleaved, and the order turned each round, so load from elsewhere hits all alike.
            order = list(kinds.items())
            for kind, name in order[i % len(order):] + order[:i % len(order)]:
                wall, cpu = attempt_s(client, name)
                times[kind].append(wall)
                cpu_times[kind].append(cpu)

    known = times["known user, wrong password"]
    print(f"{'':32} {'median':>10} {'p95':>10} {'CPU median':>12}")
    for kind, values in times.items():
        print(f"{kind:32} {statistics.median(values) * 1000:7.1f} ms {p95(values) * 1000:7.1f} ms "
              f"{statistics.median(cpu_times[kind]) * 1000:9.1f} ms")
    unknown, disabled = times["unknown username"], times["disabled user, wrong password"]
    ratio = statistics.median(unknown) / statistics.median(known)
    cpu_known, cpu_unknown = (statistics.median(cpu_times[k]) for k in ("known user, wrong password",
                                                                       "unknown username"))
    print(f"ratio unknown/known: median {ratio:.2f}, p95 {p95(unknown) / p95(known):.2f}, "
          f"CPU median {cpu_unknown / cpu_known:.2f} (budget median >= {BUDGET:.2f}: "
          f"{'met' if ratio >= BUDGET else 'MISSED'}); "
          f"disabled/known median {statistics.median(disabled) / statistics.median(known):.2f}")
    ms = 1000
    print(json.dumps({"bench": "login_timing", "metrics": [  # for bench/run_all.py
        {"name": f"failed login, unknown username (median of {args.attempts}, {method})", "unit": "ms",
         "value": round(statistics.median(unknown) * ms, 1), "baseline": round(statistics.median(known) * ms, 1),
         "baseline_name": "known user, wrong password", "budget": BUDGET, "better": "higher"},
        {"name": "failed login, unknown username (p95)", "unit": "ms", "value": round(p95(unknown) * ms, 1),
         "baseline": round(p95(known) * ms, 1), "baseline_name": "known user, wrong password"},
        {"name": "failed login, unknown username (CPU median, cross-check)", "unit": "ms",
         "value": round(cpu_unknown * ms, 1), "baseline": round(cpu_known * ms, 1),
         "baseline_name": "known user, wrong password"},
        {"name": "failed login, disabled user (median)", "unit": "ms",
         "value": round(statistics.median(disabled) * ms, 1), "baseline": round(statistics.median(known) * ms, 1),
         "baseline_name": "known user, wrong password"},
    ]}))


if __name__ == "__main__":
    main()
