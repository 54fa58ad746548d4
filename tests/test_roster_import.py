"""Importing a roster from CSV (UTF-8 with or without BOM, GBK) or XLSX: all rows or none."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry, Notification
from eventsite.events import roster, service
from eventsite.events.models import EventKind, EventStatus, Registration, RegistrationStatus
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user

S = RegistrationStatus
HEADER_ZH = "姓名,手机号,性别,出生年份,工作单位,队伍"


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    monkeypatch.setattr(
        User,
        "set_password",
        lambda self, password: setattr(
            self, "password_hash", generate_password_hash(password, method="pbkdf2:sha256:1")
        ),
    )


@pytest.fixture
def organizer(app):
    return make_user(roles=["organizer"], name="组织者")


@pytest.fixture
def meet(app, clock, organizer):
    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队", "二队"], capacity=2
    )
    db.session.commit()
    return event


def upload(client, event, data: bytes, filename: str = "名单.csv"):
    return client.post(
        f"/events/{event.id}/roster/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def registrations(event) -> dict[str, tuple]:
    rows = db.session.execute(
        sa.select(User.name, Registration.status, Registration.team_id, Registration.track_id)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id)
        .order_by(Registration.id)
    ).all()
    return {name: (status, team, track) for name, status, team, track in rows}


def counts() -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, Registration, AuditEntry, Notification)
    )


def problems_by_row(response) -> dict[int, str]:
    html = response.get_data(as_text=True)
    return {int(n): body for n, body in re.findall(r'<tr id="row-(\d+)">(.*?)</tr>', html, re.S)}


def issued_codes(response) -> dict[str, tuple[str, str]]:
    """Mobile → (name, claim code) from the table of new accounts' codes on an import's result."""
    html = response.get_data(as_text=True)
    table = html.split('id="claim-codes"')[1].split("</table>")[0]
    rows = re.findall(
        r'<td class="nowrap">(.*?)</td>\s*<td class="nowrap">(.*?)</td>\s*'
        r'<td class="nowrap code"><code>(.*?)</code></td>',
        table,
    )
    return {mobile: (name, code) for name, mobile, code in rows}


def sign_up(client, mobile: str, claim_code: str = "", name: str = "自己填的名字"):
    """The claim code's sign-up, for members without a phone (`test_verification` claims by SMS)."""
    return client.post(
        "/signup/claim",
        data={
            "name": name,
            "mobile": mobile,
            "password": "huangshan-2026",
            "confirm": "huangshan-2026",
            "privacy": "y",
            "work_unit": "芜湖职业技术学院",
            "gender": "male",
            "birth_year": "1990",
            "claim_code": claim_code,
        },
    )


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- happy paths ------------------------------------------------------------------------------


def test_csv_utf8_with_bom_registers_everyone_by_the_normal_rules(
    app, client, auth, organizer, meet
):
    existing = make_user(name="王芳", mobile="15911110001", gender="female", birth_year=1988)
    db.session.commit()
    auth.become(organizer)
    text = (
        f"{HEADER_ZH}\r\n"
        "王芳,15911110001,女,1988,芜湖职业技术学院,一队\r\n"
        "李雷,159 1111 0002,男,1990,芜湖日报社,二队\r\n"
        "韩梅梅,+86 15911110003,女,1992年,,一队\r\n"
    )
    response = upload(client, meet, text.encode("utf-8-sig"))
    # Two accounts were created: their claim codes are on this response, and only here.
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    one, two = meet.teams
    # Capacity 2: the first two rows take the places, the third waits, in file order.
    assert registrations(meet) == {
        "王芳": ("confirmed", one.id, None),
        "李雷": ("confirmed", two.id, None),
        "韩梅梅": ("waitlisted", one.id, None),
    }
    new = {
        u.name: u
        for u in db.session.scalars(
            sa.select(User).where(User.mobile.in_(["15911110002", "15911110003"]))
        )
    }
    assert (
        new["李雷"].work_unit == "芜湖日报社"
        and new["李雷"].gender == "male"
        and new["李雷"].birth_year == 1990
    )
    assert new["韩梅梅"].gender == "female" and new["韩梅梅"].work_unit == ""
    # New accounts cannot be signed in to, whatever password is tried.
    assert new["李雷"].password_hash == roster.UNUSABLE_PASSWORD
    assert not new["李雷"].check_password("") and not new["李雷"].check_password(
        roster.UNUSABLE_PASSWORD
    )
    assert db.session.get(User, existing.id).password_hash != roster.UNUSABLE_PASSWORD
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "roster.import")
    ).one()
    assert entry.actor_id == organizer.id and entry.event_id == meet.id
    assert re.match(r"3\D+2\D+1\D+2\D", entry.detail)
    page = response.get_data(as_text=True)
    assert re.search(
        r"3\D+2\D+1\D+2\D", page.split('class="flash flash-success"')[1].split("</p>")[0]
    )
    codes = issued_codes(response)
    assert sorted(codes) == ["15911110002", "15911110003"]  # not the existing member
    assert '<body class="print-sheet">' in page and "data-print" in page
    assert [name for name, _code in codes.values()] == ["李雷", "韩梅梅"]
    for mobile, (_name, code) in codes.items():
        assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", code)
        stored = new[codes[mobile][0]].claim_code_hash
        assert stored and code not in stored
    assert codes["15911110002"][1] != codes["15911110003"][1]
    assert db.session.get(User, existing.id).claim_code_hash is None
    # Members are told as usual.
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == existing.id)
        )
        == 1
    )


