"""Uploading, removing and serving an event's cover, with real pictures made by Pillow."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from eventsite.core.models import AuditEntry
from eventsite.events.models import EventKind
from eventsite.extensions import db
from eventsite.posters import rules, service
from eventsite.posters.rules import COVER_SIZES
from eventsite.posters.storage import LocalCoverStorage
from eventsite.posters.views import cover_url
from tests.factories import make_event, make_outside_organizer, make_user

MB = 1024 * 1024
GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture
def organizer(app):
    return make_user(roles=["organizer"], name="组织者")


@pytest.fixture
def event(app, organizer):
    made = make_event(organizer=organizer, kind=EventKind.GENERAL, title="职工书画展")
    db.session.commit()
    return made


@pytest.fixture
def manager(client, auth, organizer):
    auth.become(organizer)
    return client


def picture(fmt: str, size=(1600, 900), colour=(30, 120, 200), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size, colour)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: stored sideways (left half red, right half blue) with
    'rotate 90° clockwise to view' in its EXIF, and where it was taken in GPS tags."""
    image = Image.new("RGB", (1200, 800), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 600, 800))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (31.0, 20.0, 10.0), 3: "E", 4: (118.0, 22.0, 30.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    return buffer.getvalue()


def upload(client, event, data: bytes, filename="封面.jpg"):
    return client.post(
        f"/events/{event.id}/cover",
        data={"cover": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def stored_files(app) -> set[str]:
    folder = Path(app.config["POSTER_DIR"])
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def audit_actions(event) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.id)
        )
    )


def url_of(event, size: str, external: bool = False) -> str:
    """Where a page would load the event's cover (as a request builds it)."""
    from flask import current_app

    with current_app.test_request_context():
        return cover_url(event, size, external=external)


def served(client, url) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, url
    return Image.open(io.BytesIO(response.data))


