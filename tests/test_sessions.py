"""Signed-in devices: every login is a row the server can end, so logging out really ends it.

The browser's session cookie and its remember-me cookie carry only a random session id; the
server keeps a digest of it per signed-in device. Logging out, "sign out everywhere else" and a
new password delete rows, and a cookie saved before (a copied cookie, a stolen phone's) signs in
no more.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from markupsafe import escape

from eventsite.accounts.models import SignedInDevice, User
from eventsite.extensions import db
from tests.conftest import AuthActions
from tests.factories import PASSWORD, make_user, sign_up_by_code

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
LAPTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)


def tr(app, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(message, **variables)))


def signed_in(client) -> bool:
    """Whether the client's cookies open the member's own account page."""
    return client.get("/account").status_code == 200


def devices_of(user: User) -> list[SignedInDevice]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(SignedInDevice)
            .where(SignedInDevice.user_id == user.id)
            .order_by(SignedInDevice.id)
        )
    )


def browser(app, user_agent: str):
    """A test client that says it is the browser `user_agent`."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def login(client, user, *, remember: bool = False):
    response = AuthActions(client).login(user, remember=remember)
    assert response.status_code == 302, response.status_code
    return response


def saved_cookie(client, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, name
    return cookie.value


def only_cookie(client, name: str, value: str) -> None:
    """Leave the client with this one cookie, as an attacker replaying a copy of it would."""
    for other in ("session", "remember_token"):
        client.delete_cookie(other)
    client.set_cookie(name, value)


@pytest.fixture
def member(app):
    user = make_user(name="李娜")
    db.session.commit()
    return user


# --- logging out ends the session ---------------------------------------------------------


def test_a_session_cookie_saved_before_logout_no_longer_signs_in(app, client, member):
    login(client, member)
    copy = saved_cookie(client, "session")
    assert signed_in(client)

    client.post("/logout")
    only_cookie(client, "session", copy)

    assert not signed_in(client)
    assert devices_of(member) == []


def test_a_remember_cookie_saved_before_logout_no_longer_signs_in(app, client, member):
    login(client, member, remember=True)
    copy = saved_cookie(client, "remember_token")
    # Before logout the remember-me cookie alone signs a fresh browser in.
    fresh = app.test_client()
    only_cookie(fresh, "remember_token", copy)
    assert signed_in(fresh)

    client.post("/logout")
    replay = app.test_client()
    only_cookie(replay, "remember_token", copy)

    assert not signed_in(replay)


def test_logout_ends_only_this_device(app, member):
    phone, laptop = browser(app, PHONE_UA), browser(app, LAPTOP_UA)
    login(phone, member)
    login(laptop, member, remember=True)

    phone.post("/logout")

    assert not signed_in(phone)
    assert signed_in(laptop)
    assert [device.name for device in devices_of(member)] == ["Edge · Windows"]


def test_each_login_is_a_device_of_its_own_and_holds_no_readable_session_id(app, member):
    phone = browser(app, PHONE_UA)
    login(phone, member, remember=True)
    session_id = phone.get_cookie("remember_token").value.split("|")[0]

    [device] = devices_of(member)

    assert device.name == "Chrome · Android"
    assert session_id not in (device.token_hash, str(device.id))
    assert str(member.id) != session_id and len(session_id) >= 32
    # The row keeps a digest only; the id itself is nowhere in the database.
    assert session_id not in repr(db.session.execute(sa.select(SignedInDevice.__table__)).all())


def test_a_forged_or_unknown_session_id_is_nobody(app, client, member):
    login(client, member)
    with client.session_transaction() as session:
        session["_user_id"] = f"{member.id}"
    assert not signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = "0" * 43
    assert not signed_in(client)


# --- the account page: signed-in devices, sign out everywhere else ------------------------


def test_the_account_page_lists_the_members_signed_in_devices(app, clock, member):
    phone, laptop = browser(app, PHONE_UA), browser(app, LAPTOP_UA)
    login(laptop, member, remember=True)
    clock.advance(hours=2)
    login(phone, member)

    page = phone.get("/account").text

    listed = re.search(r'<ul class="devices"[^>]*>(.*?)</ul>', page, re.S)
    assert listed is not None
    rows = re.findall(r"<li[^>]*>(.*?)</li>", listed.group(1), re.S)
    assert len(rows) == 2
    # This device first and marked as such, then the others, most recently seen first.
    assert "Chrome · Android" in rows[0] and tr(app, "This device") in rows[0]
    assert "Edge · Windows" in rows[1] and tr(app, "This device") not in rows[1]
    # First signed in and last seen, in Beijing time (the clock stands at 10:00 there).
    assert "2026-11-01 12:00" in rows[0]
    assert "2026-11-01 10:00" in rows[1]
    # Nobody else's devices.
    other = make_user()
    db.session.commit()
    login(browser(app, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"), other)
    assert "iPhone" not in phone.get("/account").text


def test_sign_out_everywhere_else_ends_every_other_session_and_remember_cookie(app, member):
    here, phone, laptop = app.test_client(), browser(app, PHONE_UA), browser(app, LAPTOP_UA)
    login(here, member)
    login(phone, member)
    login(laptop, member, remember=True)
    phone_session = saved_cookie(phone, "session")
    laptop_remember = saved_cookie(laptop, "remember_token")
    other = make_user()
    db.session.commit()
    colleague = app.test_client()
    login(colleague, other)

    response = here.post("/account/devices/sign-out-others")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    page = here.get(response.headers["Location"])
    assert page.status_code == 200
    assert tr(app, "You are signed out on every other device.") in page.text
    assert not signed_in(phone)
    assert not signed_in(laptop)
    for name, copy in (("session", phone_session), ("remember_token", laptop_remember)):
        replay = app.test_client()
        only_cookie(replay, name, copy)
        assert not signed_in(replay), name
    assert len(devices_of(member)) == 1
    assert signed_in(colleague)  # another member's sessions are theirs


def test_sign_out_everywhere_else_needs_a_login_and_a_post(app, client, member):
    response = client.post("/account/devices/sign-out-others")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, member)
    assert client.get("/account/devices/sign-out-others").status_code == 405


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_sign_out_everywhere_else_without_csrf_token_changes_nothing(app, member):
    here, phone = app.test_client(), browser(app, PHONE_UA)
    for client in (here, phone):
        page = client.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        client.post(
            "/login", data={"mobile": member.mobile, "password": PASSWORD, "csrf_token": token}
        )

    assert here.post("/account/devices/sign-out-others").status_code == 400

    assert signed_in(phone)
    assert len(devices_of(member)) == 2


def test_a_new_password_ends_every_other_device_but_keeps_this_one(app, member):
    here, laptop = app.test_client(), browser(app, LAPTOP_UA)
    login(here, member, remember=True)
    login(laptop, member, remember=True)
    laptop_remember = saved_cookie(laptop, "remember_token")
    here_remember = saved_cookie(here, "remember_token")

    response = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a-new-secret-9",
            "confirm": "a-new-secret-9",
        },
    )

    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(laptop)
    replay = app.test_client()
    only_cookie(replay, "remember_token", laptop_remember)
    assert not signed_in(replay)
    # This device's own remember-me cookie still signs in after the browser is closed.
    reopened = app.test_client()
    only_cookie(reopened, "remember_token", here_remember)
    assert signed_in(reopened)


