"""Roles held on organizations: who manages which event, the organization pages, and how a
revoke or a move counts from the next request on.

The tree of every test: root → 安徽省总工会 → 芜湖市总工会 (→ 镜湖区总工会) and 合肥市总工会.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from eventsite.accounts import service as accounts
from eventsite.accounts.models import Role, UserRole
from eventsite.core.models import AuditEntry
from eventsite.events.models import Event, EventKind
from eventsite.events.permissions import can_manage
from eventsite.extensions import db
from eventsite.organizations import rules
from eventsite.organizations import service as organizations
from eventsite.organizations.models import Organization
from eventsite.organizations.permissions import (
    granted_roles,
    holds,
    holds_by_grants,
    managed_organization_ids,
)
from tests.factories import make_event, make_user
from tests.test_permissions import organization_tree

# --- The rules -----------------------------------------------------------------------------


def test_an_admin_grant_holds_as_organizer_and_not_the_other_way_round():
    assert set(granted_roles(Role.ORGANIZER)) == {"organizer", "admin"}
    assert granted_roles(Role.ADMIN) == ("admin",)
    assert granted_roles(Role.JUDGE) == ("judge",)


def test_holds_by_grants_looks_at_the_ancestry_only():
    ancestry = {1, 2, 3}  # root, province, city
    assert holds_by_grants(Role.ORGANIZER, {("organizer", 3)}, ancestry)
    assert holds_by_grants(Role.ORGANIZER, {("admin", 2)}, ancestry)
    assert not holds_by_grants(Role.ADMIN, {("organizer", 1)}, ancestry)
    assert not holds_by_grants(Role.ORGANIZER, {("organizer", 4)}, ancestry)  # below or beside
    assert not holds_by_grants(Role.ORGANIZER, set(), ancestry)


grants_strategy = st.sets(
    st.tuples(st.sampled_from(["organizer", "admin", "judge"]), st.integers(1, 8)), max_size=6
)


@given(grants=grants_strategy, extra=grants_strategy, ancestry=st.sets(st.integers(1, 8)))
def test_more_grants_never_hold_less_and_admin_implies_organizer(grants, extra, ancestry):
    for role in (Role.ORGANIZER, Role.ADMIN, Role.JUDGE):
        if holds_by_grants(role, grants, ancestry):
            assert holds_by_grants(role, grants | extra, ancestry)
    if holds_by_grants(Role.ADMIN, grants, ancestry):
        assert holds_by_grants(Role.ORGANIZER, grants, ancestry)


@st.composite
def forests(draw):
    """(id, parent id) pairs: each node's parent an earlier node, or none (or one not listed)."""
    size = draw(st.integers(0, 12))
    nodes = []
    for node in range(1, size + 1):
        parent = draw(st.one_of(st.none(), st.integers(0, node - 1)))
        nodes.append((node, parent or None))
    return draw(st.permutations(nodes))


@given(forests())
def test_tree_order_lists_every_node_once_after_its_parent_with_subtrees_together(nodes):
    order = rules.tree_order(nodes)
    assert sorted(order) == sorted(node for node, _ in nodes)
    parent = dict(nodes)
    position = {node: i for i, node in enumerate(order)}
    for node, up in nodes:
        if up is not None:
            assert position[up] < position[node]
    # Each subtree is one run: everything between a node and its last descendant is below it.
    for node in order:
        below = {n for n in order if _is_below(n, node, parent)}
        if below:
            run = order[position[node] + 1 : position[node] + 1 + len(below)]
            assert set(run) == below


def _is_below(node, ancestor, parent):
    node = parent.get(node)
    while node is not None:
        if node == ancestor:
            return True
        node = parent.get(node)
    return False


def test_tree_order_keeps_siblings_in_the_order_given():
    assert rules.tree_order([(2, 1), (1, None), (4, 1), (3, 2)]) == [1, 2, 3, 4]
    assert rules.tree_order([(7, 3), (8, 3)]) == [7, 8]  # parents not listed: two trees


def test_may_move_within():
    assert rules.may_move_within(True, True, False)
    assert not rules.may_move_within(False, True, False)  # the top of the admin's own grant
    assert not rules.may_move_within(True, False, False)  # to somewhere not theirs
    assert not rules.may_move_within(True, True, True)  # the root


