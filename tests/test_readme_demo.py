"""The README's demo accounts and its tour stay true to what `flask demo load` makes.

A newcomer follows the README with the demo loaded: sign in as this mobile, tap that attendee.
The tour once named an attendee by her real name, which members never see, while the marking
page showed her under a nickname that another attendee's nickname resembled, so "mark her and see
the match" failed. This test reads the README's demo part (from "## Demo accounts" to the next
section after the tour) and checks, against a loaded demo:

- each row of the accounts table: the mobile signs in with the demo password and holds exactly
  the role the row names (an ordinary member holds none);
- every mobile the text names belongs to a demo account, and every range "a–b" it gives has an
  account at both ends;
- every attendee it names for the member to find is written "No. n nickname" in bold: a mixer the
  member attended has that participant with that nickname, and when the mobile stands in front
  ("13900004001 (**No. 3 小林**)") the participant is that member;
- no demo attendee's real name appears in the tour (members see nicknames and numbers only);
- every button and menu the tour names is written as the Chinese interface shows it, with its
  English in brackets (给您的牵线请求 ("Introduction requests to you")), and the Chinese catalog
  translates that English to exactly that Chinese;
- the season the earlier mixer's title carries (冬季 in December) is said as the demo names it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from werkzeug.security import check_password_hash

from eventsite.accounts.models import User
from eventsite.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, EXCHANGE_TITLE, SEASONS, dated
from eventsite.events.models import Registration
from eventsite.extensions import db
from eventsite.mixers.models import MixerProfile

README = Path(__file__).resolve().parent.parent / "README.md"
CHINESE_CATALOG = (
    README.parent / "eventsite" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
)

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
RANGE = re.compile(r"(?<!\d)(1[3-9]\d{9})\s*[–-]\s*(1[3-9]\d{9})(?!\d)")
#: "13900004001 (**No. 3 小林**" or "**No. 3 小林**" alone.
PARTICIPANT = re.compile(r"(?:(1[3-9]\d{9}) \()?\*\*No\. (\d+) ([^*\s]+)\*\*")
ACCOUNT_ROW = re.compile(r"^\| (\w+) \| (1[3-9]\d{9}) \|", re.MULTILINE)
#: An interface label as the tour writes it: 我的配对 ("Your matches").
LABEL = re.compile(r'([\u4e00-\u9fff][^\s"()（）]*)\s+\("([^"]+)"')
#: "冬季 in December to February"
SEASON_MONTHS = re.compile(r"([冬春夏秋]季)\s+in\s+(\w+)\s+to\s+(\w+)")
MONTHS = "January February March April May June July August September October November December"


def demo_text() -> str:
    """The README from its demo accounts to the section after the tour."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Demo accounts")
    tour = text.index("## A short tour", start)
    end = text.index("\n## ", tour + 1)
    return text[start:end]


@pytest.fixture
def demo(runner, clock):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def user(mobile: str) -> User | None:
    return db.session.scalars(sa.select(User).where(User.mobile == mobile)).one_or_none()


def test_the_accounts_table_gives_each_role_its_mobile(demo):
    rows = ACCOUNT_ROW.findall(demo_text())
    assert {mobile for _role, mobile in rows} == {a.mobile for a in DEMO_ACCOUNTS}
    for role, mobile in rows:
        account = user(mobile)
        assert account is not None, mobile
        assert check_password_hash(account.password_hash, DEMO_PASSWORD)
        held = {str(grant.role) for grant in account.role_grants}
        assert held == (set() if role == "member" else {role}), (mobile, role, held)


def test_every_mobile_and_range_the_demo_text_names_signs_in(demo):
    text = demo_text()
    named = set(MOBILE.findall(text))
    assert len(named) > 10
    missing = sorted(m for m in named if user(m) is None)
    assert not missing, f"the README names mobiles the demo does not make: {missing}"
    for first, last in RANGE.findall(text):
        assert user(first) is not None and user(last) is not None, (first, last)
        # The range is complete: the mobile after its end is not another attendee of the same set.
        after = str(int(last) + 1)
        assert user(after) is None or after in named, (first, last)


def test_attendees_are_named_as_the_member_sees_them(demo):
    text = demo_text()
    member = user(next(a.mobile for a in DEMO_ACCOUNTS if a.role == "member"))
    attended = db.session.scalars(
        sa.select(Registration.event_id).where(
            Registration.user_id == member.id, Registration.checked_in_at.is_not(None)
        )
    ).all()
    profiles = db.session.scalars(
        sa.select(MixerProfile).where(MixerProfile.event_id.in_(attended))
    ).all()
    named = PARTICIPANT.findall(text)
    assert len(named) >= 2, "the tour names the attendees to find as **No. n nickname**"
    for mobile, number, nickname in named:
        shown = [p for p in profiles if p.number == int(number) and p.nickname == nickname]
        assert shown, f"no attendee is shown as No. {number} {nickname} at the member's mixers"
        if mobile:
            assert user(mobile).id in {p.user_id for p in shown}, (mobile, number, nickname)


def test_the_tour_never_names_an_attendee_by_their_real_name(demo):
    text = demo_text()
    staff = {a.name for a in DEMO_ACCOUNTS}
    attendees = db.session.scalars(
        sa.select(User.name).join(MixerProfile, MixerProfile.user_id == User.id)
    ).all()
    shown = sorted({name for name in attendees if name not in staff and name in text})
    assert not shown, f"the README names attendees by their real names: {shown}"


def test_the_tour_names_buttons_and_menus_as_the_chinese_interface_shows_them():
    with CHINESE_CATALOG.open("rb") as po:
        catalog = read_po(po)
    labels = [(zh, " ".join(en.split())) for zh, en in LABEL.findall(demo_text())]
    assert len(labels) >= 20, labels
    for zh, en in labels:
        message = catalog.get(en)
        assert message is not None, f'the README\'s {zh} ("{en}") is no interface text'
        assert message.string == zh, f"the interface shows {en!r} as {message.string}, not {zh}"
    named = {zh for zh, _en in labels}
    for label in ("给您的牵线请求", "我的配对", "我的联谊", "活动管理", "运动会设置", "竞赛设置"):
        assert label in named, label


def test_the_readme_says_which_season_the_mixer_title_carries():
    text = demo_text()
    months = MONTHS.split()
    said = SEASON_MONTHS.findall(text)
    assert {season for season, _first, _last in said} == set(SEASONS)
    for season, first, last in said:
        for month in (first, last):
            moment = datetime(2026, months.index(month) + 1, 15, 4, tzinfo=UTC)
            assert dated("{season}", moment) == season, (season, month)
    # The title the README gives is the demo's, with one of those seasons.
    shown = {EXCHANGE_TITLE.format(year="YYYY", season=season) for season in SEASONS}
    assert any(f"**{title}**" in text for title in shown)
