"""The assessment's seed data (app/seed_data/assessment.json, assessment_points.geojson): every location
type has a checklist of at least 3 items with real categories and the cross-cutting items where they
apply; the demo county has at least 60 points covering all 16 types and every township."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Area, AreaKind, ChecklistVersion, InspectionPoint, LocationType
from app.services.assessment import checklists

SEED = Path(__file__).resolve().parents[2] / "app" / "seed_data"
CROSS_CUTTING = {"GG-GYGG": "07008", "GG-LITTER": "06012", "GG-FLYPOST": "07001", "GG-VENDING": "09006",
                 "GG-PARKING": "09009", "GG-ACCESS": "02034", "GG-FIRELANE": "09012", "GG-SMOKING": "X12004"}


def _json(name: str) -> dict:
    return json.loads((SEED / name).read_text(encoding="utf-8"))


def test_the_checklists_name_their_source_and_cover_the_16_types_of_categories_json():
    data = _json("assessment.json")
    types = [t["code"] for t in _json("categories.json")["location_types"]]
    assert len(types) == 16 and sorted(data["checklists"]) == sorted(types)
    assert "research notes" in data["meta"]["source"] and "(c)" in data["meta"]["source"]
    cited = {part.strip() for block in data["checklists"].values() for raw in block["items"]
             for part in {**data["common_items"].get(raw.get("common"), {}), **raw}["source"].split(",")}
    assert cited - {"proposal"} <= set(data["sources"]) and len(data["sources"]) >= 10
    assert all("http" in url for url in data["sources"].values())
    assert {k: v["category_code"] for k, v in data["common_items"].items()} == CROSS_CUTTING
    readme = (SEED / "README.md").read_text(encoding="utf-8")
    assert "assessment.json" in readme and "assessment_points.geojson" in readme


def test_every_type_is_seeded_with_a_checklist_of_real_categories(county):
    categories = {c["code"] for c in _json("categories.json")["categories"]}
    kinds = list(db.session.scalars(sa.select(LocationType)))
    assert len(kinds) == 16 and all(k.weight == 1 for k in kinds)
    uses = Counter()
    for kind in kinds:
        version = checklists.current_version(kind.code)
        assert version.version == 1 and len(version.items) >= 3, kind.code
        assert all(i.category.code in categories and i.deduction >= 0 and i.text_zh and i.text_en
                   for i in version.items)
        uses.update(i.code for i in version.items if i.code in CROSS_CUTTING)
    assert set(uses) == set(CROSS_CUTTING)  # each cross-cutting item where it applies
    assert uses["GG-GYGG"] >= 14 and uses["GG-LITTER"] >= 12 and uses["GG-SMOKING"] >= 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion)) == 16


def test_the_demo_county_has_points_of_every_type_in_every_township(county):
    points = list(db.session.scalars(sa.select(InspectionPoint)))
    assert len(points) >= 60
    assert {p.location_type.code for p in points} == {t.code for t in db.session.scalars(sa.select(LocationType))}
    townships = set(db.session.scalars(sa.select(Area.code).where(Area.kind == AreaKind.TOWNSHIP)))
    assert {p.area.code for p in points} == townships
    assert all(p.department is not None and not p.department.is_placeholder for p in points)
    assert sum(1 for p in points if p.polygon) >= 20
    assert min(Counter(p.location_type.code for p in points).values()) >= 3
    assert all(p.code.startswith(p.area.code + "-" + p.location_type.code) for p in points)