# --- Holding a role on an organization -----------------------------------------------------


@pytest.fixture
def tree(app, client):
    with client.session_transaction() as session:
        session["locale"] = "en"  # the messages below are read in English
    return organization_tree()


def _events(tree):
    return {
        name: make_event(kind=EventKind.SPORTSMEET, organization_id=tree[name].id)
        for name in ("province", "city", "district", "sibling")
    }


def test_an_organizer_of_a_city_manages_its_and_its_districts_events_not_a_siblings(tree):
    events = _events(tree)
    organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    db.session.commit()
    managed = {name for name, event in events.items() if can_manage(organizer, event)}
    assert managed == {"city", "district"}
    assert set(db.session.scalars(managed_organization_ids(organizer, Role.ORGANIZER))) == {
        tree["city"].id,
        tree["district"].id,
    }


def test_an_admin_of_a_province_manages_everything_below_it_and_is_no_platform_admin(tree):
    events = _events(tree)
    admin = make_user(roles=["admin"], roles_on=tree["province"].id)
    db.session.commit()
    assert all(can_manage(admin, event) for event in events.values())
    assert holds(admin, Role.ORGANIZER, tree["district"].id)  # an admin organizes too
    assert not holds(admin, Role.ADMIN, organizations.ROOT_ID)
    assert not admin.is_admin
    assert admin.has_role(Role.ADMIN)


def test_a_co_organizer_from_elsewhere_manages_the_event_listed_while_holding_the_role(tree):
    events = _events(tree)
    cohost = make_user(roles=["organizer"], roles_on=tree["sibling"].id)
    db.session.commit()
    assert not can_manage(cohost, events["city"])
    accounts_event = events["city"]
    from eventsite.events.service import add_organizer

    add_organizer(accounts_event, cohost.mobile, actor=cohost)
    db.session.commit()
    assert can_manage(cohost, events["city"])
    assert not can_manage(cohost, events["district"])


def test_holds_is_one_query_and_is_remembered_for_the_request_only(app, tree, count_queries):
    organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    db.session.commit()
    district = tree["district"].id
    assert organizer.id  # loaded again after the commit, before counting
    with app.test_request_context():
        with count_queries() as counter:
            assert holds(organizer, Role.ORGANIZER, district)
            assert holds(organizer, Role.ORGANIZER, district)
            assert not holds(organizer, Role.ADMIN, district)
        assert counter.count == 2
    accounts.revoke_role(organizer, "organizer")
    db.session.commit()
    with app.test_request_context():  # the next request asks again
        assert not holds(organizer, Role.ORGANIZER, district)


def _edit_status(client, event) -> int:
    return client.get(f"/events/{event.id}/edit").status_code


def test_revoking_takes_effect_on_the_next_request(client, auth, tree):
    events = _events(tree)
    organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    other = make_user(roles=["organizer"], roles_on=tree["sibling"].id)
    db.session.commit()
    auth.become(organizer)
    assert _edit_status(client, events["district"]) == 200
    # Still an organizer elsewhere, but no longer of the city.
    accounts.revoke_role(organizer, "organizer", organization_id=tree["city"].id)
    accounts.grant_role(organizer, "organizer", organization_id=tree["sibling"].id)
    db.session.commit()
    assert _edit_status(client, events["district"]) == 403
    assert _edit_status(client, events["sibling"]) == 200
    assert other.has_role(Role.ORGANIZER)


def test_moving_an_organization_changes_who_manages_its_events_at_once(client, auth, tree):
    events = _events(tree)
    city_organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    sibling_organizer = make_user(roles=["organizer"], roles_on=tree["sibling"].id)
    db.session.commit()
    auth.become(city_organizer)
    assert _edit_status(client, events["district"]) == 200
    auth.become(sibling_organizer)
    assert _edit_status(client, events["district"]) == 403
    organizations.move(tree["district"], db.session.get(Organization, tree["sibling"].id))
    db.session.commit()
    assert _edit_status(client, events["district"]) == 200
    auth.become(city_organizer)
    assert _edit_status(client, events["district"]) == 403


PLATFORM_PAGES = ("/admin/users", "/admin/outbox", "/admin/sms", "/admin/outbox/hold", "/status")


