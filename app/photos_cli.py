"""`flask --app wsgi photos reprocess | check`: rebuild derivatives; compare files with rows."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.models import Photo
from app.services.photos import derivatives
from app.services.photos import store as photos
from app.services.photos.cleanup import scan_media
from app.storage import media_store

photos_cli = AppGroup("photos", help="Photo files: rebuild derivatives, check files against rows.")
BATCH = 100


@photos_cli.command("reprocess")
@click.option("--sha", "hashes", multiple=True, help="Only this photo (repeatable); default: every photo.")
@click.option("--failed", "only_failed", is_flag=True, help="Only photos whose derivative task failed.")
def reprocess(hashes: tuple[str, ...], only_failed: bool) -> None:
    """Rebuild every web image and thumbnail from its original, here and now (pending and failed too)."""
    query = sa.select(Photo.sha256).order_by(Photo.sha256)
    if only_failed:
        query = query.where(Photo.derivatives == "failed")
    if hashes:
        query = query.where(Photo.sha256.in_([h.lower() for h in hashes]))
    done = failed = 0
    for position, sha in enumerate(db.session.scalars(query).all(), start=1):
        photo = db.session.get(Photo, sha)
        try:
            photos.rebuild_derivatives(photo)
            done += 1
        except (DomainError, OSError) as exc:
            failed += 1
            if photo.derivatives != derivatives.READY:  # a ready photo keeps the derivatives it has
                derivatives.mark_failed(photo, exc)  # and admins see why (/admin/photos)
            click.echo(f"{sha}: {getattr(exc, 'message', exc)}", err=True)
        if position % BATCH == 0:
            db.session.commit()
    db.session.commit()
    click.echo(f"Rebuilt {done} photos; {failed} failed.")
    if failed:
        raise SystemExit(1)


@photos_cli.command("check")
def check() -> None:
    """List orphaned files and rows whose files are missing; exit 1 if an original is missing."""
    store = media_store()
    scan = scan_media(store)
    for sha in scan.missing_originals:
        click.echo(f"missing original: {sha}")
    for sha in scan.missing_derivatives:
        click.echo(f"missing derivative: {sha}")
    for orphan in scan.orphans:
        click.echo(f"orphaned file: {store.locate(orphan.key)}")
    for sha, reason in scan.failed:
        click.echo(f"derivatives failed: {sha}: {reason}")
    click.echo(f"{scan.rows} photos, {len(scan.missing_originals)} missing originals, "
               f"{len(scan.missing_derivatives)} missing derivatives, {len(scan.orphans)} orphaned files, "
               f"{len(scan.pending)} derivatives pending, {len(scan.failed)} failed "
               f"(`photos reprocess --failed` tries them again).")
    if scan.missing_originals:
        raise SystemExit(1)