def test_csv_from_excel_on_chinese_windows_gbk_and_approval_events_approve_at_once(
    app, client, auth, organizer, clock
):
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队", "江苏队"],
        tracks=["商务英语", "俄语"],
        approval_required=True,
    )
    db.session.commit()
    auth.become(organizer)
    text = (
        "姓名,手机号,性别,出生年份,工作单位,队伍,赛道\r\n"
        "赵云,18611110001,男,1991,烟台外贸公司,山东队,商务英语\r\n"
        "钱琳,18611110002,女,1993,南京外贸公司,江苏队,俄语\r\n"
    )
    response = upload(client, event, text.encode("gbk"))
    assert response.status_code == 200
    assert sorted(issued_codes(response)) == ["18611110001", "18611110002"]
    sd, js = event.teams
    en, ru = event.tracks
    assert registrations(event) == {
        "赵云": ("confirmed", sd.id, en.id),
        "钱琳": ("confirmed", js.id, ru.id),
    }
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["registration.approve", "registration.approve", "roster.import"]
    # Each member hears once, of the outcome; never "received, awaiting approval" as well.
    subjects = db.session.execute(
        sa.select(User.name, Notification.subject).join(User, User.id == Notification.user_id)
    ).all()
    assert sorted(name for name, _subject in subjects) == ["赵云", "钱琳"]


def test_uploading_the_list_again_skips_members_already_on_it(app, client, auth, organizer, meet):
    auth.become(organizer)
    first = f"{HEADER_ZH}\r\n李雷,15911110002,男,1990,芜湖日报社,二队\r\n"
    assert upload(client, meet, first.encode()).status_code == 200
    before = counts()
    longer = first + "韩梅梅,15911110003,女,1992,,一队\r\n"
    response = upload(client, meet, longer.encode())
    assert response.status_code == 200  # the new member's claim code is shown
    assert list(issued_codes(response)) == ["15911110003"]
    users, regs, _audit, notes = counts()
    assert (users, regs, notes) == (before[0] + 1, before[1] + 1, before[3] + 1)
    # Redirected to the claim codes page: the notice waits among the flashed messages.
    info = response.get_data(as_text=True).split('class="flash flash-info"')[1].split("</p>")[0]
    assert re.search(r"\b1\b", info)
    # Everyone on it: nothing changes and the organizer is told so.
    audited = counts()[2]
    again = upload(client, meet, longer.encode())
    assert again.status_code == 302
    # No registration, no message; the import itself is audited (0 rows, 2 already there).
    assert counts()[1:] == (before[1] + 1, audited + 1, before[3] + 1)
    assert registrations(meet)["李雷"] == ("confirmed", meet.teams[1].id, None)


def test_a_member_listed_under_another_team_is_a_problem_row(app, client, auth, organizer, meet):
    auth.become(organizer)
    upload(client, meet, f"{HEADER_ZH}\r\n李雷,15911110002,男,1990,芜湖日报社,二队\r\n".encode())
    before = counts()
    response = upload(
        client, meet, f"{HEADER_ZH}\r\n李雷,15911110002,男,1990,芜湖日报社,一队\r\n".encode()
    )
    assert response.status_code == 400
    with app.test_request_context():
        expected = str(roster.ROW_MESSAGES[roster.RowProblem.ALREADY_REGISTERED]).split("(")[0]
    assert expected.split("%")[0] in problems_by_row(response)[2]
    assert counts() == before


