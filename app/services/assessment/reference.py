"""The assessment's reference data from app/seed_data (see its README): the 16 location types, the
first checklist version of each, and the demo county's inspection points.

Idempotent like the rest of the seed: an existing type keeps its names and weight, a type that has a
checklist keeps it (later versions are the administrators'), an existing point code is left alone.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import LocationType
from app.services.actor import Actor
from app.services.assessment import checklists, points


def item_specs(block: dict, common: dict) -> list[checklists.ItemSpec]:
    """A seed checklist's items; {"common": CODE, …} is the common item CODE with the fields given replacing its own."""
    specs = []
    for raw in block["items"]:
        row = {**common[raw["common"]], **raw} if "common" in raw else dict(raw)
        specs.append(checklists.ItemSpec(
            code=row["code"], text_zh=row["text_zh"], text_en=row.get("text_en", ""),
            category_code=row["category_code"], deduction=float(row["deduction"]), guidance=row.get("guidance", "")))
    return specs


def seed(location_types: list[dict], assessment: dict, points_geojson: str, now: datetime) -> None:
    """Location types (names from categories.json), their first checklists, the demo points."""
    known = set(db.session.scalars(sa.select(LocationType.code)))
    blocks = assessment["checklists"]
    for row in location_types:
        if row["code"] not in known:
            db.session.add(LocationType(code=row["code"], name_zh=row["name_zh"], name_en=row.get("name_en", ""),
                                        weight=float(blocks.get(row["code"], {}).get("weight", 1))))
    db.session.flush()
    checklists.first_versions({code: item_specs(block, assessment["common_items"]) for code, block in blocks.items()},
                              now, "seed: app/seed_data/assessment.json")
    result = points.import_points(points_geojson, "geojson", Actor.system(), now, keep_existing=True)
    if not result.ok:  # the seed file is the project's own: a bad row is a bug, not a user's mistake
        raise ValueError("assessment_points.geojson: " + "; ".join(str(e) for e in result.errors))
