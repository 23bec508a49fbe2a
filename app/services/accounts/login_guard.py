"""Login throttling kept in the database, so every worker sees the same counts (docs/design.md §10)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import LoginAttempt


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


def check(username: str, ip: str, now: datetime) -> Verdict:
    """May this attempt go ahead? Too many recent failures for the account or the address: no."""
    username = username.strip().lower()
    since = now - _window()
    last_success = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.success))
    account_since = max(since, last_success) if last_success else since
    account_failures = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, ~LoginAttempt.success, LoginAttempt.at > account_since)).one()
    ip_failures = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, ~LoginAttempt.success, LoginAttempt.at > since)).one()
    config = current_app.config
    for (count, last), limit in ((account_failures, config["LOGIN_MAX_FAILURES"]),
                                 (ip_failures, config["LOGIN_MAX_FAILURES_PER_IP"])):
        if count >= limit:
            retry = int((last + _window() - now).total_seconds()) + 1
            return Verdict(False, max(retry, 1))
    return Verdict(True)


def record(username: str, ip: str, success: bool, now: datetime) -> None:
    """Remember an attempt; attempts older than a day are forgotten on the way."""
    db.session.add(LoginAttempt(username=username.strip().lower()[:64], ip=ip[:45], at=now, success=success))
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
