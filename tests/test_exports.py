"""Spreadsheets out and in: CSV with a BOM, XLSX via openpyxl, the upload reader, roster exports."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import User
from eventsite.core import exports
from eventsite.core.exports import TableError, csv_bytes, read_table, xlsx_bytes
from eventsite.core.models import AuditEntry
from eventsite.events import roster
from eventsite.events.models import EventKind, RegistrationStatus
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user
from tests.test_roster import seed_registrations

S = RegistrationStatus
HEADER_MSGIDS = [
    "Name",
    "Mobile",
    "Work unit",
    "Union",
    "Membership",
    "Gender",
    "Birth year",
    "Team",
    "Track",
    "Status",
    "Reason",
    "Registered at",
    "Checked in at",
]


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    monkeypatch.setattr(
        User,
        "set_password",
        lambda self, password: setattr(
            self, "password_hash", generate_password_hash(password, method="pbkdf2:sha256:1")
        ),
    )


# --- the writers ------------------------------------------------------------------------------


def test_csv_starts_with_a_bom_and_reads_back_with_the_csv_module():
    data = csv_bytes(
        ["姓名", "备注"], [["张三", 'a "quoted", comma'], ["李四", None], ["王五", 1990]]
    )
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["姓名", "备注"], ["张三", 'a "quoted", comma'], ["李四", ""], ["王五", "1990"]]
    assert data.count(b"\r\n") == 4  # Excel's line ends


def test_csv_text_that_looks_like_a_formula_is_defused():
    data = csv_bytes(["x"], [['=HYPERLINK("http://evil")'], ["+1"], ["-2"], ["@SUM(A1)"], ["ok"]])
    values = [row[0] for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))][1:]
    assert values == ['\'=HYPERLINK("http://evil")', "'+1", "'-2", "'@SUM(A1)", "ok"]


def test_csv_streams_in_chunks_with_one_bom():
    chunks = list(exports.iter_csv(["h"], ([str(i)] for i in range(1200))))
    assert len(chunks) == 3
    text = "".join(chunks)
    assert text.count("\ufeff") == 1 and text.startswith("\ufeff")
    assert text.endswith("1199\r\n")


def test_xlsx_round_trip_with_bold_frozen_header_and_sized_columns():
    rows = [["张三丰同志", "13800000000", 1990, None], ["Li", "13900000000", 1985, "=1+1"]]
    data = xlsx_bytes(["姓名", "手机号", "出生年份", "备注"], rows, sheet_title="花名册")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "花名册"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values == [["姓名", "手机号", "出生年份", "备注"], *rows]
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    # Wide characters count double: five CJK characters need more room than an 11-digit number.
    assert sheet.column_dimensions["A"].width == 12
    assert sheet.column_dimensions["B"].width == 13
    assert sheet.column_dimensions["C"].width >= 8
    # Text that starts with "=" stays text, never a formula.
    assert sheet["D3"].data_type == "s"


def test_xlsx_notes_go_to_a_second_sheet():
    data = xlsx_bytes(["a"], [], notes=["填写说明", "第一行"])
    book = load_workbook(io.BytesIO(data))
    assert [s.title for s in book.worksheets] == ["Sheet1", "填写说明"]
    assert [r[0] for r in book.worksheets[1].iter_rows(values_only=True)] == ["填写说明", "第一行"]


# --- the reader -------------------------------------------------------------------------------


def test_reader_takes_utf8_with_and_without_bom_and_gbk(app):
    text = "姓名,手机号\r\n张三,13800000000\r\n\r\n李四,13900000000\r\n"
    for data in (
        text.encode("utf-8-sig"),
        text.encode("utf-8"),
        text.encode("gbk"),
        text.encode("gb18030"),
    ):
        assert read_table(data, max_rows=10) == [
            (1, ["姓名", "手机号"]),
            (2, ["张三", "13800000000"]),
            (4, ["李四", "13900000000"]),
        ]


def test_reader_takes_xlsx_numbers_as_excel_stores_them(app):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "出生年份"])
    sheet.append(["张三", 13800000000, 1990.0])
    sheet.append([None, None, None])
    sheet.append(["  李四\u3000", "13900000000", "1985"])
    out = io.BytesIO()
    book.save(out)
    assert read_table(out.getvalue(), max_rows=10) == [
        (1, ["姓名", "手机号", "出生年份"]),
        (2, ["张三", "13800000000", "1990"]),
        (4, ["李四", "13900000000", "1985"]),
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n,,\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04not really a zip", "XLSX"),
        (b"\x00\x01\x02binary", "CSV or XLSX"),
    ],
)
def test_reader_refuses_what_it_cannot_read_with_a_message(app, data, words):
    with app.test_request_context(), force_locale("en"), pytest.raises(TableError) as error:
        read_table(data, max_rows=10)
    assert words in error.value.message


def test_reader_stops_after_the_row_limit(app):
    data = ("h\n" + "x\n" * 100).encode()
    rows = read_table(data, max_rows=10)
    assert len(rows) == 12  # header, ten rows, and one more to tell the caller it is too long


# --- roster exports ---------------------------------------------------------------------------


@pytest.fixture
def competition(app, clock):
    organizer = make_user(roles=["organizer"], name="组织者")
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队", "江苏队"],
        tracks=["商务英语", "俄语"],
    )
    shandong, jiangsu = event.teams
    english, russian = event.tracks
    a = make_registration(
        event,
        make_user(name="张三", mobile="15900000001", gender="female", birth_year=1992),
        team_id=shandong.id,
        track_id=english.id,
    )
    clock.advance(minutes=30)
    make_registration(
        event,
        make_user(name="=李四", mobile="15900000002"),
        status=S.REJECTED,
        team_id=jiangsu.id,
        track_id=russian.id,
        status_reason="资格不符",
    )
    a.checked_in_at = clock.advance(hours=1)
    db.session.commit()
    return organizer, event


def export_detail(app, file_format: str, rows: int) -> str:
    """The audit detail of an export as the organizer's (default) language writes it."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return _("%(format)s, %(n)s rows", format=file_format, n=rows)


