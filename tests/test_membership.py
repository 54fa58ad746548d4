"""Membership: a member asks a union from "My union", the union's admin decides; a union's list
verifies its members in one all-or-nothing import. The rules over every case, then the pages
through the real app and database."""

from __future__ import annotations

import io

import openpyxl
import pytest

from eventsite.accounts.models import User, UserRole
from eventsite.core.models import AuditEntry, Notification
from eventsite.extensions import db
from eventsite.organizations import service as organizations
from tests.factories import make_user


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


# --- Through the app ----------------------------------------------------------------------------


@pytest.fixture
def tree(app):
    root = organizations.root()
    wuhu = organizations.create(root, "芜湖市总工会")
    jinghu = organizations.create(wuhu, "镜湖区总工会")
    factory = organizations.create(jinghu, "芜湖某机械厂工会")
    qiqihar = organizations.create(root, "齐齐哈尔市总工会")
    db.session.commit()
    return {"wuhu": wuhu, "jinghu": jinghu, "factory": factory, "qiqihar": qiqihar}


def admin_of(organization, **fields):
    user = make_user(**fields)
    user.role_grants = [UserRole(role="admin", organization_id=organization.id)]
    db.session.commit()
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_member_finds_a_union_by_name_and_asks_it(client, auth, tree):
    member = make_user(name="王芳")
    db.session.commit()
    auth.become(member)
    page = text(client.get("/account/union?q=机械"))
    assert "芜湖某机械厂工会" in page and "齐齐哈尔" not in page
    response = client.post("/account/union", data={"organization_id": tree["factory"].id})
    assert response.status_code == 302
    db.session.refresh(member)
    assert (member.organization_id, member.membership_status) == (tree["factory"].id, "requested")
    page = text(client.get("/account/union"))
    assert "芜湖某机械厂工会" in page and "Awaiting review" in page
    # Asking again is refused beside the choice.
    response = client.post("/account/union", data={"organization_id": tree["factory"].id})
    assert response.status_code == 400
    assert "already asked this union" in text(response)


@pytest.mark.parametrize("value", ["", "abc", "0", "99999999999", "424242"])
def test_a_bad_choice_is_refused_beside_the_field(client, auth, tree, value):
    member = make_user()
    db.session.commit()
    auth.become(member)
    response = client.post("/account/union", data={"organization_id": value})
    assert response.status_code == 400
    assert 'id="organization_id-errors"' in text(response)
    db.session.refresh(member)
    assert member.membership_status == "none"


def test_the_unions_admin_approves_and_the_member_is_told(client, auth, tree):
    member = make_user(
        name="王芳", organization_id=tree["factory"].id, membership_status="requested"
    )
    city_admin = admin_of(tree["wuhu"], name="市总管理员")
    auth.become(city_admin)
    page = text(client.get("/membership/requests"))
    assert "王芳" in page and "芜湖某机械厂工会" in page
    assert client.post(f"/membership/requests/{member.id}/approve").status_code == 302
    db.session.refresh(member)
    assert member.membership_status == "verified"
    assert member.membership_verified_by_id == city_admin.id
    assert member.membership_changed_at is not None
    note = db.session.query(Notification).filter_by(user_id=member.id).one()
    assert "verified" in note.subject and note.link == "/account/union"
    assert db.session.query(AuditEntry).filter_by(action="membership.approve").count() == 1
    page = text(client.get("/membership/requests"))
    assert "王芳 is now a verified member." in page and f'id="request-{member.id}"' not in page
    # Decided once: a second decision is refused, nothing changes.
    client.post(f"/membership/requests/{member.id}/decline")
    db.session.refresh(member)
    assert member.membership_status == "verified"


def test_a_declined_member_belongs_to_no_union_and_is_told(client, auth, tree):
    member = make_user(organization_id=tree["factory"].id, membership_status="requested")
    auth.become(admin_of(tree["factory"]))
    client.post(f"/membership/requests/{member.id}/decline")
    db.session.refresh(member)
    assert (member.organization_id, member.membership_status) == (None, "none")
    assert "declined" in db.session.query(Notification).filter_by(user_id=member.id).one().subject


