"""Users, passwords and device tokens."""
from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Department, DeviceToken, Role, User
from app.services.accounts import sessions
from app.timeutil import now_utc

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str, method: str | None = None) -> str:
    """Werkzeug's "method$salt$hash" with the configured method and cost (PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=method or current_app.config["PASSWORD_HASH_METHOD"])


def hash_parameters(password_hash: str) -> str:
    """The method and cost a hash was made with: "scrypt:131072:8:1" of "scrypt:131072:8:1$salt$hash"."""
    return password_hash.split("$", 1)[0]


@functools.cache
def _dummy_hash_for(method: str) -> str:
    return hash_password(secrets.token_urlsafe(24), method)


def dummy_hash() -> str:
    """A hash of a random password made by hash_password itself, so with exactly the method and cost
    of real hashes: checking a password against it costs what checking a real one costs, and an
    unknown username answers no faster than a known one. Made once per process and method."""
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


def check_password_rules(password: str) -> None:
    """Refuse passwords too short or too plain to survive guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                               field="password", code="weak_password")
    if password.isdigit() or password.isalpha() or len(set(password)) < 4:
        raise ValidationFailed(_("Mix letters with digits or symbols in the password."),
                               field="password", code="weak_password")


def create_user(username: str, password: str, role: str, department_code: str | None = None,
                display_name: str = "", email: str | None = None) -> User:
    """Create a user with a checked password; a department user needs its department."""
    username = username.strip()
    if not username:
        raise ValidationFailed(_("A username is required."), field="username")
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationFailed(_("Unknown role."), field="role") from None
    check_password_rules(password)
    department = None
    if department_code:
        department = db.session.scalar(sa.select(Department).where(Department.code == department_code))
        if department is None:
            raise ValidationFailed(_("Unknown department."), field="department")
    if role_value == Role.DEPARTMENT and department is None:
        raise ValidationFailed(_("A department user needs a department."), field="department")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(_("That username is taken."), field="username", code="username_taken")
    user = User(username=username, password_hash=hash_password(password), role=role_value,
                department=department, display_name=display_name or username, email=email)
    db.session.add(user)
    db.session.flush()
    return user


@dataclass(frozen=True)
class LoginCandidate:
    """What a login checks the password against: a real user's hash, or the dummy one (user_id None)."""

    user_id: int | None
    password_hash: str
    active: bool


def login_candidate(username: str) -> LoginCandidate:
    """Look the username up; an unknown one gets the dummy hash, so the password check that follows
    does the same work either way (and a disabled user's password is checked like anyone's)."""
    dummy = dummy_hash()  # made (once) on either path, so no first login is slower than another
    row = db.session.execute(sa.select(User.id, User.password_hash, User.active)
                             .where(User.username == username.strip())).first()
    if row is None:
        return LoginCandidate(None, dummy, False)
    return LoginCandidate(row.id, row.password_hash, row.active)


def password_matches(candidate: LoginCandidate, password: str) -> bool:
    """The slow part of a login: one check_password_hash, for known and unknown usernames alike.
    Needs no database: a caller may commit first, so no lock is held while it runs."""
    matched = check_password_hash(candidate.password_hash, password)
    return matched and candidate.user_id is not None


def upgrade_hash_if_needed(user: User, password: str) -> bool:
    """After a successful login: rehash a password made with an older method or cost, so every
    account (and the dummy hash) costs the same to check. True if the hash was replaced."""
    if hash_parameters(user.password_hash) == hash_parameters(dummy_hash()):
        return False
    user.password_hash = hash_password(password)
    return True


def authenticate(username: str, password: str) -> User | None:
    """The user if the password matches (active or not: the caller tells them apart)."""
    candidate = login_candidate(username)
    if not password_matches(candidate, password):
        return None
    return db.session.get(User, candidate.user_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_device_token(user: User, label: str = "") -> str:
    """Create a revocable device token and return it; only its hash is stored."""
    token = "xc_" + secrets.token_urlsafe(32)
    db.session.add(DeviceToken(user_id=user.id, token_hash=_digest(token), label=label[:100]))
    db.session.flush()
    return token


def user_for_token(token: str) -> tuple[User, DeviceToken] | None:
    """The active user behind a live token, or None (unknown, revoked or user disabled)."""
    # The user in the same statement: every API request asks this, and it was a second round trip.
    row = db.session.scalar(sa.select(DeviceToken).where(DeviceToken.token_hash == _digest(token))
                            .options(so.joinedload(DeviceToken.user, innerjoin=True)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user, row


def revoke_token(row: DeviceToken) -> None:
    row.revoked_at = now_utc()


def revoke_all_tokens(user_id: int, now: datetime | None = None) -> int:
    """Revoke every live device token of a user; how many."""
    result = db.session.execute(sa.update(DeviceToken).where(DeviceToken.user_id == user_id,
                                                             DeviceToken.revoked_at.is_(None))
                                .values(revoked_at=now or now_utc()))
    return result.rowcount


def sign_out_everywhere(user: User, reason: str, now: datetime | None = None) -> tuple[int, int]:
    """End every web session and revoke every device token of a user: after a password change or
    reset, or when the account is disabled, nothing issued before keeps working (and re-enabling
    the account does not bring it back). Returns (sessions ended, tokens revoked)."""
    now = now or now_utc()
    return sessions.end_all(user.id, now, reason), revoke_all_tokens(user.id, now)


def set_password(user: User, password: str, reason: str = "password_change") -> None:
    """Give a user a new (checked) password; every session and device of the old one is signed out."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    sign_out_everywhere(user, reason)


def disable(user: User) -> None:
    """An account that may no longer log in keeps no session and no working device."""
    user.active = False
    sign_out_everywhere(user, "disabled")