def test_xlsx_with_english_headers_and_excel_numbers(app, client, auth, organizer, clock):
    event = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["Shandong"], tracks=["English"]
    )
    db.session.commit()
    auth.become(organizer)
    data = xlsx(
        [
            ["Name", "Mobile Number", "Sex", "Year of birth", "Employer", "Team", "Track", "Notes"],
            [
                "Zhou Yu",
                18611110003,
                "Female",
                1994.0,
                "Yantai Port",
                "shandong",
                " English ",
                "ignored",
            ],
            [None, None, None, None],
            ["Sun Quan", "18611110004", "M", "1989", None, "Shandong", "English"],
        ]
    )
    response = upload(client, event, data, "contestants.xlsx")
    assert response.status_code == 200
    assert sorted(issued_codes(response)) == ["18611110003", "18611110004"]
    assert registrations(event) == {
        "Zhou Yu": ("confirmed", event.teams[0].id, event.tracks[0].id),
        "Sun Quan": ("confirmed", event.teams[0].id, event.tracks[0].id),
    }
    zhou = db.session.scalars(sa.select(User).where(User.mobile == "18611110003")).one()
    assert (zhou.gender, zhou.birth_year, zhou.work_unit) == ("female", 1994, "Yantai Port")


def test_an_exported_roster_imports_into_another_event(app, client, auth, organizer, meet, clock):
    for name, mobile, team in (("周一", "15922220001", 0), ("吴二", "15922220002", 1)):
        make_registration(meet, make_user(name=name, mobile=mobile), team_id=meet.teams[team].id)
    second = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队", "二队"], title="第二届"
    )
    db.session.commit()
    auth.become(organizer)
    exported = client.get(f"/events/{meet.id}/roster.csv").data
    response = upload(client, second, exported)
    # Nobody new, so no codes to show: straight back to the roster.
    assert response.status_code == 302
    assert response.location.endswith(f"/events/{second.id}/roster")
    assert registrations(second) == {
        "周一": ("confirmed", second.teams[0].id, None),
        "吴二": ("confirmed", second.teams[1].id, None),
    }


def test_full_width_digits_find_the_existing_member_instead_of_a_duplicate(
    app, client, auth, organizer, meet
):
    existing = make_user(name="王芳", mobile="13812345678", gender="female", birth_year=1988)
    db.session.commit()
    auth.become(organizer)
    text = f"{HEADER_ZH}\n王 芳,138１２３４５６７８,女,1988,,一队\n"
    response = upload(client, meet, text.encode("utf-8"))
    assert response.status_code == 302  # no new account, so no codes page
    assert sorted(db.session.scalars(sa.select(User.id))) == sorted([organizer.id, existing.id])
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.user_id == existing.id


def test_an_imported_member_claims_the_account_with_the_code_once(
    app, client, auth, organizer, meet
):
    auth.become(organizer)
    response = upload(client, meet, f"{HEADER_ZH}\n李雷,15977770001,男,1990,,一队\n".encode())
    [(name, code)] = issued_codes(response).values()
    assert name == "李雷"
    auth.logout()

    # The typed code may be in lower case, full width or spaced out.
    typed = (
        " ".join(code[:4].lower())
        + "-"
        + code[4:].translate({ord(c): ord(c) + 0xFEE0 for c in code[4:]})
    )
    assert sign_up(client, "15977770001", typed).status_code == 302
    user = db.session.scalars(sa.select(User).where(User.mobile == "15977770001")).one()
    db.session.refresh(user)
    assert not user.is_unclaimed and user.claim_code_hash is None
    assert user.check_password("huangshan-2026")

    # A second sign-up with the same code finds a claimed account and changes nothing.
    auth.logout()
    password_hash = user.password_hash
    again = sign_up(client, "15977770001", code)
    assert again.status_code == 400
    db.session.refresh(user)
    assert user.password_hash == password_hash