# --- last seen without a write per request; idle devices --------------------------------------


def test_last_seen_is_written_at_most_every_few_minutes(app, clock, member, count_queries):
    phone = browser(app, PHONE_UA)
    login(phone, member)
    [device] = devices_of(member)
    signed_in_at = device.last_seen_at

    clock.advance(minutes=4)
    with count_queries() as counter:
        for _ in range(5):
            assert signed_in(phone)
    assert not [s for s in counter.statements if "signed_in_device" in s and "UPDATE" in s]
    assert devices_of(member)[0].last_seen_at == signed_in_at

    clock.advance(minutes=2)
    with count_queries() as counter:
        assert signed_in(phone)
        assert signed_in(phone)
    updates = [s for s in counter.statements if "signed_in_device" in s and "UPDATE" in s]
    assert len(updates) == 1
    [device] = devices_of(member)
    assert device.last_seen_at == clock.now
    assert device.signed_in_at == signed_in_at


def test_a_device_unused_for_the_idle_limit_is_signed_out(app, clock, member):
    phone = browser(app, PHONE_UA)
    login(phone, member, remember=True)
    remember = saved_cookie(phone, "remember_token")
    days = app.config["SIGN_IN_IDLE_DAYS"]

    clock.advance(days=days - 1)
    assert signed_in(phone)  # in use: last seen moves on
    clock.advance(days=days - 1)
    assert signed_in(phone)

    clock.advance(days=days, minutes=1)
    assert not signed_in(phone)
    reopened = app.test_client()
    only_cookie(reopened, "remember_token", remember)
    assert not signed_in(reopened)
    # The next login of the member tidies the dead row away.
    login(app.test_client(), member)
    assert len(devices_of(member)) == 1


def test_a_deactivated_account_is_signed_out_on_every_device(app, member):
    phone = browser(app, PHONE_UA)
    login(phone, member, remember=True)
    member.active = False
    db.session.commit()
    assert not signed_in(phone)


# --- cookies and the CSRF token at login ------------------------------------------------------


