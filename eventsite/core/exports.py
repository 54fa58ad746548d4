"""Spreadsheets in and out: CSV in UTF-8 with a BOM (so Excel opens Chinese correctly), XLSX via
openpyxl, and a reader that turns an uploaded CSV or XLSX into rows of text.

Nothing here knows about events: callers pass a header and rows of plain values.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

BOM = "\ufeff"
#: Werkzeug adds "; charset=utf-8" to a text type itself: naming it here would send it twice.
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: A cell starting with one of these is a formula to Excel; exported text must never run.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TableError(Exception):
    """An uploaded file could not be read as a table; `message` is for the organizer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _csv_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def iter_csv(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """CSV text in chunks: a BOM, the header, then one line per row (formula-like text defused)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([_csv_cell(v) for v in header])
    for index, row in enumerate(rows, 1):
        writer.writerow([_csv_cell(v) for v in row])
        if index % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """The whole CSV file as UTF-8 bytes, BOM first."""
    return "".join(iter_csv(header, rows)).encode("utf-8")


def display_width(value) -> int:
    """Columns a value takes in a spreadsheet: wide (CJK) characters count twice."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def xlsx_bytes(
    header: Sequence[str], rows: Sequence[Sequence], *, sheet_title: str = "Sheet1", notes=None
) -> bytes:
    """An XLSX file: bold frozen header, columns sized to their content.

    `notes`, when given, is a list of lines written to a second sheet (e.g. how to fill a template).
    """
    workbook = Workbook(write_only=True)
    add_sheet(workbook, sheet_title, header, rows)
    if notes:
        extra = workbook.create_sheet(title=_sheet_name(notes[0]))
        extra.column_dimensions["A"].width = 100
        for line in notes:
            extra.append([_xlsx_cell(extra, line)])
    return workbook_bytes(workbook)


def add_sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence],
    *,
    note: str | None = None,
    cell: Callable | None = None,
) -> None:
    """Append a sheet to a write-only workbook: bold frozen header, columns sized to content.

    `note` is a bold red title row above the header (e.g. "provisional"); `cell(sheet, value)`
    turns a value into what the sheet stores, after the formula guard (default: as it is).
    """
    sheet = workbook.create_sheet(title=_sheet_name(title))
    widths = [display_width(h) for h in header]
    for row in rows:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], display_width(value))
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    if note:
        note_cell = WriteOnlyCell(sheet, value=note)
        note_cell.font = Font(bold=True, color="C00000")
        sheet.append([note_cell])
    sheet.freeze_panes = "A3" if note else "A2"
    bold = Font(bold=True)
    header_cells = []
    for heading in header:
        head = WriteOnlyCell(sheet, value=str(heading))
        head.font = bold
        header_cells.append(head)
    sheet.append(header_cells)
    convert = cell or (lambda _sheet, value: value)
    for row in rows:
        sheet.append([convert(sheet, _xlsx_cell(sheet, v)) for v in row])


def workbook_bytes(workbook: Workbook) -> bytes:
    """A workbook saved to bytes."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_name(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip()
    return cleaned[:31] or "Sheet1"


def _xlsx_cell(sheet, value):
    # openpyxl would store text starting with "=" as a formula; keep it text.
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def attachment(body, *, filename: str, mimetype: str) -> Response:
    """A download response; `body` is bytes or an iterator of text chunks."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- reading uploads -------------------------------------------------------------------------

#: Encodings tried in order: UTF-8 (with or without BOM), then what Excel on Chinese Windows writes.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 with or without BOM, else GBK/GB18030."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(
        _("The file is not in a text encoding we can read; save it as UTF-8 CSV or XLSX.")
    )


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


@dataclass
class UploadReport:
    """What an upload of a table did, or why it did nothing: problems with the file as a whole,
    and every message for each row by its number in the file. Nothing is kept unless `ok`."""

    file_problems: list[str] = field(default_factory=list)
    row_problems: dict[int, list[str]] = field(default_factory=dict)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.row_problems

    def add_message(self, line: int, message: str) -> None:
        self.row_problems.setdefault(line, []).append(message)


def read_table(data: bytes, *, max_rows: int, max_columns: int = 40) -> list[tuple[int, list[str]]]:
    """Rows of an uploaded CSV or XLSX as (row number in the file, stripped cells), blank rows
    dropped, header first.

    Stops reading once more than `max_rows` data rows were seen (the caller reports the limit).
    """
    if not data:
        raise TableError(_("The file is empty."))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TableError(_("This is an old Excel file (.xls); please save it as .xlsx or CSV."))
    raw_rows = _xlsx_rows(data, max_columns) if is_xlsx(data) else _csv_rows(data)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, raw in enumerate(raw_rows, 1):
            cells = [_text(v) for v in raw[:max_columns]]
            while cells and cells[-1] == "":
                cells.pop()
            if not cells:
                continue
            rows.append((number, cells))
            if len(rows) > max_rows + 1:
                break
    finally:
        raw_rows.close()
    if not rows:
        raise TableError(_("The file is empty."))
    return rows


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = decode_csv(data)
    if "\x00" in text:
        raise TableError(_("The file is not a CSV or XLSX table."))
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise TableError(_("The CSV file is malformed: %(problem)s", problem=str(exc))) from exc


def _xlsx_rows(data: bytes, max_columns: int) -> Iterator[list]:
    # openpyxl raises many kinds of exception on a damaged or foreign file; all mean "unreadable".
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise TableError(
            _("The XLSX file could not be opened; is it a real Excel workbook?")
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(max_col=max_columns, values_only=True):
            yield list(row)
    except Exception as exc:
        raise TableError(
            _("The XLSX file could not be opened; is it a real Excel workbook?")
        ) from exc
    finally:
        workbook.close()


def _text(value) -> str:
    """A cell as text: whole floats lose their ".0" (Excel stores 1990 and 13800000000 as floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()
