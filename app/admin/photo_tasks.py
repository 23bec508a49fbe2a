"""Admin page: photos whose derivatives are pending or failed, and the task queue's depth (issue 20)."""
from __future__ import annotations

from flask import current_app, render_template

from app.admin.views import bp
from app.models import Role
from app.security import page_auth
from app.services.photos import derivatives
from app.tasks.queue import queue


@bp.get("/photos")
@page_auth(Role.ADMIN)
def photo_tasks():
    tasks = queue()
    try:
        depth, worker = tasks.counts(), tasks.worker_alive()
    except Exception:  # noqa: BLE001 - Redis down: say so on the page rather than fail it
        depth, worker = None, False
    return render_template("admin/photo_tasks.html", status=derivatives.status(), depth=depth, worker=worker,
                           backend=current_app.config["TASK_QUEUE"])
