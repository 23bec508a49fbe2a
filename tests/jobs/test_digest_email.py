"""E-mail through SMTP when configured (a local aiosmtpd sink), silently off when not."""
import email
import socket
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.extensions import db
from app.jobs import tasks
from app.models import Notification, User

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    yield inbox
    controller.stop()


@pytest.fixture
def cgzf_clerk(create_user):
    clerk = create_user("department", "CGZF")
    clerk.email = "duty@cgzf.example"
    db.session.commit()
    return clerk


def _overdue_ticket(report):
    ticket = report("06008", now=T0 - timedelta(hours=80)).ticket
    # Its assignment was mailed when it was routed, 80 hours ago: this file is about what comes later.
    db.session.execute(sa.update(Notification).where(Notification.kind == "assigned")
                       .values(emailed_at=T0 - timedelta(hours=80)))
    db.session.commit()
    return ticket


def test_the_digest_reaches_the_departments_mailbox(app, smtp_sink, cgzf_clerk, create_user, report):
    create_user("department", "CGZF")  # a colleague without an e-mail address
    ticket = _overdue_ticket(report)
    assert tasks.daily_digest(T0) == 1
    db.session.commit()
    assert tasks.send_email(T0) == 1
    db.session.commit()

    [(recipients, message)] = smtp_sink.messages
    assert recipients == ["duty@cgzf.example"]
    assert message["From"] == app.config["MAIL_FROM"]
    assert "2026-11-02" in message["Subject"]
    body = message.get_content()
    assert ticket.case_number in body
    # Every notification is done with, including the one for the user without an address.
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.emailed_at.is_(None))) == 0
    assert tasks.send_email(T0) == 0  # nothing is sent twice
    assert len(smtp_sink.messages) == 1


def test_without_smtp_nothing_is_sent_and_nothing_piles_up(app, cgzf_clerk, report):
    assert app.config["SMTP_HOST"] == ""
    _overdue_ticket(report)
    tasks.daily_digest(T0)
    db.session.commit()
    assert tasks.send_email(T0) == 0
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.emailed_at.is_(None))) == 0


def test_an_unreachable_server_leaves_the_mail_for_the_next_run(app, cgzf_clerk, report, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nobody listens there
    _overdue_ticket(report)
    tasks.daily_digest(T0)
    db.session.commit()
    assert tasks.send_email(T0) == 0
    db.session.commit()
    pending = db.session.scalars(sa.select(Notification).where(Notification.emailed_at.is_(None))).all()
    assert [n.user_id for n in pending] == [db.session.scalar(sa.select(User.id).where(
        User.email == "duty@cgzf.example"))]
