"""Admin pages for departments' group-chat robots (WeCom, DingTalk): set, remove, see failures."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _

from app.admin.views import _apply, _departments, _ip, bp
from app.models import Role
from app.security import current_actor, page_auth
from app.services.notifications import webhooks


@bp.get("/webhooks")
@page_auth(Role.ADMIN)
def webhook_list():
    rows = webhooks.list_all()
    return render_template("admin/webhooks.html", webhooks=rows, status=webhooks.status(w.id for w in rows),
                           departments=_departments(), mask_url=webhooks.mask_url,
                           mask_secret=webhooks.mask_secret, public_url=current_app.config.get("PUBLIC_URL", ""))


@bp.post("/webhooks")
@page_auth(Role.ADMIN)
def webhook_set():
    form = request.form
    secret = form.get("secret", "")
    # A blank secret keeps the stored one (it is never sent back to the form); "clear" removes it.
    secret = "" if form.get("clear_secret") else (secret if secret.strip() else None)
    return _apply(lambda: webhooks.configure(current_actor(), form.get("department", ""), form.get("kind", ""),
                                             form.get("url", ""), secret, _ip()),
                  _("Webhook saved."), url_for("admin.webhook_list"))


@bp.post("/webhooks/<int:webhook_id>/delete")
@page_auth(Role.ADMIN)
def webhook_delete(webhook_id: int):
    return _apply(lambda: webhooks.remove(current_actor(), webhook_id, _ip()), _("Webhook removed."),
                  url_for("admin.webhook_list"))
