"""Every command the README shows works as written (issue 19 §4).

Commands come from the README's code blocks (indented or fenced) and from inline code that is a
whole command (`make target`, `.venv/bin/…`, `flask --app wsgi …`; not a tool named in prose).
They run in document order with bash, in a copy of the checkout (the repo's .venv linked in, a
fresh instance/, a SQLite database and a media folder in a temp dir, PATH without the virtualenv,
as a newcomer's shell has it), on the demo county that `make run` makes (`db upgrade`,
`seed-demo`), and each must exit 0. Always SQLite: the commands make and replace whole databases,
which the PostgreSQL test database is not for.

A command that cannot run in a test says why in NOT_RUN and is checked instead: a make target with
`make -n` (the target exists and its recipe expands), a flask command with `--help`, gunicorn with
`--check-config` (its settings and the app load), pip with `--dry-run --no-index` (every pin is
installed). Placeholders in capitals (U, FILE, DIR …) take values from placeholder_value; an
`[optional]` part runs when its placeholders have values; `a|b` takes `a`. A new command that fails
(or is still running after COMMAND_TIMEOUT_S), an unknown make target that fails when run, or a
new placeholder without a value fails this test.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# These tests use their own SQLite databases (or none), never the run's: the PostgreSQL pass would
# only repeat them (make test-postgres deselects own_database).
pytestmark = pytest.mark.own_database
COPY_SKIPS = {".git", ".venv", "node_modules", "instance", "media", "test-artifacts", ".pytest_cache",
              "__pycache__", "out"}
PROGRAMS = re.compile(r"^(make|flask|gunicorn|pip3?|python3?|\.venv/bin/\S+)$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
PLACEHOLDER = re.compile(r"(?<![\w/.=:$-])([A-Z][A-Z0-9_]*)(?![\w/.=:-])")

COMMAND_TIMEOUT_S = 240  # a flask command takes seconds; one that serves until stopped must not hang the suite
# Tools that exist only in the virtualenv: bare, they work only in a shell where it is active.
VENV_ONLY = {"flask", "gunicorn", "pip", "pip3", "pybabel", "pytest", "ruff"}
# Make targets the README may name that are not run here, and why; any other target is run for real.
MAKE_NOT_RUN = {
    "run": "serves until stopped", "run-lan": "serves until stopped",
    "test": "the whole suite, which this test is part of", "test-sqlite": "the whole suite",
    "test-postgres": "the whole suite", "bench": "minutes of benchmarks",
    "vendor": "downloads from the npm registry and rewrites static/pwa/vendor/",
    "lint": "reports the whole tree's lint, not whether the README is right (CI runs it)",
}
# Other commands not run (matched on the command as it will run), and why.
NOT_RUN = [
    (re.compile(r"/gunicorn "), "serves until stopped"),
    (re.compile(r"/pip install "), "would change the shared virtualenv"),
    (re.compile(r"/flask --app wsgi (scheduler|worker|run|lan ca-server|lan ready)( --[a-z-]+ \S+)*$"),
     "runs until stopped"),
    (re.compile(r"/flask --app wsgi media migrate "),
     "needs an S3-compatible bucket; tests/photos/test_media_backends.py runs it against moto's server"),
]
# Settings the README exports for production: the test's own stand in (the rest apply as written).
SANDBOXED = {"DATABASE_URL": "a production database", "MEDIA_ROOT": "a production folder"}


@dataclass
class Command:
    line: int
    text: str


def _strip_comment(line: str) -> str:
    """The line without its shell comment: a # starting a word, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _is_inline_command(text: str) -> bool:
    """Inline code that is a whole command to copy, not a tool named in prose (`make`, `flask worker`):
    a make target, a program of the virtualenv, or a flask command with its app."""
    program = _program(text)
    if not PROGRAMS.match(program) or " " not in text:
        return False
    return program == "make" or program.startswith(".venv/bin/") or "--app " in text


