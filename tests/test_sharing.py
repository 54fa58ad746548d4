"""Sharing an event: the share poster drawn (size, QR code, Chinese title, places), its page and
PNG only where the event page may be seen, and the Open Graph card on the public pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from PIL import Image, ImageChops

from eventsite.core.time import utcnow
from eventsite.events.models import EventKind, EventStatus, RegistrationStatus
from eventsite.extensions import db
from eventsite.sharing import poster, rules, service
from eventsite.sharing.rules import PlacesStanding
from tests.competition_factories import make_contest
from tests.factories import make_event, make_registration, make_user
from tests.sportsmeet_factories import make_meet

TITLE = "「皖工鹊桥·会聚良缘」青年职工联谊活动"
URL = "http://localhost/events/7"


def poster_text(**changes) -> poster.PosterText:
    values = dict(
        title=TITLE,
        kind="鹊桥联谊",
        time="12月20日周六 14:00–17:30",
        place="芜湖市工人文化宫三楼多功能厅",
        places="60 个名额剩余 12 个",
        host="芜湖市总工会",
        url=URL,
        site_name="职工活动平台",
        time_label="时间",
        place_label="地点",
        places_label="名额",
        host_label="主办单位",
        scan="扫码报名",
        scan_hint="长按识别二维码，查看详情并报名",
    )
    return poster.PosterText(**(values | changes))


def cover() -> Image.Image:
    return Image.new("RGB", (1200, 675), (214, 69, 94))


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def decoded(image: Image.Image) -> list[str]:
    import zxingcpp

    return [code.text for code in zxingcpp.read_barcodes(image.convert("RGB"))]


def inked(image: Image.Image, box) -> int:
    """Dark pixels (text) inside `box`."""
    grey = image.convert("L").crop(box)
    return sum(grey.point(lambda value: 255 if value < 128 else 0).histogram()[255:])


# --- The poster drawn -----------------------------------------------------------------------


def test_a_poster_is_a_phone_sized_png_whose_code_opens_the_event():
    image = open_png(poster.render_poster(poster_text(), cover()))
    assert image.size == (750, 1334)
    assert decoded(image) == [URL]


def test_the_code_holds_exactly_the_url_given():
    url = "https://events.example.cn/events/123456"
    assert decoded(open_png(poster.render_poster(poster_text(url=url), cover()))) == [url]


def test_the_chinese_title_is_drawn():
    # Both titles take two lines, so everything but the title's lines sits in the same place.
    title_lines = (0, 485, 750, 635)
    titled = open_png(poster.render_poster(poster_text(), cover()))
    other = open_png(
        poster.render_poster(
            poster_text(title="齐齐哈尔站前街道工会职工大学联合举办趣味运动会"), cover()
        )
    )
    for image in (titled, other):
        assert inked(image, title_lines) > 8000
        # Two lines: the second is inked too.
        assert inked(image, (0, 565, 750, 635)) > 3000
    difference = ImageChops.difference(titled.convert("RGB"), other.convert("RGB"))
    assert difference.crop(title_lines).getbbox() is not None
    assert difference.crop((0, 0, 750, 485)).getbbox() is None
    assert difference.crop((0, 635, 750, 1334)).getbbox() is None


def test_a_long_title_takes_three_lines_at_most_and_ends_with_an_ellipsis():
    face = poster.font(40)
    lines = poster.lines_of(TITLE * 4, face, 654, 3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(face.getlength(line) <= 654 for line in lines)
    assert poster.lines_of("短标题", face, 654, 3) == ["短标题"]


def test_a_long_title_still_leaves_the_code_readable():
    long = poster_text(title=TITLE * 3, place="芜湖市镜湖区中山北路88号工人文化宫三楼" * 3)
    image = open_png(poster.render_poster(long, cover()))
    assert image.size == (750, 1334)
    assert decoded(image) == [URL]


# --- Rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("registration", "overall", "expected"),
    [
        ("open", 12, rules.Places(PlacesStanding.LEFT, 12)),
        ("open", 1, rules.Places(PlacesStanding.LEFT, 1)),
        ("open", 0, rules.Places(PlacesStanding.WAITLIST)),
        ("open", None, rules.Places(PlacesStanding.NO_LIMIT)),
        ("closed", 12, rules.Places(PlacesStanding.CLOSED)),
        ("not_yet", 0, rules.Places(PlacesStanding.NOT_YET)),
        ("cancelled", 5, rules.Places(PlacesStanding.CANCELLED)),
        ("draft", None, rules.Places(PlacesStanding.DRAFT)),
    ],
)
def test_places_standing(registration, overall, expected):
    assert rules.places_standing(registration, overall) == expected


def test_time_span_gives_one_day_or_both():
    def day(moment):
        return f"{moment.month}月{moment.day}日"

    start = datetime(2026, 12, 20, 14, 0, tzinfo=UTC)
    assert rules.time_span(start, start + timedelta(hours=3, minutes=30), day) == (
        "12月20日 14:00–17:30"
    )
    assert rules.time_span(start, start + timedelta(days=1), day) == (
        "12月20日 14:00 – 12月21日 14:00"
    )


def test_day_skeleton_names_the_year_only_when_it_is_not_this_one():
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert rules.day_skeleton(datetime(2026, 12, 20, tzinfo=UTC), now) == "MMMEd"
    assert rules.day_skeleton(datetime(2027, 1, 3, tzinfo=UTC), now) == "yMMMEd"


def test_summary_joins_parts_and_cuts_with_an_ellipsis():
    assert (
        rules.summary(["12月20日", "", "文化宫", "  多行\n文字 "], 50)
        == "12月20日 · 文化宫 · 多行 文字"
    )
    cut = rules.summary(["一二三四五六七八九十"], 6)
    assert cut == "一二三四五…" and len(cut) == 6


# --- Through the app --------------------------------------------------------------------------


class Meta(HTMLParser):
    """The <meta> and <link rel=canonical> of a page."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        if tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs["href"]


