"""The audit log of admin actions: one row per change, never edited."""
from __future__ import annotations

from app.extensions import db
from app.models import AuditEntry
from app.services.actor import Actor


def record(actor: Actor, action: str, target_type: str, target_id, details: dict | None = None,
           ip: str | None = None) -> AuditEntry:
    """Append what `actor` did to what; the caller's commit keeps it with the change itself."""
    entry = AuditEntry(actor_id=actor.user_id, action=action, target_type=target_type,
                       target_id=str(target_id), details=details or {}, ip=ip)
    db.session.add(entry)
    return entry
