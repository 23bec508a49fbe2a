"""The score's XLSX and PDF carry the page's numbers: openpyxl reads typed cells back, pdftotext the
Chinese text of the PDF (poppler-utils, as for the slips; CI must have it)."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from app.extensions import db
from tests.assessment.conftest import make_point
from tests.assessment.score_case import COUNTY, DEPARTMENTS, build_case
from tests.factories import SEAT


@pytest.fixture
def score_case(bare_county, report, create_user):
    return build_case(report, create_user)


@pytest.fixture
def supervisor(create_user, login):
    return login(create_user("supervisor"))


def _period(case):
    return case.day0, case.day0 + timedelta(days=6)


def _filename(answer) -> str:
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"assessment-")  # an ASCII name for old clients
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_has_the_page_numbers_as_typed_cells(score_case, supervisor):
    first, last = _period(score_case)
    answer = supervisor.get(f"/supervise/assessment/score.xlsx?{score_case.week}")
    assert answer.status_code == 200
    assert _filename(answer) == f"模拟测评-{first}至{last}.xlsx"
    book = load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["概要", "按部门", "按点位类型", "按区域", "最常失分的检查项", "逐周得分", "按点位",
                               "未检查"]
    summary = {row[0]: row[1] for row in _rows(book["概要"])}
    assert summary["全县模拟实地考察得分"] == COUNTY and isinstance(summary["全县模拟实地考察得分"], int | float)
    assert summary["满分"] == 40 and summary["实地考察失分"] == 17.0 and summary["已检查点位"] == 4
    assert any("40 × Σ(权重 × 类型得分)" in str(v) for v in summary.values())  # the formula
    departments = _rows(book["按部门"])[1:]
    assert [(code or None, lost, field, share) for code, _name, lost, _n, field, share in departments] == DEPARTMENTS
    cell = book["按部门"]["F2"]
    assert cell.data_type == "n" and cell.number_format == "0.0%"
    types = {row[0]: row[3] for row in _rows(book["按点位类型"])[1:]}
    assert types["GGCS"] == 85 and types["LKJT"] == 2.5 and types["ZCGD"] is None
    weeks = _rows(book["逐周得分"])[1:]
    assert [(w[0].date(), w[2], w[3], w[4]) for w in weeks] == [(first, COUNTY, 4, 250)]
    points = {row[0]: row for row in _rows(book["按点位"])[1:]}
    assert points["P6"][6] == 0 and points["P1"][6] == 70 and points["P1"][7] == "A1 −10; A3 −20"
    assert [row[0] for row in _rows(book["未检查"])[1:]] == ["P3"]
    top = _rows(book["最常失分的检查项"])[1]
    assert top[1:6] == ("B3", "检查项 B3", 2, 2, 1.0)


def test_text_from_people_cannot_become_a_formula(score_case, supervisor):
    make_point("P9", "GGCS", SEAT, "HWZX", name="=HYPERLINK(\"http://evil.example\",\"点我\")")
    db.session.commit()
    book = load_workbook(io.BytesIO(supervisor.get(f"/supervise/assessment/score.xlsx?{score_case.week}").data))
    row = next(r for r in book["未检查"].iter_rows(min_row=2) if r[0].value == "P9")
    assert row[1].data_type == "s" and row[1].value.startswith("'=HYPERLINK")


@pytest.fixture
def poppler():
    missing = [tool for tool in ("pdftotext", "pdftoppm", "pdffonts") if shutil.which(tool) is None]
    if missing:
        message = f"poppler-utils missing ({', '.join(missing)}): apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_the_pdf_report_is_chinese_text_with_the_page_numbers(score_case, supervisor, poppler, tmp_path):
    first, last = _period(score_case)
    answer = supervisor.get(f"/supervise/assessment/score.pdf?{score_case.week}&lang=en")  # Chinese regardless
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert _filename(answer) == f"模拟测评-{first}至{last}.pdf"
    path = tmp_path / "score.pdf"
    path.write_bytes(answer.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    flat = " ".join(text.split())
    assert "模拟测评得分" in flat and f"期间：{first} 至 {last}" in flat
    assert "全县模拟实地考察得分：23.00（满分 40）" in flat and "实地考察失分：17.00" in flat
    assert "计分方法" in flat and "每个检查项只扣一次分" in flat
    for name, lost, field, share in [("城关公厕三号", None, None, None), ("无责任部门", "125.00", "6.67", "39.2%"),
                                     ("逐周得分", None, None, None), ("最常失分的检查项", None, None, None)]:
        assert name in flat, name
        if lost:
            line = next(line for line in text.splitlines() if name in line)
            assert [lost, field, share] == [v for v in line.split() if v in (lost, field, share)], line
    pages = subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], capture_output=True)
    assert pages.returncode == 0 and list(tmp_path.glob("page*.png"))
    # The font travels with the file (as the slips'): every font is embedded, so any reader shows the Chinese.
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts


def test_an_empty_period_still_makes_both_files(bare_county, supervisor, poppler, tmp_path):
    query = "start=2001-01-01&end=2001-01-31"
    xlsx = supervisor.get(f"/supervise/assessment/score.xlsx?{query}")
    assert xlsx.status_code == 200
    summary = {row[0]: row[1] for row in _rows(load_workbook(io.BytesIO(xlsx.data))["概要"])}
    assert summary["全县模拟实地考察得分"] is None
    pdf = supervisor.get(f"/supervise/assessment/score.pdf?{query}")
    assert pdf.status_code == 200
    (tmp_path / "empty.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "empty.pdf"), "-"], capture_output=True, check=True,
                          text=True).stdout
    assert "本期间没有检查任何点位" in text
