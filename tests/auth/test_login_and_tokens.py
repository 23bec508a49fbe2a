"""Login, logout, CSRF on forms, hashed passwords, device tokens (issue 2, point 5).

Throttling and timing: test_login_timing_and_throttle.py; sessions ending: test_sessions_end.py."""
import re

import pytest

from app.extensions import db
from app.models import DeviceToken, User
from tests.factories import PASSWORD


def _csrf(client, url="/login") -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).text).group(1)


def test_passwords_are_stored_hashed_with_a_strong_method(create_user):
    user = create_user("inspector")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")  # the test config; production uses scrypt N=2^17


def test_production_hash_cost_meets_owasp():
    from app.config import Config

    method, n, *_ = Config.PASSWORD_HASH_METHOD.split(":")
    assert method == "scrypt" and int(n) >= 2**17


def test_login_with_the_right_password_redirects_home(client, create_user):
    user = create_user("supervisor")
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": _csrf(client)})
    assert resp.status_code == 302
    assert client.get("/api/v1/tickets").status_code == 200  # the session cookie works for reads


def test_wrong_password_is_refused_without_saying_which_part(client, create_user):
    user = create_user("supervisor")
    resp = client.post("/login", data={"username": user.username, "password": "nope-nope-1",
                                       "csrf_token": _csrf(client)})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.text
    unknown = client.post("/login", data={"username": "ghost", "password": "nope-nope-1",
                                          "csrf_token": _csrf(client)})
    assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text


def test_disabled_user_cannot_log_in(client, create_user):
    user = create_user("department", "CGZF", active=False)
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": _csrf(client)})
    assert resp.status_code == 403
    assert "已停用" in resp.text


def test_login_without_csrf_token_is_refused(client, create_user):
    user = create_user("supervisor")
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert resp.status_code in (400, 403)
    assert client.get("/api/v1/tickets").status_code == 401


def test_logout_needs_csrf_and_ends_the_session(login, create_user):
    client = login(create_user("supervisor"))
    assert client.post("/logout").status_code == 403  # no token: refused
    assert client.get("/api/v1/tickets").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tickets").text).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/tickets").status_code == 401


def test_login_next_only_follows_local_paths(client, create_user):
    user = create_user("supervisor")
    resp = client.post("/login?next=https://evil.example/x", data={
        "username": user.username, "password": PASSWORD, "csrf_token": _csrf(client)})
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]


def test_pages_redirect_anonymous_users_to_login(client, county):
    resp = client.get("/tickets")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_device_token_from_a_session_then_used_as_bearer(login, create_user, app):
    client = login(create_user("inspector"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tickets").text).group(1)
    resp = client.post("/api/v1/device-tokens", json={"label": "phone"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 201
    device_token = resp.json["token"]
    stored = db.session.query(DeviceToken).one()
    assert device_token not in stored.token_hash  # only a hash is kept
    fresh = app.test_client()  # no cookies: the token alone authenticates
    assert fresh.get("/api/v1/tickets", headers={"Authorization": f"Bearer {device_token}"}).status_code == 200


def test_revoked_token_is_refused(api, create_user):
    client = api(create_user("inspector"))
    assert client.get("/api/v1/tickets").status_code == 200
    assert client.delete("/api/v1/device-tokens/current").status_code == 204
    resp = client.get("/api/v1/tickets")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "invalid_token"


def test_disabled_users_tokens_stop_working(api, create_user):
    user = create_user("inspector")
    client = api(user)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/api/v1/tickets").status_code == 401


@pytest.mark.parametrize("header", ["Bearer ", "Bearer not-a-token", "Bearer xc_" + "a" * 43])
def test_bad_tokens_are_refused(client, county, header):
    resp = client.get("/api/v1/tickets", headers={"Authorization": header})
    assert resp.status_code == 401


@pytest.mark.parametrize("password", ["short1!", "allletters", "1234567890", "aaaa1111"])
def test_weak_passwords_are_refused(create_user, password):
    from app.errors import ValidationFailed
    from app.services.accounts.users import create_user as make

    with pytest.raises(ValidationFailed):
        make("someone", password, "inspector")


def test_department_user_needs_a_department(county):
    from app.errors import ValidationFailed
    from app.services.accounts.users import create_user as make

    with pytest.raises(ValidationFailed):
        make("dept", PASSWORD, "department")


def test_security_headers_are_set(client, county):
    resp = client.get("/login")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite(client, create_user):
    user = create_user("supervisor")
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": _csrf(client)})
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _attempt(client, username, password):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(client)})


def test_behind_a_trusted_proxy_the_client_address_counts(create_user):
    from app import create_app
    from app.config import TestConfig

    class ProxiedConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = db.engine.url.render_as_string(hide_password=False)
        TRUSTED_PROXIES = 1
        LOGIN_FREE_FAILURES_PER_IP = 3

    proxied = create_app(ProxiedConfig)
    client = proxied.test_client()
    username = create_user("supervisor").username
    db.session.commit()  # end this session's transaction: the second app writes through its own engine
    with proxied.app_context():
        for i in range(3):
            client.post("/login", data={"username": f"ghost{i}", "password": "wrong-pass-1",
                                        "csrf_token": _csrf(client)}, headers={"X-Forwarded-For": "203.0.113.9"})
        other_address = client.post("/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": _csrf(client)},
                                    headers={"X-Forwarded-For": "198.51.100.7"})
        assert other_address.status_code == 302
        from app.models import LoginAttempt

        assert {a.ip for a in db.session.query(LoginAttempt)} == {"203.0.113.9", "198.51.100.7"}
        db.session.remove()
        db.engine.dispose()  # the second app's own pool: no connection left for the garbage collector


@pytest.mark.parametrize(("tile_url", "allowed"), [
    ("", "img-src 'self' data: blob:;"),
    ("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}", "img-src 'self' data: blob: https://*.tianditu.gov.cn;"),
])
def test_csp_allows_images_from_the_configured_tile_server_only(tile_url, allowed):
    from app.security import content_security_policy

    policy = content_security_policy(tile_url) + ";"
    assert allowed in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