def test_an_organizations_admin_gets_its_pages_and_none_of_the_platforms(client, auth, tree):
    admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    platform = make_user(roles=["admin"])
    db.session.commit()
    auth.become(admin)
    for url in PLATFORM_PAGES + ("/admin/audit",):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/users/{admin.id}/grant", data={"role": "admin"}).status_code == 403
    for url in ("/admin/organizations", "/admin/mixer-stats", "/manage"):
        assert client.get(url).status_code == 200, url
    page = client.get("/admin/organizations").get_data(as_text=True)
    assert "芜湖市总工会" in page and "镜湖区总工会" in page
    assert "合肥市总工会" not in page and "安徽省总工会" not in page
    assert "/admin/outbox" not in page  # the platform's tabs are not offered
    auth.become(platform)
    assert client.get("/admin/outbox").status_code == 200
    assert "/admin/outbox" in client.get("/admin/organizations").get_data(as_text=True)


def test_the_organizers_list_shows_only_the_events_they_manage(client, auth, tree):
    events = _events(tree)
    for name, event in events.items():
        event.title = f"活动-{name}"
    organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    province_admin = make_user(roles=["admin"], roles_on=tree["province"].id)
    db.session.commit()
    auth.become(organizer)
    page = client.get("/manage").get_data(as_text=True)
    assert "活动-city" in page and "活动-district" in page
    assert "活动-sibling" not in page and "活动-province" not in page
    auth.become(province_admin)
    page = client.get("/manage").get_data(as_text=True)
    assert all(f"活动-{name}" in page for name in events)


EVENT_FORM = {
    "title": "芜湖市职工趣味运动会",
    "venue": "芜湖市体育中心",
    "starts_at": "2030-05-01T09:00",
    "ends_at": "2030-05-01T17:00",
    "registration_opens_at": "2030-04-01T09:00",
    "registration_closes_at": "2030-04-28T17:00",
}


