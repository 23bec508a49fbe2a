"""Assignment slips (交办单): a printable PDF per department, in Chinese, with an embedded CJK font.

One section per department: a cover page with its totals, then two tickets a page, each with
its "before" photo (the EXIF-free web derivative), case number, category, address, position,
deadline and a QR code that opens the ticket. Font: docs/decisions/0006-pdf-slips-and-their-font.md.
"""
from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import qrcode
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from PIL import Image

from app.extensions import db
from app.labels import STATUS_LABELS
from app.models import DEPARTMENT_STATUSES, Department, PhotoKind, Ticket, TicketPhoto
from app.services.reports import addresses
from app.storage import media_store
from app.timeutil import to_local

_FONT = "cjk"
_BLOCK_H = 132  # mm: two tickets on an A4 page


@dataclass
class Section:
    department: Department
    tickets: list[Ticket]
    total: int  # before the cut at SLIP_MAX_TICKETS


def font_path() -> Path:
    """The configured CJK font, else Noto Sans SC from the pinned wheel."""
    configured = current_app.config.get("PDF_FONT_PATH")
    if configured:
        return Path(configured)
    import pylopdf_fonts_zh_cn

    return pylopdf_fonts_zh_cn.sans_path()


def sections_for(now: datetime, *, department_codes: list[str] | None = None,
                 ticket_ids: list[int] | None = None) -> list[Section]:
    """Chosen tickets, or every open and overdue one, grouped by department (most urgent first)."""
    conditions = [Ticket.department_id.is_not(None)]
    if ticket_ids:
        conditions.append(Ticket.id.in_(ticket_ids))
    else:
        conditions += [Ticket.status.in_(DEPARTMENT_STATUSES), Ticket.due_at < now]
    if department_codes:
        chosen = sa.select(Department.id).where(Department.code.in_(department_codes))
        conditions.append(Ticket.department_id.in_(chosen.scalar_subquery()))
    limit = current_app.config["SLIP_MAX_TICKETS"]
    departments = {d.id: d for d in db.session.scalars(sa.select(Department))}
    counts = dict(db.session.execute(
        sa.select(Ticket.department_id, sa.func.count()).where(*conditions).group_by(Ticket.department_id)).all())
    sections = []
    for department_id in sorted(counts, key=lambda d: departments[d].code):
        tickets = db.session.scalars(
            sa.select(Ticket).options(so.joinedload(Ticket.category), so.joinedload(Ticket.area))
            .where(*conditions, Ticket.department_id == department_id)
            .order_by(Ticket.due_at.asc().nulls_last(), Ticket.id).limit(limit)).all()
        sections.append(Section(departments[department_id], list(tickets), counts[department_id]))
    return sections


def before_photos(ticket_ids: list[int]) -> dict[int, bytes]:
    """The first before photo's web derivative of each ticket, where the file exists."""
    return ticket_photos(ticket_ids, PhotoKind.BEFORE)


def ticket_photos(ticket_ids: list[int], kind: PhotoKind, *, latest: bool = False) -> dict[int, bytes]:
    """The first (or the latest) photo of `kind` of each ticket, as the bytes of its EXIF-free web
    derivative, where that file exists (on any media backend)."""
    if not ticket_ids:
        return {}
    store = media_store()
    order = TicketPhoto.id.desc() if latest else TicketPhoto.id
    rows = db.session.execute(
        sa.select(TicketPhoto.ticket_id, TicketPhoto.photo_sha256)
        .where(TicketPhoto.ticket_id.in_(ticket_ids), TicketPhoto.kind == kind)
        .order_by(TicketPhoto.ticket_id, order)).all()
    out: dict[int, bytes] = {}
    for ticket_id, sha in rows:
        if ticket_id in out:
            continue
        try:
            out[ticket_id] = store.read("web", sha)
        except FileNotFoundError:
            continue  # not made (yet) or lost: the next photo of the ticket, or "No photo"
    return out


class _SlipPdf(FPDF):
    def __init__(self, issued: str):
        super().__init__(format="A4")
        self.issued = issued
        self.set_auto_page_break(False)
        self.set_margins(14, 14, 14)
        self.add_font(_FONT, fname=str(font_path()))
        self.set_title(_("Assignment slips"))
        self.set_creator("Xuncha")

    def footer(self):
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.issued}    {self.page_no()}", align="C")
        self.set_text_color(0)


