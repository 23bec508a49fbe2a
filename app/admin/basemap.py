"""Admin page for the offline base map: what it holds, the county's own GeoJSON, back to the seed's."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from app.admin.views import _apply, _ip, bp
from app.errors import ValidationFailed
from app.models import Role
from app.security import current_actor, page_auth
from app.services.supervision import basemap


@bp.get("/basemap")
@page_auth(Role.ADMIN)
def basemap_page():
    return render_template("admin/basemap.html", summary=basemap.summary(),
                           max_mb=basemap.MAX_FILE_BYTES // (1024 * 1024))


@bp.post("/basemap")
@page_auth(Role.ADMIN)
def basemap_upload():
    upload = request.files.get("file")

    def change():
        if upload is None or not upload.filename:
            raise ValidationFailed(_("Choose a GeoJSON file."), field="file")
        # One byte over the limit is enough to refuse it, without reading a huge upload whole.
        raw = upload.stream.read(basemap.MAX_FILE_BYTES + 1)
        try:
            collection = basemap.parse(raw)
        except basemap.BaseMapError as error:
            raise ValidationFailed(str(error), field="file") from None
        basemap.replace(current_actor(), collection, _ip())

    return _apply(change, _("Base map imported."), url_for("admin.basemap_page"))


@bp.post("/basemap/revert")
@page_auth(Role.ADMIN)
def basemap_revert():
    return _apply(lambda: basemap.revert(current_actor(), _ip()),
                  _("The seed's base map is back."), url_for("admin.basemap_page"))
