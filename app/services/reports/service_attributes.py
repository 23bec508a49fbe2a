"""What a category asks for beyond the common report fields, as Open311 service attributes.

Read from app/seed_data/service_attributes.json (reference data shipped with the code, like the
categories' seed); a category listed there is a service with `metadata: true`. Answers are checked
here and kept in the ticket's description as 【label】value lines (in Chinese, the county's language),
so departments read them on the pages they already use, and the intake's fingerprint covers them.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from app.text import text_problem
from app.timeutil import parse_iso_with_offset

SEED = Path(__file__).resolve().parents[2] / "seed_data" / "service_attributes.json"
DEFAULT_MAX_LENGTH = {"string": 100, "text": 1000}


@dataclass(frozen=True)
class Problem:
    code: str  # an attribute code
    message: str


@functools.cache
def _data() -> dict:
    return json.loads(SEED.read_text(encoding="utf-8"))


def _text(entry: dict, name: str, lang: str) -> str:
    return entry.get(f"{name}_{lang}") or entry.get(f"{name}_zh", "")


def has_metadata(code: str) -> bool:
    return bool(_data()["services"].get(code))


def specific(code: str) -> list[dict]:
    return list(_data()["services"].get(code, []))


def attributes(code: str) -> list[dict]:
    """The common attributes, then the category's own."""
    return [*_data()["common"], *specific(code)]


def definition(code: str, lang: str) -> list[dict]:
    """GeoReport v2 attribute objects for a service definition, in `lang` ("zh" or "en")."""
    out = []
    for order, entry in enumerate(attributes(code), start=1):
        item = {"variable": True, "code": entry["code"], "datatype": entry["datatype"],
                "required": bool(entry.get("required")),
                "datatype_description": _text(entry, "datatype_description", lang),
                "order": order, "description": _text(entry, "description", lang)}
        if entry["datatype"] == "singlevaluelist":
            item["values"] = [{"key": v["key"], "name": _text(v, "name", lang)} for v in entry["values"]]
        out.append(item)
    return out


def check(code: str, given: dict[str, str]) -> tuple[list[tuple[str, str]], list[Problem]]:
    """The category's own answers as (Chinese label, value) pairs in definition order, or the problems.

    `given` maps attribute codes to the raw values sent (blank ones count as absent); the common
    attributes are the door's to read. Unknown codes are ignored, as GeoReport clients expect."""
    answers, problems = [], []
    for entry in specific(code):
        raw = (given.get(entry["code"]) or "").strip()
        if not raw:
            if entry.get("required"):
                problems.append(Problem(entry["code"], _("This attribute is required.")))
            continue
        value, problem = _value(entry, raw)
        if problem:
            problems.append(Problem(entry["code"], problem))
        else:
            answers.append((entry["description_zh"], value))
    return answers, problems


def _value(entry: dict, raw: str) -> tuple[str, str | None]:
    if text_problem(raw) is not None:
        return "", _("The text holds characters that cannot be stored.")
    kind = entry["datatype"]
    if kind == "singlevaluelist":
        names = {v["key"]: v["name_zh"] for v in entry["values"]}
        if raw not in names:
            return "", _("Choose one of: %(keys)s.", keys=", ".join(names))
        return names[raw], None
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or len(raw) > 20:
            return "", _("This attribute is a number.")
        return raw, None
    if kind == "datetime":
        try:
            parse_iso_with_offset(raw)
        except ValueError:
            return "", _("Give the time in ISO 8601 with a UTC offset.")
        return raw, None
    limit = entry.get("max_length", DEFAULT_MAX_LENGTH.get(kind, 100))
    if len(raw) > limit:
        return "", _("At most %(n)d characters.", n=limit)
    return raw, None


def with_answers(description: str, answers: list[tuple[str, str]]) -> str:
    """The description with the answers appended, one 【label】value line each."""
    lines = [f"【{label}】{value}" for label, value in answers]
    return "\n".join([description, *lines] if description else lines)
