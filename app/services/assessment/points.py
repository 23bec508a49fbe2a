"""Inspection points (点位): check one, save one, import many from CSV or GeoJSON, list them.

An import is all or nothing: every row is checked first, and only a file without a single bad row
is written; each bad row is reported with its line in the file. A code that exists already is
updated in place (same row, so its visits stay with it); points the file does not name are left
as they are. The area is the township the position falls in unless the row names one.

CSV: a header `code,name,location_type,lat,lon,department_code[,area_code]`, then one point a line
(UTF-8, with or without BOM, or GB18030 as Excel saves it on Chinese Windows).
GeoJSON: a FeatureCollection of Point, Polygon or MultiPolygon features (WGS-84) whose properties
carry the same names; a polygon's position is `lat`/`lon` when given, else a point inside it.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from shapely.errors import GEOSException
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Area, AreaKind, Department, InspectionPoint, LocationType, Visit
from app.services.accounts import audit
from app.services.actor import Actor, Role
from app.services.reports import geo
from app.text import text_problem

CSV_COLUMNS = ("code", "name", "location_type", "lat", "lon", "department_code")
CSV_OPTIONAL = ("area_code",)
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")  # matched whole
MAX_NAME = 200
MAX_ROWS = 20000
MAX_VERTICES = 5000
POLYGON_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class PointSpec:
    """A point as a file row or a form gives it, not yet checked."""

    code: str
    name: str
    location_type: str
    lat: float | None
    lon: float | None
    department_code: str
    area_code: str | None = None
    polygon: dict | None = None


@dataclass(frozen=True)
class RowError:
    line: int | None  # in the file; None for a single point saved from a form
    field: str
    message: str

    def __str__(self) -> str:
        where = _("line %(n)s", n=self.line) if self.line is not None else ""
        return f"{where}: {self.field}: {self.message}" if where else f"{self.field}: {self.message}"


@dataclass
class ImportResult:
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Checked:
    """A row's values, ready to write."""

    code: str
    name: str
    location_type_id: int
    lat: float
    lon: float
    polygon: dict | None
    bbox: tuple[float, float, float, float]
    area_id: int | None
    department_id: int


class _References:
    """What rows are checked against, read once per import."""

    def __init__(self) -> None:
        self.location_types = dict(db.session.execute(sa.select(LocationType.code, LocationType.id)).all())
        self.departments = {row.code: row for row in db.session.execute(
            sa.select(Department.code, Department.id, Department.active, Department.is_placeholder))}
        self.areas = {row.code: row for row in db.session.execute(sa.select(Area.code, Area.id, Area.kind))}


# --- one point -------------------------------------------------------------------------------

def check(spec: PointSpec, refs: _References | None = None) -> tuple[_Checked | None, list[tuple[str, str]]]:
    """The row's values ready to write, or the (field, message) of everything wrong with it."""
    refs = refs or _References()
    errors: list[tuple[str, str]] = []
    code = _text(spec.code, "code", 32, errors)
    if code and not CODE.fullmatch(code):
        errors.append(("code", _("A code is letters, digits, '.', '_' or '-' (at most 32).")))
    name = _text(spec.name, "name", MAX_NAME, errors)
    location_type_id = department_id = area_id = None
    kind = _text(spec.location_type, "location_type", 16, errors)
    if kind:
        location_type_id = refs.location_types.get(kind)
        if location_type_id is None:
            errors.append(("location_type", _("No location type %(code)s.", code=kind)))
    department_code = _text(spec.department_code, "department_code", 32, errors)
    if department_code:
        department = refs.departments.get(department_code)
        if department is None or not department.active:
            errors.append(("department_code", _("No active department %(code)s.", code=department_code)))
        elif department.is_placeholder:
            errors.append(("department_code", _("%(code)s stands for the township of the place; name the real "
                                                "department.", code=department_code)))
        else:
            department_id = department.id
    lat, lon, polygon = _position(spec, errors)
    if spec.area_code not in (None, ""):
        area_code = _text(spec.area_code, "area_code", 32, errors)
        area = refs.areas.get(area_code) if area_code else None
        if area_code and (area is None or area.kind == AreaKind.COUNTY):
            errors.append(("area_code", _("No township area %(code)s.", code=area_code)))
        elif area is not None:
            area_id = area.id
    elif lat is not None:
        found = geo.area_at(lat, lon)
        area_id = found.id if found else None
    if errors:
        return None, errors
    bbox = _bbox(lat, lon, polygon)
    return _Checked(code, name, location_type_id, lat, lon, polygon, bbox, area_id, department_id), []


