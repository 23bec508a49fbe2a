"""The weekly 通报 as a PDF to file: the Word document's content, with the slips' embedded font."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from app.labels import localized_name
from app.services.reports import addresses
from app.services.supervision import ranking
from app.services.supervision.bulletin import Bulletin
from app.services.supervision.bulletin_text import (
    change_text,
    criticism_text,
    days_overdue,
    indicator_rows,
    listed_rows,
    percent,
    ranking_header,
    ranking_values,
    title,
)
from app.services.supervision.slips import font_path
from app.timeutil import to_local

FONT = "cjk"
PHOTO_W = 85  # mm: before and after side by side on A4
PHOTO_H = 64


class _BulletinPdf(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.add_font(FONT, fname=str(font_path()))
        self.set_creator("Xuncha")

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.footer_text}    {self.page_no()}", align="C")
        self.set_text_color(0)


def render(bulletin: Bulletin, issuer: str) -> bytes:
    issued = _("Issued by %(issuer)s on %(day)s", issuer=issuer, day=to_local(bulletin.issued_at).strftime("%Y-%m-%d"))
    pdf = _BulletinPdf(issued)
    pdf.set_title(title(bulletin))
    pdf.add_page()
    pdf.set_font(FONT, size=17)
    pdf.multi_cell(0, 9, title(bulletin), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 7, issued, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, _("1. Totals"))
    _table(pdf, [_("Indicator"), _("This period"), _("Previous period"), _("Change")],
           [[label, str(a) if isinstance(a, int) else percent(a), str(b) if isinstance(b, int) else percent(b),
             change_text(a, b)] for label, a, b in indicator_rows(bulletin.totals, bulletin.previous_totals)],
           (2, 1, 1, 1))

    _heading(pdf, _("2. Ranking of the units"))
    _table(pdf, ranking_header(), [ranking_values(row) for row in listed_rows(bulletin)], (1, 4, 1, 1, 1, 1, 1, 1, 1))
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(0, 4.5, ranking.formula_text(bulletin.ranking.rules), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _heading(pdf, _("3. Units named for criticism"))
    _paragraph(pdf, criticism_text(bulletin))

    _heading(pdf, _("4. Overdue tickets of each unit"))
    if not bulletin.overdue:
        _paragraph(pdf, _("No ticket was overdue at the end of the period."))
    for department_id, tickets in sorted(bulletin.overdue.items(),
                                         key=lambda item: bulletin.departments[item[0]].code):
        pdf.set_font(FONT, size=11)
        pdf.multi_cell(0, 7, _("%(unit)s: %(n)d overdue", unit=localized_name(bulletin.departments[department_id]),
                               n=bulletin.overdue_counts[department_id]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _table(pdf, [_("Case number"), _("Category"), _("Address"), _("Deadline"), _("Days overdue")],
               [[t.case_number, localized_name(t.category), t.address or "–",
                 to_local(t.due_at).strftime("%Y-%m-%d %H:%M"), str(days_overdue(t, bulletin))] for t in tickets],
               (2, 2, 3, 2, 1))

    _heading(pdf, _("5. The worst problems"))
    if not bulletin.worst:
        _paragraph(pdf, _("No ticket was reopened or overdue in the period."))
    for problem in bulletin.worst:
        ticket = problem.ticket
        unit = bulletin.departments.get(ticket.department_id)
        if pdf.will_page_break(PHOTO_H + 24):
            pdf.add_page()
        pdf.set_font(FONT, size=11)
        pdf.multi_cell(0, 6, f"{ticket.case_number} · {localized_name(ticket.category)}",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _paragraph(pdf, _("%(unit)s · %(place)s · reopened %(n)d times%(overdue)s",
                          unit=localized_name(unit) if unit else "–", place=addresses.place_name(ticket),
                          n=problem.reopenings, overdue=_(" · overdue") if problem.overdue else ""))
        top = pdf.get_y()
        for column, (label, path) in enumerate(((_("Before"), problem.before), (_("After"), problem.after))):
            x = pdf.l_margin + column * (PHOTO_W + 10)
            pdf.set_xy(x, top)
            pdf.set_font(FONT, size=9)
            pdf.cell(PHOTO_W, 5, label)
            if path is not None:
                pdf.image(io.BytesIO(path), x=x, y=top + 6, w=PHOTO_W, h=PHOTO_H, keep_aspect_ratio=True)
            else:
                pdf.set_xy(x, top + 6)
                pdf.cell(PHOTO_W, PHOTO_H, _("(no photo)"), border=1, align="C")
        pdf.set_xy(pdf.l_margin, top + PHOTO_H + 10)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, size=13)
    pdf.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, header: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
    pdf.set_font(FONT, size=9)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5.5, first_row_as_headings=True,
                   headings_style=FontFace(emphasis="", fill_color=(225, 225, 225))) as table:
        for values in [header, *rows]:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(2)
