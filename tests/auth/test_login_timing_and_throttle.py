"""Logins must not tell which usernames exist, and throttling must not lock the owner out (issue 12).

Timing is checked by what runs, never by the clock: the password routine must run once per
attempt, on a hash of the same method and cost, for unknown, disabled and known users alike
(bench/login_timing.py measures the times). Throttling is checked on a frozen clock.
"""
from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import LoginAttempt, User
from app.services.accounts import login_guard, users
from tests.factories import PASSWORD

WRONG = "Wrong-pass-1"
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)


def _client(app, ip: str = "127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _attempt(client, username: str, password: str = WRONG):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(client)})


def _parameters(password_hash: str) -> str:
    """Method and cost of a Werkzeug hash: "scrypt:16384:8:1" of "scrypt:16384:8:1$salt$hash"."""
    return password_hash.split("$", 1)[0]


def _error(resp) -> str:
    found = re.search(r'<p class="flash flash-error" role="alert">(.*?)</p>', resp.text)
    return found.group(1) if found else ""


# --- the same password work for every username ------------------------------------------------

@pytest.fixture
def real_scrypt(app, monkeypatch):
    """A real scrypt (cheaper than production's N=2^17), so the dummy hash must follow the setting."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt:16384:8:1")


@pytest.fixture
def checked_hashes(monkeypatch):
    """Every hash check_password_hash is called with, in order."""
    calls: list[str] = []
    real = users.check_password_hash

    def spy(password_hash, password):
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(users, "check_password_hash", spy)
    return calls


def test_unknown_disabled_and_known_users_get_the_same_password_check(real_scrypt, client, create_user,
                                                                       checked_hashes):
    known = create_user("supervisor")
    disabled = create_user("inspector", active=False)
    real_parameters = _parameters(users.hash_password("any-thing-1"))
    assert real_parameters == "scrypt:16384:8:1"
    assert _parameters(known.password_hash) == real_parameters

    answers = [_attempt(client, name).status_code for name in (known.username, disabled.username, "ghost-user")]

    assert answers == [401, 401, 401]
    assert [_parameters(h) for h in checked_hashes] == [real_parameters] * 3  # once each, same cost
    assert checked_hashes[2] not in (known.password_hash, disabled.password_hash)


def test_a_disabled_user_with_the_right_password_is_checked_like_anyone(real_scrypt, client, create_user,
                                                                        checked_hashes):
    disabled = create_user("inspector", active=False)
    assert _attempt(client, disabled.username, PASSWORD).status_code == 403
    assert [_parameters(h) for h in checked_hashes] == ["scrypt:16384:8:1"]


def test_the_dummy_hash_is_made_by_hash_password_with_the_production_cost(app, monkeypatch):
    from app.config import Config

    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", Config.PASSWORD_HASH_METHOD)
    assert _parameters(users.dummy_hash()) == "scrypt:131072:8:1"
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    assert _parameters(users.dummy_hash()) == "pbkdf2:sha256:1000"  # follows the setting


def test_an_old_cheaper_hash_is_upgraded_at_the_next_login(real_scrypt, app, client, create_user):
    user = create_user("supervisor")
    user.password_hash = users.hash_password(PASSWORD, "pbkdf2:sha256:1000")  # made before the cost went up
    db.session.commit()
    assert _attempt(client, user.username, PASSWORD).status_code == 302
    db.session.expire_all()
    assert _parameters(db.session.get(User, user.id).password_hash) == "scrypt:16384:8:1"


# --- growing delays, per (account, address) and per address -----------------------------------

def test_each_failure_after_the_free_ones_doubles_the_wait_up_to_the_cap(app, create_user):
    user = create_user("supervisor")
    attacker = _client(app, "203.0.113.66")
    waits = []
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            assert _attempt(attacker, user.username).status_code == 401  # the free failures
        for _ in range(11):
            refused = _attempt(attacker, user.username, PASSWORD)  # even the right password waits
            assert refused.status_code == 429
            wait = int(refused.headers["Retry-After"])
            waits.append(wait)
            clock.shift(timedelta(seconds=wait - 1))
            assert _attempt(attacker, user.username).status_code == 429  # a second early: still waiting
            clock.shift(timedelta(seconds=1))
            assert _attempt(attacker, user.username).status_code == 401  # on time: checked, and wrong
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]


def test_the_owner_from_another_address_is_not_held_up_by_an_attackers_failures(app, create_user):
    user = create_user("supervisor")
    attacker, owner = _client(app, "203.0.113.66"), _client(app, "198.51.100.7")
    with time_machine.travel(START, tick=False) as clock:
        for i in range(15):
            clock.shift(timedelta(minutes=15 if i else 0))  # each guess as soon as the wait allows
            assert _attempt(attacker, user.username).status_code == 401
        assert int(_attempt(attacker, user.username, PASSWORD).headers["Retry-After"]) == 900
        assert _attempt(owner, user.username, PASSWORD).status_code == 302  # no lockout for the owner


def test_many_addresses_on_one_account_cost_the_owner_a_mild_delay_at_most(app, create_user):
    user = create_user("supervisor")
    owner = _client(app, "198.51.100.7")
    with time_machine.travel(START, tick=False) as clock:
        for i in range(25):  # a botnet: one guess a minute, each from another address
            clock.shift(timedelta(minutes=1 if i else 0))
            assert _attempt(_client(app, f"203.0.113.{i}"), user.username).status_code == 401
        waiting = _attempt(owner, user.username, PASSWORD)
        assert waiting.status_code == 429
        assert int(waiting.headers["Retry-After"]) == app.config["LOGIN_ACCOUNT_MAX_DELAY_S"] == 30
        clock.shift(timedelta(seconds=30))
        assert _attempt(owner, user.username, PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_gets_its_own_delay(app, create_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES_PER_IP", 8)
    user = create_user("supervisor")
    guesser = _client(app, "203.0.113.66")
    with time_machine.travel(START, tick=False):
        for i in range(8):
            assert _attempt(guesser, f"ghost{i}").status_code == 401  # a few each: no pair is delayed
        assert _attempt(guesser, user.username, PASSWORD).status_code == 429
        assert _attempt(_client(app, "198.51.100.7"), user.username, PASSWORD).status_code == 302


def test_a_success_from_the_address_resets_its_count(app, create_user):
    user = create_user("supervisor")
    client = _client(app, "198.51.100.7")
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            assert _attempt(client, user.username).status_code == 401
        assert _attempt(client, user.username, PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": client.get("/app/session.json").json["csrf_token"]})
        for _ in range(5):  # free again: without the reset the sixth failure in all would have to wait
            assert _attempt(client, user.username).status_code == 401
        assert _attempt(client, user.username, PASSWORD).status_code == 429  # five since the success


def test_the_throttled_answer_is_the_same_for_unknown_and_known_usernames(app, create_user):
    user = create_user("supervisor")
    answers = []
    with time_machine.travel(START, tick=False):
        for ip, name in (("203.0.113.1", user.username), ("203.0.113.2", "no-such-user")):
            client = _client(app, ip)
            for _ in range(7):
                _attempt(client, name)
            answers.append(_attempt(client, name))
    known, unknown = answers
    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]
    assert _error(known) == _error(unknown) == "登录失败尝试次数过多，请 2 秒后再试。"
    without = [re.sub(r'value="[^"]*"', "", a.text) for a in answers]  # CSRF token and the typed name
    assert without[0] == without[1]


def test_a_long_wait_is_told_in_minutes(app, create_user):
    user = create_user("supervisor")
    client = _client(app, "203.0.113.66")
    with time_machine.travel(START, tick=False) as clock:
        for i in range(13):
            clock.shift(timedelta(minutes=15 if i else 0))
            assert _attempt(client, user.username).status_code == 401
        assert _error(_attempt(client, user.username)) == "登录失败尝试次数过多，请 9 分钟后再试。"  # 512 s


def test_parallel_guesses_each_count(app, create_user, monkeypatch):
    """A burst sent at once must not slip past the count: each attempt sees those reserved before it."""
    monkeypatch.setitem(app.config, "LOGIN_DELAY_BASE_S", 600.0)
    username = create_user("supervisor").username
    for _ in range(4):
        assert _attempt(_client(app, "203.0.113.66"), username).status_code == 401
    clients = [_client(app, "203.0.113.66") for _ in range(8)]
    tokens = [_csrf(c) for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses: list = [None] * len(clients)
    db.session.commit()  # this thread holds no transaction (SQLite: no write lock) while they run

    def guess(i: int) -> None:
        barrier.wait()
        statuses[i] = clients[i].post("/login", data={"username": username, "password": WRONG,
                                                      "csrf_token": tokens[i]}).status_code

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [401] + [429] * 7  # the fifth free failure, then all wait
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 5


def test_delays_follow_the_settings():
    assert [login_guard.delay_s(n, 5, 2, 900) for n in (0, 4, 5, 6, 7, 13, 14, 1000)] == [
        0, 0, 2, 4, 8, 512, 900, 900]
