"""`flask --app wsgi api-keys create|revoke|list`: integrations' Open311 keys (decision 0009)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.services.accounts import api_keys
from app.services.actor import Actor
from app.timeutil import to_local

api_keys_cli = AppGroup("api-keys", help="API keys of integrations (Open311).")


def _when(value) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else "-"


@api_keys_cli.command("create")
@click.option("--name", required=True, help="Who the key is for, unique (letters, digits, . - _).")
def create(name: str) -> None:
    """Issue a key; it is shown only now, as the last word printed."""
    try:
        issued = api_keys.create(Actor.system(), name)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    name = issued.key.name
    db.session.commit()
    click.echo(f"API key for {name} (shown once, keep it safe): {issued.secret}")


@api_keys_cli.command("revoke")
@click.option("--name", required=True)
def revoke(name: str) -> None:
    """Revoke a key: every Open311 call with it is refused with 403 from now on."""
    try:
        key = api_keys.revoke(Actor.system(), name)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    name, revoked_at = key.name, key.revoked_at
    db.session.commit()
    click.echo(f"API key {name} revoked at {_when(revoked_at)}.")


@api_keys_cli.command("list")
def list_keys() -> None:
    """Every key: name, state, created, last used (local time)."""
    keys = api_keys.list_keys()
    if not keys:
        click.echo("No API keys.")
    for key in keys:
        state = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
        click.echo(f"{key.name}\t{state}\tcreated {_when(key.created_at)}\tlast used {_when(key.last_used_at)}")
    db.session.rollback()  # end the read: a long-lived caller (a test, a shell) must not hold a lock
