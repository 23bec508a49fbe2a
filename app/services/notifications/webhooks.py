"""Group-chat robots: WeCom (企业微信) group robots and DingTalk (钉钉) custom robots, per department.

What goes there: new assignments, reworks, reminders before the deadline, overdue escalations and the
daily digest: the same events as the notification centre, tickets routed at intake included.
`queue()` (called by centre.send) adds one WebhookMessage per robot of each department the event is
for: a department's users' event goes to its robots once, not once per user; a supervisors' event
goes to the campaign office's (CAMPAIGN_OFFICE_CODE). So the message is written with the request's
commit and never sent inside it.
`deliver_pending()`, run by the scheduler (app/jobs/webhooks.py), sends what is due: within each robot's
limit (WEBHOOK_RATE_PER_MINUTE, about 20 a minute), several messages are merged into one when more are
due than the limit allows; a failure (network, HTTP status, or an answer whose errcode is not 0) is
retried with doubling waits (WEBHOOK_BACKOFF_S, up to WEBHOOK_MAX_ATTEMPTS), and its last error is
kept on the robot for the admin page.

Formats (as WeCom's group robot and DingTalk's custom robot document them):
- WeCom: POST {"msgtype": "markdown", "markdown": {"content": ...}}, answer {"errcode": 0, "errmsg": "ok"}.
- DingTalk: POST {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}} to the URL plus
  `&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))>` when the
  robot has a signing secret; answer {"errcode": 0}.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Department,
    Notification,
    Role,
    Ticket,
    User,
    Webhook,
    WebhookKind,
    WebhookMessage,
)
from app.services.accounts import audit
from app.services.actor import Actor
from app.timeutil import to_local

log = logging.getLogger(__name__)

ROBOT_KINDS = ("assigned", "reopened", "due_soon", "overdue", "digest")
TICKET_DEPARTMENT_KINDS = ("assigned", "reopened")  # the ticket's department hears even with no account
# Bytes of markdown a message may carry: WeCom allows 4096, DingTalk about 20000.
MAX_BYTES = {WebhookKind.WECOM: 4000, WebhookKind.DINGTALK: 18000}
TEXT_BUDGET = 3600  # one event's markdown, so that it fits either robot alone
BATCH = 1000
URL_MAX = Webhook.url.type.length
SECRET_MAX = Webhook.secret.type.length


class DeliveryError(Exception):
    pass


# --- configuration ----------------------------------------------------------------------------------

def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX:
        raise ValidationFailed(_("Give the robot's webhook address (https://…, at most %(n)d characters).",
                                 n=URL_MAX), field="url")
    return url


def _kind(value: str) -> WebhookKind:
    try:
        return WebhookKind((value or "").strip())
    except ValueError:
        raise ValidationFailed(_("The kind must be wecom or dingtalk."), field="kind") from None


def _department(code: str) -> Department:
    department = db.session.scalar(sa.select(Department).where(Department.code == (code or "").strip()))
    if department is None:
        raise ValidationFailed(_("No department with the code %(code)s.", code=code), field="department")
    return department


def configure(actor: Actor, department_code: str, kind: str, url: str, secret: str | None,
              ip: str | None = None) -> Webhook:
    """Set a department's robot of `kind` (replacing its address); `secret` None keeps the stored one."""
    department, kind_, url = _department(department_code), _kind(kind), _clean_url(url)
    if secret is not None and len(secret.strip()) > SECRET_MAX:
        raise ValidationFailed(_("The secret may be at most %(n)d characters long.", n=SECRET_MAX), field="secret")
    webhook = db.session.scalar(sa.select(Webhook).where(Webhook.department_id == department.id,
                                                         Webhook.kind == kind_))
    if webhook is None:
        webhook = Webhook(department_id=department.id, kind=kind_, secret="", window_count=0, last_error="")
        db.session.add(webhook)
    webhook.url, webhook.active = url, True
    if secret is not None:
        webhook.secret = secret.strip()
    audit.record(actor, "webhook.set", "webhook", f"{department.code}:{kind_.value}",
                 {"url": mask_url(url), "secret": bool(webhook.secret)}, ip)
    db.session.flush()
    return webhook


def remove(actor: Actor, webhook_id: int, ip: str | None = None) -> None:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(_("Webhook not found."))
    db.session.execute(sa.delete(WebhookMessage).where(WebhookMessage.webhook_id == webhook.id))
    audit.record(actor, "webhook.delete", "webhook", f"{webhook.department.code}:{webhook.kind.value}", {}, ip)
    db.session.delete(webhook)
    db.session.flush()


def list_all() -> list[Webhook]:
    return list(db.session.scalars(sa.select(Webhook).join(Department).order_by(Department.code, Webhook.kind)))