def test_an_admin_of_another_union_neither_sees_nor_decides(client, auth, tree):
    member = make_user(
        name="王芳", organization_id=tree["factory"].id, membership_status="requested"
    )
    auth.become(admin_of(tree["qiqihar"]))
    assert "王芳" not in text(client.get("/membership/requests"))
    assert client.post(f"/membership/requests/{member.id}/approve").status_code == 404
    assert client.post(f"/membership/requests/{member.id}/decline").status_code == 404
    # Nor does an admin of a union below the member's.
    auth.logout()
    below = organizations.create(tree["factory"], "车间分会")
    db.session.commit()
    auth.become(admin_of(below))
    assert client.post(f"/membership/requests/{member.id}/approve").status_code == 404
    db.session.refresh(member)
    assert member.membership_status == "requested"


def test_an_organizer_may_not_open_the_requests(client, auth, tree):
    auth.become(make_user(roles=["organizer"]))
    assert client.get("/membership/requests").status_code == 403


def test_the_member_leaves_or_withdraws(client, auth, tree):
    member = make_user(organization_id=tree["factory"].id, membership_status="verified")
    db.session.commit()
    auth.become(member)
    client.post("/account/union/leave")
    db.session.refresh(member)
    assert (member.organization_id, member.membership_status) == (None, "none")
    # Nothing to leave: refused, nothing changes.
    assert client.post("/account/union/leave").status_code == 302
    assert db.session.query(AuditEntry).filter_by(action="membership.leave").count() == 1


def test_asking_another_union_ends_the_verified_membership(client, auth, tree):
    member = make_user(organization_id=tree["factory"].id, membership_status="verified")
    db.session.commit()
    auth.become(member)
    client.post("/account/union", data={"organization_id": tree["qiqihar"].id})
    db.session.refresh(member)
    assert (member.organization_id, member.membership_status) == (tree["qiqihar"].id, "requested")


# --- The union's list -------------------------------------------------------------------------


def upload(client, organization, data: bytes, filename="会员名单.csv"):
    return client.post(
        f"/organizations/{organization.id}/members/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_the_list_verifies_listed_accounts_and_reports_the_rest(client, auth, tree):
    listed = make_user(name="张 伟", mobile="13900000001")
    asked_elsewhere = make_user(
        name="李娜",
        mobile="13900000002",
        organization_id=tree["qiqihar"].id,
        membership_status="requested",
    )
    already = make_user(
        name="赵强",
        mobile="13900000003",
        organization_id=tree["factory"].id,
        membership_status="verified",
    )
    admin = admin_of(tree["jinghu"])
    auth.become(admin)
    before = db.session.query(User).count()
    body = "姓名,手机号\n张伟,139 0000 0001\n李娜,13900000002\n赵强,13900000003\n陈静,13900000004\n"
    response = upload(client, tree["factory"], body.encode("gbk"))
    assert response.status_code == 200
    page = text(response)
    assert "2 members verified; 1 were already verified." in page
    assert "陈静" in page and "13900000004" in page  # reported, nothing created
    assert db.session.query(User).count() == before
    for user in (listed, asked_elsewhere, already):
        db.session.refresh(user)
        assert (user.organization_id, user.membership_status) == (tree["factory"].id, "verified")
    assert listed.membership_verified_by_id == admin.id
    assert db.session.query(AuditEntry).filter_by(action="membership.import").count() == 1


def test_an_xlsx_list_with_english_headers(client, auth, tree):
    member = make_user(name="Wang Fang", mobile="13900000011")
    auth.become(admin_of(tree["factory"]))
    book = openpyxl.Workbook()
    book.active.append(["Name", "Mobile"])
    book.active.append(["Wang Fang", 13900000011])
    data = io.BytesIO()
    book.save(data)
    response = upload(client, tree["factory"], data.getvalue(), "members.xlsx")
    assert response.status_code == 200, text(response)
    db.session.refresh(member)
    assert member.membership_status == "verified"


def test_any_bad_row_imports_nothing_and_every_problem_is_listed(client, auth, tree):
    good = make_user(name="张伟", mobile="13900000021")
    make_user(name="别人", mobile="13900000022")
    make_user(
        name="孙丽",
        mobile="13900000023",
        organization_id=tree["qiqihar"].id,
        membership_status="verified",
    )
    auth.become(admin_of(tree["factory"]))
    body = (
        "姓名,手机号\n张伟,13900000021\n李四,13900000022\n孙丽,13900000023\n"
        ",13900000024\n王五,12345\n张伟,13900000021\n"
    )
    response = upload(client, tree["factory"], body.encode())
    assert response.status_code == 400
    page = text(response)
    for line in (3, 4, 5, 6, 7):
        assert f'id="row-{line}"' in page
    assert 'id="row-2"' not in page
    assert "different name" in page and "「齐齐哈尔市总工会」" in page
    db.session.refresh(good)
    assert good.membership_status == "none"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        ("名字,电话\n张三,13900000031\n".encode(), "手机号 / mobile"),
        ("姓名,手机号\n".encode(), "no members"),
    ],
)
def test_file_problems_are_reported(client, auth, tree, data, words):
    auth.become(admin_of(tree["factory"]))
    response = upload(client, tree["factory"], data)
    assert response.status_code == 400
    assert words in text(response)