def test_a_phone_photo_is_turned_upright_and_loses_its_exif(app, manager, event):
    response = upload(manager, event, phone_photo())
    assert response.status_code == 302
    db.session.refresh(event)
    key = event.cover_key
    assert rules.KEY_PATTERN.fullmatch(key)
    assert stored_files(app) == {f"{key}-{size}.jpg" for size in COVER_SIZES}
    for size, box in COVER_SIZES.items():
        image = served(manager, url_of(event, size))
        assert image.size == (box.width, box.height)
        assert image.format == "JPEG"
        # No EXIF at all (so no GPS, no camera), no XMP, no comment.
        assert not image.getexif()
        assert "exif" not in image.info and "xmp" not in image.info
        assert "comment" not in image.info
        raw = (Path(app.config["POSTER_DIR"]) / f"{key}-{size}.jpg").read_bytes()
        assert b"Exif" not in raw and b"PhoneMaker" not in raw
        # Upright: the red half was the left, and turned clockwise it is the top.
        top = image.getpixel((box.width // 2, box.height // 8))
        bottom = image.getpixel((box.width // 2, box.height * 7 // 8))
        assert top[0] > 200 and top[2] < 60, top
        assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert audit_actions(event) == ["event.cover_upload"]


def test_a_png_with_transparency_lies_on_white(app, manager, event):
    data = picture("PNG", mode="RGBA", colour=(200, 0, 0, 0))
    assert upload(manager, event, data, "透明.png").status_code == 302
    db.session.refresh(event)
    card = served(manager, url_of(event, "card"))
    assert card.mode == "RGB"
    red, green, blue = card.getpixel((320, 180))
    assert min(red, green, blue) > 245  # fully transparent: the white behind it


def test_a_webp_is_taken(app, manager, event):
    assert (
        upload(manager, event, picture("WEBP", colour=(10, 200, 10)), "a.webp").status_code == 302
    )
    db.session.refresh(event)
    detail = served(manager, url_of(event, "detail"))
    assert detail.size == (1200, 675)
    red, green, blue = detail.getpixel((600, 300))
    assert green > 180 and red < 40 and blue < 40


def truncated_jpeg() -> bytes:
    whole = picture("JPEG", size=(1600, 900))
    return whole[: len(whole) // 2]


def huge_png() -> bytes:
    """A PNG header claiming 20000 × 20000 pixels: a few bytes that would decode to 1.2 GB."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def big_file() -> bytes:
    """A real JPEG padded past 5 MB (but under the request limit)."""
    return picture("JPEG") + b"\0" * (5 * MB + 1000)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"just some words, not a picture\n" * 20, "照片.jpg", "JPEG, PNG or WebP"),
        (b"", "empty.jpg", "Choose a picture"),
        (truncated_jpeg(), "broken.jpg", "could not be read"),
        (big_file(), "big.jpg", "at most 5 MB"),
        (huge_png(), "huge.png", "too many pixels"),
        (picture("PNG", size=(300, 150)), "tiny.png", "too small"),
        (picture("GIF"), "moving.gif", "JPEG, PNG or WebP"),
    ],
    ids=["text", "empty", "truncated", "6mb", "huge", "tiny", "gif"],
)
def test_what_is_not_a_usable_picture_is_refused_beside_the_field(
    app, manager, event, data, filename, message
):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    upload(manager, event, picture("JPEG"))
    db.session.refresh(event)
    key, files, actions = event.cover_key, stored_files(app), audit_actions(event)

    response = upload(manager, event, data, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = page.split('id="cover-errors"', 1)[1].split("</ul>", 1)[0]
    assert message in errors
    db.session.refresh(event)
    assert event.cover_key == key
    assert stored_files(app) == files
    assert audit_actions(event) == actions


def test_a_body_over_the_request_limit_gets_a_clear_page(app, manager, event):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    response = upload(manager, event, b"\0" * (7 * MB))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.cover_key is None


def test_a_new_picture_replaces_the_old_copies(app, manager, event):
    upload(manager, event, picture("JPEG", colour=(200, 0, 0)))
    db.session.refresh(event)
    first = event.cover_key
    upload(manager, event, picture("PNG", colour=(0, 0, 200)))
    db.session.refresh(event)
    second = event.cover_key
    assert second != first
    assert stored_files(app) == {f"{second}-{size}.jpg" for size in COVER_SIZES}
    assert manager.get(f"/covers/{first}/card.jpg").status_code == 404
    assert served(manager, url_of(event, "card")).getpixel((320, 180))[2] > 180
    assert audit_actions(event) == ["event.cover_upload", "event.cover_upload"]


def test_removing_the_picture_goes_back_to_the_default(app, manager, event):
    upload(manager, event, picture("JPEG"))
    db.session.refresh(event)
    assert stored_files(app)
    response = manager.post(f"/events/{event.id}/cover/remove")
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.cover_key is None
    assert stored_files(app) == set()
    assert url_of(event, "card") == "/covers/default/general/card.jpg"
    assert audit_actions(event) == ["event.cover_upload", "event.cover_remove"]
    # Nothing to remove: nothing changes, no audit line.
    manager.post(f"/events/{event.id}/cover/remove")
    assert audit_actions(event) == ["event.cover_upload", "event.cover_remove"]


@pytest.mark.parametrize("who", ["member", "other_organizer"])
def test_only_the_events_managers_change_its_cover(app, client, auth, event, who):
    other = make_user(name="会员") if who == "member" else make_outside_organizer()
    auth.become(other)
    assert client.get(f"/events/{event.id}/cover").status_code == 403
    assert upload(client, event, picture("JPEG")).status_code == 403
    assert client.post(f"/events/{event.id}/cover/remove").status_code == 403
    db.session.refresh(event)
    assert event.cover_key is None
    assert stored_files(app) == set()


def test_a_stored_copy_is_served_for_a_year_and_never_changes(app, manager, event):
    upload(manager, event, picture("JPEG"))
    db.session.refresh(event)
    response = manager.get(url_of(event, "share"))
    assert response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert url_of(event, "share", external=True).startswith("http")


@pytest.mark.parametrize(
    "path",
    [
        "/covers/AAAAAAAAAAAAAAAAAAAAAA/card.jpg",
        "/covers/..%2F..%2Fetc/card.jpg",
        "/covers/short/card.jpg",
        "/covers/AAAAAAAAAAAAAAAAAAAAAA/huge.jpg",
    ],
)
def test_a_cover_that_is_not_there_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_the_cards_and_the_event_page_show_the_cover_with_its_size(app, manager, event, clock):
    upload(manager, event, picture("JPEG"))
    db.session.refresh(event)
    index = manager.get("/events").get_data(as_text=True)
    card = f'src="/covers/{event.cover_key}/card.jpg" width="640" height="360" loading="lazy"'
    assert card in index
    detail = manager.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'src="/covers/{event.cover_key}/detail.jpg" width="1200" height="675"' in detail
    manage = manager.get("/manage").get_data(as_text=True)
    assert f'/events/{event.id}/cover"' in manage


@pytest.mark.parametrize("kind", list(EventKind))
def test_each_kinds_default_cover_is_drawn_once_and_the_same(app, client, kind):
    service.default_cover_bytes.cache_clear()
    first = client.get(f"/covers/default/{kind}/card.jpg")
    assert first.status_code == 200
    assert Image.open(io.BytesIO(first.data)).size == (640, 360)
    assert service.default_cover_bytes.cache_info().misses == 1
    again = client.get(f"/covers/default/{kind}/card.jpg")
    assert again.data == first.data
    assert service.default_cover_bytes.cache_info().hits >= 1
    # Drawn, not flat: many colours.
    assert len(Image.open(io.BytesIO(first.data)).getcolors(1 << 20)) > 500


def test_each_kind_has_its_own_default(app):
    covers = {kind: service.default_cover_bytes(kind, "card") for kind in EventKind}
    assert len(set(covers.values())) == len(EventKind)


def test_the_local_storage_keeps_files_private_and_refuses_other_names(tmp_path):
    storage = LocalCoverStorage(tmp_path / "covers")
    name = rules.copy_name("A" * 22, "card")
    storage.save(name, b"jpeg bytes")
    assert storage.exists(name) and storage.open(name) == b"jpeg bytes"
    assert oct(os.stat(tmp_path / "covers").st_mode & 0o777) == "0o750"
    assert oct(os.stat(tmp_path / "covers" / name).st_mode & 0o777) == "0o640"
    assert os.listdir(tmp_path / "covers") == [name]  # no temporary file left behind
    for bad in ("../secret", "A" * 22 + "-card.jpg/../../x", "x.jpg"):
        with pytest.raises(ValueError):
            storage.open(bad)
    storage.delete(name)
    assert not storage.exists(name) and storage.open(name) is None


def test_a_cover_leaves_an_open_edit_form_saveable(app, manager, event):
    """A cover is not an edit of the event's details: the version an edit form carries stays,
    through an upload and a removal, so the form opened before them still saves."""
    version = event.version
    upload(manager, event, picture("JPEG"))
    db.session.refresh(event)
    assert event.cover_key is not None
    assert event.version == version
    manager.post(f"/events/{event.id}/cover/remove")
    db.session.refresh(event)
    assert event.cover_key is None
    assert event.version == version
