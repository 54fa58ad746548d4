"""The admin pages (members and roles, mail outbox, audit log) and the `flask users` commands."""

from __future__ import annotations

import functools
import itertools
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g, url_for
from flask_babel import force_locale, gettext, ngettext
from markupsafe import escape
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import Role, User, UserRole
from eventsite.core import audit
from eventsite.core.models import AuditEntry, OutboundEmail
from eventsite.events.models import EventOrganizer
from eventsite.extensions import db
from tests.factories import PASSWORD, make_event, make_user


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """Start each request with no cached user or locale in `g`, as a real server does
    (the `app` fixture keeps one app context, and so one `g`, across requests)."""

    @app.before_request
    def forget():
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)


def tr(app, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(message, **variables)))


def url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def roles_of(user_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user_id)))


def audit_rows() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def listed_user_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="card" id="user-(\d+)"', html)]


_bulk_mobiles = itertools.count(13300000000)


@functools.cache
def _shared_hash() -> str:
    return generate_password_hash(PASSWORD)


def many_users(n: int, roles=()) -> None:
    """`n` members sharing one password hash (hashing each one would make these tests slow)."""
    for _ in range(n):
        mobile = str(next(_bulk_mobiles))
        user = User(
            name=f"会员{mobile[-4:]}",
            mobile=mobile,
            password_hash=_shared_hash(),
            work_unit="齐齐哈尔站前街道",
            gender="female",
            birth_year=1988,
        )
        user.role_grants = [UserRole(role=str(role)) for role in roles]
        db.session.add(user)
    db.session.flush()


@pytest.fixture
def admin(auth):
    user = make_user(roles=[Role.ADMIN], name="管理员")
    db.session.commit()
    auth.become(user)
    return user


ADMIN_PAGES = ["/admin/users", "/admin/outbox", "/admin/sms", "/admin/audit"]