def test_only_an_admin_of_the_union_or_above_imports(client, auth, tree):
    auth.become(admin_of(tree["qiqihar"]))
    assert client.get(f"/organizations/{tree['factory'].id}/members/import").status_code == 404
    assert client.get("/organizations/99999/members/import").status_code == 404
    auth.logout()
    auth.become(admin_of(tree["wuhu"]))
    page = client.get(f"/organizations/{tree['factory'].id}/members/import")
    assert page.status_code == 200
    # The admin's own union is linked from the requests page.
    assert f"/organizations/{tree['wuhu'].id}/members/import" in text(
        client.get("/membership/requests")
    )


# --- The member's own data --------------------------------------------------------------------


def test_the_data_download_holds_the_membership(client, auth, tree):
    admin = admin_of(tree["factory"], name="厂工会主席")
    member = make_user(
        name="王芳",
        organization_id=tree["factory"].id,
        membership_status="verified",
        membership_verified_by_id=admin.id,
    )
    db.session.commit()
    auth.become(member)
    union = client.get("/account/data.json").json["Account"]["Union"]
    assert union["Name"] == "芜湖某机械厂工会"
    assert union["Membership"] == "Verified"
    assert union["Verified by"] == "厂工会主席"


def test_deleting_the_account_forgets_the_union(client, auth, tree):
    from tests.factories import PASSWORD

    member = make_user(organization_id=tree["factory"].id, membership_status="verified")
    db.session.commit()
    auth.become(member)
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code in (302, 303)
    db.session.refresh(member)
    assert member.deleted_at is not None
    assert (member.organization_id, member.membership_status) == (None, "none")


# --- Rosters and exports show the member's union ----------------------------------------------


def test_the_roster_and_its_exports_show_the_union(client, auth, tree):
    from tests.factories import make_event, make_registration

    organizer = make_user(roles=["organizer"])
    event = make_event(organizer=organizer, teams=["一队"])
    verified = make_user(
        name="王芳", organization_id=tree["factory"].id, membership_status="verified"
    )
    asked = make_user(
        name="李娜", organization_id=tree["qiqihar"].id, membership_status="requested"
    )
    nobody = make_user(name="赵强")
    for user in (verified, asked, nobody):
        make_registration(event, user, team_id=event.teams[0].id)
    db.session.commit()
    auth.become(organizer)
    page = text(client.get(f"/events/{event.id}/roster"))
    assert '芜湖某机械厂工会 <span class="tag verified">Verified</span>' in page
    assert '齐齐哈尔市总工会 <span class="tag">Awaiting review</span>' in page
    csv_text = client.get(f"/events/{event.id}/roster.csv").data.decode("utf-8-sig")
    header, *rows = [line.split(",") for line in csv_text.strip().splitlines()]
    assert header[3:5] == ["Union", "Membership"]
    assert {row[0]: tuple(row[3:5]) for row in rows} == {
        "王芳": ("芜湖某机械厂工会", "Verified"),
        "李娜": ("齐齐哈尔市总工会", "Awaiting review"),
        "赵强": ("", "No union"),
    }
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/events/{event.id}/roster.xlsx").data))
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert values[0][3] == "Union" and values[1][3] == "芜湖某机械厂工会"


@pytest.mark.parametrize("q", ["芜湖\x00", "工" * 101])
def test_a_search_the_database_cannot_take_is_refused_beside_the_box(client, auth, tree, q):
    auth.become(make_user())
    response = client.get("/account/union", query_string={"q": q})
    assert response.status_code == 400
    assert 'id="q-errors"' in text(response)
