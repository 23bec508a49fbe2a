"""The PWA's words come from the server's catalogue (docs/decisions/0016-one-catalogue-of-words.md).

static/pwa/i18n/strings.json (key → English) + messages.po (English → Chinese) → js/i18n-messages.js.
These tests fail when a key is missing or untranslated, when the JavaScript or the shell uses a key the
source does not have, when the generated file is stale, or when a hand-written table comes back.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch

from app.labels import ACTION_LABELS, STATUS_LABELS
from app.models import TicketStatus

REPO = Path(__file__).resolve().parents[2]
PWA = REPO / "static" / "pwa"
PO = REPO / "app" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _load_babel_pwa():
    spec = importlib.util.spec_from_file_location("scripts.babel_pwa", REPO / "scripts" / "babel_pwa.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scripts.babel_pwa", module)
    spec.loader.exec_module(module)
    return module


babel_pwa = _load_babel_pwa()


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh_Hans_CN")


@pytest.fixture(scope="module")
def strings():
    return babel_pwa.load_strings()


def generated() -> dict[str, dict[str, str]]:
    text = babel_pwa.MODULE.read_text(encoding="utf-8")
    assert text.startswith(babel_pwa.GENERATED_HEAD)
    return json.loads(text[len(babel_pwa.GENERATED_HEAD):].rstrip().removesuffix(";"))


def javascript_sources() -> dict[Path, str]:
    files = [path for path in (PWA / "js").rglob("*.js") if path != babel_pwa.MODULE]
    return {path: path.read_text(encoding="utf-8") for path in [*files, PWA / "index.html"]}


def test_every_key_has_english_and_chinese_with_the_same_placeholders(strings, catalog):
    messages = babel_pwa.build_messages(strings, catalog)  # raises on an untranslated or mismatched key
    assert set(messages["zh-CN"]) == set(messages["en"]) == set(strings)
    chinese_in_english = {key: text for key, text in strings.items() if CJK.search(text)}
    assert not chinese_in_english, "English texts must be English"
    # An untranslated entry copied over: Chinese text without any Chinese (units like "{mb} MB" excepted).
    copied = {key: text for key, text in messages["zh-CN"].items()
              if not CJK.search(text) and re.search(r"[a-z]{3}", babel_pwa.PLACEHOLDER.sub("", text))}
    assert not copied


def test_a_missing_untranslated_or_mismatched_key_is_reported():
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Sent {n}", "已发送 {m}")
    catalog.add("Waiting", "")
    catalog.add("Fuzzy", "模糊", flags=["fuzzy"])
    for strings, problem in [({"new.key": "Nobody has this"}, "new.key: no Chinese"),
                             ({"w": "Waiting"}, "w: no Chinese"), ({"f": "Fuzzy"}, "f: no Chinese"),
                             ({"s": "Sent {n}"}, "s: placeholders differ")]:
        with pytest.raises(babel_pwa.CatalogueError, match=problem):
            babel_pwa.build_messages(strings, catalog)
    catalog.add("Done {n}", "完成 {n}")
    assert babel_pwa.build_messages({"d": "Done {n}"}, catalog) == {"zh-CN": {"d": "完成 {n}"}, "en": {"d": "Done {n}"}}


def test_the_generated_dictionary_is_the_catalogue_now(strings, catalog):
    expected = babel_pwa.render_module(babel_pwa.build_messages(strings, catalog))
    assert babel_pwa.MODULE.read_text(encoding="utf-8") == expected, \
        "stale: run `.venv/bin/python scripts/i18n.py --pwa` and commit static/pwa/js/i18n-messages.js"


def test_statuses_actions_and_events_have_the_servers_words(strings, catalog):
    for status in TicketStatus:
        key = f"status.{status.value}"
        assert strings[key] == STATUS_LABELS[status.value]._args[0]  # the server's own msgid
    assert generated()["zh-CN"]["status.assigned"] == catalog.get("Assigned").string == "已派遣"
    assert generated()["zh-CN"]["status.in_progress"] == "整改中"
    assert generated()["zh-CN"]["status.resolved"] == "已办结"
    for action in ("close", "reopen"):  # what the phone queues (re-inspection)
        assert strings[f"action.{action}"] == ACTION_LABELS[action]._args[0]
    for action, label in ACTION_LABELS.items():  # a ticket's history on the phone, in the desk's words
        assert strings[f"event.{action}"] == label._args[0]


def test_babel_extracts_every_pwa_string_so_updates_keep_them(strings):
    with (REPO / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    relative = babel_pwa.STRINGS.relative_to(REPO).as_posix()
    method = next(method for pattern, method in method_map if pathmatch(pattern, relative))
    assert method == "scripts.babel_pwa:extract"
    extracted = {message for _, message, _, _ in extract_from_file(babel_pwa.extract, babel_pwa.STRINGS)}
    assert extracted == set(strings.values())


def keys_not_in(strings: dict[str, str], sources: dict[str, str]) -> set[str]:
    """Keys the sources use that `strings` lacks: t('a.b') / toast / say / has calls, other key-like
    literals in a namespace the PWA uses, data-i18n attributes, and `prefix.${code}` with no key under it."""
    namespaces = sorted({key.split(".")[0] for key in strings} | {"detail", "event", "field"}, key=len, reverse=True)
    names = "|".join(namespaces)
    call = re.compile(r"""\b(?:t|toast|say|has)\(\s*(['"])([\w.]+)\1""")
    literal = re.compile(r"""(['"`])((?:""" + names + r""")\.[a-z_0-9]+(?:\.[a-z_0-9]+)*)\1""")
    attribute = re.compile(r"""data-i18n(?:-placeholder)?=["']([^"']+)["']""")
    prefix = re.compile(r"`((?:" + names + r")\.[a-z_0-9.]*)\$\{")
    call_prefix = re.compile(r"\b(?:t|toast|say|has)\(\s*`([\w.]+\.)\$\{")
    known = {*strings, "lang.switch"}  # the switch names the other language in itself (i18n.js)
    unknown = set()
    for name, source in sources.items():
        used = {m.group(2) for m in call.finditer(source)} | {m.group(2) for m in literal.finditer(source)}
        if not name.endswith("js/i18n.js"):  # its header explains data-i18n="key"
            used |= set(attribute.findall(source))
        unknown |= {f"{name}: {key}" for key in used - known}
        prefixes = set(prefix.findall(source)) | set(call_prefix.findall(source))
        unknown |= {f"{name}: {p}*" for p in prefixes if not any(key.startswith(p) for key in strings)}
    return unknown


def test_the_javascript_and_the_shell_use_only_keys_the_source_has(strings):
    sources = {path.relative_to(PWA).as_posix(): source for path, source in javascript_sources().items()}
    assert not keys_not_in(strings, sources)


def test_a_key_the_source_lacks_is_found():
    strings = {"capture.save": "Save", "status.closed": "Closed"}
    sources = {"js/a.js": "say('net.synced'); t(\"capture.save\"); const k = 'capture.gone'; t(`status.${s}`);",
               "js/b.js": "t(`reports.${x}`); toast('brand.new', {});",
               "index.html": '<b data-i18n="capture.save"></b><i data-i18n-placeholder="capture.hint"></i>'}
    assert keys_not_in(strings, sources) == {"js/a.js: net.synced", "js/a.js: capture.gone", "js/b.js: reports.*",
                                             "js/b.js: brand.new", "index.html: capture.hint"}


def test_no_hand_written_table_is_back_in_i18n_js():
    source = babel_pwa.I18N_JS.read_text(encoding="utf-8")
    assert babel_pwa.read_table(source) == {}, "run `.venv/bin/python scripts/i18n.py --import-pwa-table`"
    entries = re.findall(r"""^\s*['"]?[\w.-]+['"]?\s*:\s*['"][^'"]+['"],?\s*$""", source, re.M)
    assert not entries, "strings belong in static/pwa/i18n/strings.json"
    assert "import MESSAGES from './i18n-messages.js'" in source


def test_the_table_importer_reads_a_table_and_leaves_the_rest(tmp_path):
    source = ("// head\nimport MESSAGES from './i18n-messages.js';\nconst MESSAGES = {\n  'zh-CN': {\n"
              "    'a.b': '甲 {n}',\n    'a.c': '乙\\'s',\n  },\n  en: {\n    'a.b': 'A {n}',\n"
              "    'a.c': \"B's\",\n  },\n};\nexport function t() {}\n")
    assert babel_pwa.read_table(source) == {"zh-CN": {"a.b": "甲 {n}", "a.c": "乙's"},
                                            "en": {"a.b": "A {n}", "a.c": "B's"}}
    kept = "// head\nimport MESSAGES from './i18n-messages.js';\nexport function t() {}\n"
    assert babel_pwa.strip_table(source) == kept
    with pytest.raises(babel_pwa.CatalogueError, match="cannot read"):
        babel_pwa.read_table("const MESSAGES = {\n  en: {\n    'a': `x${y}`,\n  },\n};\n")


def test_the_words_are_cached_with_the_shell_and_preloaded(client):
    body = client.get("/app/sw.js").text
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);\n", body).group(1))
    assert "/static/pwa/js/i18n-messages.js" in precache  # offline from the first install
    shell = client.get("/app/").text
    assert '<link rel="modulepreload" href="/static/pwa/js/i18n-messages.js">' in shell
