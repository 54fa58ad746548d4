"""SMS verification codes through the real app: sign-up, signing in by code, a forgotten
password, a new mobile number; the code's life (tries, expiry, resend wait) and limits (per
number per day, per client address); imported accounts claimed by code; and the pages' answers,
which never tell whether a number has an account."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape

from eventsite.accounts.models import (
    UNCLAIMED_PASSWORD_HASH,
    SignedInDevice,
    User,
    VerificationCode,
)
from eventsite.accounts.service import issue_claim_code
from eventsite.accounts.verification_rules import MAX_ATTEMPTS, Purpose, code_digest
from eventsite.core.models import Notification
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.factories import PASSWORD, make_user, sign_up_by_code, texted_code

STRANGER = "13912340000"
DETAILS = {
    "name": "王晓明",
    "email": "",
    "password": "huangshan-2026",
    "confirm": "huangshan-2026",
    "work_unit": "芜湖职业技术学院",
    "gender": "male",
    "birth_year": "1996",
    "privacy": "y",
}


def tr(app, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(message, **variables)))


def field_errors(html: str, field: str) -> list[str]:
    match = re.search(rf'<ul class="errors" id="{field}-errors"[^>]*>(.*?)</ul>', html, re.S)
    return [m.strip() for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)] if match else []


def form_errors(html: str) -> list[str]:
    match = re.search(r'<ul class="errors form-errors"[^>]*>(.*?)</ul>', html, re.S)
    return [m.strip() for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)] if match else []


def signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def sms_rows(mobile: str | None = None) -> list[SmsMessage]:
    db.session.rollback()
    query = sa.select(SmsMessage).order_by(SmsMessage.id)
    if mobile is not None:
        query = query.where(SmsMessage.mobile == mobile)
    return list(db.session.scalars(query))


def code_row(mobile: str, purpose: Purpose) -> VerificationCode | None:
    db.session.rollback()
    return db.session.scalar(
        sa.select(VerificationCode).where(
            VerificationCode.mobile == mobile, VerificationCode.purpose == purpose
        )
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- sign-up -------------------------------------------------------------------------------


def test_a_newcomer_signs_up_with_the_code_texted_to_their_number(app, client, clock):
    asked = client.post("/signup?next=/account", data={"mobile": "+86 139-0551-2345"})
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/signup/details?next=/account"
    [text] = sms_rows("13905512345")
    assert text.kind == "code" and text.user_id is None
    code = text.params["code"]
    assert re.fullmatch(r"[0-9]{6}", code) and text.params["minutes"] == "5"
    assert code in text.body
    row = code_row("13905512345", Purpose.SIGN_UP)
    assert code not in row.code_hash  # stored hashed
    assert row.code_hash == code_digest(b"test-secret", "sign_up", "13905512345", code)

    page = client.get("/signup/details?next=/account")
    assert page.status_code == 200 and "13905512345" in page.text
    done = client.post("/signup/details?next=/account", data={**DETAILS, "code": code})

    assert done.status_code == 302 and done.headers["Location"] == "/account"
    user = db.session.scalar(sa.select(User))
    assert (user.mobile, user.name) == ("13905512345", "王晓明")
    assert user.check_password(DETAILS["password"])
    assert user.mobile_verified_at == clock.now
    assert signed_in(client)
    assert code_row("13905512345", Purpose.SIGN_UP).used_at == clock.now


def test_the_details_step_needs_the_number_step_first(client):
    response = client.get("/signup/details")
    assert response.status_code == 302 and response.headers["Location"] == "/signup"
    assert client.post("/signup/details", data=DETAILS).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_bad_details_are_refused_without_spending_a_try(app, client):
    client.post("/signup", data={"mobile": STRANGER})
    code = texted_code(STRANGER)
    response = client.post(
        "/signup/details", data={**DETAILS, "code": code, "password": STRANGER, "confirm": STRANGER}
    )
    assert response.status_code == 400
    assert field_errors(response.text, "password") == [
        tr(app, "The password cannot be your mobile number.")
    ]
    assert code_row(STRANGER, Purpose.SIGN_UP).attempts == 0
    assert client.post("/signup/details", data={**DETAILS, "code": code}).status_code == 302


def test_a_code_is_six_digits(app, client):
    client.post("/signup", data={"mobile": STRANGER})
    response = client.post("/signup/details", data={**DETAILS, "code": "12345"})
    assert response.status_code == 400
    assert field_errors(response.text, "code") == [
        tr(app, "The code is %(n)s digits, as in the text message.", n=6)
    ]
    # Full-width digits from a Chinese keyboard are the same code.
    code = texted_code(STRANGER)
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)
    assert client.post("/signup/details", data={**DETAILS, "code": full_width}).status_code == 302


def test_a_number_with_an_account_learns_so_only_with_its_code(app, client):
    member = make_user(mobile="13905512345")
    db.session.commit()
    client.post("/signup", data={"mobile": member.mobile})
    done = client.post("/signup/details", data={**DETAILS, "code": texted_code(member.mobile)})

    assert done.status_code == 302 and done.headers["Location"] == "/login"
    page = client.get("/login")
    assert (
        tr(
            app,
            "This number already has an account. Log in with your password or with an "
            "SMS code; if you forgot the password, reset it by SMS code.",
        )
        in page.text
    )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert member.check_password(PASSWORD)  # the typed password changed nothing
    assert not signed_in(client)


def imported(mobile: str = "13905512345") -> tuple[User, str]:
    user = User(
        name="王小明",
        mobile=mobile,
        work_unit="烟台市总工会",
        gender="female",
        birth_year=1990,
        password_hash=UNCLAIMED_PASSWORD_HASH,
    )
    claim = issue_claim_code(user)
    db.session.add(user)
    db.session.commit()
    return user, claim


def test_an_imported_account_is_claimed_by_the_sms_code(app, client, clock):
    user, _claim = imported()
    response = sign_up_by_code(client, {**DETAILS, "mobile": user.mobile, "gender": "female"})

    assert response.status_code == 302
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert not user.is_unclaimed and user.check_password(DETAILS["password"])
    assert user.name == "王小明"  # the organizer's name stays, so their lists still find it
    assert user.claim_code_hash is None and user.mobile_verified_at == clock.now
    assert signed_in(client)


def test_the_printed_claim_code_still_claims_for_a_member_without_a_phone(app, client):
    user, claim = imported()
    page = client.get("/signup")
    assert "/signup/claim" in page.text
    response = client.post(
        "/signup/claim", data={**DETAILS, "mobile": user.mobile, "claim_code": claim.lower()}
    )
    assert response.status_code == 302
    db.session.rollback()
    assert not user.is_unclaimed and user.mobile_verified_at is None
    assert sms_rows() == []


@pytest.mark.parametrize("whose", ["member", "stranger", "imported, wrong code"])
def test_the_claim_page_answers_alike_for_every_refusal(app, client, whose):
    mobile = {"member": "13905510001", "stranger": STRANGER, "imported, wrong code": "13905510002"}[
        whose
    ]
    if whose == "member":
        make_user(mobile=mobile)
    elif whose.startswith("imported"):
        imported(mobile)
    db.session.commit()
    response = client.post(
        "/signup/claim", data={**DETAILS, "mobile": mobile, "claim_code": "ABCD2345"}
    )
    assert response.status_code == 400
    assert field_errors(response.text, "claim_code") == [
        tr(
            app,
            "This mobile number and claim code do not match an imported account waiting to be "
            "claimed. Check both, or sign up with a code sent to your mobile.",
        )
    ]
    assert field_errors(response.text, "mobile") == []


# --- the code's life -----------------------------------------------------------------------


def test_five_wrong_tries_use_the_code_up(app, client):
    client.post("/signup", data={"mobile": STRANGER})
    code = texted_code(STRANGER)
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        response = client.post("/signup/details", data={**DETAILS, "code": wrong(code)})
        assert response.status_code == 400
        assert field_errors(response.text, "code") == [
            tr(app, "The code is not right. Tries left for this code: %(n)s.", n=left)
        ]
    fifth = client.post("/signup/details", data={**DETAILS, "code": wrong(code)})
    used_up = tr(app, "This code was entered wrongly too often. Please ask for a new one.")
    assert field_errors(fifth.text, "code") == [used_up]
    # Even the right code no longer works.
    sixth = client.post("/signup/details", data={**DETAILS, "code": code})
    assert sixth.status_code == 400 and field_errors(sixth.text, "code") == [used_up]
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert code_row(STRANGER, Purpose.SIGN_UP).attempts == MAX_ATTEMPTS


def test_a_code_expires_after_five_minutes(app, client, clock):
    client.post("/signup", data={"mobile": STRANGER})
    code = texted_code(STRANGER)
    clock.advance(minutes=5)
    response = client.post("/signup/details", data={**DETAILS, "code": code})
    assert response.status_code == 400
    assert field_errors(response.text, "code") == [
        tr(app, "This code has expired. Please ask for a new one.")
    ]


def test_a_code_works_until_its_last_second(client, clock):
    client.post("/signup", data={"mobile": STRANGER})
    clock.advance(minutes=4, seconds=59)
    response = client.post("/signup/details", data={**DETAILS, "code": texted_code(STRANGER)})
    assert response.status_code == 302


def test_a_used_code_does_not_work_twice(app, client):
    member = make_user()
    db.session.commit()
    client.post("/sms-login", data={"mobile": member.mobile})
    code = texted_code(member.mobile)
    assert client.post("/sms-login/verify", data={"code": code}).status_code == 302
    client.post("/logout")
    with client.session_transaction() as session:
        session["code_numbers"] = {"sign_in": member.mobile}
    again = client.post("/sms-login/verify", data={"code": code})
    assert again.status_code == 400
    assert field_errors(again.text, "code") == [
        tr(app, "This code has already been used. Please ask for a new one.")
    ]


def test_another_code_waits_a_minute_and_replaces_the_first(app, client, clock):
    client.post("/signup", data={"mobile": STRANGER})
    first = texted_code(STRANGER)

    page = client.get("/signup/details")
    assert 'data-resend-wait="60"' in page.text and "disabled" in page.text
    clock.advance(seconds=30)
    too_soon = client.post("/signup", data={"mobile": STRANGER})
    assert too_soon.status_code == 429 and too_soon.headers["Retry-After"] == "30"
    assert field_errors(too_soon.text, "mobile") == [
        tr(
            app,
            "A code was sent to this number a moment ago. You can ask for another in "
            "%(seconds)s seconds.",
            seconds=30,
        )
    ]
    assert len(sms_rows(STRANGER)) == 1

    clock.advance(seconds=30)
    assert 'data-resend-wait="0"' in client.get("/signup/details").text
    assert client.post("/signup", data={"mobile": STRANGER}).status_code == 302
    second = texted_code(STRANGER)
    assert len(sms_rows(STRANGER)) == 2
    if second != first:
        refused = client.post("/signup/details", data={**DETAILS, "code": first})
        assert refused.status_code == 400
    assert client.post("/signup/details", data={**DETAILS, "code": second}).status_code == 302


def test_the_minute_counts_for_the_number_over_every_purpose(client, clock):
    client.post("/signup", data={"mobile": STRANGER})
    assert client.post("/sms-login", data={"mobile": STRANGER}).status_code == 429
    assert client.post("/password/forgot", data={"mobile": STRANGER}).status_code == 429


class TestLimits:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "SMS_CODE_ADDRESS_LIMIT": "12 per hour"}

    def test_a_number_gets_at_most_ten_codes_a_day(self, app, client, clock):
        for n in range(10):
            address = f"198.51.100.{n + 1}"
            asked = client.post(
                "/signup", data={"mobile": STRANGER}, environ_base={"REMOTE_ADDR": address}
            )
            assert asked.status_code == 302, n
            clock.advance(seconds=61)
        eleventh = client.post(
            "/signup", data={"mobile": STRANGER}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
        )
        assert eleventh.status_code == 429
        assert int(eleventh.headers["Retry-After"]) > 3600
        hours = -(-int(eleventh.headers["Retry-After"]) // 3600)
        assert field_errors(eleventh.text, "mobile") == [
            tr(
                app,
                "This number has been sent as many codes as are allowed for now. Please try "
                "again in about %(hours)s hours.",
                hours=hours,
            )
        ]
        assert len(sms_rows(STRANGER)) == 10

    def test_one_address_asks_for_a_bounded_number_of_codes(self, app, client):
        for n in range(12):
            asked = client.post(
                "/signup",
                data={"mobile": f"1391234{n:04d}"},
                environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n + 1:x}"},
            )
            assert asked.status_code == 302, n
        # Another address in the same IPv6 /64 is the same subscriber.
        refused = client.post(
            "/signup",
            data={"mobile": "13912349999"},
            environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::1"},
        )
        assert refused.status_code == 429
        assert field_errors(refused.text, "mobile") == [
            tr(
                app,
                "Too many codes were asked for from your network. Please try again in about "
                "%(minutes)s minutes.",
                minutes=-(-int(refused.headers["Retry-After"]) // 60),
            )
        ]
        assert sms_rows("13912349999") == []
        other = client.post(
            "/signup", data={"mobile": "13912349999"}, environ_base={"REMOTE_ADDR": "2001:db8:9::1"}
        )
        assert other.status_code == 302

    def test_wrong_sign_in_codes_count_as_failed_logins(self, app, client, clock):
        member = make_user()
        db.session.commit()
        limit = 10  # LOGIN_RATE_LIMIT: 10 per minute per address and number
        tries = 0
        while tries < limit:
            client.post("/sms-login", data={"mobile": member.mobile})
            code = texted_code(member.mobile)
            for _ in range(min(MAX_ATTEMPTS, limit - tries)):
                client.post("/sms-login/verify", data={"code": wrong(code)})
                tries += 1
            clock.advance(seconds=61)
        client.post("/sms-login", data={"mobile": member.mobile})
        paused = client.post("/sms-login/verify", data={"code": texted_code(member.mobile)})
        assert paused.status_code == 429 and not signed_in(client)
        # The password is paused for this number too: one allowance for every way in.
        assert (
            client.post("/login", data={"mobile": member.mobile, "password": PASSWORD}).status_code
            == 429
        )

    def test_an_unreachable_counter_store_sends_no_code(self, app, client, monkeypatch):
        from limits.errors import StorageError

        from eventsite.extensions import limiter

        def unreachable(*args, **kwargs):
            raise StorageError(ConnectionError("redis down"))

        monkeypatch.setattr(limiter.limiter, "test", unreachable)
        response = client.post("/signup", data={"mobile": STRANGER})
        assert response.status_code == 503 and "Retry-After" in response.headers
        assert sms_rows() == [] and code_row(STRANGER, Purpose.SIGN_UP) is None


# --- signing in by code --------------------------------------------------------------------


def test_a_member_signs_in_by_code_on_a_new_device(app, client):
    member = make_user()
    db.session.commit()
    login = client.get("/login")
    assert 'href="/sms-login"' in login.text and 'href="/password/forgot"' in login.text
    asked = client.post("/sms-login?next=/inbox", data={"mobile": member.mobile})
    assert asked.headers["Location"] == "/sms-login/verify?next=/inbox"
    [text] = sms_rows(member.mobile)
    assert text.user_id == member.id

    done = client.post(
        "/sms-login/verify?next=/inbox", data={"code": text.params["code"], "remember": "y"}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/inbox"
    assert signed_in(client) and client.get_cookie("remember_token") is not None
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(SignedInDevice.id))) == 1
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("first", ["/sms-login", "/password/forgot"])
def test_a_deactivated_or_unclaimed_account_gets_no_sign_in_or_reset_code(client, first):
    inactive = make_user(active=False)
    db.session.commit()
    unclaimed, _claim = imported()
    for number in (inactive.mobile, unclaimed.mobile):
        assert client.post(first, data={"mobile": number}).status_code == 302
    assert sms_rows() == []  # the imported member claims the account by signing up


# --- a forgotten password ------------------------------------------------------------------


def test_a_forgotten_password_is_reset_by_code(app, client, auth):
    member = make_user()
    db.session.commit()
    other_device = app.test_client()
    AuthActions = type(auth)
    AuthActions(other_device).become(member)
    assert other_device.get("/account").status_code == 200

    client.post("/password/forgot", data={"mobile": member.mobile})
    code = texted_code(member.mobile)
    weak = client.post(
        "/password/reset", data={"code": code, "password": "short", "confirm": "short"}
    )
    assert weak.status_code == 400 and field_errors(weak.text, "password")
    done = client.post(
        "/password/reset",
        data={"code": code, "password": "new-pass-2026", "confirm": "new-pass-2026"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    db.session.rollback()
    assert member.check_password("new-pass-2026") and not member.check_password(PASSWORD)
    assert db.session.scalar(sa.select(sa.func.count(SignedInDevice.id))) == 0
    assert other_device.get("/account").status_code == 302  # signed out there
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == member.id))
    assert note.subject == tr(app, "Your password was reset")
    assert auth.login(member, password="new-pass-2026").status_code == 302


# --- a new mobile number -------------------------------------------------------------------


def test_a_member_moves_their_login_to_a_verified_new_number(app, client, auth, clock):
    member = make_user(mobile="13900001111")
    auth.become(member)
    assert "/account/mobile" in client.get("/account").text
    asked = client.post("/account/mobile", data={"mobile": "139 0000 2222"})
    assert asked.status_code == 302 and asked.headers["Location"] == "/account/mobile/verify"
    db.session.rollback()
    assert member.mobile == "13900001111"  # nothing changes before the code

    done = client.post("/account/mobile/verify", data={"code": texted_code("13900002222")})
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    db.session.rollback()
    assert member.mobile == "13900002222" and member.mobile_verified_at == clock.now
    [told] = [row for row in sms_rows("13900001111")]
    assert told.kind == "mobile_changed" and told.params == {"mobile": "139****2222"}
    client.post("/logout")
    assert auth.login(member).status_code == 302


def test_the_new_number_code_works_only_for_the_member_who_asked(app, client, auth):
    asker = make_user()
    auth.become(asker)
    client.post("/account/mobile", data={"mobile": STRANGER})
    code = texted_code(STRANGER)

    thief = app.test_client()
    type(auth)(thief).become(make_user())
    with thief.session_transaction() as session:
        session["code_numbers"] = {"change_mobile": STRANGER}
    refused = thief.post("/account/mobile/verify", data={"code": code})
    assert refused.status_code == 400
    db.session.rollback()
    assert asker.mobile != STRANGER


def test_a_number_of_another_account_is_refused_after_its_code(app, client, auth):
    other = make_user()
    member = make_user()
    auth.become(member)
    asked = client.post("/account/mobile", data={"mobile": other.mobile})
    assert asked.status_code == 302  # the code goes: only the number's holder learns more
    refused = client.post("/account/mobile/verify", data={"code": texted_code(other.mobile)})
    assert refused.status_code == 400
    assert form_errors(refused.text) == [
        tr(
            app,
            "Another account uses this number. If it is yours too, log in to it, or ask your "
            "union office to help.",
        )
    ]
    db.session.rollback()
    assert member.mobile != other.mobile


def test_the_current_number_is_not_a_new_one(app, client, auth):
    member = make_user()
    auth.become(member)
    response = client.post("/account/mobile", data={"mobile": member.mobile})
    assert response.status_code == 400
    assert field_errors(response.text, "mobile") == [tr(app, "This is already your mobile number.")]
    assert sms_rows() == []


# --- nobody learns who is a member ---------------------------------------------------------


def _scrub(html: str, mobile: str) -> str:
    html = html.replace(mobile, "NUMBER")
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "CSRF", html)


def _walk(client, first: str, second: str, mobile: str, clock) -> list[tuple[int, str, str]]:
    """Every answer a person gets asking `first` for a code to `mobile`, then trying codes at
    `second`: (status, Location, body with the number and CSRF token removed)."""
    answers = []

    def keep(response):
        answers.append(
            (
                response.status_code,
                response.headers.get("Location", ""),
                _scrub(response.text, mobile),
            )
        )

    keep(client.get(first))
    keep(client.post(first, data={"mobile": mobile}))
    keep(client.get(second))
    keep(client.post(first, data={"mobile": mobile}))  # too soon
    data = {"code": "000000", "password": "new-pass-2026", "confirm": "new-pass-2026", **DETAILS}
    for _ in range(MAX_ATTEMPTS + 1):
        keep(client.post(second, data=data))
    clock.advance(seconds=61)
    keep(client.post(first, data={"mobile": mobile}))
    clock.advance(minutes=6)
    keep(client.post(second, data=data))
    return answers


@pytest.mark.parametrize(
    "first, second",
    [
        ("/signup", "/signup/details"),
        ("/sms-login", "/sms-login/verify"),
        ("/password/forgot", "/password/reset"),
    ],
)
def test_the_code_pages_answer_a_members_number_as_a_strangers(app, client, clock, first, second):
    member = make_user(mobile="13905519999")
    db.session.commit()
    for_member = _walk(app.test_client(), first, second, member.mobile, clock)
    clock.advance(minutes=10)
    for_stranger = _walk(app.test_client(), first, second, STRANGER, clock)

    assert for_member == for_stranger
    assert {status for status, _, _ in for_member} >= {200, 302, 400, 429}
    member_texts, stranger_texts = sms_rows(member.mobile), sms_rows(STRANGER)
    if first == "/signup":
        # A sign-up code goes to whoever holds the number.
        assert len(member_texts) == len(stranger_texts) == 2
    else:
        # Signing in and resetting text only an account's number; the page cannot tell.
        assert len(member_texts) == 2 and stranger_texts == []
    for number in (member.mobile, STRANGER):
        assert (
            code_row(
                number,
                Purpose(
                    {
                        "/signup": "sign_up",
                        "/sms-login": "sign_in",
                        "/password/forgot": "reset_password",
                    }[first]
                ),
            )
            is not None
        )
