"""Users, passwords and device tokens."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Department, DeviceToken, Role, User
from app.timeutil import now_utc

MIN_PASSWORD_LENGTH = 8
# A fixed hash to check against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


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


def authenticate(username: str, password: str) -> User | None:
    """The user if the password matches (active or not: the caller tells them apart)."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


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
    row = db.session.scalar(sa.select(DeviceToken).where(DeviceToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user, row


def revoke_token(row: DeviceToken) -> None:
    row.revoked_at = now_utc()
