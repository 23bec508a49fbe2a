"""`flask --app wsgi media migrate --to s3|filesystem`: move the stored photos to the other backend;
`flask --app wsgi media cors`: give the bucket the CORS rule the phones need (`--check` only reads it).

Copies object by object from the configured backend (MEDIA_BACKEND) to the other one, checks each
original's SHA-256 (its name) before and after the copy, and remakes a derivative the target lacks
from the copied original. What the target already holds with the right size (and, for an original,
the right hash) is not copied again, so an interrupted run is simply started again. The source is
left as it was; the operator switches MEDIA_BACKEND once the run reports no problem.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.models import Photo
from app.services.photos import derivatives
from app.storage import BACKENDS, VARIANTS, MediaStore, media_store

media_cli = AppGroup("media", help="Photo storage: move it between the filesystem and S3, set the bucket's CORS.")


@dataclass
class MigrateReport:
    copied: int = 0
    present: int = 0  # already in the target, checked
    remade: int = 0  # derivatives made again from the original in the target
    corrupted: list[str] = field(default_factory=list)  # keys whose bytes do not have their hash
    missing: list[str] = field(default_factory=list)  # hashes of rows whose original is nowhere
    failed: list[str] = field(default_factory=list)  # derivatives that could not be remade

    @property
    def ok(self) -> bool:
        return not (self.corrupted or self.missing or self.failed)


def migrate(source: MediaStore, target: MediaStore, echo=lambda _line: None) -> MigrateReport:
    report = MigrateReport()
    for variant in VARIANTS:  # originals first: the derivatives are remade from the target's
        for stored in source.objects(variant):
            if stored.sha256 is None:
                continue  # a temp file: the orphan sweep's
            _copy(source, target, variant, stored.sha256, stored.key, report, echo)
    # Every ready photo's files must be in the target now; a lost derivative is made again there.
    for sha, state in db.session.execute(sa.select(Photo.sha256, Photo.derivatives).order_by(Photo.sha256)):
        if not target.exists("original", sha):
            if f"originals/{sha[:2]}/{sha[2:4]}/{sha}" not in report.corrupted:
                report.missing.append(sha)
                echo(f"missing original: {sha}")
            continue
        if state == derivatives.READY and not (target.size("web", sha) and target.size("thumb", sha)):
            try:
                derivatives.compute(sha, target)
                report.remade += 1
            except (DomainError, OSError) as exc:
                report.failed.append(sha)
                echo(f"could not remake the derivatives of {sha}: {getattr(exc, 'message', exc)}")
    return report


def _copy(source: MediaStore, target: MediaStore, variant: str, sha: str, key: str, report: MigrateReport,
          echo) -> None:
    size = source.size(variant, sha)
    if size is None:
        return  # removed meanwhile
    if target.size(variant, sha) == size and (variant != "original" or _intact(target, sha)):
        report.present += 1
        return
    data = source.read(variant, sha)
    if variant == "original" and hashlib.sha256(data).hexdigest() != sha:
        report.corrupted.append(key)
        echo(f"corrupted: {source.locate(key)} does not have the SHA-256 it is named by; not copied")
        return
    target.write(variant, sha, data, durable=True)
    if variant == "original" and not _intact(target, sha):
        report.corrupted.append(key)
        echo(f"corrupted on the way: {target.locate(key)}")
        return
    report.copied += 1


def _intact(store: MediaStore, sha: str) -> bool:
    digest = hashlib.sha256()
    with store.open("original", sha) as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == sha


@media_cli.command("migrate")
@click.option("--to", "to", type=click.Choice(BACKENDS), required=True, help="The backend to copy the media to.")
def migrate_command(to: str) -> None:
    """Copy every stored photo file from the configured backend to the other, verifying every hash."""
    current = current_app.config["MEDIA_BACKEND"]
    if to == current:
        raise click.UsageError(f"MEDIA_BACKEND is {current} already: the media is there. Run this with the "
                               f"backend the media is in now.")
    source = media_store()
    target = media_store({**current_app.config, "MEDIA_BACKEND": to})
    click.echo(f"Copying media from {current} to {to}…")
    report = migrate(source, target, echo=lambda line: click.echo(line, err=True))
    click.echo(f"{report.copied} copied, {report.present} already there, {report.remade} derivatives remade, "
               f"{len(report.corrupted)} corrupted, {len(report.missing)} missing originals, "
               f"{len(report.failed)} failed.")
    if not report.ok:
        click.echo("Not switched: fix what is listed above (`photos check`), then run this again.", err=True)
        raise SystemExit(1)
    click.echo(f"Every original is in {to} with its hash. Now set MEDIA_BACKEND={to} on every web, worker and "
               f"scheduler machine and restart them; the old copies stay where they were until you remove them.")


@media_cli.command("cors")
@click.option("--check", is_flag=True, help="Only report whether the bucket has the rule; exit 1 if not.")
def cors_command(check: bool) -> None:
    """Give the S3 bucket the CORS rule that lets phones and browsers read the signed photo links."""
    from app.storage_s3 import PHOTO_READ_CORS, S3Store

    store = media_store()
    if not isinstance(store, S3Store):
        raise click.UsageError("MEDIA_BACKEND is not s3: photos are served by this site itself, no CORS rule "
                               "is needed.")
    rules = store.cors_rules()
    if PHOTO_READ_CORS in rules:
        click.echo(f"The bucket {store.bucket} lets any origin GET the signed photo links.")
        return
    if check:
        click.echo(f"The bucket {store.bucket} lacks the CORS rule for photo links "
                   f"({len(rules)} other rule(s)): run `flask --app wsgi media cors`.", err=True)
        raise SystemExit(1)
    if rules:
        click.echo(f"Replacing the bucket's {len(rules)} CORS rule(s).", err=True)
    store.allow_photo_reads()
    if PHOTO_READ_CORS not in store.cors_rules():
        click.echo(f"The bucket {store.bucket} did not keep the CORS rule: set it in the store's console.", err=True)
        raise SystemExit(1)
    click.echo(f"The bucket {store.bucket} now lets any origin GET the signed photo links.")