def test_the_roster_issues_a_new_code_for_an_unclaimed_account_only(
    app, client, auth, organizer, meet
):
    claimed = make_user(name="已有账号", mobile="15977770002")
    make_registration(meet, claimed, team_id=meet.teams[0].id)
    db.session.commit()
    auth.become(organizer)
    first = issued_codes(
        upload(client, meet, f"{HEADER_ZH}\n韩梅梅,15977770003,女,1992,,二队\n".encode())
    )["15977770003"][1]
    imported = db.session.scalars(sa.select(User).where(User.mobile == "15977770003")).one()
    registration = db.session.scalars(
        sa.select(Registration).where(Registration.user_id == imported.id)
    ).one()
    claimed_registration = db.session.scalars(
        sa.select(Registration).where(Registration.user_id == claimed.id)
    ).one()

    page = client.get(f"/events/{meet.id}/roster").get_data(as_text=True)
    action = f"/events/{meet.id}/roster/{registration.id}/claim-code"
    assert action in page
    assert f"/events/{meet.id}/roster/{claimed_registration.id}/claim-code" not in page

    response = client.post(action)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    [(name, second)] = issued_codes(response).values()
    assert name == "韩梅梅" and second != first
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "account.claim_code")
    ).one()
    assert (entry.actor_id, entry.event_id) == (organizer.id, meet.id)
    assert "15977770003" in entry.detail and second not in entry.detail

    # The old code stopped working; the new one works.
    auth.logout()
    assert sign_up(client, "15977770003", first).status_code == 400
    assert sign_up(client, "15977770003", second).status_code == 302

    # Once claimed, the roster refuses a new code and changes nothing.
    auth.become(organizer)
    db.session.expire_all()
    before = counts()
    refused = client.post(action)
    assert refused.status_code == 409
    assert 'id="refusals"' in refused.get_data(as_text=True)
    assert counts() == before
    assert db.session.get(User, imported.id).claim_code_hash is None


def test_a_code_for_another_events_registration_is_not_found(app, client, auth, organizer, meet):
    other = make_event(organizer=organizer, teams=["一队"], title="别的活动")
    db.session.commit()
    auth.become(organizer)
    upload(client, other, f"{HEADER_ZH}\n李雷,15977770004,男,1990,,一队\n".encode())
    registration = db.session.scalars(sa.select(Registration)).one()
    response = client.post(f"/events/{meet.id}/roster/{registration.id}/claim-code")
    assert response.status_code == 404
    assert not db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "account.claim_code")
    )


# --- nothing imported when anything is wrong --------------------------------------------------


def test_bad_rows_import_nothing_and_every_problem_is_listed_by_row(
    app, client, auth, organizer, meet
):
    make_user(name="真名", mobile="15933330001")
    registered = make_user(name="已报名", mobile="15933330002")
    make_registration(meet, registered, team_id=meet.teams[0].id, status=S.WAITLISTED)
    rejected = make_user(name="被拒", mobile="15933330003")
    make_registration(meet, rejected, team_id=meet.teams[0].id, status=S.REJECTED)
    db.session.commit()
    before = counts()
    auth.become(organizer)
    text = (
        f"{HEADER_ZH}\n"
        "好人,15933330009,男,1990,单位,一队\n"  # row 2: fine
        "坏号,1234,男,1990,单位,一队\n"  # row 3
        ",15933330010,未知,90,单位,三队\n"  # row 4: four problems
        "\n"  # row 5: blank, skipped
        "重复,15933330009,女,1991,单位,二队\n"  # row 6: same mobile as row 2
        "假名,15933330001,男,1990,单位,一队\n"  # row 7: someone else's number
        "已报名,15933330002,男,1995,单位,二队\n"  # row 8: registered in the other team
        "被拒,15933330003,男,1995,单位,一队\n"  # row 9
        "缺队,15933330011,女,2200,单位,\n"  # row 10
    )
    response = upload(client, meet, text.encode("utf-8"))
    assert response.status_code == 400
    assert counts() == before
    problems = problems_by_row(response)
    assert sorted(problems) == [3, 4, 6, 7, 8, 9, 10]
    assert "1234" in problems[3]
    assert (
        problems[4].count("<li>") == 4
        and "未知" in problems[4]
        and "90" in problems[4]
        and "三队" in problems[4]
    )
    assert re.search(r"\b2\b", problems[6])
    assert problems[8].count("<li>") == 1 and S.WAITLISTED.title in problems[8]
    assert problems[10].count("<li>") == 2 and "2200" in problems[10]
    assert 'id="import-problems"' in response.get_data(as_text=True)


