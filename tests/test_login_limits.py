"""Failed logins are limited per address over all accounts, per account over all addresses, and
per both; a member who is paused is told so and for how long; an account being guessed is told
in its owner's inbox, once per burst. Through the real login form, with the default limits."""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from limits import parse_many
from markupsafe import escape

from eventsite.core.models import Notification, OutboundEmail
from eventsite.extensions import db
from tests.factories import PASSWORD, make_user

WRONG = "Spring2026!"  # the one password a sprayer tries on every account


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True}  # and the limits' defaults from config.py


def tr(app, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(message, **variables)))


def allowance(app, setting: str) -> int:
    """The smallest number of failures the setting allows before it pauses."""
    return min(item.amount for item in parse_many(app.config[setting]))


_addresses = (f"198.51.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def new_address() -> str:
    return next(_addresses)


def attempt(client, mobile: str, password: str, address: str):
    return client.post(
        "/login",
        data={"mobile": mobile, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def form_errors(html: str) -> list[str]:
    match = re.search(r'<ul class="errors form-errors"[^>]*>(.*?)</ul>', html, re.S)
    return [m.strip() for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)] if match else []


def assert_paused(app, response, message: str) -> None:
    """A 429 with the login form, one message saying why and for how long, and Retry-After."""
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert seconds > 0
    assert form_errors(response.text) == [tr(app, message, minutes=-(-seconds // 60))]
    assert 'name="password"' in response.text


def inbox(user) -> list[Notification]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


PAUSED_NETWORK = (
    "Too many failed logins from your network. To protect members' accounts, logging in from "
    "here is paused; please try again in about %(minutes)s minutes."
)
PAUSED_NUMBER = (
    "Too many wrong passwords for this mobile number. To protect the account, logging in to it "
    "is paused; please try again in about %(minutes)s minutes."
)


# --- password spraying: one address, many accounts ----------------------------------------


def test_one_password_sprayed_over_60_accounts_from_one_address_is_stopped(app, client):
    members = [make_user() for _ in range(61)]
    db.session.commit()
    sprayer = new_address()
    allowed = allowance(app, "LOGIN_ADDRESS_RATE_LIMIT")
    assert allowed < 60

    statuses = [attempt(client, m.mobile, WRONG, sprayer).status_code for m in members[:60]]

    assert statuses == [400] * allowed + [429] * (60 - allowed)
    # Even a right password waits at that address, and gets the network's message.
    last = members[60]
    paused = attempt(client, last.mobile, PASSWORD, sprayer)
    assert_paused(app, paused, PAUSED_NETWORK)
    assert not logged_in(client)
    # Another address is not held back, and nobody's inbox filled up with one guess each.
    assert attempt(app.test_client(), last.mobile, PASSWORD, new_address()).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_one_ipv6_subscriber_counts_as_one_address(app):
    allowed = allowance(app, "LOGIN_ADDRESS_RATE_LIMIT")
    members = [make_user() for _ in range(allowed + 1)]
    db.session.commit()
    client = app.test_client()

    for n, member in enumerate(members[:allowed]):  # each from another address of one /64
        address = f"2001:db8:5:7:{n:x}::1"
        assert attempt(client, member.mobile, WRONG, address).status_code == 400

    last = members[allowed].mobile
    assert attempt(client, last, PASSWORD, "2001:db8:5:7:ffff::9").status_code == 429
    assert attempt(client, last, PASSWORD, "2001:db8:5:8::1").status_code == 302


# --- guessing one account from many addresses ---------------------------------------------


def test_one_account_guessed_from_many_addresses_is_paused_and_its_owner_told_once(app, client):
    owner = make_user(name="张敏", email="zhangmin@example.cn")
    colleague = make_user()
    db.session.commit()
    allowed = allowance(app, "LOGIN_ACCOUNT_RATE_LIMIT")

    guesses = [attempt(client, owner.mobile, f"guess-{n}", new_address()) for n in range(allowed)]
    assert [r.status_code for r in guesses] == [400] * allowed

    paused = attempt(client, owner.mobile, PASSWORD, new_address())  # the owner, elsewhere
    assert_paused(app, paused, PAUSED_NUMBER)
    assert not logged_in(client)
    # The burst goes on: more guesses, all refused, and still one message for the owner.
    for n in range(10):
        assert attempt(client, owner.mobile, f"more-{n}", new_address()).status_code == 429
    [notice] = inbox(owner)
    assert str(allowed) in notice.body
    assert notice.link == "/account/password"
    mails = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == "zhangmin@example.cn")
    ).all()
    assert len(mails) == 1
    # Other members are not held back.
    assert attempt(app.test_client(), colleague.mobile, PASSWORD, new_address()).status_code == 302
    assert inbox(colleague) == []


def test_the_owners_message_is_in_their_own_language(app, client):
    owner = make_user(locale="en")
    db.session.commit()
    for n in range(allowance(app, "LOGIN_ACCOUNT_RATE_LIMIT")):
        attempt(client, owner.mobile, f"guess-{n}", new_address())
    [notice] = inbox(owner)
    assert notice.subject == "Someone is trying to log in to your account"


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_ACCOUNT_RATE_LIMIT": "3 per hour"}]
)
def test_a_pause_says_nothing_about_whether_the_account_exists(app):
    member = make_user(mobile="13700001111")
    db.session.commit()
    allowed = allowance(app, "LOGIN_ACCOUNT_RATE_LIMIT")
    pages = {}
    for mobile in (member.mobile, "13700002222"):
        client = app.test_client()
        for n in range(allowed):
            attempt(client, mobile, f"guess-{n}", new_address())
        response = attempt(client, mobile, "guess-last", new_address())
        assert response.status_code == 429
        pages[mobile] = response.get_data().replace(mobile.encode(), b"N")
    assert pages[member.mobile] == pages["13700002222"]


# --- what a paused member sees ------------------------------------------------------------


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per 10 minutes"}]
)
def test_a_paused_member_sees_the_form_with_a_clear_message_and_when_to_retry(app, client):
    member = make_user()
    db.session.commit()
    here = new_address()
    for _ in range(3):
        assert attempt(client, member.mobile, "typo-typo", here).status_code == 400

    paused = attempt(client, member.mobile, PASSWORD, here)

    assert_paused(app, paused, PAUSED_NUMBER)
    assert int(paused.headers["Retry-After"]) <= 600
    # The login form itself, with the number kept, not a bare error page.
    assert f'value="{member.mobile}"' in paused.text
    assert tr(app, "Too many attempts") not in paused.text


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_ADDRESS_RATE_LIMIT": "3 per 10 minutes"}]
)
def test_successful_logins_never_count(app):
    members = [make_user() for _ in range(3)]
    db.session.commit()
    here = new_address()
    for _ in range(allowance(app, "LOGIN_ADDRESS_RATE_LIMIT") + 5):
        client = app.test_client()
        assert attempt(client, members[0].mobile, PASSWORD, here).status_code == 302
    assert attempt(app.test_client(), members[1].mobile, "typo-typo", here).status_code == 400


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": False}])
def test_nothing_is_counted_when_rate_limiting_is_off(app, client):
    member = make_user()
    db.session.commit()
    here = new_address()
    for n in range(allowance(app, "LOGIN_ACCOUNT_RATE_LIMIT") + 1):
        assert attempt(client, member.mobile, f"guess-{n}", here).status_code == 400
    assert inbox(member) == []


