"""The score page as a printable PDF report, in Chinese, with the slips' embedded CJK font (decision 0006).

The figures are report.py's (rounded once there), so the PDF says what the page and the XLSX say.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from app.labels import localized_name
from app.services.assessment.report import MAX_WEEKS, Report
from app.services.supervision.slips import font_path
from app.text import strip_unstorable
from app.timeutil import to_local

_FONT = "cjk"
_HEAD = FontFace(emphasis="", fill_color=(235, 238, 242))


def _n(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


class _ReportPdf(FPDF):
    def __init__(self, footer: str):
        super().__init__(format="A4")
        self.footer_text = footer
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        self.add_font(_FONT, fname=str(font_path()))
        self.set_title(_("Mock assessment score"))
        self.set_creator("Xuncha")

    def footer(self):
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.footer_text}    {self.page_no()}", align="C")
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(_FONT, size=13)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_FONT, size=9)

    def table_of(self, header: list[str], rows: list[list[str]], widths: tuple[int, ...], empty: str) -> None:
        if not rows:
            self.set_text_color(110)
            self.multi_cell(0, 6, empty, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
            return
        self.set_font(_FONT, size=9)
        with self.table(col_widths=widths, headings_style=_HEAD, line_height=5.5, padding=1) as table:
            for values in [header, *rows]:
                row = table.row()
                for value in values:
                    row.cell(strip_unstorable(str(value)))


def render(report: Report, formula: list[str], now: datetime) -> bytes:
    pdf = _ReportPdf(_("Made by Xuncha on %(day)s", day=to_local(now).strftime("%Y-%m-%d %H:%M")))
    pdf.add_page()
    pdf.set_font(_FONT, size=20)
    pdf.cell(0, 12, _("Mock assessment score"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=11)
    period = _("Period: %(start)s to %(end)s", start=report.start.isoformat(), end=report.end.isoformat())
    if report.draw_id is not None:
        period += "  " + _("Draw %(id)s", id=report.draw_id)
    pdf.cell(0, 7, period, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=16)
    pdf.cell(0, 10, _("Simulated field score of the county: %(score)s of %(max)s",
                      score=_n(report.county), max=f"{report.max:g}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=10)
    pdf.multi_cell(0, 6, "  ".join([
        _("Field points lost: %(n)s", n=_n(report.field_points_lost)),
        _("Points visited: %(visited)d of %(points)d", visited=report.visited, points=report.points),
        _("Open tickets read as at %(moment)s.", moment=to_local(report.as_of).strftime("%Y-%m-%d %H:%M")),
    ]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.heading(_("How the score is computed"))
    for n, line in enumerate(formula, 1):
        # CHAR: Chinese has no spaces, so a line may break anywhere (not only after "1.").
        pdf.multi_cell(0, 5, f"{n}. {line}", align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.heading(_("By department: points lost"))
    pdf.table_of([_("Department"), _("Checklist points lost"), _("Failed items"), _("Field points lost (of 40)"),
                  _("Share of the lost field points")],
                 [[localized_name(d.department) if d.department else _("No department (no ticket, or not routed yet)"),
                   _n(d.points_lost), str(d.failed_items), _n(d.field_points_lost), _pct(d.share)]
                  for d in report.departments], (60, 30, 22, 30, 40), _("No points lost in this period."))

    pdf.heading(_("By location type"))
    pdf.table_of([_("Location type"), _("Weight"), _("Score (of 100)"), _("Visited"), _("Points")],
                 [[localized_name(t.location_type), f"{t.weight:g}", _n(t.score), str(t.visited), str(t.points)]
                  for t in report.types if t.points], (70, 25, 35, 26, 26), _("No points."))

    pdf.heading(_("By area"))
    pdf.table_of([_("Area"), _("Score (of 100)"), _("As a field score (of 40)"), _("Visited"), _("Points")],
                 [[localized_name(a.area) if a.area else _("No area"), _n(a.score), _n(a.field_score), str(a.visited),
                   str(a.points)] for a in report.areas], (62, 32, 40, 24, 24), _("No points."))

    pdf.heading(_("Items that fail most often"))
    pdf.table_of([_("Location type"), _("Item"), _("Points failing it"), _("Failure rate"), _("Checklist points lost")],
                 [[localized_name(i.location_type), f"{i.item_code} {i.text}", f"{i.failed} / {i.checked}",
                   _pct(i.rate), _n(i.points_lost)] for i in report.top_items],
                 (32, 80, 24, 22, 24), _("No item failed in this period."))

    pdf.heading(_("Week by week"))
    if report.weeks_left_out:
        pdf.multi_cell(0, 6, _("Week by week is shown for periods of at most %(n)d weeks; choose a shorter period.",
                               n=MAX_WEEKS), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.table_of([_("Week"), _("County score (of 40)"), _("Points visited"), _("Checklist points lost")],
                     [[f"{w.start.isoformat()} – {w.end.isoformat()}", _n(w.county), str(w.visited), _n(w.points_lost)]
                      for w in report.weeks], (62, 40, 40, 40), _("No weeks."))

    pdf.heading(_("By point"))
    pdf.table_of([_("Point"), _("Location type"), _("Responsible department"), _("Score (of 100)"), _("Failed items")],
                 [[f"{p.code} {p.name}", localized_name(p.location_type), localized_name(p.department), _n(p.score),
                   "; ".join(f"{f.item_code} −{f.deduction:g}" for f in p.failures)] for p in report.by_point],
                 (52, 30, 34, 20, 46), _("No point was visited in this period."))

    pdf.heading(_("Points never visited in the period"))
    pdf.table_of([_("Point"), _("Location type"), _("Area"), _("Responsible department")],
                 [[f"{p.code} {p.name}", localized_name(p.location_type), localized_name(p.area),
                   localized_name(p.department)] for p in report.never_visited],
                 (70, 40, 36, 36), _("Every point was visited."))
    return bytes(pdf.output())