def test_a_refusal_by_the_engine_mid_import_rolls_back_every_row(
    app, client, auth, organizer, meet, monkeypatch
):
    real_register = service.register

    def register(event, user, **kwargs):
        if user.name == "第三":
            raise service.RegistrationError("模拟拒绝")
        return real_register(event, user, **kwargs)

    monkeypatch.setattr(service, "register", register)
    before = counts()
    auth.become(organizer)
    text = f"{HEADER_ZH}\n第一,15944440001,男,1990,,一队\n第二,15944440002,男,1990,,一队\n第三,15944440003,女,1990,,二队\n"
    response = upload(client, meet, text.encode())
    assert response.status_code == 400
    assert counts() == before  # the two accounts and registrations made before it are gone too
    assert list(problems_by_row(response)) == [4]
    assert "模拟拒绝" in problems_by_row(response)[4]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("名字,电话\n张三,15955550001\n", "手机号 / mobile"),
        ("姓名,手机号,性别,出生年份\n张三,15955550001,男,1990\n", "队伍 / team"),
        (f"{HEADER_ZH}\n", "no members"),
        ("\n\n", "empty"),
    ],
)
def test_file_problems_are_reported_and_nothing_is_imported(
    app, client, auth, organizer, meet, text, words
):
    auth.become(organizer)
    with client.session_transaction() as session:
        session["locale"] = "en"
    before = counts()
    response = upload(client, meet, text.encode())
    assert response.status_code == 400
    assert words in response.get_data(as_text=True).split('id="import-problems"')[1]
    assert counts() == before


def test_more_rows_than_the_limit_is_refused(app, client, auth, organizer, meet):
    auth.become(organizer)
    with client.session_transaction() as session:
        session["locale"] = "en"
    lines = [HEADER_ZH] + [f"人{i},1596{i:07d},男,1990,,一队" for i in range(1001)]
    response = upload(client, meet, "\n".join(lines).encode())
    assert response.status_code == 400
    assert "more than 1,000 rows" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_a_file_over_5_mb_is_refused_beside_the_field(app, client, auth, organizer, meet):
    auth.become(organizer)
    before = db.session.scalar(sa.select(sa.func.count(Registration.id)))
    response = upload(client, meet, b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "文件不能超过 5 MB" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == before


@pytest.mark.parametrize(
    ("data", "filename", "field_error"),
    [(None, None, True), (b"a,b\n", "list.txt", True), (b"\x00\x01binary", "list.csv", False)],
)
def test_missing_or_wrong_files_get_a_message(
    app, client, auth, organizer, meet, data, filename, field_error
):
    auth.become(organizer)
    if data is None:
        response = client.post(
            f"/events/{meet.id}/roster/import", data={}, content_type="multipart/form-data"
        )
    else:
        response = upload(client, meet, data, filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert ('id="file-errors"' in html) is field_error
    assert ('id="import-problems"' in html) is not field_error


def test_mixers_take_no_import(app, client, auth, organizer, clock):
    event = make_event(organizer=organizer, kind=EventKind.MIXER)
    db.session.commit()
    auth.become(organizer)
    page = client.get(f"/events/{event.id}/roster/import")
    assert page.status_code == 200 and 'id="import-refusal"' in page.get_data(as_text=True)
    response = upload(
        client, event, "姓名,手机号,性别,出生年份\n张三,15966660001,男,1990\n".encode()
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


@pytest.mark.parametrize("state", ["draft", "closed", "cancelled"])
def test_import_needs_registration_open(app, client, auth, organizer, clock, state):
    fields = {}
    if state == "closed":
        fields["registration_closes_at"] = clock.now - timedelta(minutes=1)
    status = {"draft": EventStatus.DRAFT, "cancelled": EventStatus.CANCELLED}.get(
        state, EventStatus.PUBLISHED
    )
    event = make_event(organizer=organizer, teams=["一队"], status=status, **fields)
    db.session.commit()
    auth.become(organizer)
    response = upload(client, event, f"{HEADER_ZH}\n张三,15966660002,男,1990,,一队\n".encode())
    assert response.status_code == 400
    assert 'id="import-refusal"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_import_page_documents_the_columns_and_offers_the_template(
    app, client, auth, organizer, meet
):
    auth.become(organizer)
    html = client.get(f"/events/{meet.id}/roster/import").get_data(as_text=True)
    assert f"/events/{meet.id}/roster/import-template.xlsx" in html
    for label in (
        "姓名 / name",
        "手机号 / mobile",
        "性别 / gender",
        "出生年份 / birth year",
        "队伍 / team",
    ):
        assert label in html
    assert "赛道 / track" not in html  # a sports meet has no tracks


# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["姓名", "手机号", "性别", "出生年份"], []),
        (["NAME", " Mobile ", "gender", "Birth  Year"], []),
        (["姓名", "手机", "性别"], ["birth_year"]),
        ([], ["name", "mobile", "gender", "birth_year"]),
    ],
)
def test_map_header(header, missing):
    assert roster.map_header(header)[1] == missing


