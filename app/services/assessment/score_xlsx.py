"""The score page as a workbook: one sheet per table, numbers as numbers, text through spreadsheet_cells.

The rows are report.py's, already rounded, so the file carries exactly the page's figures; a share
is a fraction shown as a percentage (number format), not text.
"""
from __future__ import annotations

import io
from collections.abc import Iterable

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from app.labels import localized_name
from app.services.assessment.report import Report
from app.services.supervision.spreadsheet_cells import xlsx_cell, xlsx_row
from app.timeutil import to_local

PERCENT = "0.0%"
TWO = "0.00"


def workbook(report: Report, formula: list[str]) -> bytes:
    book = Workbook(write_only=True)
    _sheet(book, _("Summary"), [_("Item"), _("Value")], _summary(report, formula), {1: TWO})
    _sheet(book, _("By department"),
           [_("Department code"), _("Department"), _("Checklist points lost"), _("Failed items"),
            _("Field points lost (of 40)"), _("Share of the lost field points")],
           ([d.department.code if d.department else "", localized_name(d.department) if d.department
             else _("No department (no ticket, or not routed yet)"), d.points_lost, d.failed_items,
             d.field_points_lost, d.share] for d in report.departments), {2: TWO, 4: TWO, 5: PERCENT})
    _sheet(book, _("By location type"),
           [_("Code"), _("Location type"), _("Weight"), _("Score (of 100)"), _("Visited"), _("Points")],
           ([t.location_type.code, localized_name(t.location_type), t.weight, t.score, t.visited, t.points]
            for t in report.types), {3: TWO})
    _sheet(book, _("By area"),
           [_("Code"), _("Area"), _("Score (of 100)"), _("As a field score (of 40)"), _("Visited"), _("Points")],
           ([a.area.code if a.area else "", localized_name(a.area) if a.area else _("No area"), a.score,
             a.field_score, a.visited, a.points] for a in report.areas), {2: TWO, 3: TWO})
    _sheet(book, _("Items that fail most often"),
           [_("Location type"), _("Item code"), _("Item"), _("Points failing it"), _("Points checked"),
            _("Failure rate"), _("Checklist points lost")],
           ([localized_name(i.location_type), i.item_code, i.text, i.failed, i.checked, i.rate, i.points_lost]
            for i in report.top_items), {5: PERCENT, 6: TWO})
    if not report.weeks_left_out:
        _sheet(book, _("Week by week"),
               [_("Week from"), _("Week to"), _("County score (of 40)"), _("Points visited"),
                _("Checklist points lost")],
               ([w.start, w.end, w.county, w.visited, w.points_lost] for w in report.weeks),
               {0: "yyyy-mm-dd", 1: "yyyy-mm-dd", 2: TWO, 4: TWO})
    _sheet(book, _("By point"),
           [_("Point code"), _("Point"), _("Location type"), _("Area"), _("Responsible department"), _("Visited"),
            _("Score (of 100)"), _("Failed items")],
           ([p.code, p.name, localized_name(p.location_type), localized_name(p.area), localized_name(p.department),
             to_local(p.visited_at).replace(tzinfo=None, second=0, microsecond=0), p.score,
             "; ".join(f"{f.item_code} −{f.deduction:g}" for f in p.failures)] for p in report.by_point),
           {5: "yyyy-mm-dd hh:mm", 6: TWO})
    _sheet(book, _("Never visited"),
           [_("Point code"), _("Point"), _("Location type"), _("Area"), _("Responsible department")],
           ([p.code, p.name, localized_name(p.location_type), localized_name(p.area), localized_name(p.department)]
            for p in report.never_visited))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(report: Report, formula: list[str]) -> list[list]:
    rows = [
        [_("Period"), f"{report.start.isoformat()} – {report.end.isoformat()}"],
        [_("Simulated field score of the county"), report.county],
        [_("Of"), report.max],
        [_("Field points lost"), report.field_points_lost],
        [_("Points visited"), report.visited],
        [_("Points"), report.points],
        [_("Never visited"), len(report.never_visited)],
        [_("Open tickets read as at"), to_local(report.as_of).strftime("%Y-%m-%d %H:%M")],
    ]
    if report.draw_id is not None:
        rows.insert(1, [_("Draw"), report.draw_id])
    rows.append([_("How the score is computed"), ""])
    rows += [[f"{n}.", line] for n, line in enumerate(formula, 1)]
    return rows


def _sheet(book: Workbook, title: str, header: list[str], rows: Iterable[list], formats: dict | None = None) -> None:
    sheet = book.create_sheet(_safe_title(title))
    bold = []
    for name in header:
        cell = xlsx_cell(sheet, name)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for values in rows:
        sheet.append(xlsx_row(sheet, values, formats))


def _safe_title(title: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    return "".join(c for c in title if c not in "[]:*?/\\")[:31]
