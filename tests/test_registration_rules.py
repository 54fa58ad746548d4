"""Quick smoke of the engine through the service (full suites live in other files)."""

from eventsite.events import service
from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.factories import make_event, make_user


def test_capacity_then_waitlist_then_promotion(app):
    organizer = make_user(roles=["organizer"])
    event = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, capacity=1, teams=["站前社区"])
    team_id = event.teams[0].id
    first, second = make_user(), make_user()
    r1 = service.register(event, first, team_id=team_id)
    r2 = service.register(event, second, team_id=team_id)
    db.session.commit()
    assert (r1.status, r2.status) == ("confirmed", "waitlisted")
    promoted = service.cancel_registration(r1, actor=first)
    db.session.commit()
    assert [r.id for r in promoted] == [r2.id]
    assert r2.status == "confirmed"
