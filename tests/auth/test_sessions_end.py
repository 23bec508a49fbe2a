"""Sessions end on the server: a saved cookie is refused after logout, after an admin resets the
password or disables the account, and after the idle and absolute lifetimes (issue 12).
Device tokens are minted only from a password login, never with a bearer token.
"""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import DeviceToken, User, UserSession
from app.services.accounts import users
from app.timeutil import now_utc
from tests.factories import PASSWORD


def _log_in(app, user, password: str = PASSWORD):
    """A new browser, logged in through the real form."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
    resp = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.text
    return client


def _session_csrf(client) -> str:
    """The CSRF token as the PWA reads it."""
    body = client.get("/app/session.json").get_json()
    assert body["authenticated"], body
    return body["csrf_token"]


def _replay(app, cookie: str):
    """Another browser sending a saved session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def _works(client) -> bool:
    answer = client.get("/api/v1/tickets")
    assert answer.status_code in (200, 401), answer.status_code
    return answer.status_code == 200


def test_a_cookie_replayed_after_logout_is_refused(app, create_user):
    client = _log_in(app, create_user("supervisor"))
    saved = client.get_cookie("session").value
    assert _works(_replay(app, saved))
    assert client.post("/logout", data={"csrf_token": _session_csrf(client)}).status_code == 302
    assert not _works(client)
    replayed = _replay(app, saved)
    assert not _works(replayed)
    assert replayed.get("/app/session.json").get_json() == {"authenticated": False}
    assert replayed.get("/tickets").status_code == 302  # pages send it to the login form
    row = db.session.scalar(sa.select(UserSession))
    assert row.ended_at is not None and row.end_reason == "logout"


def test_logout_ends_only_that_session(app, create_user):
    user = create_user("supervisor")
    office, home = _log_in(app, user), _log_in(app, user)
    office.post("/logout", data={"csrf_token": _session_csrf(office)})
    assert not _works(office) and _works(home)


def test_the_cookie_holds_a_secret_the_database_keeps_only_a_hash_of(app, create_user):
    client = _log_in(app, create_user("supervisor"))
    with client.session_transaction() as session:
        secret = session["_sid"]
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    stored = db.session.scalar(sa.select(UserSession.id))
    assert stored != secret and len(stored) == 64


def test_a_forged_session_without_a_live_row_is_refused(app, create_user):
    """Knowing the user id (and even the signing key) is not enough: the session row must exist."""
    user = create_user("supervisor")
    client = _log_in(app, user)
    with client.session_transaction() as session:
        session["_sid"] = "0" * 64
    assert not _works(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session  # the answer dropped the dead login from the cookie


def test_an_admin_password_reset_ends_the_users_sessions_and_devices(app, create_user, api):
    admin_user, user = create_user("admin"), create_user("inspector")
    browser, phone = _log_in(app, user), api(user)
    saved = browser.get_cookie("session").value
    admin = _log_in(app, admin_user)
    resp = admin.post(f"/admin/users/{user.id}/password",
                      data={"password": "New-pass-456", "csrf_token": _session_csrf(admin)})
    assert resp.status_code == 302
    assert not _works(browser) and not _works(_replay(app, saved))
    assert phone.get("/api/v1/tickets").status_code == 401
    assert _works(admin)  # the admin's own session is another user's: untouched
    assert _works(_log_in(app, user, "New-pass-456"))


def test_disabling_ends_the_sessions_and_re_enabling_does_not_bring_them_back(app, create_user, api):
    admin_user, user = create_user("admin"), create_user("inspector")
    browser, phone = _log_in(app, user), api(user)
    admin = _log_in(app, admin_user)

    def save(active: bool):
        data = {"role": "inspector", "display_name": user.username, "email": "", "csrf_token": _session_csrf(admin)}
        if active:
            data["active"] = "on"
        assert admin.post(f"/admin/users/{user.id}", data=data).status_code == 302

    save(active=False)
    assert not _works(browser) and phone.get("/api/v1/tickets").status_code == 401
    save(active=True)
    assert not _works(browser) and phone.get("/api/v1/tickets").status_code == 401  # still ended
    assert _works(_log_in(app, user))


def test_a_disabled_users_session_stops_at_once_whoever_disabled_it(app, create_user):
    user = create_user("inspector")
    browser = _log_in(app, user)
    db.session.get(User, user.id).active = False  # e.g. `flask users disable`
    db.session.commit()
    assert not _works(browser)


def test_set_password_signs_out_everywhere(app, create_user, api):
    user = create_user("inspector")
    browser, phone = _log_in(app, user), api(user)
    users.set_password(db.session.get(User, user.id), "Other-pass-789")
    db.session.commit()
    assert not _works(browser) and phone.get("/api/v1/tickets").status_code == 401


def test_an_idle_session_ends_and_use_keeps_it_alive(app, create_user):
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    assert timedelta(hours=1) <= idle <= timedelta(hours=8)
    user = create_user("supervisor")
    with time_machine.travel(now_utc(), tick=False) as clock:
        used, left = _log_in(app, user), _log_in(app, user)
        for _ in range(3):
            clock.shift(idle - timedelta(minutes=10))
            assert _works(used)  # each use restarts the idle clock
        assert not _works(left)  # unused for longer than the idle lifetime


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, create_user):
    absolute = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    assert timedelta(hours=8) <= absolute <= timedelta(hours=24)
    user = create_user("supervisor")
    with time_machine.travel(now_utc(), tick=False) as clock:
        client = _log_in(app, user)
        started = now_utc()
        while now_utc() + timedelta(hours=1) < started + absolute:
            clock.shift(timedelta(hours=1))
            assert _works(client)
        clock.shift(timedelta(hours=1))
        assert not _works(client)