def test_a_new_event_belongs_to_an_organization_the_organizer_organizes_for(client, auth, tree):
    organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    db.session.commit()
    auth.become(organizer)
    page = client.get("/events/new?kind=sportsmeet").get_data(as_text=True)
    assert "镜湖区总工会" in page and "合肥市总工会" not in page
    for refused, message in (
        (tree["sibling"].id, "Choose one of the organizations listed."),
        ("长", "Choose one of the organizations listed."),
        ("99999999999999999999", "Enter a whole number no larger than 2147483647."),
    ):
        response = client.post(
            "/events/new?kind=sportsmeet", data=EVENT_FORM | {"organization_id": refused}
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    response = client.post(
        "/events/new?kind=sportsmeet", data=EVENT_FORM | {"organization_id": tree["district"].id}
    )
    assert response.status_code == 303
    event = db.session.scalar(sa.select(Event))
    assert event.organization_id == tree["district"].id


# --- The organization pages ---------------------------------------------------------------


def test_an_admin_adds_a_sub_organization_and_edits_it_bad_input_saves_nothing(client, auth, tree):
    admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    db.session.commit()
    auth.become(admin)
    city = tree["city"].id
    response = client.post(
        f"/admin/organizations/{city}/new",
        data={"name": "", "short_name": "长" * 31, "level": "enterprise", "contact": ""},
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Please enter the name." in text and "At most 30 characters." in text
    response = client.post(
        f"/admin/organizations/{city}/new",
        data={"name": "芜湖港务公司工会", "short_name": "港务工会", "level": "enterprise"},
    )
    assert response.status_code == 303
    child = db.session.scalar(
        sa.select(Organization).where(Organization.name == "芜湖港务公司工会")
    )
    assert child.parent_id == city and child.level == "enterprise"
    assert organizations.is_within(child.id, tree["province"].id)
    response = client.post(
        f"/admin/organizations/{child.id}",
        data={"name": "芜湖港务集团工会", "short_name": "", "level": "nonsense", "contact": ""},
    )
    assert response.status_code == 400
    assert "Choose one of the levels listed." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, child.id).name == "芜湖港务公司工会"
    response = client.post(
        f"/admin/organizations/{child.id}",
        data={
            "name": "芜湖港务集团工会",
            "short_name": "",
            "level": "enterprise",
            "contact": "0553",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organization, child.id).name == "芜湖港务集团工会"
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["organization.create", "organization.update"]


def test_an_admin_reaches_no_organization_outside_their_subtree(client, auth, tree):
    admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    db.session.commit()
    auth.become(admin)
    for name in ("province", "sibling"):
        org = tree[name].id
        for url in (f"/admin/organizations/{org}", f"/admin/organizations/{org}/staff"):
            assert client.get(url).status_code == 403, url
        assert client.post(f"/admin/organizations/{org}/new", data={"name": "x"}).status_code == 403
    assert client.get("/admin/organizations/999999").status_code == 404


def test_an_admin_moves_within_their_subtree_only(client, auth, tree):
    city_admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    province_admin = make_user(roles=["admin"], roles_on=tree["province"].id)
    street = organizations.create(tree["city"], "弋江区总工会")
    db.session.commit()
    auth.become(city_admin)
    # The city itself is the top of the city admin's grant: only the province's admin moves it.
    response = client.post(
        f"/admin/organizations/{tree['city'].id}/move", data={"parent_id": tree["sibling"].id}
    )
    assert response.status_code == 400
    # Below the city: to another organization of the city, yes; to the sibling city, no.
    response = client.post(
        f"/admin/organizations/{street.id}/move", data={"parent_id": tree["sibling"].id}
    )
    assert response.status_code == 400
    assert "Choose one of the organizations listed." in response.get_data(as_text=True)
    response = client.post(
        f"/admin/organizations/{tree['district'].id}/move", data={"parent_id": street.id}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organization, tree["district"].id).parent_id == street.id
    assert db.session.get(Organization, tree["district"].id).depth == 4
    auth.become(province_admin)
    response = client.post(
        f"/admin/organizations/{tree['city'].id}/move", data={"parent_id": tree["sibling"].id}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert organizations.is_within(tree["district"].id, tree["sibling"].id)
    moves = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "organization.move")
    ).all()
    assert len(moves) == 2


def test_staff_granted_and_revoked_on_an_organization_by_mobile(client, auth, tree):
    admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    member = make_user(name="李芳")
    db.session.commit()
    auth.become(admin)
    district = tree["district"].id
    url = f"/admin/organizations/{district}/staff"
    response = client.post(url, data={"mobile": "13000000000", "role": "organizer"})
    assert response.status_code == 400
    assert "No active member has this mobile number." in response.get_data(as_text=True)
    response = client.post(url, data={"mobile": member.mobile, "role": "judge"})
    assert response.status_code == 400  # the staff page grants organizer or admin only
    assert client.post(url, data={"mobile": member.mobile, "role": "organizer"}).status_code == 303
    grants = db.session.execute(sa.select(UserRole.role, UserRole.organization_id)).all()
    assert ("organizer", district) in grants
    assert "李芳" in client.get(url).get_data(as_text=True)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "role.grant")).one()
    assert entry.actor_id == admin.id and "镜湖区总工会" in entry.detail
    response = client.post(
        f"/admin/organizations/{district}/staff/revoke",
        data={"user_id": member.id, "role": "organizer"},
    )
    assert response.status_code == 303
    assert ("organizer", district) not in db.session.execute(
        sa.select(UserRole.role, UserRole.organization_id)
    ).all()
    response = client.post(
        f"/admin/organizations/{district}/staff/revoke", data={"user_id": "x", "role": "admin"}
    )
    assert response.status_code == 400


def test_an_admin_cannot_revoke_their_own_admin_grant(client, auth, tree):
    admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    db.session.commit()
    auth.become(admin)
    response = client.post(
        f"/admin/organizations/{tree['city'].id}/staff/revoke",
        data={"user_id": admin.id, "role": "admin"},
    )
    assert response.status_code == 400
    assert admin.role_organization_ids(Role.ADMIN) == {tree["city"].id}


