"""The organization tree: its closure rows stay exact through any creation and move."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.accounts.models import ROOT_ORGANIZATION_ID, Role, UserRole
from eventsite.extensions import db
from eventsite.organizations import rules, service
from eventsite.organizations.models import Organization, OrganizationLink
from tests.factories import make_event, make_user


def closure_from_parents(parents: dict[int, int | None]) -> set[tuple[int, int, int]]:
    """The links a tree given by parent pointers must have, computed the slow way."""
    links = set()
    for node in parents:
        depth, above = 0, node
        while above is not None:
            links.add((above, node, depth))
            above, depth = parents[above], depth + 1
    return links


@st.composite
def trees_and_moves(draw):
    """A random tree (node 0 the root) and a sequence of moves, each legal when made."""
    size = draw(st.integers(1, 12))
    parents: dict[int, int | None] = {0: None}
    for node in range(1, size):
        parents[node] = draw(st.integers(0, node - 1))
    moves = draw(st.lists(st.tuples(st.integers(1, 11), st.integers(0, 11)), max_size=6))
    return parents, [(a, b) for a, b in moves if a < size and b < size]


@given(trees_and_moves())
def test_creation_and_moves_keep_the_closure_exact(case):
    parents, moves = case
    links: set[tuple[int, int, int]] = set()
    for node, parent in parents.items():
        ancestry = (
            [(a, depth) for a, d, depth in links if d == parent] if parent is not None else []
        )
        links |= set(rules.links_for_new(node, ancestry))
    assert links == closure_from_parents(parents)
    for moved, new_parent in moves:
        subtree = [(d, depth) for a, d, depth in links if a == moved]
        if not rules.may_move(moved, new_parent, (node for node, _ in subtree)):
            assert new_parent in {node for node, _ in subtree}
            continue
        old_above = [a for a, d, depth in links if d == moved and depth > 0]
        new_ancestry = [(a, depth) for a, d, depth in links if d == new_parent]
        removed, added = rules.links_after_move(subtree, old_above, new_ancestry)
        links = {link for link in links if (link[0], link[1]) not in removed} | set(added)
        parents[moved] = new_parent
        assert links == closure_from_parents(parents)


def test_the_migrations_create_the_root(app):
    root = service.root()
    assert root.id == ROOT_ORGANIZATION_ID
    assert root.parent_id is None
    assert service.is_within(root.id, root.id)


def _tree():
    root = service.root()
    province = service.create(root, "安徽省总工会", short_name="安徽", level="province")
    city = service.create(province, "芜湖市总工会", short_name="芜湖", level="city")
    other_city = service.create(province, "合肥市总工会", short_name="合肥", level="city")
    district = service.create(city, "镜湖区总工会", level="district")
    db.session.commit()
    return root, province, city, other_city, district


def _links() -> set[tuple[int, int, int]]:
    return set(
        tuple(row)
        for row in db.session.execute(
            sa.select(
                OrganizationLink.ancestor_id,
                OrganizationLink.descendant_id,
                OrganizationLink.depth,
            )
        )
    )


def _parents() -> dict[int, int | None]:
    rows = db.session.execute(sa.select(Organization.id, Organization.parent_id))
    return {row.id: row.parent_id for row in rows}


def test_subtrees_and_ancestors_are_one_query_each(app):
    root, province, city, other_city, district = _tree()
    below_city = set(db.session.scalars(service.subtree_ids(city.id)))
    assert below_city == {city.id, district.id}
    above_district = set(db.session.scalars(service.ancestor_ids(district.id)))
    assert above_district == {root.id, province.id, city.id, district.id}
    assert service.is_within(district.id, province.id)
    assert not service.is_within(district.id, other_city.id)
    assert _links() == closure_from_parents(_parents())
    assert district.depth == 3


def test_a_move_takes_the_subtree_along(app):
    root, province, city, other_city, district = _tree()
    service.move(city, other_city)
    db.session.commit()
    assert service.is_within(district.id, other_city.id)
    assert _links() == closure_from_parents(_parents())
    assert db.session.get(Organization, district.id).depth == 4


@pytest.mark.parametrize("target", ["itself", "below"])
def test_nothing_moves_under_itself(app, target):
    root, province, city, other_city, district = _tree()
    before = _links()
    with pytest.raises(service.OrganizationError):
        service.move(city, city if target == "itself" else district)
    assert _links() == before


def test_the_root_does_not_move(app):
    root, province, *_ = _tree()
    with pytest.raises(service.OrganizationError):
        service.move(root, province)


def test_a_grant_without_an_organization_holds_on_the_root(app):
    admin = make_user(roles=[Role.ADMIN])
    db.session.commit()
    assert admin.role_organization_ids(Role.ADMIN) == {ROOT_ORGANIZATION_ID}
    assert admin.is_admin


def test_an_admin_of_a_sub_organization_is_no_platform_admin(app):
    root, province, *_ = _tree()
    user = make_user()
    user.role_grants.append(UserRole(role=str(Role.ADMIN), organization_id=province.id))
    db.session.commit()
    assert user.has_role(Role.ADMIN)
    assert not user.is_admin


def test_events_belong_to_the_root_unless_given_another(app):
    event = make_event()
    db.session.commit()
    assert event.organization_id == ROOT_ORGANIZATION_ID


@settings(max_examples=1)
@given(st.just(None))
def test_closure_helper_agrees_with_a_known_tree(_):
    assert closure_from_parents({0: None, 1: 0, 2: 1}) == {
        (0, 0, 0),
        (1, 1, 0),
        (2, 2, 0),
        (0, 1, 1),
        (1, 2, 1),
        (0, 2, 2),
    }