def test_the_remember_cookie_is_same_site_lax_and_http_only(app, client, member):
    response = AuthActions(client).login(member, remember=True)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_")]
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_csrf_token_is_renewed_at_login(app, client, member):
    page = client.get("/login")
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    with client.session_transaction() as session:
        before = session["csrf_token"]

    response = client.post(
        "/login", data={"mobile": member.mobile, "password": PASSWORD, "csrf_token": form_token}
    )

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("csrf_token") != before
    # A form token from before the login is no longer accepted (it was planted, or it leaked).
    refused = client.post("/account/devices/sign-out-others", data={"csrf_token": form_token})
    assert refused.status_code == 400
    fresh = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/account").text
    ).group(1)
    assert (
        client.post("/account/devices/sign-out-others", data={"csrf_token": fresh}).status_code
        == 302
    )


def test_sign_up_signs_the_new_member_in_on_a_device(app, client):
    response = sign_up_by_code(
        client,
        {
            "name": "王晓明",
            "mobile": "13905512345",
            "password": "huangshan-2026",
            "confirm": "huangshan-2026",
            "privacy": "y",
            "work_unit": "芜湖职业技术学院",
            "gender": "male",
            "birth_year": "1996",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.mobile == "13905512345"))
    assert len(devices_of(user)) == 1
    client.post("/logout")
    assert devices_of(user) == []


def test_become_helper_signs_in_on_a_device_that_logout_ends(app, client, auth, member):
    """The tests' shortcut login is a real device too, so logout tests mean what they say."""
    auth.become(member)
    assert signed_in(client)
    client.post("/logout")
    assert not signed_in(client)
    assert devices_of(member) == []


# --- a browser signed out elsewhere is told why -----------------------------------------------

ENDED_ELSEWHERE = (
    "You were signed out on this device from another one: “Sign out everywhere else” was chosen "
    "there, or the password was changed. Please log in again."
)


def landing(client, path: str = "/my/events") -> str:
    """The page a member lands on opening `path` (the login page when it needs a login)."""
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    return response.text


def flashes(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)]


def test_a_device_signed_out_from_another_lands_on_the_login_page_told_why(app, member):
    phone, laptop = browser(app, PHONE_UA), browser(app, LAPTOP_UA)
    login(phone, member)
    login(laptop, member)
    laptop.post("/account/devices/sign-out-others")

    html = landing(phone)

    assert 'name="password"' in html and 'autocomplete="current-password"' in html  # login
    assert flashes(html) == [tr(app, ENDED_ELSEWHERE)]
    # Told once: the dead session id is gone, so the next page is simply signed out.
    assert flashes(landing(phone)) == []
    assert not signed_in(phone)


def test_a_remember_cookie_of_a_device_signed_out_elsewhere_is_told_why_and_dropped(app, member):
    phone, laptop = browser(app, PHONE_UA), browser(app, LAPTOP_UA)
    login(phone, member, remember=True)
    remember = saved_cookie(phone, "remember_token")
    login(laptop, member)
    laptop.post("/account/devices/sign-out-others")
    reopened = app.test_client()  # the phone's browser closed and opened again
    only_cookie(reopened, "remember_token", remember)

    response = reopened.get("/my/events")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert reopened.get_cookie("remember_token") is None  # deleted on the way out
    assert flashes(landing(reopened, response.headers["Location"])) == [tr(app, ENDED_ELSEWHERE)]


def test_a_device_signed_out_by_a_new_password_is_told_why(app, member):
    phone, laptop = browser(app, PHONE_UA), browser(app, LAPTOP_UA)
    login(phone, member)
    login(laptop, member)
    laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a-new-secret-9",
            "confirm": "a-new-secret-9",
        },
    )
    assert flashes(landing(phone, "/")) == [tr(app, ENDED_ELSEWHERE)]


def test_an_idle_device_is_told_it_was_signed_out_for_lack_of_use(app, clock, member):
    phone = browser(app, PHONE_UA)
    login(phone, member)
    days = app.config["SIGN_IN_IDLE_DAYS"]
    clock.advance(days=days, minutes=1)
    message = "You were signed out because this device was not used for %(days)s days. Please log in again."
    assert flashes(landing(phone)) == [tr(app, message, days=days)]


def test_a_deactivated_account_is_told_it_is_no_longer_active(app, member):
    phone = browser(app, PHONE_UA)
    login(phone, member)
    member.active = False
    db.session.commit()
    message = (
        "You were signed out: this account is no longer active. If you think this is a mistake, "
        "please ask your union office."
    )
    assert flashes(landing(phone)) == [tr(app, message)]


def test_logging_out_here_says_only_that(app, member):
    phone = browser(app, PHONE_UA)
    login(phone, member)
    phone.post("/logout")
    assert flashes(landing(phone, "/")) == [tr(app, "You have logged out.")]
    assert flashes(landing(phone)) == []
