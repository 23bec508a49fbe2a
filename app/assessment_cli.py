"""`flask --app wsgi points import FILE [--dry-run]`: inspection points from CSV or GeoJSON, all or nothing."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.extensions import db
from app.services.actor import Actor
from app.services.assessment import points as point_service
from app.timeutil import now_utc

points_cli = AppGroup("points", help="Inspection points of the mock field assessment.")


@points_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
def import_points(file: Path, dry_run: bool) -> None:
    """Create or update points from FILE: CSV with the header
    code,name,location_type,lat,lon,department_code[,area_code], or a GeoJSON FeatureCollection
    (.geojson/.json) of Point and Polygon features with those properties. A bad row is reported by
    its line and nothing is written; an existing code is updated and keeps its visits."""
    result = point_service.import_file(file, Actor.system(), now_utc(), dry_run=dry_run)
    if not result.ok:
        db.session.rollback()
        for error in result.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(_("%(n)d problem(s) in %(rows)d row(s); nothing was imported.",
                                     n=len(result.errors), rows=result.rows))
    if dry_run:
        db.session.rollback()
        click.echo(_("%(rows)d rows are fine: %(new)d new, %(updated)d to update (dry run: nothing written).",
                     rows=result.rows, new=len(result.created), updated=len(result.updated)))
        return
    db.session.commit()
    click.echo(_("Imported %(rows)d points: %(new)d new, %(updated)d updated.",
                 rows=result.rows, new=len(result.created), updated=len(result.updated)))