def readme_commands(markdown: str) -> list[Command]:
    """The commands of the code blocks and the inline commands, in document order, each once."""
    found: list[Command] = []
    lines = markdown.splitlines()
    fence, language_is_shell = None, False
    previous_blank = True
    in_indented = False
    pending = ""
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            elif language_is_shell:
                pending = _add_line(found, number, raw, pending)
            continue
        match = re.match(r"^(```+|~~~+)\s*([\w-]*)", stripped)
        if match:
            fence, language_is_shell = match.group(1), match.group(2) in ("", "sh", "bash", "shell", "console")
            continue
        indented = raw.startswith("    ") or raw.startswith("\t")
        if indented and (in_indented or previous_blank):
            in_indented = True
            pending = _add_line(found, number, raw, pending)
        else:
            in_indented = in_indented and not stripped
            if stripped:
                for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", raw):
                    if _is_inline_command(span.strip()):
                        found.append(Command(number, span.strip()))
        previous_blank = not stripped
    unique, seen = [], set()
    for command in found:
        if command.text not in seen:
            seen.add(command.text)
            unique.append(command)
    return unique


def _add_line(found: list[Command], number: int, raw: str, pending: str) -> str:
    text = _strip_comment(raw.strip().removeprefix("$ "))
    if text.endswith("\\"):
        return pending + text[:-1] + " "
    text = (pending + text).strip()
    if text:
        found.append(Command(number, text))
    return ""


class Sandbox:
    """A copy of the checkout with its own instance/, database and media, and the repo's .venv."""

    def __init__(self, root: Path):
        self.root = root
        self.work = root / "checkout"
        shutil.copytree(REPO, self.work, symlinks=True,
                        ignore=lambda folder, names: [n for n in names if n in COPY_SKIPS])
        (self.work / ".venv").symlink_to(REPO / ".venv")
        self.database = root / "readme.sqlite3"
        venv_bin = str(REPO / ".venv" / "bin")
        path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                               if p and Path(p).resolve() != Path(venv_bin).resolve())
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("FLASK_", "SMTP_", "GEOCODER", "SENTRY_", "PYTEST_"))
                    and k not in ("VIRTUAL_ENV", "SECRET_KEY", "PYTHONPATH", "COV_CORE_SOURCE")}
        self.env.update(PATH=path, DATABASE_URL=f"sqlite:///{self.database}", MEDIA_ROOT=str(root / "media"),
                        LOG_FORMAT="text", LOG_LEVEL="WARNING")

    def bash(self, text: str, env: dict | None = None, stdin: str = "", timeout: int = COMMAND_TIMEOUT_S):
        """Run `text`; on timeout its whole process group ends and the answer says so (exit 124)."""
        child = subprocess.Popen(["bash", "-c", text], cwd=self.work, env=env or self.env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
        try:
            out, err = child.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            out, err = child.communicate()
            err += (f"\n(still running after {timeout} s: if it serves until stopped, list it in NOT_RUN)")
            return subprocess.CompletedProcess(child.args, 124, out, err)
        return subprocess.CompletedProcess(child.args, child.returncode, out, err)

    def query(self, sql: str):
        with sqlite3.connect(self.database) as conn:
            return conn.execute(sql).fetchone()


def _file_for(command: str, sandbox: Sandbox) -> str:
    """A small valid input for the command that reads FILE."""
    folder = sandbox.root / "inputs"
    folder.mkdir(exist_ok=True)
    if " holidays import " in command:
        path, text = folder / "holidays.csv", "2031-01-01,holiday,元旦\n2031-01-04,workday,元旦调休\n"
    elif " points import " in command:
        lat, lon = sandbox.query("SELECT lat, lon FROM ticket ORDER BY id LIMIT 1")
        kind = sandbox.query("SELECT code FROM location_type ORDER BY code LIMIT 1")[0]
        department = sandbox.query("SELECT code FROM department WHERE code = 'CGZF'")[0]
        path = folder / "points.csv"
        text = f"code,name,location_type,lat,lon,department_code\nREADME1,README 点位,{kind},{lat},{lon},{department}\n"
    elif " basemap import " in command:
        lat, lon = sandbox.query("SELECT lat, lon FROM ticket ORDER BY id LIMIT 1")
        path = folder / "basemap.geojson"
        text = json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kind": "road", "name": "README 路"},
             "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.01, lat + 0.01]]}}]},
            ensure_ascii=False)
    else:
        raise LookupError("FILE: no example input for this command; add one to _file_for")
    path.write_text(text, encoding="utf-8")
    return str(path)


def placeholder_value(name: str, command: str, sandbox: Sandbox) -> str | None:
    """None: unknown here (an optional part naming it is left out; a required one fails the test)."""
    if name == "FILE":
        return _file_for(command, sandbox)
    if name == "U" and " tokens create " in command:
        return "inspector"  # an active demo user (README's users disable has just disabled U)
    values = {"U": "readme-user", "P": "Readme-pass-2026", "R": "department", "CODE": "CGZF",
              "NAME": "readme-integration", "N": "5", "DIR": str(sandbox.root / "backup"),
              "URL": "http://127.0.0.1:9/robot"}  # loopback: nothing listens, nothing leaves the machine
    return values.get(name)


