"""Routing by category, by area, unrouted; repeats within and outside 30 m (docs/design.md §4)."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Report, TicketStatus
from tests.factories import EAST, SEAT, area, department


def test_category_routes_to_its_default_department(report):
    ticket = report("09009", at=SEAT).ticket  # 机动车乱停放 → 交警大队
    assert ticket.status == TicketStatus.ASSIGNED
    assert ticket.department.code == "JJDD"
    assert ticket.area.code == "CGZ"


def test_due_at_comes_from_the_category_sla(report):
    result = report("09009", at=SEAT)
    ticket = result.ticket
    assert ticket.due_at - ticket.assigned_at == timedelta(hours=ticket.category.sla_hours)
    assert ticket.category.sla_hours == 2


@pytest.mark.parametrize(("point", "township_department"), [(SEAT, "XZ-CGZ"), (EAST, "XZ-DCJD")])
def test_area_scoped_category_goes_to_the_township(report, point, township_department):
    ticket = report("X14001", at=point).ticket  # 卫生死角, 属地 responsibility
    assert ticket.department.code == township_department
    assert ticket.events[-1].data["rule"] == "area"


def test_area_override_is_data_not_code(report):
    area("DCJD").department_id = department("HWZX").id
    db.session.commit()
    from app.services.reports.geo import invalidate_area_cache

    invalidate_area_cache()
    assert report("X14001", at=EAST).ticket.department.code == "HWZX"


def test_no_rule_leaves_the_ticket_reported_for_triage(report):
    ticket = report("X14001", at=(29.86, 119.80)).ticket  # outside every township
    assert ticket.status == TicketStatus.REPORTED
    assert ticket.department_id is None
    assert ticket.due_at is None


def test_category_without_department_is_unrouted(report):
    from tests.factories import category

    category("09009").default_department_id = None
    db.session.commit()
    assert report("09009", at=SEAT).ticket.status == TicketStatus.REPORTED


def _offset(point, metres_north):
    return (point[0] + metres_north / 111_000.0, point[1])


def test_repeat_within_30_m_is_linked_not_opened(report):
    first = report("09009", at=SEAT)
    second = report("09009", at=_offset(SEAT, 20))
    assert second.linked is True
    assert second.ticket.id == first.ticket.id
    db.session.refresh(first.ticket)
    assert first.ticket.report_count == 2
    assert db.session.query(Report).filter_by(ticket_id=first.ticket.id).count() == 2
    assert first.ticket.events[-1].action == "repeat"


def test_repeat_does_not_bump_the_version(report):
    first = report("09009", at=SEAT)
    version = first.ticket.version
    report("09009", at=_offset(SEAT, 5))
    db.session.refresh(first.ticket)
    assert first.ticket.version == version


def test_same_category_beyond_30_m_is_a_new_ticket(report):
    first = report("09009", at=SEAT)
    second = report("09009", at=_offset(SEAT, 40))
    assert second.linked is False and second.ticket.id != first.ticket.id


def test_other_category_nearby_is_a_new_ticket(report):
    first = report("09009", at=SEAT)
    assert report("06012", at=SEAT).ticket.id != first.ticket.id


def test_repeat_window_is_seven_days(report):
    from app.timeutil import now_utc

    old = report("09009", at=SEAT, now=now_utc() - timedelta(days=8))
    assert report("09009", at=SEAT).ticket.id != old.ticket.id


def test_closed_tickets_are_not_repeated_into(ticket_in, report):
    closed = ticket_in("closed")
    assert report("09009", at=SEAT).ticket.id != closed.id


def test_repeat_linking_can_be_switched_off(app, report):
    app.config["REPEAT_LINKING"] = False
    try:
        first = report("09009", at=SEAT)
        assert report("09009", at=SEAT).ticket.id != first.ticket.id
    finally:
        app.config["REPEAT_LINKING"] = True


def test_repeat_radius_is_configurable(app, report):
    app.config["REPEAT_RADIUS_M"] = 100
    try:
        first = report("09009", at=SEAT)
        assert report("09009", at=_offset(SEAT, 80)).ticket.id == first.ticket.id
    finally:
        app.config["REPEAT_RADIUS_M"] = 30.0
