"""A visit's refusals read as sentences in the page's language (static/pwa/js/ui/visit-words.js): a code
this app version does not know gets a plain general sentence, never the wire's field name or code,
nor the server's own message (which may be in the other language)."""
from __future__ import annotations

import json

import pytest

from tests.browser.conftest import settled

pytestmark = pytest.mark.browser

VISIT = {"pointCode": "P-1", "results": [{"itemCode": "WS-01"}, {"itemCode": "WS-02"}],
         "items": [{"code": "WS-01", "text_zh": "地面无垃圾", "text_en": "No litter on the ground"},
                   {"code": "WS-02", "text_zh": "墙面无乱贴", "text_en": "No flyers on the walls"}]}
UNKNOWN_AT_ITEM = {"code": "frobnicated_value", "field": "results[1].weird_field", "message": "raw server words"}
UNKNOWN_ALONE = {"code": "frobnicated_value", "field": "started_at_secret", "message": "raw server words"}
KNOWN_WITH_FIELD = {"code": "too_long", "field": "note", "message": "raw server words"}
RAW = ("frobnicated", "weird_field", "started_at_secret", "raw server words", "results[")


def described(page, error: dict) -> str:
    return page.evaluate(f"import('/static/pwa/js/ui/visit-words.js')"
                         f".then((words) => words.describeError({json.dumps(error)}, {json.dumps(VISIT)}))")


def test_unknown_refusals_read_as_a_plain_sentence_in_both_languages(phone, create_user):
    phone.log_in(settled(lambda: create_user("inspector").username))
    page = phone.page
    phone.open("outbox")
    zh = [described(page, error) for error in (UNKNOWN_AT_ITEM, UNKNOWN_ALONE, KNOWN_WITH_FIELD)]
    assert zh == ["2. 墙面无乱贴：服务器未接受此项结果，请检查", "服务器未接受此次测评：请检查后重新发送。",
                  "备注：内容过长"]  # a known code keeps its field's word
    page.click("[data-action=lang]")  # English
    en = [described(page, error) for error in (UNKNOWN_AT_ITEM, UNKNOWN_ALONE, KNOWN_WITH_FIELD)]
    assert en[0] == "2. No flyers on the walls: the server did not accept this answer: check it"
    assert en[1] == "The server did not accept this visit: check it, then send it again."
    assert en[2] == "Note: too long"
    for text in zh + en:
        assert not any(raw in text for raw in RAW), text
    assert phone.errors == []