def render(sections: list[Section], now: datetime, ticket_url: Callable[[int], str], issuer: str,
           numbers: dict[int, str] | None = None) -> bytes:
    """The PDF: per department a cover page, then its tickets two to a page, each with its document
    number (`numbers`, by ticket id: slip_numbers.py) and the issuing office."""
    day = to_local(now).strftime("%Y-%m-%d %H:%M")
    issued = _("Issued by %(issuer)s on %(day)s", issuer=issuer, day=day)
    pdf = _SlipPdf(issued)
    photos = before_photos([t.id for s in sections for t in s.tickets])
    numbers = numbers or {}
    if not sections:
        pdf.add_page()
        pdf.set_font(_FONT, size=16)
        pdf.cell(0, 12, _("No tickets to assign."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in sections:
        _cover(pdf, section, now)
        for i, ticket in enumerate(section.tickets):
            if i % 2 == 0:
                pdf.add_page()
            block = _Block(ticket, numbers.get(ticket.id, ""), issuer, photos.get(ticket.id), ticket_url(ticket.id))
            _ticket_block(pdf, block, 16 + (i % 2) * (_BLOCK_H + 4), now)
    return bytes(pdf.output())


def _cover(pdf: _SlipPdf, section: Section, now: datetime) -> None:
    pdf.add_page()
    pdf.set_font(_FONT, size=26)
    pdf.cell(0, 18, _("Assignment slip"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=17)
    pdf.cell(0, 12, section.department.name_zh, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    overdue = sum(1 for t in section.tickets if t.is_overdue(now))
    pdf.set_font(_FONT, size=12)
    lines = [_("Tickets in this slip: %(n)d", n=len(section.tickets)),
             _("Of these overdue: %(n)d", n=overdue)]
    if section.total > len(section.tickets):
        lines.append(_("Only the %(n)d most urgent of %(total)d tickets are printed.", n=len(section.tickets),
                       total=section.total))
    for line in lines:
        pdf.cell(0, 8, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(_FONT, size=11)
    pdf.set_fill_color(240, 240, 240)
    pdf.cell(140, 8, _("Category"), border=1, fill=True)
    pdf.cell(40, 8, _("Tickets"), border=1, fill=True, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    by_category = Counter(t.category.name_zh for t in section.tickets)
    for name, count in sorted(by_category.items(), key=lambda item: (-item[1], item[0])):
        if pdf.get_y() > 265:
            pdf.add_page()
        pdf.cell(140, 7, name, border=1)
        pdf.cell(40, 7, str(count), border=1, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(_FONT, size=11)
    pdf.multi_cell(0, 7, _("Please rectify each item by its deadline and report the result with an after "
                           "photo in Xuncha."))


@dataclass
class _Block:
    ticket: Ticket
    number: str  # 创城交〔2026〕第 N 号
    issuer: str
    photo: bytes | None  # the web image
    url: str


def _ticket_block(pdf: _SlipPdf, block: _Block, top: float, now: datetime) -> None:
    """One slip in its box: every text is wrapped to its column and cut (with …) to the lines it has,
    in a smaller size first, so nothing runs out of the box whatever its length."""
    ticket = block.ticket
    left, width = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_draw_color(150)
    pdf.rect(left, top, width, _BLOCK_H)
    status = str(STATUS_LABELS.get(ticket.status.value, ticket.status.value))
    flag = "  【" + _("Overdue") + "】" if ticket.is_overdue(now) else ""
    pdf.set_xy(left + 4, top + 3)
    pdf.set_font(_FONT, size=14)
    pdf.cell(width * 0.55, 9, f"{ticket.case_number}   {status}{flag}")
    pdf.set_font(_FONT, size=10)
    pdf.cell(width * 0.45 - 8, 9, block.number, align="R")
    _photo(pdf, block.photo, left + 4, top + 14, 82, 62)
    x, label_w = left + 92, 20
    value_w = left + width - 4 - (x + label_w)
    facts = [
        (_("Category"), ticket.category.name_zh),
        (_("Address"), addresses.place_name(ticket)),
        (_("Area"), ticket.area.name_zh if ticket.area else "-"),
        (_("Location"), f"{ticket.lat:.6f}, {ticket.lon:.6f} (WGS-84)"),
        (_("Received"), f"{to_local(ticket.received_at):%Y-%m-%d %H:%M}"),
        (_("Deadline"), f"{to_local(ticket.due_at):%Y-%m-%d %H:%M}" if ticket.due_at else "-"),
    ]
    y = top + 14
    for label, value in facts:  # 6 facts × 2 lines × 5 mm = 60 mm: the photo's height
        pdf.set_xy(x, y)
        pdf.set_font(_FONT, size=9)
        pdf.set_text_color(100)
        pdf.cell(label_w, 5, label)
        pdf.set_text_color(0)
        size, lines = _fit(pdf, value, value_w, max_lines=2, sizes=(10, 8))
        pdf.set_font(_FONT, size=size)
        for line in lines:
            pdf.set_xy(x + label_w, y)
            pdf.cell(value_w, 5, line)
            y += 5
        y += 0 if len(lines) == 2 else 5
    qr_size = 30
    text_w = width - qr_size - 12
    size, lines = _fit(pdf, f"{_('Description')}: {ticket.description or '-'}", text_w, max_lines=5, sizes=(10, 8))
    pdf.set_font(_FONT, size=size)
    for i, line in enumerate(lines):
        pdf.set_xy(left + 4, top + 80 + i * 5.5)
        pdf.cell(text_w, 5.5, line)
    pdf.image(_qr_image(block.url), x=left + width - qr_size - 4, y=top + 80, w=qr_size, h=qr_size)
    pdf.set_font(_FONT, size=9)
    size, lines = _fit(pdf, _("Issued by: %(office)s", office=block.issuer), text_w, max_lines=1, sizes=(9, 7))
    pdf.set_font(_FONT, size=size)
    pdf.set_xy(left + 4, top + _BLOCK_H - 21)
    pdf.cell(text_w, 5, lines[0])
    pdf.set_xy(left + 4, top + _BLOCK_H - 16)
    pdf.set_font(_FONT, size=8)
    pdf.set_text_color(60)
    pdf.cell(text_w, 5, block.url, link=block.url)
    pdf.set_text_color(0)
    pdf.set_xy(left + 4, top + _BLOCK_H - 10)
    pdf.set_font(_FONT, size=10)
    pdf.cell(width - 8, 8, _("Rectification: ____________   Signed for by: ________   Date: __________"))


def _fit(pdf: _SlipPdf, text: str, width: float, *, max_lines: int, sizes: tuple[int, ...]) -> tuple[int, list[str]]:
    """The largest of `sizes` at which `text` wraps into `max_lines` lines of `width`; at the smallest,
    the lines that fit, the last one cut with …."""
    for size in sizes:
        pdf.set_font(_FONT, size=size)
        lines = pdf.multi_cell(width, 5, text, dry_run=True, output=MethodReturnValue.LINES)
        if len(lines) <= max_lines:
            return size, lines
    lines = lines[:max_lines]
    last = lines[-1]
    while last and pdf.get_string_width(last + "…") > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return sizes[-1], lines


def _photo(pdf: _SlipPdf, data: bytes | None, x: float, y: float, w: float, h: float) -> None:
    if data is None:
        pdf.set_fill_color(245, 245, 245)
        pdf.rect(x, y, w, h, style="F")
        pdf.set_xy(x, y + h / 2 - 4)
        pdf.set_font(_FONT, size=10)
        pdf.set_text_color(130)
        pdf.cell(w, 8, _("No photo"), align="C")
        pdf.set_text_color(0)
        return
    with Image.open(io.BytesIO(data)) as image:
        ratio = min(w / image.width, h / image.height)
        iw, ih = image.width * ratio, image.height * ratio
        pdf.image(io.BytesIO(data), x=x + (w - iw) / 2, y=y + (h - ih) / 2, w=iw, h=ih)


def _qr_image(url: str) -> Image.Image:
    code = qrcode.QRCode(border=1, box_size=6, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()