def test_csv_export_has_bom_headers_in_the_locale_and_every_row(app, client, auth, competition):
    organizer, event = competition
    auth.become(organizer)
    response = client.get(f"/events/{event.id}/roster.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    disposition = response.headers["Content-Disposition"]
    assert f"roster-event{event.id}-20261101.csv" in disposition and disposition.startswith(
        "attachment"
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        expected_header = [_(m) for m in HEADER_MSGIDS]
        confirmed, rejected, female, male, no_union = (
            S.CONFIRMED.title,
            S.REJECTED.title,
            _("Female"),
            _("Male"),
            _("No union"),
        )
    assert rows[0] == expected_header
    assert rows[1] == [
        "张三",
        "15900000001",
        "芜湖职业技术学院",
        "",
        no_union,
        female,
        "1992",
        "山东队",
        "商务英语",
        confirmed,
        "",
        "2026-11-01 10:00",
        "2026-11-01 11:30",
    ]
    assert rows[2] == [
        "'=李四",
        "15900000002",
        "芜湖职业技术学院",
        "",
        no_union,
        male,
        "1995",
        "江苏队",
        "俄语",
        rejected,
        "资格不符",
        "2026-11-01 10:30",
        "",
    ]
    assert len(rows) == 3
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.event_id == event.id)).one()
    assert (entry.action, entry.actor_id, entry.detail) == (
        "roster.export",
        organizer.id,
        export_detail(app, "CSV", 2),
    )


def test_csv_header_is_chinese_by_default(app, client, auth, competition):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        if _("Name") == "Name":
            pytest.skip("the zh_Hans_CN catalog does not translate the roster headers yet")
    organizer, event = competition
    auth.become(organizer)
    header = next(
        csv.reader(
            io.StringIO(client.get(f"/events/{event.id}/roster.csv").data.decode("utf-8-sig"))
        )
    )
    assert header[:2] == ["姓名", "手机号"]