def status(webhook_ids) -> dict[int, dict]:
    """Per robot: messages waiting, the most attempts among them, and those given up."""
    ids = list(webhook_ids)
    out = {i: {"pending": 0, "attempts": 0, "failed": 0} for i in ids}
    if not ids:
        return out
    pending = sa.and_(WebhookMessage.sent_at.is_(None), WebhookMessage.failed_at.is_(None))
    for row in db.session.execute(sa.select(
            WebhookMessage.webhook_id,
            sa.func.count(WebhookMessage.id).filter(pending),
            sa.func.max(WebhookMessage.attempts).filter(pending),
            sa.func.count(WebhookMessage.id).filter(WebhookMessage.failed_at.is_not(None)))
            .where(WebhookMessage.webhook_id.in_(ids)).group_by(WebhookMessage.webhook_id)):
        out[row[0]] = {"pending": row[1] or 0, "attempts": row[2] or 0, "failed": row[3] or 0}
    return out


def _tail(value: str) -> str:
    return "…" + value[-4:] if len(value) > 8 else "…"


def mask_url(url: str) -> str:
    """The address without its credentials: every query value cut to its last four characters."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(f"{k}={_tail(v)}" for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def mask_secret(secret: str) -> str:
    return _tail(secret) if secret else ""


# --- queueing ---------------------------------------------------------------------------------------

def queue(kind: str, user_ids, ticket: Ticket | None, data: dict) -> int:
    """Queue the event for the robots of the departments it is for; return how many messages."""
    if kind not in ROBOT_KINDS:
        return 0
    robots = db.session.execute(sa.select(Webhook.id, Webhook.department_id, Webhook.kind)
                                .where(Webhook.active)).all()
    if not robots:
        return 0
    departments = _departments_for(kind, list(user_ids), ticket)
    targets = [r for r in robots if r.department_id in departments]
    if not targets:
        return 0
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        title, text = render(kind, ticket, data)
    for robot in targets:
        db.session.add(WebhookMessage(webhook_id=robot.id, kind=kind, title=title[:200], text=text,
                                      attempts=0, last_error=""))
    return len(targets)


def _departments_for(kind: str, user_ids: list[int], ticket: Ticket | None) -> set[int]:
    departments: set[int] = set()
    if user_ids:
        rows = db.session.execute(sa.select(User.role, User.department_id).where(User.id.in_(user_ids))).all()
        departments = {d for role, d in rows if role == Role.DEPARTMENT and d is not None}
        if any(role in (Role.SUPERVISOR, Role.ADMIN) for role, _d in rows):
            office = db.session.scalar(sa.select(Department.id).where(
                Department.code == current_app.config.get("CAMPAIGN_OFFICE_CODE", "CCB")))
            if office is not None:
                departments.add(office)
    if kind in TICKET_DEPARTMENT_KINDS and ticket is not None and ticket.department_id is not None:
        departments.add(ticket.department_id)
    return departments


def ticket_path(ticket_id: int) -> str:
    """PUBLIC_URL + the ticket's page (app/web/links.py's rule, without a request: set PUBLIC_URL)."""
    path = current_app.url_map.bind("localhost").build("web.ticket_detail", {"ticket_id": ticket_id})
    return current_app.config.get("PUBLIC_URL", "").rstrip("/") + path


def _ticket_lines(ticket: Ticket) -> list[str]:
    place = ticket.address or (ticket.area.name_zh if ticket.area else "") or f"{ticket.lat:.5f}, {ticket.lon:.5f}"
    deadline = to_local(ticket.due_at).strftime("%Y-%m-%d %H:%M") if ticket.due_at else "—"
    return [
        f"**{_('Case')}**: {ticket.case_number}",
        f"**{_('Category')}**: {ticket.category.name_zh}",
        f"**{_('Place')}**: {place}",
        f"**{_('Deadline')}**: {deadline}",
        f"[{_('Open in Xuncha')}]({ticket_path(ticket.id)})",
    ]


def render(kind: str, ticket: Ticket | None, data: dict) -> tuple[str, str]:
    """The title and markdown of one event, in the current language."""
    from app.services.notifications import centre

    title, lines = centre.describe(Notification(kind=kind, data=data))
    parts = [f"### {title}"]
    if ticket is not None and kind in TICKET_DEPARTMENT_KINDS:
        parts.append("\n".join(f"> {line}" for line in _ticket_lines(ticket)))
        if data.get("note"):
            parts.append(_("Note: %(note)s", note=data["note"]))
        return title, "\n\n".join(parts)
    if kind == "digest":
        parts.append("\n".join(f"- {line}" for line in lines))
    cases = data.get("cases") or data.get("overdue_cases") or []
    tickets = {t.case_number: t for t in db.session.scalars(
        sa.select(Ticket).where(Ticket.case_number.in_(cases)))} if cases else {}
    listed = 0
    for case in cases:
        if case in tickets:
            block = "\n".join(f"> {line}" for line in _ticket_lines(tickets[case]))
            if len("\n\n".join([*parts, block]).encode()) > TEXT_BUDGET:
                break  # WeCom takes 4096 bytes: the rest are counted, not listed
            parts.append(block)
        listed += 1
    more = data.get("count", len(cases)) - listed
    if more > 0 and kind != "digest":
        parts.append(_("and %(n)d more", n=more))
    return title, "\n\n".join(parts)


# --- sending ----------------------------------------------------------------------------------------

def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk's signing: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


def payload(webhook: Webhook, title: str, text: str) -> dict:
    if webhook.kind == WebhookKind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def post(webhook: Webhook, title: str, text: str, now: datetime) -> None:
    """Send one message; DeliveryError unless the robot answered errcode 0."""
    url = webhook.url
    if webhook.kind == WebhookKind.DINGTALK and webhook.secret:
        url = signed_url(url, webhook.secret, int(now.timestamp() * 1000))
    body = json.dumps(payload(webhook, title, text), ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=current_app.config["WEBHOOK_TIMEOUT_S"]) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {str(exc)[:200]}") from None
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        code = answer.get("errcode") if isinstance(answer, dict) else None
        message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise DeliveryError(f"errcode {code}: {str(message)[:200]}")


def _chunks(webhook: Webhook, messages: list[WebhookMessage], allowance: int) -> list[list[WebhookMessage]]:
    """At most `allowance` groups in order, as even as the size limit lets; what does not fit waits."""
    limit = MAX_BYTES[webhook.kind]
    groups: list[list[WebhookMessage]] = []
    index = 0
    while index < len(messages) and len(groups) < allowance:
        target = -(-(len(messages) - index) // (allowance - len(groups)))  # spread the rest evenly
        group, size = [], 0
        while index < len(messages) and len(group) < target:
            length = len(messages[index].text.encode()) + 2
            if group and size + length > limit:
                break
            group.append(messages[index])
            size += length
            index += 1
        groups.append(group)
    return groups


def _combine(group: list[WebhookMessage]) -> tuple[str, str]:
    if len(group) == 1:
        return group[0].title, group[0].text
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        title = _("%(n)d notifications from Xuncha", n=len(group))
    return title, "\n\n".join(m.text for m in group)


def deliver_pending(now: datetime) -> int:
    """Send the due messages, robot by robot within its rate limit; return how many posts succeeded."""
    config = current_app.config
    rate, window = config["WEBHOOK_RATE_PER_MINUTE"], timedelta(minutes=1)
    due = db.session.scalars(sa.select(WebhookMessage).where(
        WebhookMessage.sent_at.is_(None), WebhookMessage.failed_at.is_(None), WebhookMessage.next_attempt_at <= now)
        .order_by(WebhookMessage.id).limit(BATCH)).all()
    by_robot: dict[int, list[WebhookMessage]] = defaultdict(list)
    for message in due:
        by_robot[message.webhook_id].append(message)
    sent = 0
    for webhook_id, messages in by_robot.items():
        webhook = db.session.get(Webhook, webhook_id)
        if webhook is None or not webhook.active:
            continue
        if webhook.window_start is None or now - webhook.window_start >= window:
            webhook.window_start, webhook.window_count = now, 0
        allowance = rate - webhook.window_count
        if allowance <= 0:
            continue
        for group in _chunks(webhook, messages, allowance):
            title, text = _combine(group)
            webhook.window_count += 1  # a refused call counts against the limit too
            try:
                post(webhook, title, text, now)
            except DeliveryError as exc:
                _failed(webhook, group, str(exc), now)
                break  # the robot is failing: the rest waits for the next run
            for message in group:
                message.attempts += 1
                message.sent_at = now
                log.info("webhook message %s sent", message.id, extra={  # joins the request that queued it
                    "webhook_message_id": message.id, "webhook_id": webhook.id,
                    "queued_by_request": message.request_id})
            webhook.last_sent_at = now
            sent += 1
    db.session.flush()
    return sent


def _failed(webhook: Webhook, group: list[WebhookMessage], error: str, now: datetime) -> None:
    config = current_app.config
    webhook.last_error, webhook.last_error_at = error[:500], now
    for message in group:
        message.attempts += 1
        message.last_error = error[:500]
        if message.attempts >= config["WEBHOOK_MAX_ATTEMPTS"]:
            message.failed_at = now
        else:
            wait = config["WEBHOOK_BACKOFF_S"] * 2 ** (message.attempts - 1)
            message.next_attempt_at = now + timedelta(seconds=min(wait, 3600))
    log.warning("webhook %s (%s) failed: %s", webhook.id, webhook.kind.value, error,
                extra={"webhook_id": webhook.id, "messages": len(group)})
