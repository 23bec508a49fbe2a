"""The department ranking (通报) of a period, for supervisors and admins (issue 17 §1)."""
from __future__ import annotations

from flask import current_app

from app.api import bp
from app.models import Role
from app.schemas.params import PeriodQuery, query
from app.security import api_auth
from app.services.supervision import ranking
from app.services.supervision.kpis import Period
from app.timeutil import now_utc


@bp.get("/ranking")
@api_auth(Role.SUPERVISOR, Role.ADMIN)
def get_ranking():
    args = query(PeriodQuery)
    period = Period.checked(args.start, args.end)
    rules = ranking.RankingRules.from_config(current_app.config)
    result = ranking.department_ranking(period, now_utc(), rules)
    return {"formula": ranking.formula_text(rules), "start": period.first_day.isoformat(),
            "end": period.last_day.isoformat(), "rows": [{
                "department_code": row.department.code, "score": row.score, "grade": row.grade, "rank": row.rank,
                "n": row.counts.n, "on_time_rate": row.on_time_rate, "resolved_rate": row.resolved_rate,
                "rework_rate": row.rework_rate, "overdue_rate": row.overdue_rate,
                "overdue_urgent": row.counts.urgent_overdue, "reopened_3_times": row.counts.reworked_often,
            } for row in result.rows]}
