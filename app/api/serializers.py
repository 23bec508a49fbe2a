"""Model → JSON for the API: one function per resource, used by every endpoint."""
from __future__ import annotations

from app.models import Area, EvidenceFlag, Photo, Ticket, TicketPhoto
from app.services.photos.exif import GPS_FIELDS
from app.timeutil import iso


def area_out(area: Area, departments: dict[int, str], centroid: tuple[float, float]) -> dict:
    return {
        "code": area.code,
        "name_zh": area.name_zh,
        "name_en": area.name_en,
        "kind": area.kind,
        "department_code": departments.get(area.department_id),
        "centroid": {"lat": centroid[0], "lon": centroid[1]},
        "geometry": area.geometry,
    }


def ticket_summary(ticket: Ticket, now) -> dict:
    return {
        "id": ticket.id,
        "case_number": ticket.case_number,
        "status": ticket.status.value,
        "version": ticket.version,
        "category_code": ticket.category.code,
        "department_code": ticket.department.code if ticket.department else None,
        "area_code": ticket.area.code if ticket.area else None,
        "lat": ticket.lat,
        "lon": ticket.lon,
        "address": ticket.address,
        "address_source": ticket.address_source.value if ticket.address_source else None,
        "received_at": iso(ticket.received_at),
        "due_at": iso(ticket.due_at),
        "overdue": ticket.is_overdue(now),
        "report_count": ticket.report_count,
    }


def photo_link(link: TicketPhoto) -> dict:
    sha = link.photo_sha256
    return {
        "sha256": sha,
        "kind": link.kind.value,
        "added_at": iso(link.added_at),
        **_derivative_urls(sha, link.photo.derivatives),
    }


def _derivative_urls(sha: str, state: str) -> dict:
    """The web and thumbnail URLs once the derivatives are made; null while pending or failed (issue 20)."""
    ready = state == "ready"
    return {"derivatives": state, "web_url": f"/api/v1/photos/{sha}/web" if ready else None,
            "thumbnail_url": f"/api/v1/photos/{sha}/thumb" if ready else None}


def ticket_detail(ticket: Ticket, now, photos: list[TicketPhoto], actions: list[str],
                  users: dict[int, str]) -> dict:
    body = ticket_summary(ticket, now)
    body.update({
        "description": ticket.description,
        "accuracy_m": ticket.accuracy_m,
        "location_source": ticket.location_source.value,
        "captured_at": iso(ticket.captured_at),
        "assigned_at": iso(ticket.assigned_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
        "resolved_on_time": ticket.resolved_on_time,
        "rework_count": ticket.rework_count,
        "duplicate_of": ticket.duplicate_of_id,
        "reporter": users.get(ticket.reporter_id),
        "photos": [photo_link(p) for p in photos],
        "events": [
            {
                "id": e.id,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "actor": users.get(e.actor_id) if e.actor_id else "system",
                "at": iso(e.at),
                "note": e.note,
                "photos": e.photos,
                "data": e.data,
            }
            for e in ticket.events
        ],
        "allowed_actions": actions,
    })
    return body


def photo_out(photo: Photo, *, with_original: bool = False) -> dict:
    """A photo's metadata; sizes as displayed (orientation applied).

    `with_original`: the reader may see originals (photos.store.may_see_originals); only then does
    the EXIF include the GPS position, which the derivatives never carry (docs/design.md §5)."""
    sha = photo.sha256
    exif = photo.exif or {}
    body = {
        "sha256": sha,
        "mime": photo.mime,
        "width": photo.width,
        "height": photo.height,
        "bytes": photo.bytes,
        "exif": exif if with_original else {k: v for k, v in exif.items() if k not in GPS_FIELDS},
        **_derivative_urls(sha, photo.derivatives),
        "status": photo.status,
        "created_at": iso(photo.created_at),
    }
    if with_original:
        body["original_url"] = f"/api/v1/photos/{sha}/original"
    return body


def evidence_flag_out(flag: EvidenceFlag, reason: str) -> dict:
    return {
        "code": flag.code,
        "reason": reason,
        "photo_sha256": flag.photo_sha256,
        "kind": flag.kind.value,
        "details": flag.details,
        "created_at": iso(flag.created_at),
    }
