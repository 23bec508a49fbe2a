"""Department ranking and ticket exports as files: XLSX that openpyxl reads back, CSV with a BOM."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import seed
from app.extensions import db
from app.models import Department, Ticket, TicketStatus
from app.services.actor import Actor
from app.services.supervision import exports
from app.services.tickets.queries import TicketFilter
from app.timeutil import now_utc, to_local


@pytest.fixture
def supervisor_client(county, create_user, login):
    return login(create_user("supervisor"))


@pytest.fixture
def seeded(county):
    seed.seed_tickets(400, seed=5, days=45)
    db.session.commit()


def test_ranking_xlsx_is_formatted_and_has_a_row_per_department(seeded, supervisor_client):
    response = supervisor_client.get("/supervise/ranking.xlsx?days=30")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "C3"
    header = [c.value for c in sheet[2]]
    assert header[:2] == ["排名", "责任单位"]
    assert sheet["A2"].font.bold
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    handling = db.session.scalar(sa.select(sa.func.count(Department.id)).where(
        Department.active, ~Department.is_placeholder))
    assert len(rows) >= handling
    ranked = [r for r in rows if isinstance(r[0], int)]
    assert [r[0] for r in ranked] == sorted(r[0] for r in ranked) and ranked[0][0] == 1
    assert all(r[0] == "样本不足" for r in rows[len(ranked):len(rows) - 2] if r[0] is not None)
    scores = [r[9] for r in ranked]
    assert scores == sorted(scores, reverse=True)  # ranked by the bulletin's score
    assert "40·A" in rows[-1][0]  # the formula under the table


def test_ranking_csv_has_a_bom_and_the_same_rows(seeded, supervisor_client):
    response = supervisor_client.get("/supervise/ranking.csv?days=30")
    text = response.data.decode("utf-8")
    assert text.startswith(exports.CSV_BOM)
    rows = list(csv.reader(io.StringIO(text[1:])))
    xlsx = load_workbook(io.BytesIO(supervisor_client.get("/supervise/ranking.xlsx?days=30").data)).active
    assert [r[1] for r in rows[1:]] == [r[1] for r in xlsx.iter_rows(min_row=3, values_only=True)][:len(rows) - 1]


def test_ticket_export_xlsx_has_exactly_the_filtered_tickets(seeded, supervisor_client):
    response = supervisor_client.get("/supervise/export.xlsx?department=CGZF&status=assigned")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    expected = db.session.scalars(sa.select(Ticket.case_number).join(Department).where(
        Department.code == "CGZF", Ticket.status == TicketStatus.ASSIGNED)
        .order_by(Ticket.received_at.desc(), Ticket.id.desc())).all()
    assert expected and [r[0] for r in rows] == expected
    assert {r[1] for r in rows} == {"已派遣"}


def test_ticket_export_csv_streams_in_pieces(seeded, supervisor_client):
    since = quote(seed.now_utc().replace(year=2000).isoformat())
    response = supervisor_client.get(f"/supervise/export.csv?from={since}")
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) >= 2  # a piece per thousand rows, the header first
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith(exports.CSV_BOM)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) == 1 + 400


def test_ticket_rows_are_a_generator_fetching_in_batches(seeded):
    rows = exports.ticket_rows(Actor(None, "supervisor"), TicketFilter(), now_utc(), lambda i: f"/tickets/{i}")
    assert iter(rows) is rows
    assert len(next(rows)) == len(exports.ticket_header(link_column=True))
    rows.close()  # as when a download is cut short: the cursor closes with it


@pytest.mark.parametrize("url", ["/supervise/ranking.xlsx", "/supervise/ranking.csv", "/supervise/export.csv",
                                 "/supervise/export.xlsx", "/supervise/slips.pdf"])
def test_department_staff_may_not_download_county_wide_files(county, create_user, login, url):
    client = login(create_user("department", "CGZF"))
    assert client.get(url).status_code == 403


def test_an_english_export_names_categories_departments_and_areas_in_english(seeded, supervisor_client):
    supervisor_client.get("/supervise?lang=en")
    response = supervisor_client.get("/supervise/export.csv?department=CGZF")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:])))
    department = db.session.scalar(sa.select(Department).where(Department.code == "CGZF"))
    assert rows[0][:3] == ["Case number", "Status", "Category"]
    assert len(rows) > 1 and {r[3] for r in rows[1:]} == {department.name_en}
    assert all(r[2] and not any("\u4e00" <= ch <= "\u9fff" for ch in r[2]) for r in rows[1:])


def test_the_export_has_the_reporter_the_notes_typed_times_and_a_link_to_each_ticket(
        app, county, ticket_in, create_user, supervisor_client, monkeypatch):
    from app.models import TicketEvent

    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://xuncha.county.example")
    ticket = ticket_in("resolved")
    db.session.add_all([
        TicketEvent(ticket_id=ticket.id, action="return", note="不属于本单位", at=ticket.received_at),
        TicketEvent(ticket_id=ticket.id, action="resolve", note="已清理完毕", at=now_utc())])
    db.session.commit()
    sheet = load_workbook(io.BytesIO(supervisor_client.get("/supervise/export.xlsx").data)).worksheets[0]
    header = [c.value for c in sheet[2]]
    row = {name: cell for name, cell in zip(header, sheet[3], strict=True)}
    assert row["工单编号"].value == ticket.case_number
    assert row["工单编号"].hyperlink.target == f"https://xuncha.county.example/tickets/{ticket.id}"
    assert row["工单编号"].data_type == "s"  # a linked cell, not a HYPERLINK formula
    assert row["上报人"].value == (ticket.reporter.display_name or ticket.reporter.username)
    assert row["处置说明"].value == "已清理完毕" and row["退回理由"].value == "不属于本单位"
    assert row["接收时间"].is_date and row["纬度"].data_type == "n"
    local = to_local(ticket.received_at).replace(tzinfo=None, second=0, microsecond=0)
    assert row["接收时间"].value == local and row["办理时限"].value == to_local(ticket.due_at).replace(
        tzinfo=None, second=0, microsecond=0)  # Asia/Shanghai wall time, not UTC
    assert (row["上报次数"].value, row["返工次数"].value) == (ticket.report_count, 0)
    assert row["上报次数"].data_type == row["返工次数"].data_type == "n"
    text = supervisor_client.get("/supervise/export.csv").data.decode("utf-8")
    records = list(csv.reader(io.StringIO(text[1:])))
    assert records[0][-1] == "链接" and records[1][-1] == f"https://xuncha.county.example/tickets/{ticket.id}"


@pytest.mark.parametrize(("path", "word", "suffix", "disposition"), [
    ("/supervise/export.xlsx", "工单", "xlsx", "attachment"), ("/supervise/export.csv", "工单", "csv", "attachment"),
    ("/supervise/slips.pdf", "交办单", "pdf", "inline")])
def test_downloads_are_named_for_what_and_when(county, supervisor_client, path, word, suffix, disposition):
    response = supervisor_client.get(path)
    header = response.headers["Content-Disposition"]
    stamp = re.search(r'filename="[a-z]+-(\d{4}-\d{2}-\d{2}-\d{4})\.' + suffix + '"', header).group(1)
    assert header.startswith(disposition + ";")
    assert f"filename*=UTF-8''{quote(f'{word}-{stamp}.{suffix}')}" in header
    assert stamp[:10] == to_local(now_utc()).strftime("%Y-%m-%d")  # the local day, not UTC's
