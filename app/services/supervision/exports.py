"""Spreadsheets for people outside the app: the ranking and filtered ticket lists, as XLSX and CSV.

Every value reaches a file through spreadsheet_cells (csv_row, xlsx_row): text never starts a
formula, numbers and times are typed values.

Ticket exports stream: rows come from the database in batches (yield_per), CSV goes out as it
is written, and XLSX is written by openpyxl's write-only mode into a temporary file, so a
100,000-row export never holds its rows in memory.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from app.extensions import db
from app.labels import STATUS_LABELS, localized_name
from app.models import Area, Category, Department, Ticket, TicketEvent, User
from app.services.actor import Actor
from app.services.supervision.ranking import Ranking
from app.services.supervision.spreadsheet_cells import csv_row, xlsx_cell, xlsx_row
from app.services.tickets.queries import TicketFilter, filtered
from app.timeutil import to_local

CSV_BOM = "\ufeff"  # Excel reads UTF-8 CSV as Chinese only with a byte-order mark
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="C0392B")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# Ranking columns: rank, unit, N, A, B, R, O (rates), overdue urgent, reopened 3+, score, grade, change.
_RATES = (3, 4, 5, 6)
_RANKING_FORMATS = {**{i: "0.0%" for i in _RATES}, 9: "0.0", 11: "+0.0;-0.0;0.0"}


def ranking_header() -> list[str]:
    return [_("Rank"), _("Department"), _("Tickets counted (N)"), _("On-time rectification rate (A)"),
            _("Rectification rate (B)"), _("Rework rate (R)"), _("Overdue rate (O)"), _("Overdue urgent"),
            _("Reopened 3 times or more"), _("Score"), _("Grade"), _("Change from previous period")]


def ranking_rows(ranking: Ranking) -> Iterator[list]:
    """Typed values: rates from 0 to 1, scores as numbers; 样本不足 in the rank's place when unranked."""
    for row in ranking.rows:
        counts = row.counts
        yield [row.rank if row.rank is not None else _("Too few tickets"), localized_name(row.department),
               counts.n, row.on_time_rate, row.resolved_rate, row.rework_rate, row.overdue_rate,
               counts.urgent_overdue, counts.reworked_often, _one_decimal(row.score), row.grade or "",
               _one_decimal(row.change)]


def ranking_xlsx(ranking: Ranking, title: str, formula: str) -> bytes:
    """The ranking as a formatted workbook: a title line, a bold frozen header, the formula below."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Ranking")[:31]
    sheet.append([xlsx_cell(sheet, title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([xlsx_cell(sheet, name) for name in ranking_header()])
    for cell in sheet[2]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in ranking_rows(ranking):
        sheet.append(xlsx_row(sheet, values, _RANKING_FORMATS))
    sheet.append([])
    sheet.append([xlsx_cell(sheet, formula)])
    sheet.freeze_panes = "C3"
    sheet.column_dimensions["B"].width = 40
    for letter in "CDEFGHIJKL":
        sheet.column_dimensions[letter].width = 13
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ranking_csv(ranking: Ranking) -> str:
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out)
    writer.writerow(csv_row(ranking_header()))
    for values in ranking_rows(ranking):
        writer.writerow(csv_row(_percent(v) if i in _RATES else v for i, v in enumerate(values)))
    return out.getvalue()


# --- ticket lists ------------------------------------------------------------------------------

def ticket_header(*, link_column: bool) -> list[str]:
    """The columns of a ticket export; a CSV ends with the link (a workbook links the case number)."""
    columns = [_("Case number"), _("Status"), _("Category"), _("Department"), _("Area"), _("Address"),
               _("Latitude"), _("Longitude"), _("Received"), _("Deadline"), _("Resolved"), _("Closed"),
               _("Resolved on time"), _("Overdue"), _("Times reported"), _("Re-openings"), _("Description"),
               _("Reporter"), _("Resolution note"), _("Return note")]
    return [*columns, _("Link")] if link_column else columns


def _latest_note(action: str):
    """The note of the ticket's latest event of `action` (the resolution's, the return's), in SQL."""
    return (sa.select(TicketEvent.note).where(TicketEvent.ticket_id == Ticket.id, TicketEvent.action == action)
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc()).limit(1).scalar_subquery())


