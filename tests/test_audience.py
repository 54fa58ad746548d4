"""An event's audience: everyone, or the verified members of its organization's subtree.

The pure rule over every combination, then the registration engine, the event page, the form
and the event list through the real app and database.
"""

from __future__ import annotations

import pytest

from eventsite.events import service
from eventsite.events.models import Event, EventKind, EventStatus, Registration
from eventsite.extensions import db
from eventsite.organizations import service as organizations
from tests.factories import make_event, make_user


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


# --- Through the app ----------------------------------------------------------------------------


@pytest.fixture
def tree(app):
    """root → 安徽 → 芜湖 → 镜湖区 → 某企业工会; root → 黑龙江 → 齐齐哈尔."""
    root = organizations.root()
    anhui = organizations.create(root, "安徽省总工会", short_name="安徽")
    wuhu = organizations.create(anhui, "芜湖市总工会", short_name="芜湖")
    jinghu = organizations.create(wuhu, "镜湖区总工会", short_name="镜湖")
    enterprise = organizations.create(jinghu, "某企业工会")
    heilongjiang = organizations.create(root, "黑龙江省总工会")
    qiqihar = organizations.create(heilongjiang, "齐齐哈尔市总工会")
    db.session.commit()
    return {
        "anhui": anhui,
        "wuhu": wuhu,
        "jinghu": jinghu,
        "enterprise": enterprise,
        "qiqihar": qiqihar,
    }


def member_of(organization, status="verified", **fields):
    return make_user(
        organization_id=organization.id if organization else None,
        membership_status=status,
        **fields,
    )


