"""API keys for integrations (issue 13): created by CLI and admin page, used, rate-limited, revoked, listed."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiKey, AuditEntry, Report, Ticket, User
from app.services.accounts import api_keys
from app.services.accounts.users import issue_device_token
from tests.factories import SEAT
from tests.live_server import live_server


def _create(runner, name: str) -> str:
    result = runner.invoke(args=["api-keys", "create", "--name", name])
    assert result.exit_code == 0, result.output
    return result.output.split()[-1]  # the contract: the key is the last word


def _post(client, key: str, **extra):
    return client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "06012", "lat": str(SEAT[0]), "long": str(SEAT[1]),
        "description": "路面纸屑", **extra})


@pytest.fixture
def limit(app):
    saved = app.config["API_KEY_RATE_LIMIT"]
    yield lambda n: app.config.update(API_KEY_RATE_LIMIT=n)
    app.config["API_KEY_RATE_LIMIT"] = saved


def test_a_key_from_the_cli_reads_and_posts_and_each_request_remembers_it(county, runner, client):
    key = _create(runner, "hotline-12345")
    assert key.startswith("xk_") and len(key) > 40
    stored = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "hotline-12345"))
    assert stored.key_hash == api_keys.digest(key) and key not in stored.key_hash  # only the hash is kept
    assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 200
    resp = _post(client, key)
    assert resp.status_code == 201, resp.text
    case_number = resp.json[0]["service_request_id"]
    db.session.expire_all()
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.case_number == case_number))
    report = db.session.scalar(sa.select(Report).where(Report.ticket_id == ticket.id))
    assert report.api_key_id == stored.id
    account = db.session.get(User, report.reporter_id)
    assert account.username == "apikey:hotline-12345" and not account.active  # its own account, no login
    assert stored.last_used_at is not None
    # A key reads what the public would: every ticket, not only its own.
    listed = client.get(f"/open311/v2/requests.json?api_key={key}").json
    assert [r["service_request_id"] for r in listed] == [case_number]


def test_revoked_unknown_and_missing_keys_are_refused_with_403(county, runner, client, app):
    key = _create(runner, "city-app")
    assert client.get(f"/open311/v2/requests.json?api_key={key}").status_code == 200
    result = runner.invoke(args=["api-keys", "revoke", "--name", "city-app"])
    assert result.exit_code == 0 and "revoked" in result.output
    for answer in (client.get(f"/open311/v2/services.json?api_key={key}"),
                   client.get(f"/open311/v2/requests.json?api_key={key}"),
                   client.get(f"/open311/v2/services/09009.xml?api_key={key}"),
                   _post(client, key),
                   _post(client, "xk_" + "A" * 43),  # unknown
                   _post(client, ""),  # missing
                   client.get("/open311/v2/services.json?api_key=nonsense")):
        assert answer.status_code == 403, answer.data
    assert ET_code(client.get(f"/open311/v2/services.xml?api_key={key}").data) == "403"
    app.config["OPEN311_PUBLIC"] = True
    try:  # public reads need no key, but a key that is shown must still be a live one
        assert client.get("/open311/v2/services.json").status_code == 200
        assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 403
    finally:
        app.config["OPEN311_PUBLIC"] = False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def ET_code(xml: bytes) -> str:  # noqa: N802 - reads like the element it returns
    from xml.etree import ElementTree as ET

    return ET.fromstring(xml).find("error/code").text


def test_list_names_and_states_and_names_are_unique(county, runner):
    _create(runner, "b-hotline")
    _create(runner, "a-wechat")
    runner.invoke(args=["api-keys", "revoke", "--name", "b-hotline"])
    lines = runner.invoke(args=["api-keys", "list"]).output.splitlines()
    assert [line.split("\t")[:2][0] for line in lines] == ["a-wechat", "b-hotline"]
    assert lines[0].split("\t")[1] == "active" and lines[1].split("\t")[1].startswith("revoked")
    again = runner.invoke(args=["api-keys", "create", "--name", "b-hotline"])  # revoked names stay taken
    assert again.exit_code != 0 and "已有同名密钥" in again.output  # Chinese, the default language
    bad = runner.invoke(args=["api-keys", "create", "--name", "with space"])
    assert bad.exit_code != 0
    unknown = runner.invoke(args=["api-keys", "revoke", "--name", "nobody"])
    assert unknown.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 2
    assert {e.action for e in db.session.scalars(sa.select(AuditEntry))} == {"api_key.create", "api_key.revoke"}


def test_the_rate_limit_answers_429_with_retry_after_then_lets_the_next_minute_in(county, runner, client, limit):
    limit(3)
    key = _create(runner, "busy")
    other = _create(runner, "quiet")
    answers = [client.get(f"/open311/v2/services.json?api_key={key}") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    refused = _post(client, key)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json[0]["code"] == 429 and refused.json[0]["description"]
    xml = client.get(f"/open311/v2/requests.xml?api_key={key}")
    assert xml.status_code == 429 and ET_code(xml.data) == "429" and xml.headers["Retry-After"]
    assert client.get(f"/open311/v2/services.json?api_key={other}").status_code == 200  # per key
    # The next window: move this one back a minute instead of waiting for it.
    busy = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "busy"))
    busy.window_start -= timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0  # the refused POST made nothing


def test_the_count_is_exact_under_concurrent_requests(county, runner, app, limit):
    limit(10)
    key = _create(runner, "parallel")
    with live_server(app) as base, requests.Session() as http, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: http.get(f"{base}/open311/v2/services.json",
                                                    params={"api_key": key}, timeout=60).status_code, range(24)))
    assert sorted(statuses) == [200] * 10 + [429] * 14


def test_device_tokens_keep_working_and_are_not_rate_limited(client, create_user, limit):
    limit(1)
    token = issue_device_token(create_user("inspector"), "county app")
    db.session.commit()
    for _ in range(3):
        assert client.get(f"/open311/v2/services.json?api_key={token}").status_code == 200
    assert _post(client, token).status_code == 201


def _csrf(client, url="/admin/api-keys") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def test_the_admin_page_creates_shows_once_and_revokes(login, create_user, client):
    admin_client = login(create_user("admin"))
    page = admin_client.get("/admin/api-keys")
    assert page.status_code == 200 and "API" in page.text and 'href="/admin/api-keys"' in page.text
    created = admin_client.post("/admin/api-keys", data={"csrf_token": _csrf(admin_client), "name": "wechat"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    key = re.search(r'<code class="api-key">(xk_[^<]+)</code>', created.text).group(1)
    assert api_keys.authenticate(key) is not None
    again = admin_client.get("/admin/api-keys")
    assert "wechat" in again.text and key not in again.text  # shown once
    assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 200
    without_csrf = admin_client.post("/admin/api-keys/revoke", data={"name": "wechat"})
    assert without_csrf.status_code in (400, 403)
    assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 200
    revoked = admin_client.post("/admin/api-keys/revoke", data={"csrf_token": _csrf(admin_client), "name": "wechat"})
    assert revoked.status_code == 302
    assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 403
    taken = admin_client.post("/admin/api-keys", data={"csrf_token": _csrf(admin_client), "name": "wechat"},
                              follow_redirects=True)
    assert "xk_" not in taken.text and db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 1


def test_a_keys_account_cannot_be_enabled_or_given_a_password(login, create_user, runner):
    _create(runner, "hotline")
    account = db.session.scalar(sa.select(User).where(User.username == "apikey:hotline"))
    account_id = account.id
    db.session.rollback()
    admin_client = login(create_user("admin"))
    enable = admin_client.post(f"/admin/users/{account_id}", data={
        "csrf_token": _csrf(admin_client), "role": "inspector", "display_name": "x", "active": "on"},
        follow_redirects=True)
    password = admin_client.post(f"/admin/users/{account_id}/password", data={
        "csrf_token": _csrf(admin_client), "password": "An0ther-pass"}, follow_redirects=True)
    refused = "此账号属于一个 API 密钥"  # in Chinese, the default language
    assert refused in enable.text and refused in password.text
    db.session.expire_all()
    account = db.session.get(User, account_id)
    assert not account.active and account.display_name == "hotline"
    assert not db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("user.%"))).all()