def test_a_write_refreshes_last_seen_at_a_read_does_not_write(app, create_user):
    user = create_user("supervisor")
    with time_machine.travel(now_utc(), tick=False) as clock:
        client = _log_in(app, user)
        created = db.session.scalar(sa.select(UserSession.last_seen_at))
        clock.shift(timedelta(minutes=30))
        assert _works(client)
        db.session.expire_all()
        assert db.session.scalar(sa.select(UserSession.last_seen_at)) == created
        assert client.post("/notifications/read", data={"csrf_token": _session_csrf(client)}).status_code == 302
        db.session.expire_all()
        assert db.session.scalar(sa.select(UserSession.last_seen_at)) == now_utc()


def test_logging_in_starts_a_fresh_cookie(app, client, create_user):
    user = create_user("supervisor")
    client.get("/login?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    with client.session_transaction() as session:
        assert "planted" not in session and session["lang"] == "en"
        assert session.get("csrf_token") != token  # nothing from before the login carries over


# --- device tokens only from a password login --------------------------------------------------

def test_a_bearer_token_cannot_mint_another(api, create_user):
    phone = api(create_user("inspector"))
    resp = phone.post("/api/v1/device-tokens", json={"label": "more"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "password_login_required"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeviceToken)) == 1


def test_a_bearer_token_beside_a_session_cookie_cannot_mint_either(app, api, create_user):
    user = create_user("inspector")
    browser, phone = _log_in(app, user), api(user)
    resp = browser.post("/api/v1/device-tokens", json={"label": "more"},
                        headers={"Authorization": f"Bearer {phone.token}", "X-CSRFToken": _session_csrf(browser)})
    assert resp.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeviceToken)) == 1


def test_a_password_login_mints_a_device_token(app, create_user):
    browser = _log_in(app, create_user("inspector"))
    resp = browser.post("/api/v1/device-tokens", json={"label": "PWA"}, headers={"X-CSRFToken": _session_csrf(browser)})
    assert resp.status_code == 201
    assert app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {resp.json['token']}"}
                                 ).status_code == 200


def test_an_ended_session_cannot_mint_a_device_token(app, create_user):
    browser = _log_in(app, create_user("inspector"))
    saved, csrf = browser.get_cookie("session").value, _session_csrf(browser)
    browser.post("/logout", data={"csrf_token": csrf})
    resp = _replay(app, saved).post("/api/v1/device-tokens", json={}, headers={"X-CSRFToken": csrf})
    assert resp.status_code == 401
