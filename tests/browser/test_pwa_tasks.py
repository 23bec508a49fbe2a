"""Re-inspection tasks in the PWA: readable offline, closed offline, applied once when back online."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Ticket, TicketEvent, User
from tests.browser.conftest import GPS_PHOTO, settled, wait_until

pytestmark = pytest.mark.browser


def test_a_task_is_closed_offline_and_the_close_reaches_the_server_once(phone, create_user, ticket_in):
    inspector = create_user("inspector")
    ticket = ticket_in("resolved", reporter=inspector)
    ticket_id, case_number, username = ticket.id, ticket.case_number, inspector.username
    db.session.rollback()

    phone.log_in(username)
    phone.context.set_offline(True)
    phone.open("reports")  # a cold open with no network: the tasks come from the last sync
    task = phone.page.locator(f"[data-field=task-list] li[data-ticket-id='{ticket_id}']")
    assert case_number in task.inner_text()

    task.locator("input[name=photo]").set_input_files(str(GPS_PHOTO))
    task.locator("textarea[name=note]").fill("复查合格")
    task.locator("button[value=close]").click()
    phone.wait_waiting(1)
    # The list re-renders after the outbox write that wait_waiting saw: wait for it, do not race it.
    phone.page.locator(f"[data-field=task-list] li[data-ticket-id='{ticket_id}'] form").wait_for(
        state="hidden", timeout=10_000)
    phone.screenshot("tasks-offline")
    assert settled(lambda: db.session.get(Ticket, ticket_id).status.value) == "resolved"

    phone.context.set_offline(False)
    phone.sync_until_empty()
    wait_until(phone.page, f"!document.querySelector(\"[data-field=task-list] li[data-ticket-id='{ticket_id}']\")")

    assert settled(lambda: db.session.get(Ticket, ticket_id).status.value) == "closed"
    closes = settled(lambda: db.session.scalar(sa.select(sa.func.count()).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action == "close")))
    assert closes == 1
    mine = phone.page.locator(f"[data-field=report-list] li[data-ticket-id='{ticket_id}']")
    assert mine.get_attribute("data-status") == "closed"


def test_reopening_needs_a_reason_before_it_is_queued(phone, create_user, ticket_in):
    inspector = create_user("inspector")
    ticket_id = ticket_in("resolved", reporter=inspector).id
    username = settled(lambda: db.session.get(User, inspector.id).username)
    phone.log_in(username)
    phone.open("reports")
    task = phone.page.locator(f"[data-field=task-list] li[data-ticket-id='{ticket_id}']")
    task.locator("button[value=reopen]").click()
    assert task.locator("[data-slot=error]").is_visible()
    assert phone.waiting() == 0
    task.locator("textarea[name=note]").fill("垃圾仍在")
    task.locator("button[value=reopen]").click()
    phone.page.wait_for_selector("[data-field=toast]:not([hidden])")  # "recorded": it is in the outbox
    phone.sync_until_empty()
    assert settled(lambda: db.session.get(Ticket, ticket_id).status.value) == "reopened"
