"""`flask --app wsgi holidays import FILE | coverage | seed`: the county's working-day calendar."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.services.actor import Actor
from app.services.calendar import holidays
from app.timeutil import now_utc, to_local

holidays_cli = AppGroup("holidays", help="The county's holidays and make-up working days (调休).")


@holidays_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_file(file) -> None:
    """One `YYYY-MM-DD,holiday|workday[,name]` a line; each year named is replaced. All or nothing."""
    try:
        per_year = holidays.import_lines(Actor.system(), file.read().splitlines(), now_utc())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    for year, count in sorted(per_year.items()):
        click.echo(f"{year}: {count} day(s)")


@holidays_cli.command("coverage")
def coverage() -> None:
    """Print the last day the calendar covers (YYYY-MM-DD); exit 1 when no year is covered."""
    last = holidays.covered_until(to_local(now_utc()).date())
    if last is None:
        click.echo("none", err=False)
        sys.exit(1)
    click.echo(last.isoformat())


@holidays_cli.command("seed")
def seed() -> None:
    """Add the chinesecalendar package's days for the years not covered yet (the migration did once)."""
    count = holidays.seed_from_package(now_utc())
    db.session.commit()
    click.echo(f"{count} day(s) added")
