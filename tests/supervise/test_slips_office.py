"""Slips as offices file them (issue 17 §3): text inside its box, a document number per slip and year,
the issuing office, and a QR code that opens the ticket at PUBLIC_URL. Needs poppler-utils."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.extensions import db
from app.models import Category, SlipNumber
from app.services.supervision import slip_numbers
from app.timeutil import now_utc, to_local
from tests.factories import SEAT, department

MM = 72 / 25.4  # PDF points per millimetre
BOX = (14 * MM, 16 * MM, (210 - 14) * MM, (16 + 132) * MM)  # the first slip of a page: x0, y0, x1, y1


@pytest.fixture(autouse=True)
def poppler():
    missing = [tool for tool in ("pdftotext", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        message = f"poppler-utils missing ({', '.join(missing)}): apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def office(app, county, create_user, login, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://xuncha.county.example")
    return login(create_user("supervisor", "CCB"))


def _slips(client, tmp_path, ids) -> tuple[str, bytes]:
    response = client.get(f"/supervise/slips.pdf?ids={','.join(str(i) for i in ids)}")
    assert response.status_code == 200
    path = tmp_path / "slips.pdf"
    path.write_bytes(response.data)
    return str(path), response.data


def _words(pdf: str, page: int) -> list[tuple[str, float, float, float, float]]:
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), pdf, "-"],
                          capture_output=True, text=True, check=True).stdout
    html = re.sub(r"<!DOCTYPE[^>]*>", "", html).replace('xmlns="http://www.w3.org/1999/xhtml"', "")
    root = ElementTree.fromstring(html)
    return [(w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")), float(w.get("yMax")))
            for w in root.iter("word")]


def test_the_longest_category_and_long_texts_stay_inside_the_slip(office, ticket_in, tmp_path):
    longest = max(db.session.scalars(sa.select(Category)), key=lambda c: len(c.name_zh))
    ticket = ticket_in("in_progress", longest.code, at=SEAT)
    ticket.address = "城关镇人民路与解放街交叉口东北角农贸市场北门外人行道" * 4
    ticket.description = "占道经营、乱堆乱放、垃圾满溢，" * 120
    db.session.commit()
    pdf, _ = _slips(office, tmp_path, [ticket.id])
    words = [w for w in _words(pdf, 2) if w[2] < 800]  # the slip's page, without the page footer
    assert words
    x0, y0, x1, y1 = BOX
    outside = [w for w in words if w[1] < x0 - 0.5 or w[3] > x1 + 0.5 or w[2] < y0 - 0.5 or w[4] > y1 + 0.5]
    assert outside == []
    text = " ".join(w[0] for w in words)
    assert "…" in text  # the description was cut to its lines, visibly
    assert longest.name_zh[:6] in text.replace(" ", "")


def test_each_slip_has_a_number_of_the_year_kept_when_printed_again(office, ticket_in, tmp_path):
    first, second = ticket_in("in_progress", at=SEAT), ticket_in("in_progress", at=(SEAT[0] + 0.01, SEAT[1]))
    year = to_local(now_utc()).year
    pdf, _ = _slips(office, tmp_path, [first.id])
    page = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert f"创城交〔{year}〕第 1 号" in page
    assert f"交办单位：{department('CCB').name_zh}" in page.replace(" ", "")
    pdf, _ = _slips(office, tmp_path, [second.id, first.id])  # again, with a new one first
    page = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert f"创城交〔{year}〕第 1 号" in page and f"创城交〔{year}〕第 2 号" in page
    numbers = dict(db.session.execute(sa.select(SlipNumber.ticket_id, SlipNumber.number)).all())
    assert numbers == {first.id: 1, second.id: 2}


def test_a_supervisor_of_no_unit_issues_slips_in_the_campaign_offices_name(county, create_user, login,
                                                                           ticket_in, tmp_path):
    ticket = ticket_in("in_progress", at=SEAT)
    pdf, _ = _slips(login(create_user("supervisor")), tmp_path, [ticket.id])
    page = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert f"交办单位：{department('CCB').name_zh}" in page.replace(" ", "")
    assert "督查员" not in page.split("交办单位：")[1].split("\n")[0]


def test_a_new_year_starts_at_one(office, ticket_in):
    ticket = ticket_in("in_progress", at=SEAT)
    now = now_utc()
    assert slip_numbers.numbers_for([ticket.id], now) == {ticket.id: 1}
    assert slip_numbers.numbers_for([ticket.id], now + timedelta(days=1)) == {ticket.id: 1}  # same year: kept
    assert slip_numbers.numbers_for([ticket.id], now.replace(year=now.year + 1)) == {ticket.id: 1}
    rows = db.session.execute(sa.select(SlipNumber.year, SlipNumber.number).order_by(SlipNumber.year)).all()
    assert [tuple(r) for r in rows] == [(to_local(now).year, 1), (to_local(now).year + 1, 1)]


def test_the_qr_code_opens_the_ticket_at_the_public_url(office, ticket_in, tmp_path):
    ticket = ticket_in("in_progress", at=SEAT)
    pdf, _ = _slips(office, tmp_path, [ticket.id])
    subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "150", "-png", pdf, str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    found = zxingcpp.read_barcodes(Image.open(png))
    assert [code.text for code in found] == [f"https://xuncha.county.example/tickets/{ticket.id}"]


def test_a_list_prints_the_slips_of_the_tickets_chosen_in_it(office, ticket_in, tmp_path):
    chosen = ticket_in("in_progress", at=SEAT)
    other = ticket_in("in_progress", at=(SEAT[0] + 0.01, SEAT[1]))
    page = office.get("/tickets").text
    assert 'id="slip-form"' in page and f'name="ids" value="{chosen.id}" form="slip-form"' in page
    assert "<form" not in page.split('id="slip-form"')[1].split("</form>")[0]  # no form in another
    response = office.get(f"/supervise/slips.pdf?selected=1&ids={chosen.id}")
    path = tmp_path / "chosen.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert chosen.case_number in text and other.case_number not in text
    nothing = office.get("/supervise/slips.pdf?selected=1")
    assert nothing.status_code == 422 and "请至少选择一张工单" in nothing.text


def test_department_staff_see_no_slip_boxes(county, create_user, login):
    page = login(create_user("department", "CGZF")).get("/tickets").text
    assert 'id="slip-form"' not in page


def test_the_triage_queue_prints_the_slips_of_the_tickets_chosen_in_it(office, report, create_user, tmp_path):
    from app.services.tickets.transitions import ActionInput, transition
    from tests.factories import actor_of

    returned = report("06008", at=(29.976, 119.95)).ticket  # routed, then returned to the office
    clerk = create_user("department", returned.department.code)
    transition(returned.id, ActionInput(action="return", version=returned.version, note="不属于本单位"),
               actor_of(clerk))
    db.session.commit()
    page = office.get("/triage?queue=returned").text
    assert 'id="slip-form"' in page and f'name="ids" value="{returned.id}" form="slip-form"' in page
    assert "<form" not in page.split('id="slip-form"')[1].split("</form>")[0]
    pdf = tmp_path / "triage.pdf"
    pdf.write_bytes(office.get(f"/supervise/slips.pdf?selected=1&ids={returned.id}").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert returned.case_number in text