def wuhu_event(tree, **fields) -> Event:
    fields.setdefault("audience", "members")
    return make_event(
        kind=EventKind.SPORTSMEET,
        teams=["一队"],
        organization_id=tree["wuhu"].id,
        title="芜湖会员运动会",
        **fields,
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_verified_member_below_registers(client, auth, tree):
    event = wuhu_event(tree)
    member = member_of(tree["enterprise"])
    db.session.commit()
    auth.login(member)
    page = text(client.get(f"/events/{event.id}"))
    assert "Verified members of 「芜湖市总工会」 and the unions below it" in page
    response = client.post(f"/events/{event.id}/register", data={"team_id": event.teams[0].id})
    assert response.status_code == 303
    assert db.session.query(Registration).filter_by(user_id=member.id).one().status == "confirmed"


@pytest.mark.parametrize(
    ("where", "status", "message"),
    [
        ("qiqihar", "verified", "your union is not one of them"),
        ("anhui", "verified", "your union is not one of them"),
        ("jinghu", "requested", "your union has yet to verify your membership"),
        (None, "none", "Choose your union under “My union”"),
    ],
)
def test_members_outside_the_audience_are_refused_with_a_clear_message(
    client, auth, tree, where, status, message
):
    event = wuhu_event(tree)
    member = member_of(tree[where] if where else None, status)
    db.session.commit()
    auth.login(member)
    page = text(client.get(f"/events/{event.id}"))
    assert message in page  # said before the member fills anything in
    response = client.post(f"/events/{event.id}/register", data={"team_id": event.teams[0].id})
    assert message in text(response)
    assert db.session.query(Registration).filter_by(user_id=member.id).count() == 0


def test_the_engine_refuses_every_path(app, tree):
    """The service itself refuses, whoever calls it (an organizer's import included)."""
    event = wuhu_event(tree)
    outsider = member_of(tree["qiqihar"])
    organizer = make_user(roles=["organizer"])
    with pytest.raises(service.RegistrationError, match="not one of them"):
        service.register(event, outsider, team_id=event.teams[0].id, actor=organizer)


def test_the_roster_import_reports_rows_outside_the_audience(client, auth, tree):
    event = wuhu_event(tree)
    organizer = make_user(roles=["admin"])
    outsider = member_of(tree["qiqihar"], name="外市会员")
    db.session.commit()
    auth.login(organizer)
    csv = f"姓名,手机号,性别,出生年份,工作单位,队伍\n外市会员,{outsider.mobile},男,1990,,一队\n"
    csv = csv.encode()
    from io import BytesIO

    response = client.post(
        f"/events/{event.id}/roster/import",
        data={"file": (BytesIO(csv), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert "not one of them" in text(response)
    assert db.session.query(Registration).filter_by(event_id=event.id).count() == 0


def test_an_event_for_everyone_takes_a_member_of_no_union(client, auth, tree):
    event = wuhu_event(tree, audience="everyone")
    member = member_of(None, "none")
    db.session.commit()
    auth.login(member)
    assert "All members" in text(client.get(f"/events/{event.id}"))
    client.post(f"/events/{event.id}/register", data={"team_id": event.teams[0].id})
    assert db.session.query(Registration).filter_by(user_id=member.id).count() == 1


def titles(response) -> set[str]:
    body = text(response)
    return {title for title in ("芜湖会员运动会", "公开活动", "齐齐哈尔会员活动") if title in body}


@pytest.fixture
def listed(tree):
    wuhu_event(tree)
    make_event(organization_id=tree["jinghu"].id, title="公开活动")
    make_event(organization_id=tree["qiqihar"].id, audience="members", title="齐齐哈尔会员活动")
    db.session.commit()


def test_the_list_shows_a_member_the_events_open_to_them(client, auth, tree, listed):
    assert titles(client.get("/events")) == {"公开活动"}  # anonymous: open events only
    auth.login(member_of(tree["enterprise"]))
    assert titles(client.get("/events")) == {"芜湖会员运动会", "公开活动"}
    auth.logout()
    auth.login(member_of(tree["qiqihar"]))
    assert titles(client.get("/events")) == {"公开活动", "齐齐哈尔会员活动"}
    auth.logout()
    auth.login(member_of(tree["enterprise"], "requested"))  # not verified yet
    assert titles(client.get("/events")) == {"公开活动"}


def test_the_list_filters_by_an_organizations_subtree(client, auth, tree, listed):
    auth.login(member_of(tree["enterprise"]))
    page = text(client.get("/events"))
    assert "安徽省总工会" in page and "镜湖区总工会" in page  # the holders and those above them
    assert titles(client.get(f"/events?org={tree['anhui'].id}")) == {"芜湖会员运动会", "公开活动"}
    assert titles(client.get(f"/events?org={tree['jinghu'].id}")) == {"公开活动"}
    # An organization holding nothing listed, or no organization at all: the filter is dropped.
    assert titles(client.get(f"/events?org={tree['enterprise'].id}")) == {
        "芜湖会员运动会",
        "公开活动",
    }
    assert client.get("/events?org=abc").status_code == 200
    assert client.get("/events?org=99999999999").status_code == 200


def test_the_form_sets_the_audience_and_the_audit_names_it(client, auth, tree):
    admin = make_user(roles=["admin"])
    event = make_event(kind=EventKind.MIXER, status=EventStatus.DRAFT, organizer=admin)
    db.session.commit()
    auth.login(admin)
    form = text(client.get(f"/events/{event.id}/edit"))
    assert 'name="audience"' in form
    from eventsite.events.forms import EventForm

    with client.application.test_request_context():
        data = EventForm.for_event(event).data
    data = {k: v for k, v in data.items() if v is not None and k != "csrf_token"}
    data = {
        k: (v.strftime("%Y-%m-%dT%H:%M") if hasattr(v, "strftime") else v) for k, v in data.items()
    }
    data["approval_required"] = ""
    data["audience"] = "members"
    response = client.post(f"/events/{event.id}/edit", data=data)
    assert response.status_code == 303, text(response)
    db.session.refresh(event)
    assert event.audience == "members"
    data["audience"] = "nobody"
    data["loaded_version"] = event.version
    response = client.post(f"/events/{event.id}/edit", data=data)
    assert response.status_code == 400
    assert "Not a valid choice" in text(response)
