"""Revision 0019_organizations: today's data goes to one root organization; nothing is lost.

Every event and every role (organizer, judge, admin) belongs to the root after the upgrade; a
downgrade gives the former version every role back once, held everywhere as it knew roles.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eventsite.accounts.models import Role, UserRole
from eventsite.extensions import db
from eventsite.organizations import service as organizations
from tests.factories import make_event, make_user


def grants() -> set[tuple[int, str]]:
    rows = db.session.execute(sa.text("SELECT user_id, role FROM user_role"))
    return {(row.user_id, row.role) for row in rows}


def test_todays_events_and_roles_go_to_the_root_and_come_back_down(app):
    admin = make_user(roles=[Role.ADMIN, Role.ORGANIZER])
    judge = make_user(roles=[Role.JUDGE])
    event = make_event(organizer=admin)
    db.session.commit()
    province = organizations.create(organizations.root(), "安徽省总工会", level="province")
    # Held twice (on the root and on a province): the former version knows it once.
    admin.role_grants.append(UserRole(role=str(Role.ORGANIZER), organization_id=province.id))
    db.session.commit()
    ids = (admin.id, judge.id, event.id)
    before = {(admin.id, "admin"), (admin.id, "organizer"), (judge.id, "judge")}
    db.session.remove()

    downgrade(revision="0019_organizations-1")
    assert grants() == before
    columns = {c["name"] for c in sa.inspect(db.session.connection()).get_columns("event")}
    assert "organization_id" not in columns
    db.session.remove()

    upgrade()
    admin_id, judge_id, event_id = ids
    root = organizations.root()
    assert (root.id, root.parent_id, root.name) == (1, None, "工会")
    rows = db.session.execute(sa.text("SELECT user_id, role, organization_id FROM user_role"))
    assert {(r.user_id, r.role, r.organization_id) for r in rows} == {
        (admin_id, "admin", 1),
        (admin_id, "organizer", 1),
        (judge_id, "judge", 1),
    }
    event_org = db.session.execute(
        sa.text("SELECT organization_id FROM event WHERE id = :id"), {"id": event_id}
    ).scalar_one()
    assert event_org == 1
    assert db.session.get(type(root), 1) is not None
    # The root's sequence moved past it: the next organization is not id 1.
    assert organizations.create(root, "芜湖市总工会").id > 1
    db.session.commit()
