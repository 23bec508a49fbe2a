"""The real server in a subprocess: gunicorn with several workers, in its own process group.

Used by the fault-injection tests (which SIGKILL the whole group and start it again on the same
port) and by bench/load.py.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def task_queue_path(media_root: Path) -> Path:
    """The embedded task queue of a run (photo derivatives, decision 0014), beside its media folder."""
    return media_root.parent / "tasks.sqlite3"


def server_env(database_url: str, media_root: Path, **extra: str) -> dict[str, str]:
    """The environment a deployment would set (app/config.py reads it)."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=database_url, MEDIA_ROOT=str(media_root), SECRET_KEY=os.urandom(16).hex(),
               TASK_QUEUE="embedded", TASK_QUEUE_URL=str(task_queue_path(media_root)))  # this run's own queue
    env.update(extra)
    return env


class GunicornServer:
    """`gunicorn -w N wsgi:app` on 127.0.0.1:`port`; start, kill -9 (the whole group) and start again."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 3, threads: int = 1,
                 port: int | None = None, startup_timeout_s: float = 90, extra_args: tuple[str, ...] = ()):
        self.env, self.log_path, self.workers, self.threads = env, log_path, workers, threads
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start, and return once a worker answers HTTP."""
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.workers), "--threads", str(self.threads), "--timeout", "120",
                   "--graceful-timeout", "5", "--no-control-socket", *self.extra_args, "wsgi:app"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)  # its own process group, for killpg
        self.starts += 1
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                requests.get(self.base_url + "/api/v1/categories", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer within {self.startup_timeout_s} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut or the OOM killer would."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._wait_for_group_gone()
        self.kills += 1

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self._wait_for_group_gone()

    def _wait_for_group_gone(self, timeout_s: float = 30) -> None:
        """Wait until no process of the group runs any more (its port is then free again)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _group_running(self.process.pid):
            time.sleep(0.05)


def _group_running(pgid: int) -> bool:
    """Whether a live (not zombie) process is in process group `pgid` (Linux /proc).

    Orphaned workers are reaped by whatever runs as PID 1, which in a container may never
    happen: a zombie holds no socket, so it does not count.
    """
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            return True
    return False
