"""What goes into a cell of an exported spreadsheet: text that no spreadsheet runs, typed numbers and dates.

Exports carry text typed by other people: descriptions and addresses from inspectors' phones and
Open311 clients, department and area names from the admin pages. Excel, WPS and LibreOffice run a
cell that starts with = + - or @ as a formula (Excel and WPS read the fullwidth ＝ ＋ － ＠ the same
way), and a leading tab or carriage return can hide such a start; a formula such as
=HYPERLINK(...) or =WEBSERVICE(...) can send a supervisor's data away or run commands (OWASP "CSV
Injection"). So every text cell of every CSV and XLSX export goes through `spreadsheet_text`: the
characters XML 1.0 cannot carry are removed first (app/text.py, the rule of the input doors; openpyxl
refuses them), then a text that starts dangerously gets a leading apostrophe, which leaves it inert
text in every spreadsheet. Numbers and dates are not text: they are written as typed values and
never prefixed, so a negative number stays a number.

`csv_row` and `xlsx_row` (with `xlsx_cell` for a cell to style) are the only ways the exports put
values into a file.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES

from app.text import strip_unstorable

# What a spreadsheet may read as the start of a formula (OWASP), with the fullwidth forms.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
ESCAPE = "'"
NUMBERS = (int, float, Decimal)  # bool is an int: written as it is
DATETIME_TEXT = "%Y-%m-%d %H:%M"  # how a time reads in a CSV


def spreadsheet_text(value: object) -> str:
    """`value` as text a spreadsheet shows as it is: storable in XML 1.0, never the start of a formula."""
    text = strip_unstorable(str(value))
    if text[:1] in FORMULA_STARTS:
        return ESCAPE + text
    return text


def csv_value(value: object) -> object:
    """A value for csv.writer: numbers as they are, a time as text, anything else as neutral text."""
    if value is None:
        return ""
    if isinstance(value, NUMBERS):
        return value
    if isinstance(value, datetime):
        return value.strftime(DATETIME_TEXT)
    if isinstance(value, date | time):
        return value.isoformat()
    return spreadsheet_text(value)


def csv_row(values: Iterable[object]) -> list:
    return [csv_value(value) for value in values]


def xlsx_value(sheet, value: object, number_format: str | None = None) -> object:
    """One value for sheet.append() (write-only or not): numbers and times typed, text as a string.

    openpyxl makes a formula of any string that starts with "=" and an error of "#N/A" and its
    like: such a text goes in as a cell marked as a string (after spreadsheet_text none starts
    with "=", but the cell type does not rest on that). Everything else goes in as a plain value,
    typed by openpyxl: a cell object per value would slow a 100,000-row export by half. Times must
    be naive (Excel has no zones); openpyxl shows them as yyyy-mm-dd h:mm:ss.
    """
    if value is None:
        return None
    if isinstance(value, (*NUMBERS, date, time)):
        if number_format is None:
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell
    text = spreadsheet_text(value)
    if text.startswith("=") or text in ERROR_CODES:
        return _string_cell(sheet, text)
    return text


def xlsx_cell(sheet, value: object) -> Cell:
    """A cell to style (a title, a header): `value` as neutral text, always a string cell."""
    return _string_cell(sheet, spreadsheet_text(value))


def _string_cell(sheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever the text
    return cell


def xlsx_row(sheet, values: Iterable[object], number_formats: dict[int, str] | None = None) -> list:
    """Values for sheet.append(); `number_formats` maps a column index (from 0) to a number format."""
    formats = number_formats or {}
    return [xlsx_value(sheet, value, formats.get(i)) for i, value in enumerate(values)]
