"""Pages render in Chinese by default and in English on request, with every string translated."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "app" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_a_chinese_translation():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_login_page_in_chinese_and_english(client, county):
    zh = client.get("/login").text
    assert 'lang="zh-CN"' in zh and "登录巡查系统" in zh and "用户名" in zh
    en = client.get("/login?lang=en").text
    assert 'lang="en"' in en and "Log in to Xuncha" in en and "Username" in en
    assert "Log in to Xuncha" in client.get("/login").text  # the choice sticks to the session
    assert "登录巡查系统" in client.get("/login?lang=zh_CN").text


@pytest.mark.parametrize(("lang", "expected"), [("zh_CN", ["工单", "问题类别", "办理时限"]),
                                                ("en", ["Tickets", "Category", "Deadline"])])
def test_ticket_list_and_detail_render(login, create_user, ticket_in, lang, expected):
    ticket = ticket_in("in_progress")
    client = login(create_user("supervisor"))
    listing = client.get(f"/tickets?lang={lang}")
    assert listing.status_code == 200
    assert ticket.case_number in listing.text
    for word in expected:
        assert word in listing.text
    detail = client.get(f"/tickets/{ticket.id}")
    assert detail.status_code == 200
    assert ticket.case_number in detail.text
    assert ("处理记录" if lang == "zh_CN" else "History") in detail.text


def test_times_are_shown_in_asia_shanghai(login, create_user, ticket_in):
    from app.timeutil import to_local

    ticket = ticket_in("assigned")
    page = login(create_user("supervisor")).get(f"/tickets/{ticket.id}").text
    assert to_local(ticket.received_at).strftime("%Y-%m-%d %H:%M") in page
    assert to_local(ticket.received_at).utcoffset().total_seconds() == 8 * 3600


def test_unknown_page_is_a_readable_404(login, create_user, county):
    resp = login(create_user("supervisor")).get("/tickets/424242")
    assert resp.status_code == 404
    assert "未找到该工单" in resp.text


def test_the_login_redirect_message_is_translated(client, county):
    page = client.get("/tickets", follow_redirects=True)
    assert "请先登录" in page.text and "Please log in" not in page.text