# --- who may enter ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("roles", [[], [Role.ORGANIZER], [Role.JUDGE]])
def test_non_admins_get_403(client, auth, path, roles):
    auth.become(make_user(roles=roles))
    db.session.commit()
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(app, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(url(app, "accounts.login"))


@pytest.mark.parametrize("action", ["grant", "revoke"])
def test_a_non_admin_cannot_change_roles(client, auth, action):
    organizer = make_user(roles=[Role.ORGANIZER])
    target = make_user(roles=[Role.JUDGE])
    db.session.commit()
    auth.become(organizer)

    response = client.post(f"/admin/users/{target.id}/{action}", data={"role": "judge"})

    assert response.status_code == 403
    assert roles_of(target.id) == {"judge"}
    assert audit_rows() == []


# --- members and roles --------------------------------------------------------------------


def test_the_member_list_shows_roles_and_role_buttons(app, client, admin):
    judge = make_user(roles=[Role.JUDGE], name="裁判员")
    db.session.commit()

    page = client.get("/admin/users")

    assert page.status_code == 200
    assert set(listed_user_ids(page.text)) == {admin.id, judge.id}
    row = re.search(rf'<li class="card" id="user-{judge.id}">(.*?)</li>', page.text, re.S).group(1)
    assert tr(app, "Judge / referee") in row
    assert f'action="/admin/users/{judge.id}/revoke"' in row
    assert row.count(f'action="/admin/users/{judge.id}/grant"') == 2  # organizer, admin


def test_admin_grants_a_role_and_it_is_audited(app, client, admin):
    member = make_user(name="张师傅", mobile="13600001234")
    db.session.commit()

    response = client.post(
        f"/admin/users/{member.id}/grant", data={"role": "organizer", "q": "张", "page": "1"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == url(app, "accounts.admin_users", q="张", page=1)
    assert roles_of(member.id) == {"organizer"}
    [entry] = audit_rows()
    assert (entry.action, entry.actor_id, entry.event_id) == ("role.grant", admin.id, None)
    assert "organizer" in entry.detail and "13600001234" in entry.detail
    follow = client.get(response.headers["Location"])
    assert (
        tr(app, "%(name)s is now %(role)s.", name="张师傅", role=tr(app, "Organizer"))
        in follow.text
    )


def test_granting_a_held_role_changes_nothing(client, admin):
    member = make_user(roles=[Role.ORGANIZER])
    db.session.commit()
    response = client.post(f"/admin/users/{member.id}/grant", data={"role": "organizer"})
    assert response.status_code == 302
    assert roles_of(member.id) == {"organizer"}
    assert audit_rows() == []


def test_admin_revokes_a_role_and_it_is_audited(client, admin):
    member = make_user(roles=[Role.ORGANIZER, Role.JUDGE])
    db.session.commit()

    response = client.post(f"/admin/users/{member.id}/revoke", data={"role": "judge"})

    assert response.status_code == 302
    assert roles_of(member.id) == {"organizer"}
    [entry] = audit_rows()
    assert (entry.action, entry.actor_id, entry.event_id) == ("role.revoke", admin.id, None)
    assert "judge" in entry.detail


def test_revoked_roles_take_effect_on_the_next_request(client, auth, admin):
    other_admin = make_user(roles=[Role.ADMIN])
    db.session.commit()
    client.post(f"/admin/users/{other_admin.id}/revoke", data={"role": "admin"})

    auth.become(other_admin)
    assert client.get("/admin/users").status_code == 403


def test_an_admin_cannot_revoke_their_own_admin_role(app, client, admin):
    response = client.post(f"/admin/users/{admin.id}/revoke", data={"role": "admin"})

    assert response.status_code == 400
    assert (
        tr(app, "You cannot remove your own administrator role. Ask another administrator.")
        in response.text
    )
    assert roles_of(admin.id) == {"admin"}
    assert audit_rows() == []
    assert client.get("/admin/users").status_code == 200


def test_an_admin_may_drop_their_other_roles(client, auth):
    admin = make_user(roles=[Role.ADMIN, Role.JUDGE])
    db.session.commit()
    auth.become(admin)
    assert client.post(f"/admin/users/{admin.id}/revoke", data={"role": "judge"}).status_code == 302
    assert roles_of(admin.id) == {"admin"}


# --- revoking the organizer role takes the member off their events ------------------------

NO_OTHER_ORGANIZER = (
    "%(num)d event has no other organizer: %(titles)s. Add another organizer to it before "
    "revoking this role.",
    "%(num)d events have no other organizer: %(titles)s. Add another organizer to each before "
    "revoking this role.",
)


def no_other_organizer(app, count: int, titles: str, *, escaped: bool = True) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        message = ngettext(*NO_OTHER_ORGANIZER, count, titles=titles)
    return str(escape(message)) if escaped else message


def organizer_links(user_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(EventOrganizer.event_id).where(EventOrganizer.user_id == user_id)
        )
    )


def released(entries) -> list[tuple]:
    return sorted(
        (e.event_id, e.actor_id, e.detail) for e in entries if e.action == "event.organizer_release"
    )


def test_revoking_the_organizer_role_takes_them_off_every_event(client, auth, admin):
    leaving = make_user(roles=[Role.ORGANIZER], name="离任组织者")
    staying = make_user(roles=[Role.ORGANIZER], name="留任组织者")
    first = make_event(organizer=staying, title="鹊桥联谊")
    second = make_event(organizer=leaving, title="技能竞赛")
    db.session.add_all(
        [
            EventOrganizer(event_id=first.id, user_id=leaving.id),
            EventOrganizer(event_id=second.id, user_id=staying.id),
        ]
    )
    db.session.commit()
    auth.become(leaving)
    assert client.get(f"/events/{first.id}/edit").status_code == 200
    auth.become(admin)

    response = client.post(f"/admin/users/{leaving.id}/revoke", data={"role": "organizer"})

    assert response.status_code == 302
    assert roles_of(leaving.id) == set()
    assert organizer_links(leaving.id) == set()
    assert organizer_links(staying.id) == {first.id, second.id}
    entries = audit_rows()
    assert [e.action for e in entries].count("role.revoke") == 1
    assert released(entries) == sorted(
        [(first.id, admin.id, "离任组织者"), (second.id, admin.id, "离任组织者")]
    )
    auth.become(leaving)
    for event in (first, second):
        assert client.get(f"/events/{event.id}/edit").status_code == 403
        assert client.get(f"/events/{event.id}/roster").status_code == 403


def test_revoking_the_last_organizer_of_events_is_refused_and_changes_nothing(
    app, client, admin, clock
):
    sole = make_user(roles=[Role.ORGANIZER], name="唯一组织者")
    former = make_user(name="前组织者")  # on a list without the role: cannot run the event
    gone = make_user(roles=[Role.ORGANIZER], name="停用组织者", active=False)
    co = make_user(roles=[Role.ORGANIZER], name="合办人")
    own = make_event(organizer=sole, title="技能竞赛", starts_in=timedelta(days=3))
    with_former = make_event(organizer=sole, title="趣味运动会", starts_in=timedelta(days=5))
    with_gone = make_event(organizer=sole, title="鹊桥联谊", starts_in=timedelta(days=9))
    covered = make_event(organizer=co, title="有人接手的活动")
    db.session.add_all(
        [
            EventOrganizer(event_id=with_former.id, user_id=former.id),
            EventOrganizer(event_id=with_gone.id, user_id=gone.id),
            EventOrganizer(event_id=covered.id, user_id=sole.id),
        ]
    )
    db.session.commit()

    response = client.post(f"/admin/users/{sole.id}/revoke", data={"role": "organizer"})

    assert response.status_code == 400
    titles = "“技能竞赛”, “趣味运动会”, “鹊桥联谊”"
    assert no_other_organizer(app, 3, titles) in response.text
    assert "有人接手的活动" not in response.text
    db.session.expire_all()
    assert roles_of(sole.id) == {"organizer"}
    assert organizer_links(sole.id) == {own.id, with_former.id, with_gone.id, covered.id}
    assert audit_rows() == []

    # Once another organizer joins each of them, the same revoke goes through.
    for event in (own, with_former, with_gone):
        db.session.add(EventOrganizer(event_id=event.id, user_id=co.id))
    db.session.commit()
    assert (
        client.post(f"/admin/users/{sole.id}/revoke", data={"role": "organizer"}).status_code == 302
    )
    assert organizer_links(sole.id) == set()
    assert len(released(audit_rows())) == 4


def test_an_admin_keeps_their_events_until_both_roles_are_gone(app, client, admin):
    other_admin = make_user(roles=[Role.ADMIN, Role.ORGANIZER], name="另一管理员")
    event = make_event(organizer=other_admin, title="工会运动会")
    db.session.commit()

    # Still an admin, so still able to run the event: nothing to hand over.
    response = client.post(f"/admin/users/{other_admin.id}/revoke", data={"role": "organizer"})
    assert response.status_code == 302
    assert roles_of(other_admin.id) == {"admin"}
    assert organizer_links(other_admin.id) == {event.id}
    assert released(audit_rows()) == []

    # Without the admin role they could no longer run it, and nobody else does.
    response = client.post(f"/admin/users/{other_admin.id}/revoke", data={"role": "admin"})
    assert response.status_code == 400
    assert no_other_organizer(app, 1, "“工会运动会”") in response.text
    assert roles_of(other_admin.id) == {"admin"}
    assert organizer_links(other_admin.id) == {event.id}


def test_revoking_a_role_that_leaves_the_organizer_role_keeps_the_events(client, admin):
    organizer = make_user(roles=[Role.ORGANIZER, Role.JUDGE])
    event = make_event(organizer=organizer)
    db.session.commit()
    assert (
        client.post(f"/admin/users/{organizer.id}/revoke", data={"role": "judge"}).status_code
        == 302
    )
    assert organizer_links(organizer.id) == {event.id}


def test_revoke_command_refuses_to_leave_an_event_without_organizer(app, runner):
    sole = make_user(roles=[Role.ORGANIZER], mobile="13900000007")
    make_event(organizer=sole, title="职工技能大赛")
    db.session.commit()

    result = runner.invoke(args=["users", "revoke", "13900000007", "organizer"])

    assert result.exit_code != 0
    assert no_other_organizer(app, 1, "“职工技能大赛”", escaped=False) in result.output
    assert roles_of(sole.id) == {"organizer"}
    assert len(organizer_links(sole.id)) == 1
    assert audit_rows() == []


@pytest.mark.parametrize("action", ["grant", "revoke"])
@pytest.mark.parametrize("role", ["superuser", "member", ""])
def test_unknown_roles_are_refused(app, client, admin, action, role):
    member = make_user(roles=[Role.JUDGE])
    db.session.commit()

    response = client.post(f"/admin/users/{member.id}/{action}", data={"role": role})

    assert response.status_code == 400
    assert tr(app, "There is no such role.") in response.text
    assert roles_of(member.id) == {"judge"}
    assert audit_rows() == []


def test_role_change_for_a_missing_member_is_404(client, admin):
    assert client.post("/admin/users/99999/grant", data={"role": "judge"}).status_code == 404


@pytest.mark.parametrize(
    "query, expected",
    [
        ("春", {"孙春燕"}),
        ("13655", {"孙春燕"}),
        ("136-5500", {"孙春燕"}),  # a mobile typed with a dash
        ("齐齐哈尔", {"赵铁柱", "钱多多"}),
        ("站前", {"赵铁柱", "钱多多"}),
        ("100%", set()),  # % is matched literally, not as a wildcard
        ("_", set()),
        ("nobody", set()),
    ],
)
def test_search_by_name_mobile_or_work_unit(client, admin, query, expected):
    make_user(name="孙春燕", mobile="13655001122", work_unit="芜湖市总工会")
    make_user(name="赵铁柱", mobile="13766001122", work_unit="齐齐哈尔站前街道")
    make_user(name="钱多多", mobile="13877001122", work_unit="齐齐哈尔站前社区")
    db.session.commit()

    page = client.get("/admin/users", query_string={"q": query})

    assert page.status_code == 200
    ids = listed_user_ids(page.text)
    names = set(db.session.scalars(sa.select(User.name).where(User.id.in_(ids)))) if ids else set()
    assert names == expected


def test_member_list_is_paginated_by_50(client, admin):
    many_users(54)
    db.session.commit()

    first = client.get("/admin/users")
    second = client.get("/admin/users?page=2")
    beyond = client.get("/admin/users?page=9")

    assert len(listed_user_ids(first.text)) == 50
    assert len(listed_user_ids(second.text)) == 5
    assert set(listed_user_ids(first.text)).isdisjoint(listed_user_ids(second.text))
    assert 'href="/admin/users?page=2"' in first.text
    assert beyond.status_code == 200 and listed_user_ids(beyond.text) == []


def test_member_list_queries_do_not_grow_with_rows(client, admin, count_queries):
    def queries_for_page():
        with count_queries() as counter:
            assert client.get("/admin/users").status_code == 200
        return counter.count

    many_users(3, roles=[Role.JUDGE])
    db.session.commit()
    few = queries_for_page()
    many_users(45, roles=[Role.ORGANIZER, Role.JUDGE])
    db.session.commit()
    many = queries_for_page()

    assert many == few
    assert few <= 8


# --- outbox and audit log -----------------------------------------------------------------


def test_outbox_lists_mail_newest_first_sent_or_not(app, client, admin, clock):
    db.session.add(OutboundEmail(to_address="a@example.cn", subject="报名已确认", body="甲"))
    db.session.flush()  # created_at is stamped at insert time
    clock.advance(minutes=5)
    db.session.add(
        OutboundEmail(
            to_address="b@example.cn", subject="活动提醒", body="乙", sent_at=clock.now, attempts=1
        )
    )
    db.session.flush()
    clock.advance(minutes=5)
    db.session.add(
        OutboundEmail(
            to_address="c@example.cn",
            subject="候补转正",
            body="丙",
            attempts=2,
            last_error="SMTPDataError",
        )
    )
    db.session.commit()

    page = client.get("/admin/outbox")

    assert page.status_code == 200
    order = [page.text.index(s) for s in ("候补转正", "活动提醒", "报名已确认")]
    assert order == sorted(order)
    assert (
        tr(
            app,
            "No SMTP server is configured, so mail is not sent: it is kept here for you to read.",
        )
        in page.text
    )
    assert "SMTPDataError" in page.text
    assert page.text.count(tr(app, "Not sent")) == 2


def test_outbox_is_paginated(client, admin):
    db.session.add_all(
        OutboundEmail(to_address=f"m{i}@example.cn", subject=f"s{i}", body="b") for i in range(51)
    )
    db.session.commit()
    first = client.get("/admin/outbox")
    second = client.get("/admin/outbox?page=2")
    assert len(re.findall(r'<tr id="mail-', first.text)) == 50
    assert len(re.findall(r'<tr id="mail-', second.text)) == 1


def test_audit_page_shows_platform_entries_only(app, client, admin, clock):
    organizer = make_user(roles=[Role.ORGANIZER], name="组织者")
    event = make_event(organizer=organizer)
    audit.record("registration.approve", actor=organizer, event=event, detail="活动内的操作")
    audit.record("role.grant", actor=admin, detail="organizer: 组织者 (13800000000)")
    db.session.flush()
    clock.advance(hours=1)
    audit.record("role.revoke", actor=None, detail="judge: 某人 (13900000000)")
    db.session.commit()

    page = client.get("/admin/audit")

    assert page.status_code == 200
    assert "活动内的操作" not in page.text
    assert len(re.findall(r'<tr id="audit-', page.text)) == 2
    assert page.text.index("judge: 某人") < page.text.index("organizer: 组织者")  # newest first
    assert tr(app, "Role granted") in page.text and tr(app, "Role revoked") in page.text
    assert tr(app, "System / command line") in page.text


def test_admin_pages_have_bounded_queries(client, admin, count_queries, clock):
    def counts():
        result = []
        for path in ("/admin/outbox", "/admin/audit"):
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            result.append(counter.count)
        return result

    def add_rows(n):
        many_users(n)
        actors = db.session.scalars(sa.select(User).order_by(User.id.desc()).limit(n)).all()
        for i, actor in enumerate(actors):
            audit.record("role.grant", actor=actor, detail=str(i))
            db.session.add(OutboundEmail(to_address="x@example.cn", subject="s", body="b"))
            clock.advance(seconds=1)
        db.session.commit()

    add_rows(2)
    few = counts()
    add_rows(30)
    assert counts() == few


# --- flask users … ------------------------------------------------------------------------


def test_create_admin_makes_a_new_administrator(runner):
    result = runner.invoke(
        args=[
            "users", "create-admin", "--name", "工会管理员", "--mobile", "139 0000 0001",
            "--password", "union-admin-2026", "--gender", "female", "--birth-year", "1980",
        ]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Created administrator 工会管理员 (13900000001)" in result.output
    user = db.session.scalar(sa.select(User).where(User.mobile == "13900000001"))
    assert user.is_admin and user.work_unit == "工会" and user.gender == "female"
    assert user.check_password("union-admin-2026")
    [entry] = audit_rows()
    assert (entry.action, entry.actor_id) == ("role.grant", None)


def test_create_admin_prompts_for_the_password_twice(runner):
    result = runner.invoke(
        args=[
            "users", "create-admin", "--name", "管理员", "--mobile", "13900000002",
            "--gender", "male", "--birth-year", "1975", "--work-unit", "市总工会",
        ],
        input="first-try-123\nsecond-try-123\nunion-admin-2026\nunion-admin-2026\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    user = db.session.scalar(sa.select(User).where(User.mobile == "13900000002"))
    assert user.check_password("union-admin-2026") and user.work_unit == "市总工会"


def test_create_admin_promotes_an_existing_account(runner):
    member = make_user(mobile="13900000003")
    db.session.commit()

    result = runner.invoke(args=["users", "create-admin", "--mobile", "+86 13900000003"])

    assert result.exit_code == 0, result.output
    assert "Granted the administrator role to the existing account" in result.output
    assert roles_of(member.id) == {"admin"}
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert member.check_password(PASSWORD)  # password untouched

    again = runner.invoke(args=["users", "create-admin", "--mobile", "13900000003"])
    assert again.exit_code == 0 and "already an administrator" in again.output
    assert len(audit_rows()) == 1


def test_create_admin_gives_a_new_administrator_an_email(runner):
    result = runner.invoke(
        args=[
            "users", "create-admin", "--name", "工会管理员", "--mobile", "13900000001",
            "--password", "union-admin-2026", "--gender", "female", "--birth-year", "1980",
            "--email", "  admin@union.example.cn ",
        ]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "E-mail: admin@union.example.cn" in result.output
    user = db.session.scalar(sa.select(User).where(User.mobile == "13900000001"))
    assert (user.is_admin, user.email) == (True, "admin@union.example.cn")


def test_create_admin_promotes_an_existing_account_and_sets_its_email(runner):
    member = make_user(mobile="13900000003", email="old@example.cn")
    db.session.commit()

    result = runner.invoke(
        args=["users", "create-admin", "--mobile", "13900000003", "--email", "new@example.cn"]
    )

    assert result.exit_code == 0, result.output
    db.session.refresh(member)
    assert roles_of(member.id) == {"admin"}
    assert member.email == "new@example.cn"


def test_create_admin_without_email_keeps_the_accounts_email(runner):
    member = make_user(mobile="13900000003", email="kept@example.cn")
    db.session.commit()

    result = runner.invoke(args=["users", "create-admin", "--mobile", "13900000003"])

    assert result.exit_code == 0, result.output
    assert "E-mail: kept@example.cn" in result.output
    db.session.refresh(member)
    assert (member.is_admin, member.email) == (True, "kept@example.cn")


def test_create_admin_sets_the_email_of_an_administrator_already(runner):
    admin = make_user(mobile="13900000003", roles=["admin"], email=None)
    db.session.commit()

    result = runner.invoke(
        args=["users", "create-admin", "--mobile", "13900000003", "--email", "a@example.cn"]
    )
    assert result.exit_code == 0, result.output
    assert "already an administrator; e-mail set to a@example.cn" in result.output
    db.session.refresh(admin)
    assert admin.email == "a@example.cn"
    same = runner.invoke(
        args=["users", "create-admin", "--mobile", "13900000003", "--email", "a@example.cn"]
    )
    assert "nothing changed" in same.output


@pytest.mark.parametrize(
    "address", ["not-an-address", "lnn@", "a@b@example.cn", "x" * 250 + "@ex.cn"]
)
def test_create_admin_refuses_an_email_the_profile_refuses(app, runner, address):
    member = make_user(mobile="13900000003", email="kept@example.cn")
    db.session.commit()

    result = runner.invoke(
        args=["users", "create-admin", "--mobile", "13900000003", "--email", address]
    )

    assert result.exit_code == 2
    assert "--email" in result.output
    db.session.refresh(member)
    assert (member.is_admin, member.email) == (False, "kept@example.cn")


def test_create_admin_refuses_an_email_with_the_profiles_message(app, runner):
    result = runner.invoke(
        args=["users", "create-admin", "--mobile", "13900000003", "--email", "lnn@"]
    )
    assert (
        in_default_locale(app, "Please enter a valid email address, or leave it empty.")
        in result.output
    )


def test_create_admin_refuses_an_empty_email(runner):
    make_user(mobile="13900000003")
    db.session.commit()
    result = runner.invoke(
        args=["users", "create-admin", "--mobile", "13900000003", "--email", "  "]
    )
    assert result.exit_code == 2
    assert "give an address, or leave the option out" in result.output


def in_default_locale(app, message: str, **variables) -> str:
    """`message` as the command prints it: translated to the site's default language."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext(message, **variables)


NEW_ADMIN = ["--mobile", "13900000004", "--name", "甲", "--gender", "male"]


@pytest.mark.parametrize(
    "args, message, variables",
    [
        (["--mobile", "12345"], "is not an 11-digit mainland mobile number", {}),
        (["--mobile", "13900000004"], "give --name, --gender, --birth-year", {}),
        ([*NEW_ADMIN, "--birth-year", "1930", "--password", "union-admin-2026"],
         "must be between 1940 and", {}),
        ([*NEW_ADMIN, "--birth-year", "1980", "--password", "short"],
         "The password needs at least %(n)s characters.", {"n": 8}),
        ([*NEW_ADMIN, "--birth-year", "1980", "--password", "13900000004"],
         "The password cannot be your mobile number.", {}),
        ([*NEW_ADMIN[:-1], "other", "--birth-year", "1980"], "Invalid value for '--gender'", {}),
    ],
)  # fmt: skip
def test_create_admin_refuses_bad_input(app, runner, args, message, variables):
    result = runner.invoke(args=["users", "create-admin", *args])

    assert result.exit_code != 0
    assert in_default_locale(app, message, **variables) in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_grant_and_revoke_commands(runner):
    member = make_user(mobile="13900000005", name="赵裁判")
    db.session.commit()

    granted = runner.invoke(args=["users", "grant", "139-0000-0005", "judge"])
    assert granted.exit_code == 0, granted.output
    assert "Granted judge to 赵裁判 (13900000005)" in granted.output
    assert roles_of(member.id) == {"judge"}

    twice = runner.invoke(args=["users", "grant", "13900000005", "judge"])
    assert twice.exit_code == 0 and "already holds judge" in twice.output

    revoked = runner.invoke(args=["users", "revoke", "13900000005", "judge"])
    assert revoked.exit_code == 0, revoked.output
    assert "Revoked judge from 赵裁判 (13900000005)" in revoked.output
    assert roles_of(member.id) == set()
    assert [e.action for e in audit_rows()] == ["role.grant", "role.revoke"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["grant", "13900000099", "judge"], "No account has the mobile number 13900000099"),
        (["grant", "123", "judge"], "is not a mainland mobile number"),
        (["grant", "13900000006", "superuser"], "is not one of 'organizer', 'judge', 'admin'"),
        (["revoke", "13900000006", "member"], "is not one of 'organizer', 'judge', 'admin'"),
    ],
)
def test_grant_and_revoke_refuse_bad_input(runner, args, message):
    member = make_user(mobile="13900000006")
    db.session.commit()

    result = runner.invoke(args=["users", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert roles_of(member.id) == set()


def test_clock_is_used_for_audit_times(client, admin, clock):
    member = make_user()
    db.session.commit()
    client.post(f"/admin/users/{member.id}/grant", data={"role": "judge"})
    [entry] = audit_rows()
    assert entry.created_at == clock.now
