"""What text the product accepts: strings both databases can store and every export can carry.

One definition for every door (pages, forms, the JSON API, the sync protocol, Open311): a NUL
fails on PostgreSQL, a lone surrogate cannot be encoded as UTF-8 at all, and other C0 control
characters break XML 1.0 and spreadsheets. Tab, line feed and carriage return are ordinary text.
"""
from __future__ import annotations

import re

# C0 controls but \t \n \r, DEL, and UTF-16 surrogates (only lone ones can reach a Python str).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text ("nul", "surrogate", "control"), or None if it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "nul"
    if "\ud800" <= char <= "\udfff":
        return "surrogate"
    return "control"


def is_storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def strip_unstorable(value: str) -> str:
    """`value` without the characters `text_problem` names (for output that must never fail)."""
    return _UNSTORABLE.sub("", value)