def test_map_header_takes_the_first_of_repeated_columns():
    columns, _missing = roster.map_header(["姓名", "name", "手机号"])
    assert columns["name"] == 0 and columns["mobile"] == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("男", "male"),
        ("女", "female"),
        ("Male", "male"),
        ("FEMALE", "female"),
        (" f ", "female"),
        ("", None),
        ("未知", None),
        ("男性", None),
    ],
)
def test_parse_gender(text, expected):
    assert roster.parse_gender(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990", 1990),
        ("1990年", 1990),
        ("1900", 1900),
        ("2026", 2026),
        ("2027", None),
        ("1899", None),
        ("90", None),
        ("1990.5", None),
        ("", None),
    ],
)
def test_parse_birth_year(text, expected):
    assert roster.parse_birth_year(text, 2026) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15911112222", "15911112222"),
        ("159-1111-2222", "15911112222"),
        ("+86 159 1111 2222", "15911112222"),
        ("8615911112222", "15911112222"),
        ("159１１１１２２２２", "15911112222"),  # full-width digits from a Chinese input method
        ("１５９ １１１１ ２２２２", "15911112222"),
        ("159١١١١٢٢٢٢", None),  # Arabic-Indic digits are not a mainland number
        ("1591111222", None),
        ("25911112222", None),
    ],
)
def test_an_import_row_reads_the_mobile_as_sign_up_does(text, expected):
    columns = {"name": 0, "mobile": 1, "gender": 2, "birth_year": 3}
    row, problems = roster.check_import_row(
        ["张三", text, "男", "1990"], columns, line=2, this_year=2026, teams=None, tracks=None
    )
    if expected is None:
        assert row is None and problems == [(roster.RowProblem.MOBILE_INVALID, text)]
    else:
        assert problems == [] and row.mobile == expected


def test_check_import_row_ignores_team_and_track_an_event_does_not_use():
    columns = {"name": 0, "mobile": 1, "gender": 2, "birth_year": 3, "team": 4}
    row, problems = roster.check_import_row(
        ["张三", "15911112222", "男", "1990", "不存在"],
        columns,
        line=2,
        this_year=2026,
        teams=None,
        tracks=None,
    )
    assert problems == [] and row.team_id is None and row.line == 2


def test_duplicate_lines_point_at_the_first_occurrence():
    def row(line, mobile):
        return roster.ImportRow(line=line, name="x", mobile=mobile, gender="male", birth_year=1990)

    rows = [row(2, "1"), row(3, "2"), row(5, "1"), row(9, "1")]
    assert roster.duplicate_lines(rows) == {5: 2, 9: 2}


def test_the_import_is_audited_in_the_sites_language_whatever_the_organizer_uses(
    app, client, auth, organizer, meet
):
    from flask_babel import force_locale, gettext

    auth.become(organizer)
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = upload(client, meet, f"{HEADER_ZH}\n李雷,15977770005,男,1990,,一队\n".encode())
    assert response.status_code == 200
    assert "Claim codes for new accounts" in response.get_data(as_text=True)  # English page
    detail = db.session.scalars(
        sa.select(AuditEntry.detail).where(AuditEntry.action == "roster.import")
    ).one()
    message = "%(rows)s rows: %(confirmed)s confirmed, %(waitlisted)s waitlisted, %(created)s new accounts, %(already)s already on the roster"
    counts = {"rows": 1, "confirmed": 1, "waitlisted": 0, "created": 1, "already": 0}
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        expected = gettext(message, **counts)
    with app.test_request_context(), force_locale("en"):
        english = gettext(message, **counts)
    assert detail == expected and detail != english
