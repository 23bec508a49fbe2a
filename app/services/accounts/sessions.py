"""Web sessions kept in the database (docs/design.md §10): logging out ends that session on the
server, and a password reset or disabling the account ends all of the user's sessions.

The signed session cookie carries a random secret; a `UserSession` row holds its SHA-256. A
request's session is live while its row is not ended, the user is active, and the session is
younger than SESSION_MAX_HOURS (the absolute lifetime; the idle lifetime, SESSION_IDLE_MINUTES,
is kept by the cookie itself: app/security.py). The same cookie replayed after logout finds its
row ended and is refused.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import User, UserSession

# last_seen_at is written at most this often, and only by requests that write anyway: it tells an
# administrator when a session was last used, within minutes; it is not what ends idle sessions.
TOUCH_INTERVAL = timedelta(minutes=5)
KEEP_ENDED = timedelta(days=7)  # rows of ended or expired sessions are removed after this long
_SECRET = re.compile(r"[0-9a-f]{64}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def idle_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def absolute_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def start(user: User, now: datetime) -> str:
    """A new session for `user` (after a password login); returns the secret for the cookie."""
    secret = secrets.token_hex(32)
    db.session.add(UserSession(id=_digest(secret), user_id=user.id, created_at=now, last_seen_at=now))
    db.session.execute(sa.delete(UserSession).where(
        UserSession.created_at < now - absolute_lifetime() - KEEP_ENDED))
    db.session.flush()
    return secret


def live_user(secret: object, user_id: object, now: datetime, *, touch: bool = False) -> User | None:
    """The active user of a live session, or None: unknown secret, another user's session, ended
    (logout, password reset, disabled), past its absolute lifetime, or the user disabled.
    `touch` (a request that writes) refreshes last_seen_at, at most every few minutes."""
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        return None
    found = db.session.execute(sa.select(UserSession, User).join(User, User.id == UserSession.user_id)
                               .where(UserSession.id == _digest(secret))).first()
    if found is None:
        return None
    row, user = found
    if (str(user.id) != str(user_id) or row.ended_at is not None or not user.active
            or now >= row.created_at + absolute_lifetime()):
        return None
    if touch and now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return user


def end(secret: object, now: datetime, reason: str = "logout") -> bool:
    """End the session with this secret (logout); True if a live one was ended."""
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        return False
    result = db.session.execute(sa.update(UserSession).where(
        UserSession.id == _digest(secret), UserSession.ended_at.is_(None)).values(ended_at=now, end_reason=reason))
    return result.rowcount > 0


def end_all(user_id: int, now: datetime, reason: str) -> int:
    """End every live session of a user (password reset, disabled); how many were ended."""
    result = db.session.execute(sa.update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)).values(ended_at=now, end_reason=reason))
    return result.rowcount
