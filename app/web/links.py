"""Links that leave the server: in files, QR codes and messages, they must open where staff are.

`PUBLIC_URL` (the address staff open, e.g. https://xuncha.county.gov.cn) is what a slip's QR code, a
spreadsheet's hyperlink or a message carries; without it, the address this request came in on — right
on a developer's machine, wrong behind a proxy that rewrites the host, hence the setting.
"""
from __future__ import annotations

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


def ticket_link(ticket_id: int) -> str:
    return public_url("web.ticket_detail", ticket_id=ticket_id)
