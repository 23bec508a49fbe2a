"""The department ranking (通报) for a period: best on-time closure rate first, with the change from
the period before it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Department
from app.services.supervision.kpis import Kpi, Period, kpis


@dataclass
class RankRow:
    rank: int
    department: Department
    current: Kpi
    previous: Kpi

    @property
    def change(self) -> float | None:
        """Change of the on-time closure rate from the previous period, in percentage points."""
        now, before = self.current.on_time_rate, self.previous.on_time_rate
        if now is None or before is None:
            return None
        return (now - before) * 100.0


def department_ranking(period: Period, now: datetime) -> list[RankRow]:
    """Every handling department, ranked by on-time closure rate (no tickets due: ranked last)."""
    current = kpis(period, now, by="department", medians=False)  # the ranking shows no medians
    previous = kpis(period.previous(), now, by="department", medians=False)
    departments = db.session.scalars(
        sa.select(Department).where(sa.or_(
            sa.and_(Department.active, ~Department.is_placeholder),
            Department.id.in_([k for k in current if k is not None])))
    ).all()

    def order(department: Department):
        kpi = current.get(department.id, Kpi())
        rate = kpi.on_time_rate
        return (rate is None, -(rate or 0.0), -kpi.due, department.code)

    ranked = sorted(departments, key=order)
    return [RankRow(i, d, current.get(d.id, Kpi()), previous.get(d.id, Kpi())) for i, d in enumerate(ranked, 1)]
