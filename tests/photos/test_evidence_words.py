"""Evidence flags in words a person reads, and the re-inspection photo that is the after photo again
(issue 17 §4)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.models import EvidenceFlag, PhotoKind, TicketPhoto, User
from app.services.photos import evidence
from app.services.tickets.transitions import ActionInput, transition
from tests.factories import actor_of, record_uploads


@pytest.mark.parametrize(("metres", "zh", "en"), [(180, "180 米", "180 m"), (1500, "1.5 千米", "1.5 km"),
                                                   (11583028, "11,583 千米", "11,583 km")])
def test_distances_in_metres_then_kilometres(app, metres, zh, en):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert evidence.distance_words(metres) == zh
    with app.test_request_context(), force_locale("en"):
        assert evidence.distance_words(metres) == en


@pytest.mark.parametrize(("hours", "zh", "en"), [(24, "24 小时", "24 hours"), (30.5, "30.5 小时", "30.5 hours"),
                                                 (72, "3.0 天", "3.0 days"), (164046.2, "6,835 天", "6,835 days")])
def test_durations_in_hours_then_days(app, hours, zh, en):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert evidence.duration_words(hours) == zh
    with app.test_request_context(), force_locale("en"):
        assert evidence.duration_words(hours) == en


def test_a_far_photo_reads_in_kilometres(app):
    flag = EvidenceFlag(code=evidence.GPS_FAR, details={"distance_m": 11583028, "limit_m": 200.0})
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert evidence.describe(flag) == "照片的 GPS 位置距工单位置 11,583 千米（上限 200 米）。"
    drift = EvidenceFlag(code=evidence.TIME_DRIFT, details={"drift_h": 164046.2, "limit_h": 24.0})
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert evidence.describe(drift) == "照片拍摄时间与提交时给出的时间相差 6,835 天（上限 24 小时）。"


def test_a_recheck_photo_that_is_the_after_photo_again_is_flagged(ticket_in):
    ticket = ticket_in("resolved")
    after = db.session.scalar(sa.select(TicketPhoto.photo_sha256).where(
        TicketPhoto.ticket_id == ticket.id, TicketPhoto.kind == PhotoKind.AFTER))
    reporter = db.session.get(User, ticket.reporter_id)
    record_uploads([after], reporter)  # the inspector had the after photo's bytes (create_photo gives everyone them)
    db.session.commit()
    transition(ticket.id, ActionInput(action="close", version=ticket.version, photos=[after]), actor_of(reporter))
    db.session.commit()
    codes = [f.code for f in evidence.flags_for(ticket) if f.kind == PhotoKind.RECHECK]
    assert evidence.RECHECK_IS_AFTER in codes


def test_a_new_recheck_photo_is_not_flagged_as_the_after_photo(ticket_in):
    ticket = ticket_in("closed")  # the factory's re-inspection photo is a new one
    assert evidence.RECHECK_IS_AFTER not in [f.code for f in evidence.flags_for(ticket)]