def meta_of(response) -> Meta:
    assert response.status_code == 200, response.status_code
    parser = Meta()
    parser.feed(response.get_data(as_text=True))
    return parser


def mixer(**fields):
    organizer = make_user(roles=["organizer"], name="组织者")
    values = dict(
        title=TITLE,
        venue="芜湖市工人文化宫",
        description="青年职工交友联谊，现场互动游戏。",
        starts_at=datetime(2026, 12, 20, 6, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 20, 9, 30, tzinfo=UTC),
        registration_opens_at=datetime(2026, 12, 1, tzinfo=UTC),
        registration_closes_at=datetime(2026, 12, 19, tzinfo=UTC),
    )
    event = make_event(organizer=organizer, kind=EventKind.MIXER, **(values | fields))
    db.session.commit()
    return event


@pytest.fixture
def december(clock):
    clock.now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    return clock


def test_a_published_event_page_carries_its_share_card(client, december):
    event = mixer(capacity=60)
    page = meta_of(client.get(f"/events/{event.id}"))
    url = f"http://localhost/events/{event.id}"
    assert page.meta["og:type"] == "website"
    assert page.meta["og:title"] == TITLE
    assert page.meta["og:url"] == url and page.canonical == url
    assert page.meta["og:site_name"] == "职工活动平台"
    assert page.meta["og:image"] == "http://localhost/covers/default/mixer/share.jpg"
    assert (page.meta["og:image:width"], page.meta["og:image:height"]) == ("1200", "630")
    # Beijing time (06:00 UTC is 14:00), the place and the start of the description.
    expected = "12月20日周日 14:00–17:30 · 芜湖市工人文化宫 · 青年职工交友联谊，现场互动游戏。"
    assert page.meta["og:description"] == expected
    assert page.meta["description"] == expected
    # The card's image is served.
    image = client.get("/covers/default/mixer/share.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_the_share_card_speaks_the_visitors_language(client, december):
    event = mixer()
    client.get("/lang/en")
    page = meta_of(client.get(f"/events/{event.id}"))
    assert page.meta["og:site_name"] == "Union Member Events"
    assert page.meta["og:description"].startswith("Sun, Dec 20 14:00–17:30 · ")


def test_a_drafts_page_poster_and_share_page_are_refused_to_visitors(client, auth, december):
    event = mixer(status=EventStatus.DRAFT)
    member = make_user()
    db.session.commit()
    for who in (None, member):
        if who is not None:
            auth.become(who)
        for path in ("", "/share", "/share-poster.png"):
            assert client.get(f"/events/{event.id}{path}").status_code == 404, (who, path)
    # Its organizer sees the poster and the page (with a warning), but no share card.
    auth.become(event.created_by)
    page = client.get(f"/events/{event.id}/share")
    assert page.status_code == 200
    assert "draft-note" in page.get_data(as_text=True)
    assert client.get(f"/events/{event.id}/share-poster.png").status_code == 200
    assert "og:title" not in meta_of(client.get(f"/events/{event.id}")).meta


def test_the_poster_png_opens_the_event_page_and_revalidates(client, december):
    event = mixer(capacity=60)
    response = client.get(f"/events/{event.id}/share-poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    image = open_png(response.data)
    assert image.size == (750, 1334)
    assert decoded(image) == [f"http://localhost/events/{event.id}"]
    etag = response.headers["ETag"]
    again = client.get(f"/events/{event.id}/share-poster.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # A registration changes the places left: a new poster.
    make_registration(event, make_user())
    db.session.commit()
    changed = client.get(f"/events/{event.id}/share-poster.png", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def texts(app, event):
    with app.test_request_context():
        return service.poster_text(event, URL, utcnow())


def test_the_poster_tells_places_left_from_the_registration_engine(app, december):
    event = mixer(capacity=2)
    assert texts(app, event).places == "剩余 2 个名额（共 2 个）"
    make_registration(event, make_user())
    # A waiting or cancelled registration holds no place.
    make_registration(event, make_user(), status=RegistrationStatus.CANCELLED)
    db.session.commit()
    one_left = texts(app, event)
    assert one_left.places == "剩余 1 个名额（共 2 个）"
    assert one_left.places_open
    unlimited = mixer()
    assert texts(app, unlimited).places == "不限名额"


def test_a_full_events_poster_says_it_has_a_waitlist(app, december):
    event = mixer(capacity=1)
    make_registration(event, make_user())
    make_registration(event, make_user(), status=RegistrationStatus.WAITLISTED)
    db.session.commit()
    text = texts(app, event)
    assert text.places == "名额已满，报名即进入候补"
    assert text.places_open
    assert text.scan == "扫码报名"


def test_a_closed_or_cancelled_events_poster_says_so(app, december):
    closed = mixer(capacity=10, registration_closes_at=utcnow() - timedelta(hours=1))
    assert texts(app, closed).places == "报名已截止"
    assert not texts(app, closed).places_open
    # Nobody can register: the code invites a look at the event, not a registration.
    assert texts(app, closed).scan == "扫码查看"
    assert texts(app, closed).scan_hint == "长按识别二维码，查看活动详情"
    cancelled = mixer(capacity=10, status=EventStatus.CANCELLED)
    assert texts(app, cancelled).places == "本活动已取消"


def test_the_poster_names_time_place_and_host_in_beijing_time(app, december):
    event = mixer(co_hosts="芜湖市妇联")
    text = texts(app, event)
    assert text.time == "12月20日周日 14:00–17:30"
    assert text.place == "芜湖市工人文化宫"
    assert text.host == f"{event.organization.name}；联合主办：芜湖市妇联"
    assert text.title == TITLE and text.kind == "鹊桥联谊"
    assert text.url == URL


def test_the_share_page_offers_the_poster_the_link_and_the_share_sheet(client, december):
    event = mixer()
    body = client.get(f"/events/{event.id}/share").get_data(as_text=True)
    assert f'src="/events/{event.id}/share-poster.png"' in body
    assert 'width="750" height="1334"' in body
    assert f'value="http://localhost/events/{event.id}"' in body
    assert "长按" in body and "微信群" in body
    assert "data-share-copy" in body and "data-share-system" in body
    assert f'download="event-{event.id}-poster.png"' in body
    # The event page links to it.
    detail = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f'href="/events/{event.id}/share"' in detail


def test_public_results_and_standings_carry_the_share_card(client, december):
    contest = make_contest()
    meet = make_meet()
    db.session.commit()
    event = contest.event
    results = meta_of(client.get(f"/competitions/{event.id}/results"))
    assert results.meta["og:title"] == f"成绩 · {event.title}"
    assert results.meta["og:url"] == f"http://localhost/competitions/{event.id}/results"
    standings = meta_of(client.get(f"/events/{meet.event.id}/meet"))
    assert standings.meta["og:title"] == f"积分榜 · {meet.event.title}"
    assert standings.meta["og:url"] == f"http://localhost/events/{meet.event.id}/meet"
    assert standings.meta["og:image"].endswith("/covers/default/sportsmeet/share.jpg")


def test_a_page_shown_again_after_a_refused_form_keeps_the_event_pages_card(client, auth, december):
    event = mixer(capacity=60)
    auth.become(make_user())
    # A mixer needs the member to declare they are single: refused, the page shown again.
    response = client.post(f"/events/{event.id}/register", data={})
    assert response.status_code in (400, 409, 422), response.status_code
    parser = Meta()
    parser.feed(response.get_data(as_text=True))
    assert parser.meta["og:url"] == f"http://localhost/events/{event.id}"
    assert parser.canonical == f"http://localhost/events/{event.id}"


def test_a_poster_is_drawn_once_per_version(monkeypatch):
    drawn = []

    def draw(text, image):
        drawn.append(text.title)
        return f"png of {text.title}".encode()

    monkeypatch.setattr(service, "render_poster", draw)
    monkeypatch.setattr(service, "_drawn", type(service._drawn)())
    first = poster_text()
    assert service.drawn_poster("v1", first, cover()) == f"png of {TITLE}".encode()
    assert service.drawn_poster("v1", first, cover()) == f"png of {TITLE}".encode()
    assert drawn == [TITLE]
    assert (
        service.drawn_poster("v2", poster_text(title="另一个"), cover()) == "png of 另一个".encode()
    )
    assert drawn == [TITLE, "另一个"]
    for n in range(service.KEPT_POSTERS):
        service.drawn_poster(f"other{n}", first, cover())
    # The oldest went first: v1 is drawn again.
    service.drawn_poster("v1", first, cover())
    assert drawn.count(TITLE) == 2 + service.KEPT_POSTERS


def test_a_card_description_skips_blank_parts_and_keeps_a_text_of_exactly_the_limit():
    assert rules.summary(["周六", "   ", "工人文化宫"], 50) == "周六 · 工人文化宫"
    assert rules.summary(["abcde"], 5) == "abcde"
    assert rules.summary(["abcdef"], 5) == "abcd…"