def save_point(spec: PointSpec, actor: Actor, now: datetime) -> InspectionPoint:
    """Create the point, or update the one with its code (its visits stay with it)."""
    _require_supervisor(actor)
    checked, errors = check(spec)
    if errors:
        name, message = errors[0]
        raise ValidationFailed(message, field=name)
    existing = db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == checked.code))
    point = _write(checked, existing, now)
    db.session.flush()
    audit.record(actor, "point_updated" if existing else "point_created", "inspection_point", point.code)
    return point


def set_active(code: str, active: bool, actor: Actor) -> InspectionPoint:
    """Take a point out of the assessment (or back in); it keeps its visits."""
    _require_supervisor(actor)
    point = db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code))
    if point is None:
        raise NotFound(_("No such point."), field="code")
    point.active = active
    audit.record(actor, "point_activated" if active else "point_deactivated", "inspection_point", code)
    return point


def _row(checked: _Checked, now: datetime) -> dict:
    min_lon, min_lat, max_lon, max_lat = checked.bbox
    return {"code": checked.code, "name": checked.name, "location_type_id": checked.location_type_id,
            "lat": checked.lat, "lon": checked.lon, "polygon": checked.polygon, "min_lon": min_lon,
            "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat, "area_id": checked.area_id,
            "department_id": checked.department_id, "active": True, "created_at": now, "updated_at": now}


def _write(checked: _Checked, point: InspectionPoint | None, now: datetime) -> InspectionPoint:
    if point is None:
        point = InspectionPoint(code=checked.code, created_at=now)
        db.session.add(point)
    point.name = checked.name
    point.location_type_id = checked.location_type_id
    point.lat, point.lon, point.polygon = checked.lat, checked.lon, checked.polygon
    point.min_lon, point.min_lat, point.max_lon, point.max_lat = checked.bbox
    point.area_id = checked.area_id
    point.department_id = checked.department_id
    point.updated_at = now
    return point


# --- many points from a file -----------------------------------------------------------------

def import_file(path: Path, actor: Actor, now: datetime, *, dry_run: bool = False) -> ImportResult:
    data = Path(path).read_bytes()
    text = decode(data)
    kind = "geojson" if Path(path).suffix.lower() in (".geojson", ".json") or text.lstrip().startswith("{") \
        else "csv"
    return import_points(text, kind, actor, now, dry_run=dry_run)


