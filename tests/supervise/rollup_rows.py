"""What a rollup holds as its readers see it: folded rows plus pending deltas, summed per key."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import DELTAS
from app.services.supervision import rollups


def live_rows(table, key: list[str], measures: list[str]) -> list[sa.Row]:
    """Sorted (key…, measures…) per key, the keys whose sums are not all zero."""
    view = rollups.live(table).c
    sums = [sa.func.sum(view[name]).label(name) for name in measures]
    query = (sa.select(*[view[name] for name in key], *sums).group_by(*[view[name] for name in key])
             .having(sa.or_(*[total != 0 for total in sums])))
    return sorted(db.session.execute(query).all())


def pending() -> int:
    """Delta rows not folded yet, over every rollup."""
    return sum(db.session.scalar(sa.select(sa.func.count()).select_from(delta)) for delta in DELTAS.values())
