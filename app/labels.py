"""Translated labels for values stored as codes."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "reported": _l("Reported"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "returned": _l("Returned"),
    "reopened": _l("Reopened"),
    "invalid": _l("Invalid"),
    "duplicate": _l("Duplicate"),
}

ACTION_LABELS = {
    "assign": _l("Assign"),
    "accept": _l("Accept"),
    "resolve": _l("Resolve"),
    "return": _l("Return"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "mark_duplicate": _l("Mark duplicate"),
    "mark_invalid": _l("Mark invalid"),
    "report": _l("Report"),  # the history's first line: 上报, not the status 已上报
    "repeat": _l("Reported again"),
    "escalate": _l("Overdue: escalated"),
    "split": _l("Repeat split off"),
    "split_from": _l("Split off from another ticket"),
}

ROLE_LABELS = {
    "inspector": _l("Inspector"),
    "department": _l("Department"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}

LOCATION_SOURCE_LABELS = {
    "device": _l("Device GPS"),
    "exif": _l("Photo EXIF"),
    "manual": _l("Set on map"),
}


def localized_name(obj) -> str:
    """name_en in English, name_zh otherwise (and whenever there is no English name)."""
    if obj is None:
        return ""
    if get_locale().language == "en" and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name_zh