def test_users_grant_takes_an_organization(runner, tree):
    member = make_user()
    db.session.commit()
    result = runner.invoke(
        args=["users", "grant", member.mobile, "organizer", "--organization", tree["city"].id]
    )
    assert result.exit_code == 0, result.output
    assert "芜湖市总工会" in result.output
    result = runner.invoke(args=["users", "grant", member.mobile, "admin"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert member.role_organization_ids(Role.ORGANIZER) == {tree["city"].id}
    assert member.is_admin
    result = runner.invoke(
        args=["users", "grant", member.mobile, "organizer", "--organization", "999999"]
    )
    assert result.exit_code != 0 and "no organization has the id 999999" in result.output
    result = runner.invoke(
        args=["users", "revoke", member.mobile, "organizer", "--organization", tree["sibling"].id]
    )
    assert result.exit_code == 0 and "does not hold organizer" in result.output
    result = runner.invoke(
        args=["users", "revoke", member.mobile, "organizer", "--organization", tree["city"].id]
    )
    assert result.exit_code == 0 and "Revoked organizer" in result.output
    db.session.expire_all()
    assert member.role_organization_ids(Role.ORGANIZER) == set() and member.is_admin


# --- Statements per page do not grow with the tree ----------------------------------------

DEEP_PAGES = [
    ("province_admin", "/admin/organizations"),
    ("province_admin", "/admin/mixer-stats"),
    ("province_admin", "/manage"),
    ("city_organizer", "/manage"),
    ("city_organizer", "/events/new?kind=sportsmeet"),
    ("city_organizer", "/events/{event}/edit"),
    ("city_organizer", "/events/{event}/roster"),
]


def _grow_tree(below: Organization, levels: int, fan_out: int) -> Organization:
    """`fan_out` organizations below each, `levels` deep, each with an event; the deepest last."""
    frontier = [below]
    for _level in range(levels):
        frontier = [
            organizations.create(org, f"{org.name[:40]}·{i}", level="other")
            for org in frontier
            for i in range(fan_out)
        ]
        for org in frontier:
            make_event(kind=EventKind.SPORTSMEET, organization_id=org.id, title=org.name[:100])
    return frontier[-1]


def test_organization_pages_issue_as_many_statements_for_a_deep_tree(
    app, client, auth, count_queries, tree
):
    from tests.test_query_counts import MAX_QUERIES, measure

    province_admin = make_user(roles=["admin"], roles_on=tree["province"].id)
    city_organizer = make_user(roles=["organizer"], roles_on=tree["city"].id)
    deep_org = _grow_tree(tree["district"], levels=1, fan_out=2)
    event = make_event(kind=EventKind.SPORTSMEET, organization_id=deep_org.id)
    db.session.commit()
    who = {"province_admin": province_admin.id, "city_organizer": city_organizer.id}
    urls = [(who[role], url.format(event=event.id)) for role, url in DEEP_PAGES]
    small = {url: measure(app, client, auth, count_queries, user, url)[0] for user, url in urls}
    # Five levels more below the deepest (nine below the root), and a wide sibling city:
    # over a hundred organizations, each with an event.
    _grow_tree(deep_org, levels=5, fan_out=2)
    _grow_tree(tree["sibling"], levels=2, fan_out=6)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) > 100
    large = {url: measure(app, client, auth, count_queries, user, url)[0] for user, url in urls}
    assert large == small
    assert max(large.values()) <= MAX_QUERIES, large


def test_an_organizations_admin_counts_the_mixers_of_their_subtree_only(client, auth, tree):
    from datetime import timedelta

    from eventsite.core.time import utcnow
    from eventsite.mixers import stats
    from tests.mixer_factories import attend, make_mixer

    closed = {}
    for name in ("city", "district", "sibling"):
        mixer = make_mixer(ended_ago=timedelta(days=5), window_hours=24, title=f"联谊-{name}")
        mixer.event.organization_id = tree[name].id
        for _ in range({"city": 1, "district": 2, "sibling": 4}[name]):
            attend(mixer)
        closed[name] = mixer.event.id
    city_admin = make_user(roles=["admin"], roles_on=tree["city"].id)
    db.session.commit()
    scope = managed_organization_ids(city_admin, Role.ADMIN)
    assert sorted(stats.closed_mixers(utcnow(), scope)[0]) == sorted(
        [closed["city"], closed["district"]]
    )
    assert stats.union_stats(utcnow(), scope).total.attendees == 3
    assert stats.union_stats(utcnow()).total.attendees == 7  # the platform's whole union
    auth.become(city_admin)
    page = client.get("/admin/mixer-stats").get_data(as_text=True)
    assert '<td data-label="Participants">3</td>' in page
