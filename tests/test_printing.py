"""Printed material through the app: the sign-in sheet, the badges and the certificates are
A4 PDFs for the event's managers only, name the right people, draw their Chinese (rendered to
PNG by PDFium), carry each member's own check-in code, and leave an audit line; certificates
only from final results."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from fontTools import ttLib
from PIL import Image, ImageChops

from eventsite.competitions.models import AwardTier
from eventsite.core.models import AuditEntry
from eventsite.core.time import utcnow
from eventsite.events import checkin
from eventsite.events.models import EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.printing import pdf, service
from tests.competition_factories import fill_all, make_contest
from tests.factories import make_event, make_organization, make_registration, make_user
from tests.sportsmeet_factories import enter_all, make_item, make_meet, one_heat, record

S = RegistrationStatus

#: A4 in PDF points (210 × 297 mm), within a point.
A4 = (595.28, 841.89)


def open_pdf(response) -> pdfium.PdfDocument:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"%PDF-")
    return pdfium.PdfDocument(response.data)


def page_size(document, index=0) -> tuple[float, float]:
    return document[index].get_size()


def is_a4(size, landscape=False) -> bool:
    width, height = size
    expected = A4[::-1] if landscape else A4
    return abs(width - expected[0]) < 1 and abs(height - expected[1]) < 1


def text_of(document) -> str:
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def render(document, index=0, scale=2.0) -> Image.Image:
    return document[index].render(scale=scale).to_pil().convert("L")


def dark_pixels(image: Image.Image, box) -> int:
    """Pixels darker than mid-grey inside `box` (left, top, right, bottom, in pixels)."""
    return sum(1 for value in image.crop(box).tobytes() if value < 128)


def from_bytes(body: bytes) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(body)


@pytest.fixture
def event(app):
    """A sports meet of the Wuhu city union with two teams: three confirmed members (one on an
    offered place they have not confirmed, one waitlisted, one cancelled besides)."""
    city = make_organization("芜湖市总工会")
    organizer = make_user(roles=["organizer"], name="组织者", roles_on=city.id)
    meet = make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        teams=["站前一队", "站前二队"],
        title="职工趣味运动会",
        venue="齐齐哈尔市工人文化宫",
        organization_id=city.id,
    )
    first, second = meet.teams
    people = {
        "张伟": make_user(name="张伟", mobile="13900000001", organization_id=city.id),
        "安琪": make_user(name="安琪", mobile="13900000002", work_unit="站前街道"),
        "李娜": make_user(name="李娜", mobile="13900000003"),
        "赵敏": make_user(name="赵敏", mobile="13900000004"),
        "王芳": make_user(name="王芳", mobile="13900000005"),
        "陈晨": make_user(name="陈晨", mobile="13900000006"),
    }
    make_registration(meet, people["张伟"], team_id=first.id)
    make_registration(meet, people["安琪"], team_id=first.id)
    make_registration(meet, people["李娜"], team_id=second.id)
    make_registration(
        meet, people["赵敏"], team_id=second.id, offer_expires_at=utcnow() + timedelta(hours=5)
    )
    make_registration(meet, people["王芳"], status=S.WAITLISTED, team_id=second.id)
    make_registration(meet, people["陈晨"], status=S.CANCELLED, team_id=second.id)
    db.session.commit()
    return meet


def audit_of(event_id: int) -> list[tuple[str, str]]:
    return [
        (entry.action, entry.detail)
        for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.event_id == event_id).order_by(AuditEntry.id)
        )
    ]


# --- the sign-in sheet ------------------------------------------------------------------------


def test_the_sign_in_sheet_lists_the_confirmed_members_by_team_and_pinyin(client, auth, event):
    auth.become(event.created_by)
    document = open_pdf(client.get(f"/events/{event.id}/print/sign-in-sheet.pdf"))
    assert is_a4(page_size(document))
    text = text_of(document)
    for words in ("职工趣味运动会", "签到表", "芜湖市总工会", "齐齐哈尔市工人文化宫", "签名"):
        assert words in text, words
    # Confirmed only: not the offered place, the waitlisted or the cancelled.
    assert "张伟" in text and "安琪" in text and "李娜" in text
    assert "赵敏" not in text and "王芳" not in text and "陈晨" not in text
    # By team (站前一队 first), then pinyin: 安琪 (an) before 张伟 (zhang); 李娜 in the second.
    assert text.index("安琪") < text.index("张伟") < text.index("李娜")
    # The member's union where they have one, else the work unit; the mobile masked.
    assert "139****0001" in text and "13900000001" not in text
    assert "站前街道" in text
    assert "第 1 页 / 共 1 页" in text
    assert audit_of(event.id) == [("print.sign_in_sheet", "PDF，3 人")]


def test_a_long_sign_in_sheet_repeats_its_heading_and_numbers_its_pages(client, auth, event):
    team = event.teams[1]
    for i in range(60):
        make_registration(event, make_user(name=f"队员{i:02d}"), team_id=team.id)
    db.session.commit()
    auth.become(event.created_by)
    document = open_pdf(client.get(f"/events/{event.id}/print/sign-in-sheet.pdf"))
    pages = len(document)
    assert pages >= 2
    for index in range(pages):
        assert is_a4(page_size(document, index))
        text = document[index].get_textpage().get_text_range()
        assert "签名" in text and "序号" in text, index  # the table's heading on every page
        assert f"第 {index + 1} 页 / 共 {pages} 页" in text
    assert "63" in text_of(document)  # every line numbered, the last 63rd


def test_the_sign_in_sheet_really_draws_its_chinese_title(app, event):
    """Rendered by PDFium, the title area is inked, and inked differently for another title
    (missing glyphs would draw the same boxes); blanked, it is empty."""
    sheet = service.sign_in_sheet(event)
    # At scale 2 (5.67 px a millimetre): the title's line, 21 to 31 mm from the top, under the
    # organization's name.
    title_box = (85, 120, 1105, 175)
    rendered = render(from_bytes(pdf.sign_in_sheet_pdf(sheet)))
    other = replace(sheet, heading=replace(sheet.heading, title="技能大赛颁奖典礼"))
    blank = replace(sheet, heading=replace(sheet.heading, title=" "))
    rendered_other = render(from_bytes(pdf.sign_in_sheet_pdf(other)))
    rendered_blank = render(from_bytes(pdf.sign_in_sheet_pdf(blank)))
    inked = dark_pixels(rendered, title_box)
    assert inked > 500
    assert dark_pixels(rendered_blank, title_box) == 0
    assert ImageChops.difference(rendered.crop(title_box), rendered_other.crop(title_box)).getbbox()
    # The font travels inside the file.
    body = pdf.sign_in_sheet_pdf(sheet)
    assert b"/FontFile" in body and b"NotoSerifSC" in body


def test_documents_share_the_parsed_fonts_and_print_what_parsing_afresh_prints(
    app, clock, monkeypatch
):
    """The fonts are parsed once per process, not on every PDF, and a font subset is made once
    per set of glyphs; a document made so is byte for byte the one add_font() and a subset of
    the whole font make, also the second one in a row (the glyphs one document used never leak
    into the next one's subset) and one printed again from the kept subsets."""

    class ParsingTheFiles(pdf.Document):
        def add_parsed_font(self, family):
            self.add_font(family, fname=pdf.font_path(family))

        def bytes(self):
            return bytes(self.output())

    def printed(document_class, text):
        doc = document_class(title="签到表", numbered=True)
        doc.add_page()
        doc.set_font(pdf.SANS, size=11)
        doc.cell(0, 6, text)
        doc.set_font(pdf.SERIF, size=18)
        doc.cell(0, 10, f"荣誉证书 {text}")
        return doc.bytes()

    first = printed(pdf.Document, "芜湖市总工会 张伟 2026")
    second = printed(pdf.Document, "齐齐哈尔 安琪 ABC")
    assert first != second
    assert first == printed(ParsingTheFiles, "芜湖市总工会 张伟 2026")
    assert second == printed(ParsingTheFiles, "齐齐哈尔 安琪 ABC")
    opened = []

    class Recording:
        def TTFont(self, file, **options):  # noqa: N802 (fontTools' name)
            opened.append(type(file).__name__)
            return ttLib.TTFont(file, **options)

    monkeypatch.setattr(pdf, "ttLib", Recording())
    assert printed(pdf.Document, "芜湖市总工会 张伟 2026") == first
    # The two font files for the new document, then both fonts from the kept subsets.
    assert [name == "BytesIO" for name in opened] == [False, False, True, True]
    shared = pdf.Document(title="签到表").fonts["notosanssc"]
    assert shared.cw is pdf.parsed_font(pdf.SANS).cw
    assert shared.ttfont is not pdf.parsed_font(pdf.SANS).ttfont


# --- badges -----------------------------------------------------------------------------------


def test_badges_carry_each_members_own_check_in_code(app, client, auth, event):
    import zxingcpp

    auth.become(event.created_by)
    document = open_pdf(client.get(f"/events/{event.id}/print/badges.pdf"))
    assert len(document) == 1 and is_a4(page_size(document))
    text = text_of(document)
    assert "安琪" in text and "张伟" in text and "李娜" in text and "赵敏" not in text
    assert "职工趣味运动会" in text and "站前一队" in text and "芜湖市总工会" in text
    image = render(document, scale=3)
    found = {code.text for code in zxingcpp.read_barcodes(image)}
    registrations = {r.user.name: r for r in service.confirmed(event)}
    with app.test_request_context():
        expected = {
            f"http://localhost/checkin/{checkin.token_for(r)}" for r in registrations.values()
        }
    assert found == expected
    # Each code opens the check-in of that member's registration.
    for link in found:
        token = link.rsplit("/", 1)[1]
        registration_id, event_id = checkin.read_token(token)
        assert event_id == event.id
        assert registration_id in {r.id for r in registrations.values()}
    assert audit_of(event.id) == [("print.badges", "PDF，3 人")]


def test_badges_fill_eight_to_a_sheet(client, auth, event):
    for i in range(6):
        make_registration(event, make_user(name=f"队员{i}"), team_id=event.teams[0].id)
    db.session.commit()
    auth.become(event.created_by)
    document = open_pdf(client.get(f"/events/{event.id}/print/badges.pdf"))
    # 9 members: 8 on the first sheet (站前一队: 安琪, 张伟, 队员0-5), 李娜 on the second.
    assert len(document) == 2
    first, second = (document[i].get_textpage().get_text_range() for i in range(2))
    assert "队员5" in first and "李娜" not in first
    assert "李娜" in second and "队员" not in second


# --- who may download -------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["sign-in-sheet", "badges", "meet-certificates"])
def test_members_and_outsiders_get_no_printed_material(client, auth, event, what):
    url = f"/events/{event.id}/print/{what}.pdf"
    member = db.session.scalar(sa.select(Registration).limit(1)).user
    elsewhere = make_organization("合肥市总工会")
    outsider = make_user(roles=["organizer"], name="外单位组织者", roles_on=elsewhere.id)
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for who in (member, outsider):
        auth.become(who)
        assert client.get(url).status_code == 403
    assert audit_of(event.id) == []


# --- competition certificates -----------------------------------------------------------------


@pytest.fixture
def contest(app):
    contest = make_contest(per_team_track=2)
    db.session.add_all(
        [
            AwardTier(round_id=contest.round.id, name="一等奖", size=Decimal(1), position=0),
            AwardTier(round_id=contest.round.id, name="二等奖", size=Decimal(2), position=1),
        ]
    )
    # Contestant i scores 10 - i on the first criterion: 山东商务英语选手1 first.
    fill_all(contest, lambda judge, c: [str(10 - c), "10"])
    db.session.commit()
    return contest


def certificates_url(contest) -> str:
    return f"/events/{contest.event.id}/print/rounds/{contest.round.id}/certificates.pdf"


def test_competition_certificates_wait_for_final_results(client, auth, contest):
    auth.become(contest.organizer)
    response = client.get(certificates_url(contest), follow_redirects=True)
    assert "尚未公布" in response.get_data(as_text=True)
    contest.round.published_at = utcnow() - timedelta(days=1)  # 公示 runs 5 days
    db.session.commit()
    response = client.get(certificates_url(contest))
    assert response.status_code == 303
    assert f"/rounds/{contest.round.id}/ranking" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "公示" in page and "结果确定后" in page
    assert audit_of(contest.event.id) == []


def test_competition_certificates_from_final_results(app, client, auth, contest):
    contest.round.published_at = utcnow() - timedelta(days=6)
    db.session.commit()
    auth.become(contest.organizer)
    document = open_pdf(client.get(certificates_url(contest)))
    assert len(document) == 3  # one first prize, two second prizes
    assert all(is_a4(page_size(document, i), landscape=True) for i in range(3))
    first = document[0].get_textpage().get_text_range()
    assert "荣誉证书" in first.replace(" ", "")
    assert "山东英语选手1" in first and "山东队" in first
    assert "国际贸易业务员技能竞赛" in first and "一等奖" in first and "特发此证" in first
    assert "中华全国总工会" not in first
    assert "二等奖" in document[1].get_textpage().get_text_range()
    # The title is really drawn: the top band is inked.
    image = render(document, 0)
    assert dark_pixels(image, (300, 60, 890, 160)) > 800
    assert audit_of(contest.event.id) == [("print.certificates", "PDF，3 份 · 决赛")]
    # A judge or a member gets none.
    auth.become(contest.judges[0])
    assert client.get(certificates_url(contest)).status_code == 403


# --- sports meet certificates -----------------------------------------------------------------


def test_meet_certificates_for_final_items_and_then_the_standings(client, auth):
    meet = make_meet(teams=("站前一队", "站前二队", "站前三队", "站前四队"))
    item = make_item(meet, name="毛毛虫竞速", result_type="time")
    heat = one_heat(item, enter_all(meet, item))
    for entry, seconds in zip(heat_entries(heat), ("41", "39", "45", "50"), strict=True):
        record(heat, entry, seconds)
    solo = make_item(meet, name="踢毽子", result_type="count", individual=True, max_members=1)
    solo_heat = one_heat(solo, enter_all(meet, solo))
    for entry, count in zip(heat_entries(solo_heat), ("30", "50", "40", "20"), strict=True):
        record(solo_heat, entry, count)
    db.session.commit()
    url = f"/events/{meet.event.id}/print/meet-certificates.pdf"
    auth.become(meet.organizer)
    refused = client.get(url, follow_redirects=True)
    assert "尚无项目成绩确定" in refused.get_data(as_text=True)

    item.finalized_at = utcnow()
    db.session.commit()
    document = open_pdf(client.get(url))
    # Only the final item, its first three teams: 二队 39 s, 一队 41 s, 三队 45 s.
    assert len(document) == 3
    texts = [document[i].get_textpage().get_text_range() for i in range(3)]
    assert "站前二队" in texts[0] and "毛毛虫竞速" in texts[0] and "第一名" in texts[0]
    assert "站前一队" in texts[1] and "第二名" in texts[1]
    assert "站前三队" in texts[2] and "第三名" in texts[2]
    assert all(is_a4(page_size(document, i), landscape=True) for i in range(3))

    solo.finalized_at = utcnow()
    db.session.commit()
    document = open_pdf(client.get(url))
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    # Every item final: the team standings (3), the team item (3), the individual item (3).
    assert len(texts) == 9
    assert "团体总分" in texts[0]
    solo_texts = [t for t in texts if "踢毽子" in t]
    assert "站前二队1号" in solo_texts[0] and "第一名" in solo_texts[0]


def heat_entries(heat):
    return [lane.entry for lane in sorted(heat.lanes, key=lambda lane: lane.lane)]


def test_a_certificate_in_english_names_the_place_in_english(client, auth):
    meet = make_meet(teams=("站前一队", "站前二队", "站前三队"))
    item = make_item(meet, name="毛毛虫竞速", result_type="time")
    heat = one_heat(item, enter_all(meet, item))
    for entry, seconds in zip(heat_entries(heat), ("41", "39", "45"), strict=True):
        record(heat, entry, seconds)
    item.finalized_at = utcnow()
    meet.organizer.locale = "en"
    db.session.commit()
    auth.become(meet.organizer)
    document = open_pdf(client.get(f"/events/{meet.event.id}/print/meet-certificates.pdf"))
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    assert "站前二队" in texts[0] and "first place" in texts[0]
    assert "second place" in texts[1] and "third place" in texts[2]
    assert not any("第" in text and "名" in text for text in texts)
