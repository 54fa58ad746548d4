"""Revision 0009_mixer_trust: the match rows old taps wrote for pairs whose two marks are still
there go (a mutual match is derived from the marks now); hidden ones and those whose marks were
purged stay. Downgrading writes them again as the old taps kept them."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eventsite.core.time import utcnow
from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.mixers import service
from eventsite.mixers.models import Mark, Match
from tests.mixer_factories import attend, make_mixer, mark, number_of


def stored() -> set[tuple[int, int, bool]]:
    db.session.expire_all()
    return {
        (m.user_low_id, m.user_high_id, m.hidden_at is not None)
        for m in db.session.scalars(sa.select(Match))
    }


def test_old_match_rows_give_way_to_derived_matches_and_come_back_down(app, clock):
    mixer = make_mixer(reveal="at_once")
    a, b = attend(mixer, gender="male"), attend(mixer, gender="female")
    c, d = attend(mixer, gender="male"), attend(mixer, gender="female")
    e, f = attend(mixer, gender="male"), attend(mixer, gender="female")
    for x, y in ((a, b), (c, d), (e, f)):
        mark(mixer, x, y)
        mark(mixer, y, x)
    # What the old taps left: a row for a and b.
    low, high = sorted((a.id, b.id))
    db.session.add(Match(event_id=mixer.event.id, user_low_id=low, user_high_id=high))
    service.hide_match(mixer.event, d.id, number_of(mixer, c), utcnow())  # a hidden row
    # e and f's match was kept, then the purge deleted their marks.
    service.keep_mutual_matches(mixer.event)
    db.session.execute(sa.delete(Mark).where(Mark.marker_id.in_([e.id, f.id])))
    db.session.commit()
    rows = {(low, high, False), (*sorted((c.id, d.id)), True), (*sorted((e.id, f.id)), False)}
    assert stored() == rows
    event_id, a_id, b_id = mixer.event.id, a.id, b.id
    db.session.remove()

    downgrade(revision="0009_mixer_trust-1")
    assert stored() == rows  # nothing to write again: every mutual pair has its row
    db.session.remove()
    upgrade(revision="0009_mixer_trust")
    assert stored() == rows - {(low, high, False)}  # derived from the marks from now on
    db.session.remove()
    downgrade(revision="0009_mixer_trust-1")
    assert stored() == rows  # written again, as the old taps kept it
    db.session.remove()
    upgrade()
    assert stored() == rows - {(low, high, False)}
    event = db.session.get(Event, event_id)
    assert [m.other(a_id) for m in service.matches_of(event, a_id)] == [b_id]