def expand(command: str, sandbox: Sandbox) -> str:
    """The command as it will run: optional parts in or out, first alternatives, placeholders filled."""
    def optional(match):
        inner = match.group(1)
        names = PLACEHOLDER.findall(inner)
        return inner if all(placeholder_value(n, command, sandbox) is not None for n in names) else ""

    text = re.sub(r"\[([^\[\]]+)\]", optional, command)
    text = re.sub(r"(?<=\s)([a-z][\w-]*)(?:\|[a-z][\w-]*)+(?=\s|$)", r"\1", text)

    def fill(match):
        value = placeholder_value(match.group(1), command, sandbox)
        if value is None:
            raise LookupError(f"placeholder {match.group(1)} has no value: add one to placeholder_value")
        return value

    return re.sub(r"\s+", " ", PLACEHOLDER.sub(fill, text)).strip()


def check_instead(text: str) -> str:
    if re.match(r"^(\S+=\S+ )*make( |$)", text):
        return re.sub(r"(^|\s)make(\s|$)", r"\1make -n\2", text, count=1)
    if "/gunicorn " in text:
        return text + " --check-config"
    if "/pip install " in text:
        return text.replace("/pip install ", "/pip install --dry-run --no-index --quiet ", 1)
    return re.sub(r"(/flask --app wsgi (?:lan )?[\w-]+).*$", r"\1 --help", text)


def _program(text: str) -> str:
    words = text.split()
    while words and ASSIGNMENT.match(words[0]):
        words.pop(0)
    return words[0] if words else ""


def why_not_run(text: str) -> str | None:
    """Why the command (as it will run) is checked instead of run; None: it is run."""
    if _program(text) == "make":
        words = text.split()
        targets = [w for w in words[words.index("make") + 1:] if not w.startswith("-") and "=" not in w]
        reasons = [MAKE_NOT_RUN.get(t) for t in targets or ["run"]]  # a bare `make` is the first target, run
        return "; ".join(reasons) if all(reasons) else None
    return next((why for pattern, why in NOT_RUN if pattern.search(text)), None)


def run_readme(commands: list[Command], sandbox: Sandbox) -> tuple[list[str], list[str]]:
    """(failures, what was checked instead of run and why); `export` lines set what follows."""
    failures, not_run = [], []
    env = dict(sandbox.env)
    for command in commands:
        where = f"README.md:{command.line}: {command.text}"
        if _program(command.text) in VENV_ONLY:
            failures.append(f"{where}\n    not as written: works only with the virtualenv active; "
                            f"write .venv/bin/{_program(command.text)} (or a make target)")
            continue
        try:
            text = expand(command.text, sandbox)
        except LookupError as exc:
            failures.append(f"{where}\n    {exc}")
            continue
        if text.startswith("export "):
            shown = sandbox.bash(f"{text} && env -0", env=env)
            if shown.returncode:
                failures.append(f"{where}\n    exit {shown.returncode}: {shown.stderr.strip()[-600:]}")
                continue
            exported = dict(item.split("=", 1) for item in shown.stdout.split("\0") if "=" in item)
            env.update({k: v for k, v in exported.items() if k not in SANDBOXED})
            not_run.extend(f"{where}: {k} stays the test's own ({why})" for k, why in SANDBOXED.items()
                           if re.search(rf"\b{k}=", text))
            continue
        reason = why_not_run(text)
        if reason:
            text = check_instead(text)
            not_run.append(f"{where}: {reason}; checked: {text}")
        stdin = "SECreadme-signing-secret\n" if "--secret-stdin" in text else ""
        done = sandbox.bash(text, env=env, stdin=stdin)
        if done.returncode:
            failures.append(f"{where}\n    ran: {text}\n    exit {done.returncode}: "
                            f"{(done.stderr or done.stdout).strip()[-800:]}")
    return failures, not_run


@pytest.fixture
def sandbox(tmp_path):
    box = Sandbox(tmp_path)
    for setup in (".venv/bin/flask --app wsgi db upgrade", ".venv/bin/flask --app wsgi seed-demo --tickets 20"):
        done = box.bash(setup)  # what `make run` does first: the demo county the README speaks of
        assert done.returncode == 0, done.stderr
    return box


