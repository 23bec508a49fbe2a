"""Update the translation catalogues: extract strings, merge them into zh_Hans_CN, compile.

    python scripts/i18n.py                   # extract + update + compile; lists untranslated strings
    python scripts/i18n.py --fill zh.json    # also set translations from a {"English": "中文"} file

A lock file serialises concurrent runs, so two people updating at once do not lose entries.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fill", type=Path, help="JSON object of English msgid → Chinese translation")
    args = parser.parse_args()
    with open(TRANSLATIONS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(POT), ".")
        run("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", "zh_Hans_CN", "--no-fuzzy-matching",
            "--ignore-obsolete")
        with PO.open("rb") as f:
            catalog = read_po(f, locale="zh_Hans_CN")
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
    for key in missing:
        print(f"untranslated: {key}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
