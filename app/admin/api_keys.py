"""Admin pages for integrations' API keys (decision 0009): list, create (the key shown once), revoke."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin.views import _ip, bp
from app.errors import DomainError
from app.extensions import db
from app.models import Role, User
from app.security import current_actor, page_auth
from app.services.accounts import api_keys


def _page(issued: api_keys.Issued | None = None, status: int = 200):
    keys = api_keys.list_keys()
    ids = {k.created_by_id for k in keys} - {None}
    names = dict(db.session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    response = make_response(render_template("admin/api_keys.html", keys=keys, names=names, issued=issued), status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a key that is shown only once
    return response


@bp.get("/api-keys")
@page_auth(Role.ADMIN)
def api_key_list():
    return _page()


@bp.post("/api-keys")
@page_auth(Role.ADMIN)
def api_key_create():
    try:
        issued = api_keys.create(current_actor(), request.form.get("name", ""), _ip())
        secret, name = issued.secret, issued.key.name
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.api_key_list"))
    flash(_("API key %(name)s created. Copy it now: it is not shown again.", name=name), "success")
    return _page(api_keys.Issued(issued.key, secret))


@bp.post("/api-keys/revoke")
@page_auth(Role.ADMIN)
def api_key_revoke():
    try:
        key = api_keys.revoke(current_actor(), request.form.get("name", ""), _ip())
        name = key.name
        db.session.commit()
        flash(_("API key %(name)s revoked.", name=name), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("admin.api_key_list"))
