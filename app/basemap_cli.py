"""`flask --app wsgi basemap import FILE`: the county's own roads and rivers for the offline map."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from app.services.supervision import basemap

basemap_cli = AppGroup("basemap", help="The offline base map (main roads and rivers).")


@basemap_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_basemap(file: str) -> None:
    """Replace the base map with FILE, a GeoJSON FeatureCollection of lines with kind road|river."""
    try:
        with open(file, encoding="utf-8") as handle:
            count = basemap.store(current_app.config["MEDIA_ROOT"], json.load(handle))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file} is not JSON: {error}") from None
    except basemap.BaseMapError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Base map imported: {count} features.")
