"""Login throttling kept in the database, so every worker sees the same counts (docs/design.md §10).

No lockout: an attacker's failures must not lock the owner out. Failures are counted in three
scopes, over the last LOGIN_MEMORY_H hours:

- the (account, address) pair, since that pair's last success: after LOGIN_FREE_FAILURES, the
  next attempt from that address for that account must wait LOGIN_DELAY_BASE_S after the last
  failure, and each further failure doubles the wait, up to LOGIN_MAX_DELAY_S;
- the address, over all accounts: the same growth after LOGIN_FREE_FAILURES_PER_IP;
- the account, over all addresses (many addresses guessing one password), since its last
  success: after LOGIN_FREE_FAILURES_PER_ACCOUNT, a mild delay, at most LOGIN_ACCOUNT_MAX_DELAY_S.

So the owner logging in from another address waits for none of an attacker's pair or address
delays, at worst for the mild account delay. Accounts are named as typed (lower-cased): whether
the account exists plays no part, and a throttled answer is the same for unknown usernames.

An attempt is reserved before its password is checked (`begin` adds it as a failure; `succeeded`
turns it into a success): parallel guesses each see the ones before them, and the caller can
commit before the slow hash, so no database lock is held while it runs.
"""
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
    attempt_id: int | None = None  # the reserved attempt, when allowed


def normalized(username: str) -> str:
    return username.strip().lower()[:64]


def delay_s(failures: int, free: int, base_s: float, cap_s: float) -> float:
    """The wait owed after `failures`: none for the first `free`, then base, 2×base, 4×base … ≤ cap."""
    if failures < free:
        return 0.0
    return min(cap_s, base_s * 2 ** min(failures - free, 40))


def _failures(*conditions, since: datetime, success_resets: bool) -> tuple[int, datetime | None]:
    """(count, time of the last) of the failures matching `conditions` after `since` and, when
    `success_resets`, after the last success matching them."""
    if success_resets:  # attempts are reserved in order, so "after the success" is "a higher id"
        last_success = db.session.scalar(sa.select(sa.func.max(LoginAttempt.id)).where(
            *conditions, LoginAttempt.success, LoginAttempt.at > since))
        if last_success is not None:
            conditions = (*conditions, LoginAttempt.id > last_success)
    count, last = db.session.execute(sa.select(sa.func.count(), sa.func.max(LoginAttempt.at)).where(
        *conditions, ~LoginAttempt.success, LoginAttempt.at > since)).one()
    return count, last


def _lock(username: str, ip: str) -> None:
    """PostgreSQL: one check at a time per account and per address (until the reservation commits).
    SQLite needs none: a write transaction begins IMMEDIATE, one at a time already."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in (f"login:user:{username}", f"login:ip:{ip}"):  # always in this order: no deadlock
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


def wait_s(username: str, ip: str, now: datetime) -> int:
    """Seconds this attempt must still wait (0: it may go ahead)."""
    username = normalized(username)
    config = current_app.config
    since = now - timedelta(hours=config["LOGIN_MEMORY_H"])
    base, cap = config["LOGIN_DELAY_BASE_S"], config["LOGIN_MAX_DELAY_S"]
    scopes = (
        (_failures(LoginAttempt.username == username, LoginAttempt.ip == ip, since=since, success_resets=True),
         config["LOGIN_FREE_FAILURES"], cap),
        (_failures(LoginAttempt.ip == ip, since=since, success_resets=False),
         config["LOGIN_FREE_FAILURES_PER_IP"], cap),
        (_failures(LoginAttempt.username == username, since=since, success_resets=True),
         config["LOGIN_FREE_FAILURES_PER_ACCOUNT"], config["LOGIN_ACCOUNT_MAX_DELAY_S"]),
    )
    wait = 0.0
    for (count, last), free, scope_cap in scopes:
        owed = delay_s(count, free, base, scope_cap)
        if owed and last is not None:
            wait = max(wait, (last - now).total_seconds() + owed)
    return max(0, int(-(-wait // 1)))  # whole seconds, rounded up


def begin(username: str, ip: str, now: datetime) -> Verdict:
    """May this attempt go ahead? If so it is recorded at once, as a failure until `succeeded`."""
    username = normalized(username)
    ip = ip[:45]
    _lock(username, ip)
    wait = wait_s(username, ip, now)
    if wait > 0:
        return Verdict(False, wait)
    attempt = LoginAttempt(username=username, ip=ip, at=now, success=False)
    db.session.add(attempt)
    db.session.execute(sa.delete(LoginAttempt).where(
        LoginAttempt.at < now - timedelta(hours=current_app.config["LOGIN_MEMORY_H"])))
    db.session.flush()
    return Verdict(True, 0, attempt.id)


def succeeded(attempt_id: int) -> None:
    """The password was right (and the account active): the reserved attempt is a success."""
    db.session.execute(sa.update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