# --- Redis, as in production --------------------------------------------------------------


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            # Each run its own keys: other runs may share this Redis.
            "RATELIMIT_KEY_PREFIX": f"eventsite-test-{uuid.uuid4().hex}",
            "LOGIN_ADDRESS_RATE_LIMIT": "3 per 10 minutes",
        }
    ],
)
def test_the_counts_live_in_redis_and_outlive_a_worker(app, app_config, database_uri):
    from eventsite import create_app
    from tests.conftest import base_config

    members = [make_user() for _ in range(5)]
    db.session.commit()
    sprayer = new_address()
    client = app.test_client()
    for member in members[:3]:
        assert attempt(client, member.mobile, WRONG, sprayer).status_code == 400

    # A new worker (a fresh connection to the storage) sees the same counts.
    other_worker = create_app({**base_config(database_uri), **app_config})
    response = attempt(other_worker.test_client(), members[3].mobile, WRONG, sprayer)
    assert_paused(app, response, PAUSED_NETWORK)
    with other_worker.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            # Nothing listens on port 1: the counters' store is down.
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "RATELIMIT_STORAGE_OPTIONS": {"wrap_exceptions": True, "socket_timeout": 1},
        }
    ],
)
def test_with_the_counters_store_down_a_login_is_busy_not_an_error(app, app_config, caplog):
    """A login is refused with the busy page (503, Retry-After), never counted as nothing and
    never a 500; the store's outage is logged for whoever watches."""
    member = make_user()
    db.session.commit()
    client = app.test_client()
    for password in (WRONG, PASSWORD):
        response = attempt(client, member.mobile, password, new_address())
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "请稍后" in response.get_data(as_text=True)
    assert "rate limit storage unreachable" in caplog.text