def decode(data: bytes) -> str:
    """UTF-8 (a BOM allowed), else GB18030, the encoding Excel gives a CSV on Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def import_points(text: str, kind: str, actor: Actor, now: datetime, *, dry_run: bool = False,
                  keep_existing: bool = False) -> ImportResult:
    """Check every row of a CSV or GeoJSON text; write them all, or none when one is bad.

    `keep_existing` (the demo seed): rows whose code exists already are left out, not updated."""
    _require_supervisor(actor)
    rows, errors = read_csv(text) if kind == "csv" else read_geojson(text)
    result = ImportResult(rows=len(rows), errors=errors)
    if len(rows) > MAX_ROWS:
        result.errors.append(RowError(None, "file", _("At most %(n)d points a file.", n=MAX_ROWS)))
        return result
    refs = _References()
    first_line: dict[str, int] = {}
    checked_rows = []
    unreadable = {e.line for e in errors if e.field in ("lat", "lon")}
    for line, spec in rows:
        checked, problems = check(spec, refs)
        if line in unreadable:  # already reported as "not a number": not "missing" as well
            problems = [(name, message) for name, message in problems if name not in ("lat", "lon")]
        result.errors += [RowError(line, name, message) for name, message in problems]
        if checked is None:
            continue
        if checked.code in first_line:
            result.errors.append(RowError(line, "code", _("Code %(code)s is already on line %(n)d.",
                                                          code=checked.code, n=first_line[checked.code])))
            continue
        first_line[checked.code] = line
        checked_rows.append(checked)
    result.errors.sort(key=lambda e: (e.line or 0))
    existing = {p.code: p for p in db.session.scalars(
        sa.select(InspectionPoint).where(InspectionPoint.code.in_(list(first_line))))} if first_line else {}
    if keep_existing:
        checked_rows = [c for c in checked_rows if c.code not in existing]
    for checked in checked_rows:
        (result.updated if checked.code in existing else result.created).append(checked.code)
    if result.errors or dry_run:
        return result
    new_rows = []
    for checked in checked_rows:
        if checked.code in existing:
            _write(checked, existing[checked.code], now)
        else:
            new_rows.append(_row(checked, now))
    if new_rows:  # one executemany, not an ORM object per point
        db.session.execute(sa.insert(InspectionPoint), new_rows)
    db.session.flush()
    if not keep_existing:
        audit.record(actor, "points_imported", "inspection_point", "*",
                     {"created": len(result.created), "updated": len(result.updated)})
    result.written = True
    return result


def read_csv(text: str) -> tuple[list[tuple[int, PointSpec]], list[RowError]]:
    """(line, spec) of each data row, and the errors of rows that could not even be read."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [RowError(1, "file", _("The file is empty."))]
    except csv.Error as exc:
        return [], [RowError(1, "file", str(exc))]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS + CSV_OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        expected = ",".join(CSV_COLUMNS) + "[," + ",".join(CSV_OPTIONAL) + "]"
        return [], [RowError(1, "header", _("The header must be %(expected)s.", expected=expected))]
    rows, errors = [], []
    previous_end = reader.line_num
    try:
        for values in reader:
            line, previous_end = previous_end + 1, reader.line_num  # a quoted field may span lines
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                errors.append(RowError(line, "row", _("%(n)d fields; the header has %(m)d.", n=len(values),
                                                      m=len(header))))
                continue
            cell = dict(zip(header, (v.strip() for v in values), strict=True))
            lat, lon = _number(cell["lat"], "lat", line, errors), _number(cell["lon"], "lon", line, errors)
            rows.append((line, PointSpec(cell["code"], cell["name"], cell["location_type"], lat, lon,
                                         cell["department_code"], cell.get("area_code") or None)))
    except csv.Error as exc:
        errors.append(RowError(previous_end + 1, "row", str(exc)))
    return rows, errors