def test_export_header_follows_the_chosen_language(app, client, auth, competition):
    organizer, event = competition
    auth.become(organizer)
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = client.get(f"/events/{event.id}/roster.csv")
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header == HEADER_MSGIDS


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_export_headers_are_read_back_by_the_import(app, locale):
    """An exported roster can be re-imported: every import column is recognised in its header."""
    with app.test_request_context(), force_locale(locale):
        columns, missing = roster.map_header(roster.export_header())
    assert missing == []
    assert set(columns) == set(roster.IMPORT_COLUMNS)


def test_export_honours_the_filters(app, client, auth, competition):
    organizer, event = competition
    auth.become(organizer)
    response = client.get(f"/events/{event.id}/roster.csv?status=rejected&q=李")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["15900000002"]
    detail = db.session.scalars(sa.select(AuditEntry.detail)).one()
    assert detail.startswith(export_detail(app, "CSV", 1))
    assert client.get(f"/events/{event.id}/roster.csv?status=nope").status_code == 400


def test_xlsx_export_round_trips_through_openpyxl(app, client, auth, competition):
    organizer, event = competition
    auth.become(organizer)
    response = client.get(f"/events/{event.id}/roster.xlsx?team_id={event.teams[0].id}")
    assert response.status_code == 200
    assert response.mimetype == exports.XLSX_MIMETYPE
    assert f"roster-event{event.id}-20261101.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(rows) == 2
    assert rows[1][:3] == ["张三", "15900000001", "芜湖职业技术学院"]
    assert rows[1][3:5] == [None, "未加入工会"]  # no union chosen (the union has a test of its own)
    assert rows[1][6] == 1992 and rows[1][7:9] == ["山东队", "商务英语"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert (
        db.session.scalars(sa.select(AuditEntry.detail))
        .one()
        .startswith(export_detail(app, "XLSX", 1))
    )


def test_export_takes_the_same_number_of_queries_for_10_and_1000_rows(
    app, client, auth, count_queries
):
    organizer = make_user(roles=["organizer"])
    small = make_event(organizer=organizer, title="small")
    big = make_event(organizer=organizer, title="big")
    seed_registrations(small, 10, prefix="s")
    seed_registrations(big, 1000, prefix="b")
    db.session.commit()
    auth.become(organizer)
    counts = []
    for event in (small, big):
        client.get(f"/events/{event.id}/roster.xlsx")
        with count_queries() as counter:
            response = client.get(f"/events/{event.id}/roster.csv")
        counts.append(counter.count)
        assert response.data.decode("utf-8-sig").count("\r\n") == (11 if event is small else 1001)
    assert counts[0] == counts[1], counts


def test_import_template_lists_the_events_columns_teams_and_tracks(app, client, auth, competition):
    organizer, event = competition
    auth.become(organizer)
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = client.get(f"/events/{event.id}/roster/import-template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert list(header) == ["Name", "Mobile", "Gender", "Birth year", "Work unit", "Team", "Track"]
    notes = "\n".join(r[0] for r in book.worksheets[1].iter_rows(values_only=True))
    assert "山东队、江苏队" in notes and "商务英语、俄语" in notes
    columns, missing = roster.map_header(list(header))
    assert missing == [] and {"team", "track"} <= set(columns)


@pytest.mark.parametrize(
    ("kind", "kept"),
    [
        (EventKind.COMPETITION, ["team", "track"]),
        (EventKind.SPORTSMEET, ["team"]),
        (EventKind.MIXER, []),
        (EventKind.GENERAL, []),
    ],
)
def test_the_export_keeps_only_the_columns_its_kind_fills(app, kind, kept):
    event = make_event(kind=kind)
    keys = roster.export_keys(event, companions=False, with_sessions=False)
    assert [key for key in keys if key in ("team", "track")] == kept
    assert keys[:7] == [
        "name",
        "mobile",
        "work_unit",
        "union",
        "membership",
        "gender",
        "birth_year",
    ]
    assert keys[-4:] == ["status", "reason", "registered_at", "checked_in_at"]
    with app.test_request_context():
        assert len(roster.export_header(event)) == len(keys)
    # Without an event (the import's list of columns) every column is named.
    assert {"team", "track"} <= set(roster.export_keys(None, companions=False, with_sessions=False))
