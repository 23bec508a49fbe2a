"""Device tokens: a browser logged in with a password asks for one; a device can revoke its own."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from app.api import bp
from app.errors import BadRequest, Forbidden
from app.extensions import db
from app.models import DeviceToken, User
from app.schemas.bodies import DeviceTokenIn, request_body
from app.security import api_auth, by_password_session, current_actor
from app.services.accounts import users


@bp.post("/device-tokens")
@api_auth()
def create_device_token():
    """Issue a long-lived token to the logged-in user's device (the PWA calls this once).

    Only a web session from a password login may ask, never a bearer token: a stolen token must
    not be able to mint fresh ones that outlive its revocation.
    """
    if not by_password_session():
        raise Forbidden(_("Device tokens are issued only after logging in with a password, not to a token."),
                        code="password_login_required")
    label = request_body(DeviceTokenIn, refusal=BadRequest).name
    user = db.session.get(User, current_actor().user_id)
    token = users.issue_device_token(user, label)
    db.session.commit()
    return {"token": token, "username": user.username, "role": user.role.value}, 201


@bp.delete("/device-tokens/current")
@api_auth()
def revoke_current_token():
    """Revoke the token this request was made with (log out a device)."""
    token_id = g.get("token_id")
    if token_id is None:
        raise BadRequest(_("This request was not made with a device token."), code="no_token")
    users.revoke_token(db.session.get(DeviceToken, token_id))
    db.session.commit()
    return "", 204
