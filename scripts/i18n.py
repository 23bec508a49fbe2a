"""Update the translation catalogues: extract strings, merge them into zh_Hans_CN, compile.

    python scripts/i18n.py                      # extract + update + compile + the PWA's words; lists untranslated
    python scripts/i18n.py --fill zh.json       # also set translations from a {"English": "中文"} file
    python scripts/i18n.py --pwa                # only regenerate static/pwa/js/i18n-messages.js from the catalogue
    python scripts/i18n.py --import-pwa-table   # move a hand-written MESSAGES table out of static/pwa/js/i18n.js

The PWA's words live in the same catalogue (docs/decisions/0016-one-catalogue-of-words.md):
static/pwa/i18n/strings.json gives each key its English text (the msgid); the Chinese is the msgstr.
--import-pwa-table adds a table's keys to strings.json and its Chinese to the catalogue (where the catalogue
already translates that English, the catalogue wins and the difference is printed), then removes the table.

A lock file serialises concurrent runs, so two people updating at once do not lose entries.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import escape, read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import babel_pwa  # noqa: E402  (the repository root is on the path only from here on)

TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def run(*args: str) -> None:
    # PYTHONPATH: babel.cfg names the PWA extractor as scripts.babel_pwa:extract.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=env)


def read_catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh_Hans_CN")


def write_pwa_module() -> list[str]:
    """Regenerate the PWA's dictionary; the problems (untranslated keys, placeholder mismatches) if any."""
    try:
        messages = babel_pwa.build_messages(babel_pwa.load_strings(), read_catalog())
    except babel_pwa.CatalogueError as error:
        return str(error).splitlines()
    babel_pwa.MODULE.write_text(babel_pwa.render_module(messages), encoding="utf-8")
    return []


def import_pwa_table() -> list[str]:
    """Move i18n.js's MESSAGES table into strings.json and the catalogue; what needs a person's eye.

    New msgids are appended at the end of messages.po (as a person would add them), so entries others
    append meanwhile are not lost to a rewrite of the whole file.
    """
    source = babel_pwa.I18N_JS.read_text(encoding="utf-8")
    table = babel_pwa.read_table(source)
    if not table:
        print("i18n.js has no MESSAGES table: nothing to import")
        return []
    chinese, english = table["zh-CN"], table["en"]
    half = sorted(set(chinese) ^ set(english))
    if half:
        raise SystemExit("i18n.js: these keys are not in both languages: " + ", ".join(half))
    notes = []
    strings = babel_pwa.load_strings() if babel_pwa.STRINGS.exists() else {}
    catalog = read_catalog()
    new: dict[str, tuple[str, list[str]]] = {}  # English → (Chinese, keys)
    for key, text in english.items():
        if strings.get(key, text) != text:
            notes.append(f"changed English: {key}: {strings[key]!r} → {text!r}")
        strings[key] = text
        known = catalog.get(text)
        if known is not None:
            if not known.string:
                notes.append(f"{key}: {text!r} is in the catalogue untranslated: translate it there ({chinese[key]!r})")
            elif known.string != chinese[key]:
                notes.append(f"{key}: the catalogue's {known.string!r} for {text!r} wins over {chinese[key]!r}")
        elif text in new:
            if new[text][0] != chinese[key]:
                notes.append(f"{key}: same English {text!r}, keeping {new[text][0]!r}, not {chinese[key]!r}")
            new[text][1].append(key)
        else:
            new[text] = (chinese[key], [key])
    babel_pwa.STRINGS.parent.mkdir(parents=True, exist_ok=True)
    babel_pwa.STRINGS.write_text(json.dumps(strings, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if new:
        with PO.open("a", encoding="utf-8") as po:
            for text, (zh, keys) in new.items():
                po.write(f"\n#. PWA: {', '.join(keys)}\nmsgid {escape(text)}\nmsgstr {escape(zh)}\n")
    babel_pwa.I18N_JS.write_text(babel_pwa.strip_table(source), encoding="utf-8")
    print(f"imported {len(english)} keys from i18n.js ({len(new)} new msgids appended to messages.po)")
    return notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fill", type=Path, help="JSON object of English msgid → Chinese translation")
    parser.add_argument("--pwa", action="store_true", help="only regenerate the PWA's dictionary")
    parser.add_argument("--import-pwa-table", action="store_true",
                        help="move a MESSAGES table in static/pwa/js/i18n.js into the catalogue")
    args = parser.parse_args()
    with open(TRANSLATIONS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if args.pwa:
            problems = write_pwa_module()
            for problem in problems:
                print(problem)
            return 1 if problems else 0
        if args.import_pwa_table:
            for note in import_pwa_table():
                print(note)
            run("compile", "-d", str(TRANSLATIONS))
            problems = write_pwa_module()
            for problem in problems:
                print(f"PWA: {problem}")
            return 1 if problems else 0
        run("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(POT), ".")
        run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh_Hans_CN", "--no-fuzzy-matching",
            "--ignore-obsolete")
        catalog = read_catalog()
        fills = json.loads(args.fill.read_text(encoding="utf-8")) if args.fill else {}
        missing = []
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in fills:
                message.string = fills[key]
            if not message.string:
                missing.append(key)
        with PO.open("wb") as f:
            write_po(f, catalog, width=120, omit_header=False, no_location=True)
        run("compile", "-d", str(TRANSLATIONS))
        problems = write_pwa_module()
    for key in missing:
        print(f"untranslated: {key}")
    for problem in problems:
        print(f"PWA: {problem}")
    return 1 if missing or problems else 0


if __name__ == "__main__":
    sys.exit(main())