def ticket_rows(actor: Actor, flt: TicketFilter, now: datetime, ticket_url: Callable[[int], str]) -> Iterator[list]:
    """The filtered tickets, newest first, as spreadsheet rows (typed values; times local), fetched in
    batches; each row ends with the ticket's link."""
    reporter = sa.func.coalesce(sa.func.nullif(User.display_name, ""), User.username)
    query = filtered(actor, flt, now).with_only_columns(
        Ticket.id, Ticket.case_number, Ticket.status, _name(Category), _name(Department), _name(Area), Ticket.address,
        Ticket.lat, Ticket.lon, Ticket.received_at, Ticket.due_at, Ticket.resolved_at, Ticket.closed_at,
        Ticket.resolved_on_time, Ticket.rework_count, Ticket.report_count, Ticket.description, reporter,
        _latest_note("resolve"), _latest_note("return"),
    ).join(Category, Category.id == Ticket.category_id).outerjoin(Department, Department.id == Ticket.department_id) \
        .outerjoin(Area, Area.id == Ticket.area_id).outerjoin(User, User.id == Ticket.reporter_id) \
        .order_by(Ticket.received_at.desc(), Ticket.id.desc())
    yes, no = _("Yes"), _("No")
    result = db.session.execute(query.execution_options(yield_per=2000))
    try:  # a download cut short closes this generator: close the (server-side) cursor with it
        for row in result:
            (ticket_id, case, status, category, department, area, address, lat, lon, received, due, resolved, closed,
             on_time, reworks, reports, description, reporter_name, resolution_note, return_note) = row
            status = getattr(status, "value", status)
            overdue = due is not None and status in ("assigned", "in_progress", "reopened") and due < now
            yield [case, str(STATUS_LABELS.get(status, status)), category, department or "", area or "", address,
                   round(lat, 6), round(lon, 6), _local(received), _local(due), _local(resolved), _local(closed),
                   "" if on_time is None else (yes if on_time else no), yes if overdue else "", reports, reworks,
                   description, reporter_name or "", resolution_note or "", return_note or "", ticket_url(ticket_id)]
    finally:
        result.close()


def _name(model):
    """The name in the page's language, as localized_name() picks it, but in SQL."""
    if get_locale().language == "en":
        return sa.func.coalesce(sa.func.nullif(model.name_en, ""), model.name_zh)
    return model.name_zh


def _local(value: datetime | None) -> datetime | None:
    """The local time to the minute, without a zone (spreadsheets have none)."""
    return to_local(value).replace(tzinfo=None, second=0, microsecond=0) if value else None


def tickets_csv(rows: Iterable[list]) -> Iterator[str]:
    """CSV text in pieces of about a thousand rows, BOM first."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out)
    writer.writerow(csv_row(ticket_header(link_column=True)))
    yield _drain(out)  # the header at once: the download starts before the first query returns
    for i, row in enumerate(rows, 1):
        writer.writerow(csv_row(row))
        if i % 1000 == 0:
            yield _drain(out)
    yield _drain(out)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def read_and_close(file, size: int = 256 * 1024) -> Iterator[bytes]:
    """Yield a file's bytes in pieces and close it at the end, however the response ends."""
    try:
        while chunk := file.read(size):
            yield chunk
    finally:
        file.close()


def tickets_xlsx(rows: Iterable[list], title: str) -> tempfile.SpooledTemporaryFile:
    """A write-only workbook in a temporary file (rewound): rows go to disk as they are added. The
    case number is a hyperlink to the ticket (a cell link, not a HYPERLINK formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Tickets")[:31])
    sheet.freeze_panes = "B3"
    widths = (20, 10, 28, 30, 12, 36, 11, 11, 17, 17, 17, 17, 9, 8, 8, 8, 50, 16, 40, 40)
    for letter, width in zip("ABCDEFGHIJKLMNOPQRST", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    title_cell = xlsx_cell(sheet, title)
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    header = [xlsx_cell(sheet, name) for name in ticket_header(link_column=False)]
    for cell in header:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    sheet.append(header)
    for row in rows:
        *values, url = row
        cells = xlsx_row(sheet, values)
        cells[0] = _linked(sheet, values[0], url)
        sheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    book.save(out)
    out.seek(0)
    return out


def _linked(sheet, text: str, url: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.hyperlink = url
    cell.style = "Hyperlink"
    return cell


def export_title(prefix: str, now: datetime) -> str:
    at = to_local(now).strftime("%Y-%m-%d %H:%M")
    return _("%(title)s (exported %(at)s)", title=prefix, at=at)