def read_geojson(text: str) -> tuple[list[tuple[int, PointSpec]], list[RowError]]:
    """(line, spec) of each feature (the line its object starts on), and the errors of unreadable ones."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [RowError(exc.lineno, "file", _("Not valid JSON: %(why)s.", why=exc.msg))]
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        return [], [RowError(1, "file", _("Expected a GeoJSON FeatureCollection."))]
    lines = _feature_lines(text)
    rows, errors = [], []
    for index, feature in enumerate(document["features"]):
        line = lines[index] if index < len(lines) else None
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(RowError(line, "feature", _("Not a GeoJSON Feature.")))
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        lat = lon = polygon = None
        if geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 2:
                lon = _number(coords[0], "lon", line, errors)
                lat = _number(coords[1], "lat", line, errors)
            else:
                errors.append(RowError(line, "geometry", _("A Point needs [lon, lat] coordinates.")))
                continue
        elif geometry.get("type") in POLYGON_TYPES:
            polygon = geometry
            if props.get("lat") not in (None, "") or props.get("lon") not in (None, ""):
                lat = _number(props.get("lat"), "lat", line, errors)
                lon = _number(props.get("lon"), "lon", line, errors)
        else:
            errors.append(RowError(line, "geometry", _("The geometry must be a Point or a Polygon.")))
            continue
        text = {name: _prop(props, name) for name in ("code", "name", "location_type", "department_code", "area_code")}
        rows.append((line, PointSpec(text["code"], text["name"], text["location_type"], lat, lon,
                                     text["department_code"], text["area_code"] or None, polygon)))
    return rows, errors


def _prop(props: dict, name: str) -> str:
    value = props.get(name)
    return (value if isinstance(value, str) else "" if value is None else str(value)).strip()


def _feature_lines(text: str) -> list[int]:
    """The line on which each member of the top-level "features" array starts (the text is valid JSON)."""
    decoder = json.JSONDecoder()
    starts: list[int] = []

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    pos = skip(0) + 1  # past the top-level "{"
    while True:
        pos = skip(pos)
        if pos >= len(text) or text[pos] == "}":
            break
        key, pos = decoder.raw_decode(text, pos)
        pos = skip(skip(pos) + 1)  # past ":"
        if key == "features" and text[pos] == "[":
            starts = []
            pos += 1
            while True:
                pos = skip(pos)
                if text[pos] == "]":
                    pos += 1
                    break
                starts.append(pos)
                _value, pos = decoder.raw_decode(text, pos)
                pos = skip(pos)
                if text[pos] == ",":
                    pos += 1
        else:
            _value, pos = decoder.raw_decode(text, pos)
        pos = skip(pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
    return [text.count("\n", 0, start) + 1 for start in starts]


# --- listing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PointRow:
    code: str
    name: str
    location_type: str
    lat: float
    lon: float
    area_code: str | None
    department_code: str
    last_visited_at: datetime | None
    distance_m: float | None = None


def visible_points(actor: Actor, near: tuple[float, float] | None = None,
                   radius_m: float | None = None) -> list[PointRow]:
    """The active points `actor` may see (a department: those it is responsible for), by code, or
    nearest first within `radius_m` of `near`; each with its last (not voided) visit."""
    last_visit = (sa.select(Visit.point_id, sa.func.max(Visit.started_at).label("at"))
                  .where(Visit.voided_at.is_(None)).group_by(Visit.point_id).subquery())
    query = (sa.select(InspectionPoint.code, InspectionPoint.name, LocationType.code.label("location_type"),
                       InspectionPoint.lat, InspectionPoint.lon, Area.code.label("area_code"),
                       Department.code.label("department_code"), last_visit.c.at)
             .join(LocationType, LocationType.id == InspectionPoint.location_type_id)
             .join(Department, Department.id == InspectionPoint.department_id)
             .outerjoin(Area, Area.id == InspectionPoint.area_id)
             .outerjoin(last_visit, last_visit.c.point_id == InspectionPoint.id)
             .where(InspectionPoint.active).order_by(InspectionPoint.code))
    if actor.role == Role.DEPARTMENT:
        query = query.where(InspectionPoint.department_id == actor.department_id)
    if near is not None:
        lat, lon = near
        dlat, dlon = geo.metres_to_degrees(radius_m, lat)
        query = query.where(InspectionPoint.max_lat >= lat - dlat, InspectionPoint.min_lat <= lat + dlat,
                            InspectionPoint.max_lon >= lon - dlon, InspectionPoint.min_lon <= lon + dlon)
    out = []
    for row in db.session.execute(query):
        distance = geo.distance_m(near, (row.lat, row.lon)) if near is not None else None
        if distance is not None and distance > radius_m:
            continue
        out.append(PointRow(row.code, row.name, row.location_type, row.lat, row.lon, row.area_code,
                            row.department_code, row.at, distance))
    if near is not None:
        out.sort(key=lambda p: (p.distance_m, p.code))
    return out


# --- helpers ---------------------------------------------------------------------------------

def _require_supervisor(actor: Actor) -> None:
    if not actor.is_supervisor:
        raise Forbidden(_("Only supervisors and administrators manage inspection points."))


def _text(value, name: str, limit: int, errors: list) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append((name, _("This field is required.")))
        return ""
    if not isinstance(value, str) or text_problem(value) is not None:
        errors.append((name, _("The text holds characters that cannot be stored.")))
        return ""
    value = value.strip()
    if len(value) > limit:
        errors.append((name, _("At most %(n)d characters.", n=limit)))
        return ""
    return value


def _number(raw, name: str, line: int | None, errors: list[RowError]) -> float | None:
    if isinstance(raw, bool):
        raw = None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors.append(RowError(line, name, _("Not a number.")))
        return None
    if not math.isfinite(value):
        errors.append(RowError(line, name, _("Not a number.")))
        return None
    return value


def _position(spec: PointSpec, errors: list) -> tuple[float | None, float | None, dict | None]:
    """The point's (lat, lon) and polygon, checked: in range, in the county, the point inside the polygon."""
    lat, lon, polygon = spec.lat, spec.lon, None
    outline = None
    if spec.polygon is not None:
        outline = _polygon(spec.polygon, errors)
        if outline is None:
            return None, None, None
        polygon = {"type": spec.polygon["type"], "coordinates": spec.polygon["coordinates"]}
        if lat is None and lon is None:
            inside = outline.centroid if outline.covers(outline.centroid) else outline.representative_point()
            lat, lon = round(inside.y, 7), round(inside.x, 7)
    if lat is None or lon is None:
        if not any(name in ("lat", "lon") for name, _m in errors):
            errors.append(("lat", _("The position is missing.")))
        return None, None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors.append(("lat", _("The coordinates are out of range (lat, lon in WGS-84 degrees).")))
        return None, None, None
    if outline is not None and not outline.covers(Point(lon, lat)):
        errors.append(("lat", _("The point lies outside its polygon.")))
        return None, None, None
    if geo.in_county(lat, lon) is False:
        errors.append(("lat", _("The position is outside the county.")))
        return None, None, None
    return lat, lon, polygon


