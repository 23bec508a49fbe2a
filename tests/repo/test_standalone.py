"""The repository stands alone: a clone with nothing beside it passes the tests (issue 11).

Everything the product and its tests read is inside the repository: test photos in tests/data/,
the design in docs/design.md, reference data in app/seed_data/. Two checks keep it that way:

- no tracked file names a location outside the repository (the project's old reference folder beside it);
- a real clone of HEAD, alone in an empty folder, runs the photo tests against its own tests/data.

The clone holds what is committed, not the working tree: in a developer's tree with uncommitted
changes the second check tests HEAD, which is what a fresh clone would get.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# These tests use their own SQLite databases (or none), never the run's: the PostgreSQL pass would
# only repeat them (make test-postgres deselects own_database).
pytestmark = pytest.mark.own_database
NOT_CHECKED = ("static/pwa/vendor/",)  # third-party files, copied as they are published
# Spelled in parts so that this file, too, names no such place.
OUTSIDE = "sha" + "red"
OUTSIDE_REFERENCES = ("../" + OUTSIDE, OUTSIDE + "/DESIGN")
# A small but real part of the suite that reads tests/data (every sample photo through the API).
CLONE_TESTS = ["tests/photos/test_photo_samples.py"]


def _git(*args: str, cwd: Path = REPO) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def test_no_tracked_file_points_outside_the_repository():
    tracked = [name for name in _git("ls-files", "-z").split("\0") if name]
    offenders = []
    for name in tracked:
        if name.startswith(NOT_CHECKED):
            continue
        path = REPO / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        data = path.read_bytes()
        offenders += [f"{name}: {needle}" for needle in OUTSIDE_REFERENCES if needle.encode() in data]
    assert not offenders, "files naming a location outside the repository:\n" + "\n".join(offenders)


@pytest.mark.timeout(180)
def test_a_clone_alone_in_an_empty_folder_passes_the_photo_tests(tmp_path):
    clone = tmp_path / "xuncha"
    _git("clone", "--quiet", "--no-hardlinks", str(REPO), str(clone), cwd=tmp_path)
    # Nothing beside the clone: no reference folder, no other checkout to fall back on.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xuncha"]
    assert _git("rev-parse", "HEAD", cwd=clone) == _git("rev-parse", "HEAD")
    assert (clone / "tests" / "data" / "photos" / "exiftool-truth.json").is_file(), (
        "tests/data/photos is not committed: a clone has no test photos")

    # On SQLite in a folder of its own: never the PostgreSQL test database the outer run may be using.
    env = {key: value for key, value in os.environ.items() if key not in (
        "TEST_DATABASE_URL", "XUNCHA_REQUIRE_POSTGRES", "XUNCHA_TESTDATA", "PYTHONPATH", "PYTEST_ADDOPTS")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    # The clone's own code and test data are the ones used, not this checkout's.
    where = subprocess.run(
        [sys.executable, "-c", "import app, tests.conftest as c; print(app.__file__); print(c.TESTDATA)"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert where.returncode == 0, where.stderr
    app_file, testdata = (Path(line) for line in where.stdout.splitlines())
    assert app_file.is_relative_to(clone) and testdata == clone / "tests" / "data"

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *CLONE_TESTS],
        cwd=clone, env=env, capture_output=True, text=True, timeout=150, check=False)
    assert run.returncode == 0, f"the clone's tests failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    assert " passed" in run.stdout and "skipped" not in run.stdout, run.stdout[-2000:]
