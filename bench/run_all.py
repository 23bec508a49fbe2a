"""Run every benchmark under bench/ and write one table against the budgets of docs/design.md §8 to bench/RESULTS.md.

    python bench/run_all.py               # full sizes (map at 10,000 and 1,000,000 tickets, 500 photos, …)
    BENCH_QUICK=1 python bench/run_all.py  # small sizes, a few minutes
    python bench/run_all.py --only load,pwa   # re-run these; the table keeps the others' last results

Each benchmark prints, as its last JSON line, {"bench": name, "metrics": [...]} where a metric is
{"name", "value", "unit"} with optionally "budget" and "better" ("lower", the default, or
"higher"), and "baseline" (+ "baseline_name"): a reference measured in the same run. With a
baseline the budget applies to value/baseline (e.g. server rate at least 0.70 of the bare
pipeline's); without, to the value itself (e.g. p95 under 100 ms). A benchmark that fails or
prints no JSON line is listed as such; this script then exits 1, as it does when a budget is missed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
RAW = BENCH / "results.json"  # the same, machine-readable; --only merges into it

# How each known benchmark runs, full and quick; any other bench/*.py runs with no arguments.
PLANS = {
    "photo_pipeline": {"full": ["--photos", "500"], "quick": ["--photos", "8"]},
    "derivatives": {"full": [], "quick": []},  # sizes from BENCH_QUICK (6 or 3 photos)
    "ingest": {"full": [], "quick": []},  # sizes from BENCH_QUICK; SQLite and PostgreSQL (BENCH_PG_URL)
    "photo_memory": {"full": [], "quick": []},  # the worst accepted photo of each format: the same either way
    "map_queries": {"full": ["--sizes", "10000,1000000"], "quick": ["--sizes", "2000,20000", "--repeat", "20"]},
    "pwa": {"full": ["--runs", "7"], "quick": ["--runs", "3"]},
    "load": {"full": [], "quick": ["--duration", "20", "--tickets", "2000"]},
    "login_timing": {"full": ["--attempts", "40"], "quick": ["--attempts", "10"]},
    # 2,000 points, 50,000 visits, 1,000,000 tickets and tenths (quick: 200, 5,000, 100,000); databases cached
    "assessment_score": {"full": ["--runs", "20"], "quick": ["--runs", "10"]},
}
ORDER = ["photo_pipeline", "derivatives", "ingest", "photo_memory", "map_queries", "assessment_score", "pwa", "load",
         "login_timing"]


def benchmarks() -> list[str]:
    found = sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "run_all" and not p.stem.startswith("_"))
    return [b for b in ORDER if b in found] + [b for b in found if b not in ORDER]


def run(name: str, quick: bool, timeout_s: float) -> dict:
    """Run one benchmark; its metrics (from its JSON line), exit code, seconds and output tail."""
    args = PLANS.get(name, {}).get("quick" if quick else "full", [])
    command = [sys.executable, str(BENCH / f"{name}.py"), *args]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    started, date, load_before = time.perf_counter(), datetime.now(), os.getloadavg()[0]
    lines: list[str] = []
    try:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "BENCH_QUICK": "1" if quick else "0"},
                                   start_new_session=True)  # its own process group, browsers and all
    except OSError as exc:
        return {"bench": name, "code": -1, "seconds": 0.0, "metrics": [], "tail": [str(exc)],
                "date": f"{date:%Y-%m-%d %H:%M}", "load_before": load_before, "load_after": load_before}
    # A benchmark that hangs must not hang `make bench`: kill its whole group, so the pipe closes.
    watchdog = threading.Timer(timeout_s, os.killpg, (process.pid, signal.SIGKILL))
    watchdog.start()
    try:
        for line in process.stdout:  # echoed as it comes: a long run shows its progress
            print("   " + line, end="", flush=True)
            lines.append(line.rstrip("\n"))
        code = process.wait()
    finally:
        if process.poll() is None:  # interrupted (Ctrl-C, SIGTERM): take the benchmark down with us
            os.killpg(process.pid, signal.SIGKILL)
    if not watchdog.is_alive():
        lines.append(f"(killed after {timeout_s / 60:.0f} min)")
    watchdog.cancel()
    seconds = time.perf_counter() - started
    result = {"bench": name, "code": code, "seconds": seconds, "metrics": [], "tail": lines[-15:],
              "date": f"{date:%Y-%m-%d %H:%M}",  # load averages: others' work on the machine skews every figure
              "load_before": load_before, "load_after": os.getloadavg()[0], "commit": _commit(),
              "machine": machine()}  # with --only, the table may hold runs from several machines
    for line in reversed(lines):
        parsed = _json_line(line)
        if parsed is not None and parsed.get("bench"):
            result["metrics"] = parsed.get("metrics", [])
            break
    return result


def _commit() -> str:
    """The commit the benchmark ran on (results kept from earlier runs keep theirs)."""
    try:
        found = subprocess.run(["git", "log", "-1", "--format=%h %ad", "--date=format:%Y-%m-%d %H:%M"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""


def _json_line(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def judge(metric: dict) -> tuple[float | None, str]:
    """(ratio, verdict): the ratio the budget applies to, and whether it is met."""
    value, baseline, budget = metric.get("value"), metric.get("baseline"), metric.get("budget")
    higher = metric.get("better") == "higher"
    ratio = None
    if baseline:
        ratio = value / baseline
        checked = ratio
    elif budget:
        ratio = value / budget
        checked, budget = ratio, 1.0
    else:
        checked = value
    if budget is None or value is None:
        return ratio, ""
    met = checked >= budget if higher else checked <= budget
    return ratio, "met" if met else "**MISSED**"


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _budget(metric: dict) -> str:
    budget = metric.get("budget")
    if budget is None:
        return ""
    sign = "≥" if metric.get("better") == "higher" else "≤"
    if metric.get("baseline"):
        return f"{sign} {_number(budget)}× baseline"
    return f"{sign} {_number(budget)} {metric.get('unit', '')}".rstrip()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 ** 2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {memory} memory; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{_postgres_version()}")


def _postgres_version() -> str:
    """The server at BENCH_PG_URL (where the PostgreSQL runs go), if it answers."""
    url = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/xc_bench")
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
            return f", PostgreSQL {conn.execute('SHOW server_version').fetchone()[0]}"
    except Exception:  # noqa: BLE001 - the version is a nicety; a missing server shows in the results
        return ""


def write_results(results: list[dict], quick: bool, machine_line: str) -> bool:
    """Write bench/RESULTS.md; True if every benchmark ran and met every budget."""
    ok = True
    rows = ["| benchmark | measure | measured | baseline (same run) | ratio | budget (docs/design.md §8) | verdict |",
            "|---|---|---|---|---|---|---|"]
    for result in results:
        if result["code"] != 0 or not result["metrics"]:
            ok = False
        for metric in result["metrics"]:
            ratio, verdict = judge(metric)
            ok = ok and verdict != "**MISSED**"
            unit = metric.get("unit", "")
            baseline = ""
            if metric.get("baseline") is not None:
                baseline = f"{_number(metric['baseline'])} {unit} ({metric.get('baseline_name', 'baseline')})"
            rows.append(f"| {result['bench']} | {metric['name']} | {_number(metric.get('value'))} {unit} | "
                        f"{baseline} | {_number(ratio)} | {_budget(metric)} | {verdict} |")
    for r in results:
        r.setdefault("machine", machine_line)  # a result from before machines were kept per run
    machines = sorted({r["machine"] for r in results}, key=[r["machine"] for r in results].index)
    runs = [f"- `{r['bench']}`: {r['date']}, {r['seconds'] / 60:.1f} min, load average {r['load_before']:.1f} "
            f"at its start and {r['load_after']:.1f} at its end, "
            + (f"on machine {machines.index(r['machine']) + 1}, " if len(machines) > 1 else "")
            + (f"code at {r['commit']}, " if r.get("commit") else "")
            + ("ok" if r["code"] == 0 and r["metrics"] else f"**exit code {r['code']}**"
               + ("" if r["metrics"] else ", no JSON result line")) for r in results]
    failures = []
    for r in results:
        if r["code"] != 0 or not r["metrics"]:
            failures += [f"### {r['bench']} (exit code {r['code']})", "```", *r["tail"], "```", ""]
    mode = " in quick mode (BENCH_QUICK=1: small sizes)" if quick else ""
    text = "\n".join([
        "# Benchmark results",
        "",
        f"Written by `make bench` (`bench/run_all.py`){mode}.",
        "",
        f"- Date: {_dates(results)} (local time of the machine; each benchmark's start under Runs)",
        *([f"- Machine: {machines[0]}"] if len(machines) == 1 else
          ["- Machines (each run under Runs says which; compare only ratios across them):",
           *(f"  {n}. {m}" for n, m in enumerate(machines, 1))]),
        "- Ratio: measured / baseline where the budget is relative to a baseline measured in the same run,",
        "  otherwise measured / budget (≤ 1 meets a \"≤\" budget, ≥ 1 a \"≥\" one).",
        "",
        *rows,
        "",
        "## Runs",
        "",
        *runs,
        "",
        *failures,
    ])
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")
    return ok


def _dates(results: list[dict]) -> str:
    dates = sorted(r["date"] for r in results)
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"


def merged(new: list[dict], quick: bool) -> list[dict]:
    """These results, plus the last results (same mode) of the benchmarks not run this time (--only)."""
    earlier = {}
    if RAW.exists():
        saved = json.loads(RAW.read_text(encoding="utf-8"))
        if saved.get("quick") == quick:
            earlier = {r["bench"]: {"machine": saved.get("machine"), **r} for r in saved["results"]}
    earlier.update({r["bench"]: r for r in new})
    return [earlier[name] for name in benchmarks() if name in earlier]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names; the table keeps the last "
                                                   "results of the others (bench/results.json)")
    parser.add_argument("--timeout-min", type=float, default=None, help="per benchmark (default 30 quick, 240 full)")
    args = parser.parse_args()
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    names = benchmarks()
    if args.only:
        wanted = args.only.split(",")
        names = [n for n in names if n in wanted]
    timeout_s = 60 * (args.timeout_min or (30 if quick else 240))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind, so the running benchmark is killed too
    machine_line = machine()
    results = [run(name, quick, timeout_s) for name in names]
    if args.only:
        results = merged(results, quick)
    RAW.write_text(json.dumps({"quick": quick, "machine": machine_line, "results": results}, indent=1,
                              ensure_ascii=False) + "\n", encoding="utf-8")
    ok = write_results(results, quick, machine_line)
    print(RESULTS.read_text(encoding="utf-8"))
    print(f"written to {RESULTS.relative_to(ROOT)} (raw: {RAW.relative_to(ROOT)})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
