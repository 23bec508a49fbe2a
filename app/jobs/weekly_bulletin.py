"""The Monday 通报 (issue 17 §2): when BULLETIN_WEEKLY is on, each Monday from BULLETIN_HOUR local
time the campaign office's supervisors find last week's bulletin in their notification centre.

The notification carries last week's figures (how many units ranked, which are named for
criticism) and opens the bulletin for that week (/supervise/bulletin.docx?start=&end=), built on
demand: a past week's ranking is read as it stood at its end, so the document opened on Thursday
says what Monday's notification said. Once per week, whatever runs it (the claim is a JobMark).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import lease
from app.models import Role, User
from app.services.notifications import centre as notify
from app.services.supervision import bulletin, ranking
from app.services.supervision.kpis import Period
from app.timeutil import to_local


def send_weekly_bulletin(now: datetime) -> int:
    config = current_app.config
    local = to_local(now)
    if not config["BULLETIN_WEEKLY"] or local.weekday() != 0 or local.hour < config["BULLETIN_HOUR"]:
        return 0
    last_monday = local.date() - timedelta(days=7)
    week = Period.of_local_dates(last_monday, last_monday + timedelta(days=6))
    if not lease.claim_once(f"bulletin:{last_monday.isoformat()}", now):
        return 0
    result = bulletin.build(week, now, ranking.RankingRules.from_config(config),
                            bulletin.Thresholds.from_config(config))
    supervisors = db.session.scalars(sa.select(User.id).where(User.role == Role.SUPERVISOR, User.active)).all()
    return notify.send(supervisors, "bulletin", start=week.first_day.isoformat(), end=week.last_day.isoformat(),
                       ranked=sum(1 for row in result.ranking.rows if row.rank is not None),
                       criticised=[row.department.name_zh for row in result.criticised],
                       criticised_en=[row.department.name_en or row.department.name_zh for row in result.criticised])
