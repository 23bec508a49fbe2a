"""Command line: `flask --app wsgi seed-demo | users create | tokens create`."""
from __future__ import annotations

import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.api_keys_cli import api_keys_cli
from app.assessment_cli import points_cli
from app.basemap_cli import basemap_cli
from app.calendar_cli import holidays_cli
from app.errors import DomainError
from app.extensions import db
from app.jobs.scheduler import scheduler_command
from app.lan_cli import lan_cli, wait_ready
from app.media_cli import media_cli
from app.models import Ticket, User
from app.photos_cli import photos_cli
from app.tasks.cli import worker_command
from app.webhooks_cli import webhooks_cli

users_cli = AppGroup("users", help="Manage user accounts.")
backup_cli = AppGroup("backup", help="Back up and restore the database and media.")
tokens_cli = AppGroup("tokens", help="Manage device tokens.")


def _demo_logins_file() -> Path:
    return Path(current_app.instance_path) / "demo-logins.txt"


@click.command("seed-demo")
@click.option("--tickets", "ticket_count", type=int, default=None,
              help="Tickets to add (default: 300 when the database has none).")
@click.option("--seed", type=int, default=7, help="Random seed, for repeatable data.")
def seed_demo(ticket_count: int | None, seed: int) -> None:
    """Seed the demo county: areas, departments, categories, users and tickets."""
    from app import seed as demo

    demo.seed_reference()
    created = demo.seed_users()
    db.session.commit()
    if created:
        _record_demo_logins(created)
    if ticket_count is None:
        ticket_count = 300 if not db.session.scalar(sa.select(sa.func.count(Ticket.id))) else 0
    if ticket_count:
        started = time.monotonic()
        step = max(ticket_count // 10, 1)
        demo.seed_tickets(ticket_count, seed=seed, progress=lambda n: (
            click.echo(f"  {n} tickets", err=True) if n % step == 0 or n == ticket_count else None))
        db.session.commit()
        click.echo(f"Seeded {ticket_count} tickets in {time.monotonic() - started:.1f} s.")
    print_demo_logins()


def _record_demo_logins(created: list[tuple[str, str, str]]) -> None:
    """Remember the new users' passwords, replacing what an earlier seeding (of a database since
    deleted) wrote for the same names, so the list printed is the one that logs in."""
    path = _demo_logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    known = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.count("\t") == 2:
                known[line.split("\t")[0]] = line
    for username, role, password in created:
        known[username] = f"{username}\t{role}\t{password}"
    path.write_text("\n".join(known.values()) + "\n", encoding="utf-8")
    path.chmod(0o600)


def print_demo_logins() -> None:
    path = _demo_logins_file()
    if not path.exists():
        click.echo("Demo logins: none recorded (users were created elsewhere).")
        return
    click.echo("Demo logins (username / role / password):")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            username, role, password = line.split("\t")
            click.echo(f"  {username:<12} {role:<11} {password}")


@click.command("demo-logins")
def demo_logins() -> None:
    """Print the demo users' passwords recorded by seed-demo."""
    print_demo_logins()


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["inspector", "department", "supervisor", "admin"]))
@click.option("--department", "department_code", default=None, help="Department code (role department).")
def create_user(username: str, password: str, role: str, department_code: str | None) -> None:
    """Create a user account."""
    from app.services.accounts import users

    try:
        user = users.create_user(username, password, role, department_code)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.role.value} {user.username}.")


@users_cli.command("disable")
@click.option("--username", required=True)
def disable_user(username: str) -> None:
    """Disable an account: it can no longer log in or use its tokens."""
    from app.services.accounts import users

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user {username}.")
    users.disable(user)  # its sessions end and its device tokens are revoked too
    db.session.commit()
    click.echo(f"Disabled {username}.")


@tokens_cli.command("create")
@click.option("--username", required=True)
@click.option("--label", default="cli")
def create_token(username: str, label: str) -> None:
    """Create a device token; the token is the last word printed."""
    from app.services.accounts import users

    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"No active user {username}.")
    token = users.issue_device_token(user, label)
    db.session.commit()
    click.echo(f"Device token for {username}: {token}")


@backup_cli.command("create")
@click.argument("folder", type=click.Path(path_type=Path))
def backup_create(folder: Path) -> None:
    """Write the database and media into FOLDER (new or empty), with a manifest."""
    from app.backup import BackupError, create_backup

    try:
        summary = create_backup(folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {sum(summary.tables.values())} rows and {summary.media_files} media files to {folder}.")


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Confirm: the current database and media are replaced.")
def backup_restore(folder: Path, yes: bool) -> None:
    """Replace the database and media with the backup in FOLDER (stop the app first)."""
    from app.backup import BackupError, restore_backup

    if not yes:
        raise click.ClickException("This replaces the current data: add --yes to go ahead.")
    try:
        summary = restore_backup(folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {sum(summary.tables.values())} rows and {summary.media_files} media files; "
               "row counts match the backup.")


@click.command("rollups-rebuild")
def rollups_rebuild() -> None:
    """Recount the map's cluster cells and the dashboard's days from the tickets (after bulk SQL that
    bypassed the app, or a change of TIMEZONE)."""
    from app.services.supervision import rollups

    started = time.monotonic()
    rollups.rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"Map cells and dashboard days recounted in {time.monotonic() - started:.1f} s.")


def register_commands(app: Flask) -> None:
    for command in (seed_demo, demo_logins, users_cli, tokens_cli, photos_cli, media_cli, backup_cli,
                    rollups_rebuild, points_cli, api_keys_cli, holidays_cli, webhooks_cli, basemap_cli, lan_cli,
                    wait_ready):
        app.cli.add_command(command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(worker_command)
