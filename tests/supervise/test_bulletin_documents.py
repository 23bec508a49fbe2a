"""The weekly 通报 as Word and PDF (issue 17 §2): opened with python-docx and poppler as an office would.

The case is tests/supervise/bulletin_case.py; the ticket reopened three times (XFJY) is the worst
problem and carries a before and an after photo (real JPEGs through the photo pipeline).
"""
from __future__ import annotations

import io
import shutil
import subprocess
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from docx import Document

from app.extensions import db
from app.models import PhotoKind, Ticket, TicketPhoto
from app.services.photos.store import store_photo
from app.services.supervision import bulletin, ranking
from tests.conftest import TESTDATA
from tests.factories import department
from tests.supervise.bulletin_case import NOW, PERIOD

QUERY = "start=2026-06-01&end=2026-06-10"


@pytest.fixture
def with_photos(bulletin_tickets):
    worst = db.session.scalar(sa.select(Ticket).where(Ticket.department_id == department("XFJY").id,
                                                      Ticket.rework_count == 3))
    for name, kind in (("Canon_40D.jpg", PhotoKind.BEFORE), ("Nikon_D70.jpg", PhotoKind.AFTER)):
        photo, _ = store_photo((TESTDATA / "photos" / "jpg" / name).read_bytes(), None, "image/jpeg", None)
        db.session.add(TicketPhoto(ticket_id=worst.id, photo_sha256=photo.sha256, kind=kind))
    db.session.commit()
    return worst


@pytest.fixture
def supervisor_client(county, create_user, login):
    return login(create_user("supervisor"))


def test_the_bulletin_holds_the_rankings_numbers_and_names_the_units_to_criticise(bulletin_tickets, app):
    with app.test_request_context():
        result = bulletin.build(PERIOD, NOW, ranking.RankingRules(), bulletin.Thresholds())
    assert (result.totals.n, result.totals.on_time, result.totals.resolved, result.totals.overdue) == (
        5 + 5 + 6 + 5 + 4, 5 + 5 + 6 + 2 + 4, 5 + 5 + 6 + 3 + 4, 2)
    assert [row.department.code for row in result.criticised] == ["CGZF"]  # 55 < 60
    overdue = result.overdue[department("CGZF").id]
    assert [t.due_at for t in overdue] == sorted(t.due_at for t in overdue) and len(overdue) == 2
    assert [p.reopenings for p in result.worst][:2] == [3, 1]
    assert all(p.overdue for p in result.worst[2:])
    stricter = bulletin.build(PERIOD, NOW, ranking.RankingRules(), bulletin.Thresholds(criticise_below=99,
                                                                                        criticise_overdue=1))
    assert {row.department.code for row in stricter.criticised} == {"CGZF", "XFJY"}


def test_the_word_document_has_the_tables_and_the_photos(with_photos, supervisor_client):
    response = supervisor_client.get(f"/supervise/bulletin.docx?{QUERY}")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert f"filename*=UTF-8''{quote('通报-2026-06-01至2026-06-10.docx')}" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2026-06-01" in text and "2026-06-10" in text and "通报" in text
    assert department("CGZF").name_zh in text  # named for criticism
    totals, ranking_table = document.tables[0], document.tables[1]
    assert [c.text for c in totals.rows[1].cells] == ["应整改数 (N)", "25", "2", "+23"]
    header = [c.text for c in ranking_table.rows[0].cells]
    assert header[:3] == ["排名", "责任单位", "应整改数 (N)"] and header[-2:] == ["得分", "等级"]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in ranking_table.rows[1:]}
    assert rows[department("CGZF").name_zh] == ["4", department("CGZF").name_zh, "5", "40.0%", "60.0%", "20.0%",
                                                "40.0%", "55.0", "D"]
    assert rows[department("SJJ").name_zh][0] == "样本不足"
    overdue_tables = [t for t in document.tables if t.rows[0].cells[0].text == "工单编号"]
    assert len(overdue_tables) == 1 and len(overdue_tables[0].rows) == 1 + 2
    pictures = [rel for rel in document.part.rels.values() if "image" in rel.reltype]
    assert len(pictures) == 2  # the worst problem's before and after


def test_the_pdf_renders_in_chinese_with_the_photos(with_photos, supervisor_client, tmp_path):
    tools = [shutil.which(name) for name in ("pdftotext", "pdfimages", "pdftoppm")]
    if not all(tools):
        pytest.fail("poppler-utils (pdftotext, pdfimages, pdftoppm) are needed: apt-get install poppler-utils")
    response = supervisor_client.get(f"/supervise/bulletin.pdf?{QUERY}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "通报" in text and department("CGZF").name_zh in text and "样本不足" in text and "55.0" in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) - 2 == 2
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))


def test_an_empty_period_gives_a_bulletin_that_says_so(county, supervisor_client):
    response = supervisor_client.get("/supervise/bulletin.docx?start=2025-01-01&end=2025-01-07")
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "本期无通报批评单位" in text


@pytest.mark.parametrize("query", ["start=2026-06-10&end=2026-06-01", "start=x&end=y", "days=8"])
def test_a_bad_period_is_a_readable_error(county, supervisor_client, query):
    response = supervisor_client.get(f"/supervise/bulletin.pdf?{query}")
    assert response.status_code == 422


@pytest.mark.parametrize(("role", "dept"), [("inspector", None), ("department", "CGZF")])
def test_only_supervisors_get_the_bulletin(county, create_user, login, role, dept):
    response = login(create_user(role, dept)).get(f"/supervise/bulletin.docx?{QUERY}")
    assert response.status_code in (403, 404)
