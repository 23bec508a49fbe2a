"""Every model, imported so Alembic and the shell see the whole schema."""
from app.models.org import Area, AreaKind, Category, Department, Severity
from app.models.photo import Photo, PhotoKind, TicketPhoto
from app.models.ticket import (
    DEPARTMENT_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    CaseCounter,
    LocationSource,
    Report,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from app.models.user import DeviceToken, Role, User

__all__ = [
    "Area", "AreaKind", "CaseCounter", "Category", "DEPARTMENT_STATUSES", "Department", "DeviceToken",
    "FINAL_STATUSES", "LocationSource", "OPEN_STATUSES", "Photo", "PhotoKind", "Report", "Role",
    "Severity", "Ticket", "TicketEvent", "TicketPhoto", "TicketStatus", "User",
]
