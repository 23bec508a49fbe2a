"""`flask --app wsgi basemap import FILE`: the county's own roads and rivers for the offline map."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.actor import Actor
from app.services.supervision import basemap

basemap_cli = AppGroup("basemap", help="The offline base map (main roads and rivers).")


@basemap_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_basemap(file: str) -> None:
    """Replace the base map with FILE, a GeoJSON FeatureCollection of lines with kind road|river."""
    try:
        with open(file, "rb") as handle:
            collection = basemap.parse(handle.read(basemap.MAX_FILE_BYTES + 1))
        count = basemap.replace(Actor.system(), collection)
    except basemap.BaseMapError as error:
        raise click.ClickException(f"{file}: {error}") from None
    db.session.commit()  # the audit entry
    click.echo(f"Base map imported: {count} features.")
