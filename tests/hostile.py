"""Hostile input values: one shared corpus for the tests that check that no input gives a 5xx.

Every value belongs to a class (the kind of trouble it is), so a fuzzing test can send every class
to every parameter at least once without the whole cross product. A value has two shapes:

- `json`: its JSON text, to splice into a body (5,000-deep nesting need not exist as a Python
  object, and NaN/Infinity are the bare tokens Python's parser accepts);
- `form`: the strings to send as a query-string or form value (several: the field repeated, which
  is how an array reaches `request.args`). Encode them with `quote_value`: a lone surrogate cannot
  be UTF-8, so it goes as the bytes a careless client would send (CESU), which the server decodes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

DEPTH = 5000


@dataclass(frozen=True)
class Hostile:
    name: str  # short label for failure messages
    kind: str  # its class
    json: str  # the value as JSON text
    form: tuple[str, ...]  # as query-string or form values; empty: not sent in that shape

    def __repr__(self) -> str:  # failure messages stay short and printable (no 10k strings, no NUL)
        return self.name


def _value(name: str, kind: str, value, form=None) -> Hostile:
    if form is None:
        form = (value if isinstance(value, str) else json.dumps(value),)
    return Hostile(name, kind, json.dumps(value), tuple(form))


def _raw(name: str, kind: str, json_text: str, form: tuple[str, ...]) -> Hostile:
    return Hostile(name, kind, json_text, form)


_C0 = [_value(f"C0 {code:#04x}", "control", chr(code)) for code in range(1, 0x20)]
_C0 += [_value("DEL", "control", "\x7f"), _value("text+ESC", "control", "ab\x1bc"),
        _value("C1 0x85", "control", "\x85")]

CORPUS: tuple[Hostile, ...] = (
    # text no database can store or no encoder can carry
    _value("NUL", "nul", "\x00"),
    _value("text+NUL", "nul", "abc\x00def"),
    _value("lone high surrogate", "surrogate", "\ud83d"),
    _value("lone low surrogate", "surrogate", "a\udfffb"),
    *_C0,
    # text that is storable but tricky to show
    _value("RLO", "bidi", "\u202e"),
    _value("RLO filename", "bidi", "\u202eexe.txt"),
    _value("zero width", "bidi", "\u200b\ufeff"),
    _value("emoji", "bidi", "\U0001f4a9\u0301"),
    # size
    _value("10k ASCII", "long", "x" * 10_000),
    _value("10 kB CJK", "long", "汉" * 3_400),  # 10 kB of UTF-8 (30 kB in a query string)
    _value("10k digits", "long", "9" * 10_000),
    # nesting: JSON text only (json.dumps would recurse), and the same brackets as text in forms
    _raw("deep array", "deep", "[" * DEPTH + "]" * DEPTH, ("[" * DEPTH,)),
    _raw("deep object", "deep", '{"a":' * DEPTH + "1" + "}" * DEPTH, ('{"a":' * 100,)),
    # numbers out of every range a column or a date holds
    _value("1e308", "number", 1e308, ("1e308",)),
    _value("-1e308", "number", -1e308, ("-1e308",)),
    _raw("1e999", "number", "1e999", ("1e999",)),
    _value("-1", "number", -1),
    _value("0", "number", 0),
    _value("2**31", "number", 2**31),
    _value("2**63", "number", 2**63),
    _value("-2**63-1", "number", -(2**63) - 1),
    _value("1.5", "number", 1.5),
    _raw("NaN", "number", "NaN", ("NaN",)),
    _raw("Infinity", "number", "Infinity", ("Infinity",)),
    _raw("-Infinity", "number", "-Infinity", ("-Infinity",)),
    _value("'NaN'", "number", "NaN"),
    _value("'inf'", "number", "inf"),
    # digits that str.isdigit() accepts and int() may not
    _value("superscript 2", "digits", "\u00b2"),
    _value("circled 7", "digits", "\u2466"),
    _value("arabic-indic 12", "digits", "\u0661\u0662"),
    _value("fullwidth 7", "digits", "\uff17"),
    _value("1:2:3", "digits", "1:2:3"),
    # dates at and beyond the ends of the calendar (timezone shifts and ± days overflow there)
    _value("0001 +14", "date", "0001-01-01T00:00:00+14:00"),
    _value("9999 -12", "date", "9999-12-31T23:59:59-12:00"),
    _value("9999-12-30", "date", "9999-12-30"),
    _value("9999-12-31", "date", "9999-12-31"),
    _value("0001-01-01", "date", "0001-01-01"),
    _value("0000-00-00", "date", "0000-00-00"),
    _value("1969 Z", "date", "1969-12-31T23:59:59Z"),
    _value("2026-02-30", "date", "2026-02-30"),
    _value("no offset", "date", "2026-11-28T08:00:00"),
    _value("24:00", "date", "2026-11-28T24:00:00+08:00"),
    # empty and whitespace
    _value("empty", "empty", ""),
    _value("spaces", "empty", "   "),
    _value("null", "empty", None, ("null",)),
    # other shapes where a scalar is expected
    _value("array", "shape", ["a", "b"], ("a", "b")),
    _value("empty array", "shape", [], ("[]",)),
    _value("object", "shape", {"a": 1}, ('{"a": 1}',)),
    _value("true", "shape", True, ("true",)),
    # text that means something to SQL, LIKE, paths and templates
    _value("SQL", "injection", "' OR 1=1 --"),
    _value("LIKE", "injection", "%_%\\"),
    _value("path", "injection", "../../etc/passwd"),
    _value("markup", "injection", "<script>alert(1)</script>{{7*7}}${7*7}"),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(h.kind for h in CORPUS))
BY_KIND: dict[str, tuple[Hostile, ...]] = {k: tuple(h for h in CORPUS if h.kind == k) for k in KINDS}

# Whole JSON bodies (bytes) that are not an object, or not JSON at all.
BODIES: tuple[tuple[str, bytes], ...] = (
    ("deep array body", b"[" * DEPTH + b"]" * DEPTH),
    ("deep object body", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
    ("deep in a field", b'{"note": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"),
    ("array body", b'["a", "b"]'),
    ("string body", b'"\\u0000"'),
    ("NaN body", b"NaN"),
    ("empty body", b""),
    ("truncated", b'{"a": '),
    ("not JSON", b"a=1&b=2"),
    ("invalid UTF-8", b'{"note": "\xe9\xff"}'),
    ("NUL key", b'{"\\u0000": 1}'),
)


def quote_value(text: str) -> str:
    """Percent-encode for a query string or form body; a lone surrogate as its (invalid) UTF-8 bytes."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def encode_pairs(pairs) -> str:
    """`a=1&b=2` from (name, value) pairs, names and values encoded by `quote_value`."""
    return "&".join(f"{quote_value(k)}={quote_value(v)}" for k, v in pairs)

# Periods (first, last) at and beyond the ends of the calendar, reversed, or very long: sent to the
# pairs of parameters that bound a range (a period of one extreme value alone may never be read).
RANGES: tuple[tuple[str, str], ...] = (
    ("9999-12-30", "9999-12-31"),
    ("0001-01-01", "0001-01-02"),
    ("0001-01-01", "0011-01-01"),
    ("2026-12-01", "2026-01-01"),
    ("1970-01-01", "2200-12-31"),
    ("9999-12-30T00:00:00-12:00", "9999-12-31T23:59:59-12:00"),
    ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+14:00"),
    ("2026-11-28T00:00:00+08:00", "2026-11-27T00:00:00+08:00"),
)