def _polygon(geometry: dict, errors: list):
    try:
        outline = shape(geometry)
        vertices = len(outline.exterior.coords) if geometry["type"] == "Polygon" else \
            sum(len(p.exterior.coords) for p in outline.geoms)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, GEOSException) as exc:
        errors.append(("geometry", _("Not a valid polygon: %(why)s.", why=str(exc) or type(exc).__name__)))
        return None
    min_lon, min_lat, max_lon, max_lat = outline.bounds if not outline.is_empty else (0, 0, 0, 0)
    if outline.is_empty or not outline.is_valid:
        why = explain_validity(outline) if not outline.is_empty else "empty"
        errors.append(("geometry", _("Not a valid polygon: %(why)s.", why=why)))
        return None
    if vertices > MAX_VERTICES:
        errors.append(("geometry", _("At most %(n)d vertices.", n=MAX_VERTICES)))
        return None
    if not (-90 <= min_lat <= max_lat <= 90 and -180 <= min_lon <= max_lon <= 180):
        errors.append(("geometry", _("The coordinates are out of range (lat, lon in WGS-84 degrees).")))
        return None
    return outline


def _bbox(lat: float, lon: float, polygon: dict | None) -> tuple[float, float, float, float]:
    if polygon is None:
        return lon, lat, lon, lat
    min_lon, min_lat, max_lon, max_lat = shape(polygon).bounds
    return min(min_lon, lon), min(min_lat, lat), max(max_lon, lon), max(max_lat, lat)
