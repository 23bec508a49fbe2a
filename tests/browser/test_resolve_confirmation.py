"""Resolving in a browser says so (issue 17 §4): the page's script uploads the after photo and posts
the action to the API, and the ticket page it returns to confirms the resolution once."""
from __future__ import annotations

from app.extensions import db
from app.models import Ticket, TicketStatus
from tests.browser.conftest import GPS_PHOTO, settled, wait_until
from tests.factories import PASSWORD


def test_the_ticket_page_confirms_a_resolution_posted_by_its_script(chromium, live_url, ticket_in, create_user):
    ticket = ticket_in("in_progress")
    clerk = create_user("department", ticket.department.code)
    ticket_id, username = ticket.id, clerk.username
    db.session.rollback()  # no open transaction: on SQLite it would hold the live server's writes

    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        page.goto(f"{live_url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_url}/tickets/{ticket_id}")
        form = page.locator("form.action-resolve")
        form.locator("input[name=photo_files]").set_input_files(str(GPS_PHOTO))
        form.locator("textarea[name=note], input[name=note]").first.fill("已清理")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("p.flash-success", timeout=30000)  # survives the script's navigation
        assert page.locator("p.flash-success").all_inner_texts() == ["已提交整改，等待督查员现场复查。"]
        wait_until(page, "!location.search.includes('done=')")
        # a reload does not say it again
        page.reload()
        page.wait_for_load_state()
        assert "已提交整改" not in page.locator("main").inner_text()
        assert settled(lambda: db.session.get(Ticket, ticket_id).status) == TicketStatus.RESOLVED
    finally:
        context.close()
