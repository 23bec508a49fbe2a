"""Assignment slips (交办单) checked as a person would: the Chinese text can be extracted and the
pages render to images. Needs poppler-utils (pdftotext, pdftoppm, pdfimages); CI must have them."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Ticket
from app.storage import media_store
from app.timeutil import now_utc
from tests.factories import EAST, SEAT, category, department

POPPLER = ("pdftotext", "pdftoppm", "pdfimages")


@pytest.fixture(autouse=True)
def poppler():
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        message = f"poppler-utils missing ({', '.join(missing)}): apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def supervisor_client(county, create_user, login):
    return login(create_user("supervisor"))


def _overdue(ticket: Ticket) -> Ticket:
    ticket.due_at = now_utc() - timedelta(hours=3)
    db.session.commit()
    return ticket


def _with_photo(ticket: Ticket, create_photo):
    """Give the ticket a before photo whose web derivative exists in the media store."""
    from app.models import PhotoKind, TicketPhoto

    photo = create_photo()
    image = Image.new("RGB", (800, 600), (40, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    media_store().write("web", photo.sha256, buffer.getvalue())
    db.session.add(TicketPhoto(ticket_id=ticket.id, photo_sha256=photo.sha256, kind=PhotoKind.BEFORE))
    db.session.commit()
    return photo.sha256


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "slips.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def test_slips_for_open_overdue_tickets_are_chinese_and_render(ticket_in, report, supervisor_client,
                                                               create_photo, tmp_path):
    road = _overdue(ticket_in("in_progress", "06012", at=SEAT))  # 道路不洁 → HWZX
    web_sha = _with_photo(road, create_photo)
    try:
        _check_slips(road, report, supervisor_client, tmp_path)
    finally:
        media_store().delete("web", web_sha)  # the media root is shared by the whole run


def _check_slips(road, report, supervisor_client, tmp_path):
    _overdue(report("03001", at=EAST).ticket)  # 公共厕所异常 → HWZX
    report("06010", at=SEAT)  # open but not overdue: not on the slip
    _overdue(report("09009", at=SEAT).ticket)  # another department's (JJDD)

    response = supervisor_client.get("/supervise/slips.pdf?department=HWZX")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = _text(response.data, tmp_path)
    assert "交办单" in text
    assert department("HWZX").name_zh in text
    assert category("06012").name_zh in text and category("03001").name_zh in text
    assert category("06010").name_zh not in text.split("交办单", 1)[1].split("问题类别", 1)[0]  # not counted
    assert road.case_number in text
    assert "超期" in text
    assert department("JJDD").name_zh not in text

    pdf = tmp_path / "slips.pdf"
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert len(images.strip().splitlines()) - 2 >= 3  # one photo and a QR code per ticket
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2  # the cover, then two tickets on one page
    with Image.open(pages[1]) as page:
        assert page.width > 200 and page.convert("L").getextrema()[0] < 60  # something dark was drawn


def test_slips_for_selected_tickets_get_a_section_per_department(ticket_in, report, supervisor_client, tmp_path):
    first = report("06012", at=SEAT).ticket
    second = report("09009", at=SEAT).ticket
    response = supervisor_client.get(f"/supervise/slips.pdf?ids={first.id},{second.id}")
    text = _text(response.data, tmp_path)
    assert department("HWZX").name_zh in text and department("JJDD").name_zh in text
    assert first.case_number in text and second.case_number in text
    assert text.count("交办单") >= 2


def test_no_overdue_tickets_still_gives_a_readable_pdf(county, supervisor_client, tmp_path):
    text = _text(supervisor_client.get("/supervise/slips.pdf").data, tmp_path)
    assert "没有需要交办的工单" in text
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 0
