"""`flask --app wsgi webhooks set|list`: departments' WeCom and DingTalk robots.

A DingTalk signing secret is read from standard input (`--secret-stdin`), never from the command
line, where `ps` and the shell's history would show it; `list` never prints a secret or a whole key.
"""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.extensions import db
from app.services.actor import Actor
from app.services.notifications import webhooks
from app.timeutil import to_local

webhooks_cli = AppGroup("webhooks", help="Group-chat robots (WeCom, DingTalk) of departments.")


@webhooks_cli.command("set")
@click.option("--department", "department", required=True, help="The department's code (the campaign office too).")
@click.option("--kind", type=click.Choice(["wecom", "dingtalk"]), required=True)
@click.option("--url", required=True, help="The robot's webhook address.")
@click.option("--secret-stdin", is_flag=True, help="Read DingTalk's signing secret from standard input.")
def set_webhook(department: str, kind: str, url: str, secret_stdin: bool) -> None:
    """Set (or replace) a department's robot of this kind."""
    secret = sys.stdin.read().strip() if secret_stdin else None
    try:
        webhook = webhooks.configure(Actor.system(), department, kind, url, secret)
        shown = f"{department} {kind} {webhooks.mask_url(webhook.url)}" + (" (signed)" if webhook.secret else "")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"set: {shown}")


@webhooks_cli.command("list")
def list_webhooks() -> None:
    """Departments, kinds, addresses with their keys cut, signing, last sent and last error."""
    rows = webhooks.list_all()
    status = webhooks.status(w.id for w in rows)
    for w in rows:
        sent = to_local(w.last_sent_at).strftime("%Y-%m-%d %H:%M") if w.last_sent_at else "-"
        state = status[w.id]
        click.echo(f"{w.department.code}\t{w.kind.value}\t{webhooks.mask_url(w.url)}\t"
                   f"{'signed' if w.secret else 'unsigned'}\tlast sent {sent}\tpending {state['pending']}\t"
                   f"failed {state['failed']}\t{('last error: ' + w.last_error) if w.last_error else ''}".rstrip())
    if not rows:
        click.echo("no webhooks")
