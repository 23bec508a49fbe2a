"""The PWA's wire field lists, generated from the sync models: static/pwa/js/sync/wire-fields.js.

The phone keeps each item under the camelCase twin of every wire name (captured_at → capturedAt);
reportOnWire (static/pwa/js/sync/engine.js) sends the fields listed here, so a field added to
ReportIn is sent without editing the mapping. Regenerate with `make wire-fields`
(`.venv/bin/python -m app.schemas.pwa`); tests/api/test_wire_fields.py fails while it is stale.
"""
from __future__ import annotations

import json
from pathlib import Path

from app.schemas import sync

TARGET = Path(__file__).resolve().parents[2] / "static" / "pwa" / "js" / "sync" / "wire-fields.js"


def wire_fields_js() -> str:
    lines = ["// Generated from app/schemas/sync.py by `make wire-fields`: do not edit "
             "(tests/api/test_wire_fields.py).",
             "// The wire names of each synced item; the phone keeps them under their camelCase twins."]
    for name, model in (("REPORT_FIELDS", sync.ReportIn), ("ACTION_FIELDS", sync.ActionIn)):
        lines.append(f"export const {name} = {json.dumps(list(model.model_fields))};")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(wire_fields_js(), encoding="utf-8")
    print(TARGET)