def test_the_readme_commands_are_found():
    commands = [c.text for c in readme_commands((REPO / "README.md").read_text(encoding="utf-8"))]
    for expected in ("make run", "make run-lan", "make test", ".venv/bin/flask --app wsgi db upgrade",
                     ".venv/bin/flask --app wsgi demo-logins"):
        assert expected in commands
    assert not [c for c in commands if "#" in c], "comments are not part of a command"
    assert len(commands) >= 25


@pytest.mark.timeout(900)  # some thirty processes, each loading the app: a minute alone, more on a busy machine
def test_every_readme_command_works_as_written(sandbox):
    commands = readme_commands((REPO / "README.md").read_text(encoding="utf-8"))
    failures, not_run = run_readme(commands, sandbox)
    assert not failures, "README commands that do not work as written:\n" + "\n".join(failures)
    assert any("make run-lan" in line for line in not_run)  # the listed ones were checked, not skipped


def test_a_readme_command_that_does_not_work_fails(tmp_path):
    """The checker itself: each of these is what a README must not show."""
    box = Sandbox(tmp_path)
    markdown = "\n".join([
        "Intro with `flask --app wsgi demo-logins` (no virtualenv active in a new shell).", "",
        "Prose naming tools is not a command: `make`, a `flask worker` process, `gunicorn.conf.py`.", "",
        "    .venv/bin/flask --app wsgi no-such-command   # a typo", "",
        "    make no-such-target", "",
        "    .venv/bin/flask --app wsgi users create --username U --password P --role R --colour HUE", "",
        "```sh", "$ .venv/bin/flask --app wsgi --version", "```", ""])
    commands = readme_commands(markdown)
    assert [c.text for c in commands] == [
        "flask --app wsgi demo-logins", ".venv/bin/flask --app wsgi no-such-command", "make no-such-target",
        ".venv/bin/flask --app wsgi users create --username U --password P --role R --colour HUE",
        ".venv/bin/flask --app wsgi --version"]
    failures, _ = run_readme(commands, box)
    assert [f.split(":", 2)[1] for f in failures] == ["1", "5", "7", "9"], failures
    assert "not as written: works only with the virtualenv active" in failures[0]
    assert "No such command" in failures[1]
    assert "No rule to make target" in failures[2]
    assert "placeholder HUE has no value" in failures[3]


def test_comments_and_placeholders_are_read_as_a_shell_and_a_reader_would(tmp_path):
    assert _strip_comment("make run     # serves # here") == "make run"
    assert _strip_comment("echo 'a # b' x#y # c") == "echo 'a # b' x#y"
    box = Sandbox.__new__(Sandbox)
    box.root = tmp_path
    assert expand(".venv/bin/flask --app wsgi seed-demo [--tickets N]", box) == (
        ".venv/bin/flask --app wsgi seed-demo --tickets 5")
    assert expand(".venv/bin/flask --app wsgi photos reprocess [--sha SHA]", box) == (
        ".venv/bin/flask --app wsgi photos reprocess")
    assert expand("webhooks set --kind wecom|dingtalk --url URL", box) == (
        "webhooks set --kind wecom --url http://127.0.0.1:9/robot")
    assert expand("TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test make test", box) == (
        "TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test make test")
    assert check_instead("make test TEST_WORKERS=0") == "make -n test TEST_WORKERS=0"
    assert check_instead(".venv/bin/flask --app wsgi scheduler") == ".venv/bin/flask --app wsgi scheduler --help"
    assert why_not_run(".venv/bin/flask --app wsgi scheduler") and not why_not_run(
        ".venv/bin/flask --app wsgi scheduler --once")
    assert why_not_run("make run-lan LAN_IP=10.0.0.2") and not why_not_run("make clean")
    assert why_not_run(".venv/bin/flask --app wsgi worker --workers 5")


def test_a_command_that_never_ends_is_stopped_and_reported(tmp_path):
    box = Sandbox.__new__(Sandbox)
    box.work, box.env = tmp_path, dict(os.environ)
    marker = tmp_path / "still-running"
    done = box.bash(f"(sleep 3; touch {marker}) & sleep 30", timeout=1)
    assert done.returncode == 124 and "list it in NOT_RUN" in done.stderr
    subprocess.run(["sleep", "4"])
    assert not marker.exists(), "a child of the stopped command lived on"
