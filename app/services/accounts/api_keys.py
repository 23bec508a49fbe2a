"""API keys for integrations (decision 0009): issued and revoked by administrators, stored hashed.

A key is 256 random bits, so a single SHA-256 is enough to store it (no password stretching: there
is nothing to guess from a dictionary) and lets a request find its row by an indexed lookup of the
hash, compared again in constant time. Nothing here looks a key up by name, so how long a refusal
takes says nothing about which names exist. Each key has its own disabled account, the reporter of
what the integration posts.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import ApiKey, Role, User
from app.services.accounts import audit
from app.services.accounts.users import hash_password
from app.services.actor import Actor
from app.text import text_problem
from app.timeutil import now_utc

PREFIX = "xk_"  # tells an integration key from a device token ("xc_") at a glance
NAME = re.compile(r"[\w.\-]{1,48}")
ACCOUNT_PREFIX = "apikey:"
WINDOW = timedelta(minutes=1)
_DUMMY = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Issued:
    key: ApiKey
    secret: str  # shown once; only its hash is kept


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if text_problem(name) is not None or not NAME.fullmatch(name):
        raise ValidationFailed(_("A key's name is 1 to 48 letters, digits, dots, dashes or underscores."),
                               field="name")
    return name


def create(actor: Actor, name: str, ip: str | None = None) -> Issued:
    """A new key named `name` and its own (disabled) reporting account; the caller commits."""
    name = _checked_name(name)
    taken = db.session.scalar(sa.select(ApiKey.id).where(ApiKey.name == name)) or db.session.scalar(
        sa.select(User.id).where(User.username == ACCOUNT_PREFIX + name))
    if taken is not None:
        raise ValidationFailed(_("A key of that name exists already (revoked names stay taken)."),
                               field="name", code="name_taken")
    account = User(username=ACCOUNT_PREFIX + name, display_name=name, role=Role.INSPECTOR, active=False,
                   password_hash=hash_password(secrets.token_urlsafe(32)))
    db.session.add(account)
    db.session.flush()
    secret = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, key_hash=digest(secret), user_id=account.id, created_by_id=actor.user_id)
    db.session.add(key)
    db.session.flush()
    audit.record(actor, "api_key.create", "api_key", name, {}, ip)
    return Issued(key, secret)


def revoke(actor: Actor, name: str, ip: str | None = None, now: datetime | None = None) -> ApiKey:
    """Revoke the key named `name` (again: nothing changes); the caller commits."""
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == (name or "").strip()))
    if key is None:
        raise NotFound(_("No API key has that name."), field="name")
    if key.revoked_at is None:
        key.revoked_at = now or now_utc()
        audit.record(actor, "api_key.revoke", "api_key", key.name, {}, ip)
    return key


def refuse_key_account(user_id: int) -> None:
    """A key's own account is managed through its key: never enabled, never given a password."""
    if db.session.scalar(sa.select(ApiKey.id).where(ApiKey.user_id == user_id)) is not None:
        raise ValidationFailed(_("This account reports for an API key; manage it on the API keys page."),
                               field="username", code="api_key_account")


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(sa.select(ApiKey).order_by(ApiKey.name)))


def authenticate(secret: str) -> ApiKey | None:
    """The live key `secret` is, or None (unknown or revoked: the caller refuses both alike)."""
    wanted = digest(secret)
    row = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == wanted)) if secret.startswith(
        PREFIX) else None
    matched = hmac.compare_digest(row.key_hash if row is not None else _DUMMY, wanted)
    if row is None or not matched or row.revoked_at is not None:
        return None
    return row


def count_request(key_id: int, now: datetime, limit: int) -> int:
    """Count one request in the key's fixed one-minute window; 0 if allowed, else seconds to wait.

    One UPDATE .. RETURNING: its row lock (PostgreSQL) or the write lock (SQLite) makes the count
    exact across every gunicorn worker. SET expressions all see the row as it was."""
    window = now.replace(second=0, microsecond=0)
    count = db.session.execute(
        sa.update(ApiKey).where(ApiKey.id == key_id).values(
            window_count=sa.case((ApiKey.window_start == window, ApiKey.window_count + 1), else_=1),
            window_start=window, last_used_at=now,
        ).returning(ApiKey.window_count).execution_options(synchronize_session=False)
    ).scalar_one()
    if count <= limit:
        return 0
    return max(1, int((window + WINDOW - now).total_seconds() + 0.999))
