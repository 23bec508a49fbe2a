"""The weekly 通报 as a Word document the campaign office edits and sends (python-docx, decision 0010)."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import gettext as _

from app.labels import localized_name
from app.services.reports import addresses
from app.services.supervision import ranking
from app.services.supervision.bulletin import Bulletin, Totals
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
from app.timeutil import to_local

EAST_ASIAN_FONT = "SimSun"  # 宋体: what Word on an office PC shows Chinese in; LibreOffice substitutes
PHOTO_WIDTH = Cm(7.5)


def render(bulletin: Bulletin, issuer: str) -> bytes:
    document = Document()
    _chinese_fonts(document)
    heading = document.add_heading(title(bulletin), level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(_("Issued by %(issuer)s on %(day)s", issuer=issuer,
                                    day=to_local(bulletin.issued_at).strftime("%Y-%m-%d")))
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(_("1. Totals"), level=1)
    _totals_table(document, bulletin.totals, bulletin.previous_totals)

    document.add_heading(_("2. Ranking of the units"), level=1)
    _table(document, ranking_header(), [ranking_values(row) for row in listed_rows(bulletin)])
    document.add_paragraph(ranking.formula_text(bulletin.ranking.rules)).runs[0].font.size = Pt(9)

    document.add_heading(_("3. Units named for criticism"), level=1)
    document.add_paragraph(criticism_text(bulletin))

    document.add_heading(_("4. Overdue tickets of each unit"), level=1)
    if not bulletin.overdue:
        document.add_paragraph(_("No ticket was overdue at the end of the period."))
    for department_id, tickets in sorted(bulletin.overdue.items(),
                                         key=lambda item: bulletin.departments[item[0]].code):
        department = bulletin.departments[department_id]
        document.add_heading(_("%(unit)s: %(n)d overdue", unit=localized_name(department),
                               n=bulletin.overdue_counts[department_id]), level=2)
        _table(document, [_("Case number"), _("Category"), _("Address"), _("Deadline"), _("Days overdue")],
               [[t.case_number, localized_name(t.category), t.address or "–",
                 to_local(t.due_at).strftime("%Y-%m-%d %H:%M"), str(days_overdue(t, bulletin))] for t in tickets])

    document.add_heading(_("5. The worst problems"), level=1)
    if not bulletin.worst:
        document.add_paragraph(_("No ticket was reopened or overdue in the period."))
    for problem in bulletin.worst:
        ticket = problem.ticket
        document.add_heading(f"{ticket.case_number} · {localized_name(ticket.category)}", level=2)
        unit = bulletin.departments.get(ticket.department_id)
        document.add_paragraph(_("%(unit)s · %(place)s · reopened %(n)d times%(overdue)s",
                                 unit=localized_name(unit) if unit else "–", place=addresses.place_name(ticket),
                                 n=problem.reopenings, overdue=_(" · overdue") if problem.overdue else ""))
        photos = document.add_table(rows=2, cols=2)
        for column, (label, path) in enumerate(((_("Before"), problem.before), (_("After"), problem.after))):
            photos.cell(0, column).text = label
            cell = photos.cell(1, column).paragraphs[0]
            if path is not None:
                cell.add_run().add_picture(io.BytesIO(path), width=PHOTO_WIDTH)
            else:
                cell.add_run(_("(no photo)"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _chinese_fonts(document) -> None:
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        style = document.styles[name]
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _totals_table(document, now: Totals, before: Totals) -> None:
    rows = [[label, str(a) if isinstance(a, int) else percent(a), str(b) if isinstance(b, int) else percent(b),
             change_text(a, b)] for label, a, b in indicator_rows(now, before)]
    _table(document, [_("Indicator"), _("This period"), _("Previous period"), _("Change")], rows)


def _table(document, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].font.bold = True
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text

