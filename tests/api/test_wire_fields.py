"""The PWA sends the sync fields the server's models list: static/pwa/js/sync/wire-fields.js is
generated from app/schemas/sync.py, and reportOnWire / actionOnWire send what it lists."""
from __future__ import annotations

import json
import re

from app.schemas import sync
from app.schemas.pwa import TARGET, wire_fields_js

ENGINE = TARGET.parent / "engine.js"


def _listed(name: str) -> list[str]:
    return json.loads(re.search(rf"export const {name} = (\[.*?\]);", TARGET.read_text(encoding="utf-8")).group(1))


def test_the_generated_file_is_current():
    assert TARGET.read_text(encoding="utf-8") == wire_fields_js(), "run `make wire-fields`"


def test_it_lists_every_field_of_the_models():
    assert _listed("REPORT_FIELDS") == list(sync.ReportIn.model_fields)
    assert _listed("ACTION_FIELDS") == list(sync.ActionIn.model_fields)
    assert {"photo_exif", "capture_seq", "accuracy_m"} <= set(_listed("REPORT_FIELDS"))


def test_the_engine_sends_the_listed_fields_not_a_hand_written_copy():
    source = ENGINE.read_text(encoding="utf-8")
    assert "from './wire-fields.js'" in source
    report_on_wire = re.search(r"function reportOnWire\(report\) \{(.*?)\n\}", source, re.S).group(1)
    assert "onWire(REPORT_FIELDS, report)" in report_on_wire
    assert "category_code" not in report_on_wire  # no field named by hand
