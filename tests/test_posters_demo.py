"""The demo's posters: every event of the seed's stories gets its own, drawn by the app and kept
like an upload; the year of past mixers keeps the default; a second load changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from eventsite.demo_history import HISTORY_MIXERS
from eventsite.demo_posters import POSTERS, poster_for
from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.posters.rules import COVER_SIZES


def load(runner) -> str:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_seed_event_gets_its_own_poster_and_a_second_load_changes_nothing(app, runner, clock):
    load(runner)
    events = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    with_cover = [event for event in events if event.cover_key]
    # The seven events of the seed's stories, each with the poster its title calls for.
    assert len(with_cover) == len(POSTERS) == 7
    assert {poster_for(event) for event in with_cover} == set(POSTERS)
    assert len(events) - len(with_cover) == HISTORY_MIXERS
    folder = Path(app.config["POSTER_DIR"])
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert set(files) == {
        f"{event.cover_key}-{size}.jpg" for event in with_cover for size in COVER_SIZES
    }
    for event in with_cover:
        for size, box in COVER_SIZES.items():
            image = Image.open(io.BytesIO(files[f"{event.cover_key}-{size}.jpg"]))
            assert image.size == (box.width, box.height)
            assert not image.getexif()
    cards = {files[f"{event.cover_key}-card.jpg"] for event in with_cover}
    assert len(cards) == 7  # seven different pictures

    keys = {event.id: event.cover_key for event in with_cover}
    clock.advance(hours=1)
    assert "nothing changed" in load(runner)
    db.session.expire_all()
    assert {
        event.id: event.cover_key
        for event in db.session.scalars(sa.select(Event).where(Event.cover_key.is_not(None)))
    } == keys
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files


def test_the_demo_posters_are_drawn_the_same_every_time():
    from eventsite.posters import artwork

    spec = POSTERS[0]
    drawn = [
        artwork.poster(
            spec.palette, spec.scene, spec.label, spec.headline, spec.subline, spec.footer
        ).tobytes()
        for _ in range(2)
    ]
    assert drawn[0] == drawn[1]
