"""A ticket routed at intake is a new assignment like a desk's: the department's centre, mailbox and
group-chat robot each hear of it once (issue 16: "new assignments … go there as well as to the centre
and e-mail")."""
import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, WebhookMessage
from app.services.actor import Actor
from app.services.notifications import webhooks
from tests.jobs.test_digest_email import smtp_sink  # noqa: F401 - the local SMTP sink fixture
from tests.notifications import webhook_server
from tests.notifications.webhook_server import Robot


def _assigned_notes(ticket) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.kind == "assigned", Notification.ticket_id == ticket.id).order_by(Notification.user_id)))


def test_a_routed_ticket_reaches_centre_mail_and_robot_once_each(app, runner, create_user, report,
                                                                  smtp_sink, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://xuncha.county.example")
    clerk, colleague = create_user("department", "CGZF"), create_user("department", "CGZF")
    clerk.email = "duty@cgzf.example"
    other_department = create_user("department", "HWZX")
    robot = Robot(secret="", answers=[])
    server = webhook_server.start(robot, "/cgi-bin/webhook/send")
    try:
        webhooks.configure(Actor.system(), "CGZF", "wecom", robot.url + "?key=k", None)
        db.session.commit()

        ticket = report("06008").ticket  # routed to CGZF by its rule
        assert ticket.department.code == "CGZF"
        notes = _assigned_notes(ticket)
        assert [n.user_id for n in notes] == sorted([clerk.id, colleague.id])
        assert other_department.id not in {n.user_id for n in notes}
        assert notes[0].data["case"] == ticket.case_number
        db.session.commit()  # the scheduler works in its own sessions

        for _ in range(2):  # a second run sends nothing again
            result = runner.invoke(args=["scheduler", "--once"])
            assert result.exit_code == 0, result.output
        db.session.expire_all()
    finally:
        server.shutdown()
        server.server_close()

    assert len(_assigned_notes(ticket)) == 2
    mails = [(to, m) for to, m in smtp_sink.messages if ticket.case_number in m.get_content()]
    assert [to for to, _m in mails] == [["duty@cgzf.example"]]
    assigned_posts = [r for r in robot.received if ticket.case_number in r.body["markdown"]["content"]]
    assert len(assigned_posts) == 1
    assert f"https://xuncha.county.example/tickets/{ticket.id}" in assigned_posts[0].body["markdown"]["content"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookMessage)
                             .where(WebhookMessage.sent_at.is_(None))) == 0


def test_a_ticket_nobody_routes_waits_for_the_desk_without_a_notification(app, create_user, report):
    from app.models import Category

    create_user("department", "CGZF")
    category = db.session.scalar(sa.select(Category).where(Category.code == "06008"))
    category.default_department_id, category.area_scoped = None, False  # no rule names a department
    db.session.commit()
    ticket = report("06008").ticket
    assert ticket.department_id is None and ticket.status.value == "reported"
    assert _assigned_notes(ticket) == []
