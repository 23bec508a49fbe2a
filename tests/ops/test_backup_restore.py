"""Back up, wipe, restore, compare: the database rows and every media file come back intact."""
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.backup import table_counts
from app.extensions import db
from app.models import Ticket
from tests.conftest import drop_everything


def _media_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _fill_media(root: Path) -> None:
    for i in range(3):
        sha = hashlib.sha256(f"photo {i}".encode()).hexdigest()
        path = root / "originals" / sha[:2] / sha[2:4] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"photo {i}".encode() * 100)


def test_backup_wipe_restore_compare(app, runner, tmp_path, ticket_in):
    ticket_in("closed")
    ticket_in("returned")
    media = Path(app.config["MEDIA_ROOT"])
    _fill_media(media)
    before_rows, before_media = table_counts(), _media_digest(media)
    cases_before = sorted(db.session.scalars(sa.select(Ticket.case_number)))
    db.session.commit()

    folder = tmp_path / "backup"
    made = runner.invoke(args=["backup", "create", str(folder)])
    assert made.exit_code == 0, made.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"] == before_rows and len(manifest["media"]) == 3

    # Wipe: no tables, no media.
    db.session.remove()
    drop_everything()
    shutil.rmtree(media)

    refused = runner.invoke(args=["backup", "restore", str(folder)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    restored = runner.invoke(args=["backup", "restore", str(folder), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert table_counts() == before_rows
    assert sorted(db.session.scalars(sa.select(Ticket.case_number))) == cases_before
    assert _media_digest(media) == before_media


def test_a_damaged_backup_is_refused_before_anything_is_touched(app, runner, tmp_path, ticket_in):
    ticket_in("assigned")
    media = Path(app.config["MEDIA_ROOT"])
    _fill_media(media)
    db.session.commit()
    folder = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(folder)]).exit_code == 0
    victim = next(p for p in (folder / "media").rglob("*") if p.is_file())
    victim.write_bytes(b"bit rot")
    rows = table_counts()
    result = runner.invoke(args=["backup", "restore", str(folder), "--yes"])
    assert result.exit_code != 0 and "damaged" in result.output
    assert table_counts() == rows


def test_backup_refuses_a_folder_in_use(runner, tmp_path, county):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "something").write_text("keep me")
    result = runner.invoke(args=["backup", "create", str(tmp_path / "x")])
    assert result.exit_code != 0 and "not empty" in result.output


@pytest.fixture(autouse=True)
def _own_media_root(app, tmp_path):
    """A media folder of this test's own: other tests' files must not count, nor be wiped."""
    shared = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield
    app.config["MEDIA_ROOT"] = shared
