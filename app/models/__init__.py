"""Every model, imported so Alembic and the shell see the whole schema."""
from app.models.api_key import ApiKey
from app.models.assessment import (
    ChecklistItem,
    ChecklistVersion,
    InspectionPoint,
    LocationType,
    Outcome,
    Visit,
    VisitResult,
)
from app.models.assessment_draw import Draw, DrawPoint
from app.models.basemap import BaseMap
from app.models.calendar import CalendarDay, DayKind
from app.models.device import CaptureNumber, Device
from app.models.geocode import GeocodeAnswer
from app.models.job import JobMark, SchedulerLease
from app.models.kpi_rollup import CLASS_SPANS, KPI_GROUPINGS, NOW_DAY, KpiDay, KpiResolveClass
from app.models.map_cell import MapCell
from app.models.notification import Notification
from app.models.org import Area, AreaKind, Category, Department, Severity
from app.models.photo import EvidenceFlag, Photo, PhotoKind, PhotoUpload, TicketPhoto
from app.models.rollup_delta import DELTAS
from app.models.security import AuditEntry, LoginAttempt
from app.models.slip import DocumentCounter, SlipNumber
from app.models.sync_state import Change, OfflineAction
from app.models.ticket import (
    DEPARTMENT_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    AddressSource,
    CaseCounter,
    CaseDay,
    LocationSource,
    Report,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from app.models.user import DeviceToken, Role, User, UserSession
from app.models.webhook import Webhook, WebhookKind, WebhookMessage

__all__ = [
    "ApiKey", "BaseMap",
    "CaptureNumber", "Device",
    "ChecklistItem", "ChecklistVersion", "InspectionPoint", "LocationType", "Outcome", "Visit", "VisitResult",
    "Draw", "DrawPoint",
    "AddressSource", "GeocodeAnswer",
    "CalendarDay", "DayKind", "Webhook", "WebhookKind", "WebhookMessage",
    "DocumentCounter", "SlipNumber",
    "AuditEntry", "LoginAttempt",
    "Area", "AreaKind", "CaseCounter", "CaseDay", "Category", "Change", "DEPARTMENT_STATUSES", "Department",
    "DeviceToken",
    "CLASS_SPANS", "EvidenceFlag", "FINAL_STATUSES", "JobMark", "KPI_GROUPINGS", "KpiDay", "KpiResolveClass",
    "LocationSource", "MapCell", "DELTAS", "NOW_DAY", "Notification", "OfflineAction",
    "OPEN_STATUSES", "Photo", "PhotoKind", "PhotoUpload", "Report", "Role",
    "SchedulerLease", "Severity", "Ticket", "TicketEvent", "TicketPhoto", "TicketStatus", "User",
    "UserSession",
]
