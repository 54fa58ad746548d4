"""Sign-up, log-in, log-out, profile and password change, through the real app."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import g, url_for
from flask_babel import force_locale, gettext
from markupsafe import escape

from eventsite.accounts import models as account_models
from eventsite.accounts import service as account_service
from eventsite.accounts.models import User
from eventsite.core.time import to_local, utcnow
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.conftest import AuthActions
from tests.factories import PASSWORD, make_user, sign_up_by_code, texted_code

LOGIN_FAILED = "The mobile number or password is incorrect."


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """The `app` fixture keeps one app context open, so `g` would outlive each request.

    Flask-Login caches the user and Flask-Babel the locale in `g`; a real server starts every
    request with an empty `g`, so forget both before each request as it would.
    """

    @app.before_request
    def forget():
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)


def tr(app, message: str, **variables) -> str:
    """`message` as the page shows it: translated to the default locale and HTML-escaped."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(message, **variables)))


def url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def field_errors(html: str, field: str) -> list[str]:
    """The error messages rendered beside one field (the `_forms.html` macro's list)."""
    match = re.search(rf'<ul class="errors" id="{field}-errors"[^>]*>(.*?)</ul>', html, re.S)
    if not match:
        return []
    return [item.strip() for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def form_errors(html: str) -> list[str]:
    match = re.search(r'<ul class="errors form-errors"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.S) if match else []


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def logged_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


SIGNUP = {
    "name": "王晓明",
    "mobile": "+86 139-0551-2345",
    "email": "wxm@example.cn",
    "password": "huangshan-2026",
    "confirm": "huangshan-2026",
    "privacy": "y",
    "work_unit": "芜湖职业技术学院",
    "gender": "male",
    "birth_year": "1996",
}


# --- sign-up ------------------------------------------------------------------------------


def test_signup_page_ties_every_label_to_its_input(client):
    first = client.get("/signup")
    assert '<label for="mobile" id="mobile-label">' in first.text and 'id="mobile"' in first.text
    client.post("/signup", data={"mobile": SIGNUP["mobile"]})
    response = client.get("/signup/details")
    assert response.status_code == 200
    for name in ("code", "name", "email", "password", "confirm", "work_unit", "birth_year"):
        assert f'<label for="{name}" id="{name}-label">' in response.text
        assert f'id="{name}"' in response.text
    assert 'type="radio"' in response.text and 'value="female"' in response.text
    # The radio group is named by its label.
    assert 'aria-labelledby="gender-label"' in response.text
    assert 'id="gender-label"' in response.text


def test_signup_creates_the_member_and_logs_them_in(app, client):
    response = sign_up_by_code(client, SIGNUP, query_string={"next": "/account"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    user = db.session.scalar(sa.select(User))
    assert user.mobile == "13905512345"  # stored in its normal form
    assert user.name == "王晓明"
    assert user.email == "wxm@example.cn"
    assert user.work_unit == "芜湖职业技术学院"
    assert (user.gender, user.birth_year) == ("male", 1996)
    assert user.password_hash != SIGNUP["password"]
    assert user.check_password(SIGNUP["password"])
    assert user.roles == {account_models.Role.MEMBER}
    assert logged_in_user_id(client) == user.get_id()
    page = client.get("/account")
    assert page.status_code == 200 and "13905512345" in page.text


def test_signup_without_next_goes_to_the_event_list(app, client):
    response = sign_up_by_code(client, {**SIGNUP, "email": ""})
    assert response.headers["Location"] == url(app, "events.index")
    assert db.session.scalar(sa.select(User.email)) is None


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/account",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "account",
    ],
)
def test_signup_ignores_a_next_that_leaves_the_site(app, client, next_url):
    response = sign_up_by_code(client, SIGNUP, query_string={"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == url(app, "events.index")


BAD_SIGNUPS = [
    ("name", {"name": "   "}, "Please enter your name."),
    ("name", {"name": "名" * 51}, None),
    ("mobile", {"mobile": ""}, "Please enter your mobile number."),
    ("mobile", {"mobile": "1390551234"}, None),
    ("mobile", {"mobile": "12905512345"}, None),
    ("mobile", {"mobile": "+852 9123 4567"}, None),
    ("email", {"email": "not-an-address"}, None),
    ("password", {"password": "short1", "confirm": "short1"}, None),
    ("password", {"password": "xxxxxxxxxx", "confirm": "xxxxxxxxxx"}, None),
    ("password", {"password": "13905512345", "confirm": "13905512345"}, None),
    ("confirm", {"confirm": "huangshan-2027"}, "The two passwords are not the same."),
    ("work_unit", {"work_unit": ""}, "Please enter your work unit."),
    ("gender", {"gender": ""}, "Please choose your gender."),
    ("gender", {"gender": "other"}, "Please choose your gender."),
    ("birth_year", {"birth_year": ""}, "Please enter your birth year."),
    ("birth_year", {"birth_year": "nineteen"}, None),
    ("birth_year", {"birth_year": "1939"}, None),
    ("birth_year", {"birth_year": str(to_local(utcnow()).year - 15)}, None),
    ("birth_year", {"birth_year": "9" * 5000}, None),
]


@pytest.mark.parametrize("field, change, message", BAD_SIGNUPS)
def test_bad_signup_input_is_refused_beside_its_field(app, client, field, change, message):
    response = sign_up_by_code(client, {**SIGNUP, **change})

    assert response.status_code == 400
    errors = field_errors(response.text, field)
    assert errors, f"no error beside {field}"
    if message:
        assert errors == [tr(app, message)]
    # Only the bad field complains.
    for other in SIGNUP:
        if other != field and other not in change:
            assert field_errors(response.text, other) == [], other
    assert user_count() == 0
    assert logged_in_user_id(client) is None


def test_signup_keeps_what_was_typed_when_refused(client):
    response = sign_up_by_code(client, {**SIGNUP, "birth_year": "1800"})
    assert 'value="王晓明"' in response.text
    assert 'value="芜湖职业技术学院"' in response.text
    assert SIGNUP["password"] not in response.text  # passwords are never echoed


def test_a_registered_number_is_told_so_only_after_its_code(app, client):
    existing = make_user(mobile="13905512345")
    db.session.commit()

    response = sign_up_by_code(client, {**SIGNUP, "mobile": "139 0551 2345"})

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert user_count() == 1
    assert db.session.scalar(sa.select(User.name)) == existing.name
    assert logged_in_user_id(client) is None


def test_the_password_may_not_be_the_mobile_in_another_spelling(app, client):
    response = sign_up_by_code(
        client, {**SIGNUP, "password": "139-0551-2345", "confirm": "139-0551-2345"}
    )
    assert response.status_code == 400
    assert field_errors(response.text, "password") == [
        tr(app, "The password cannot be your mobile number.")
    ]


def test_logged_in_members_are_sent_on_from_signup(app, client, auth):
    auth.become(make_user())
    db.session.commit()
    response = client.get("/signup")
    assert response.status_code == 302
    assert response.headers["Location"] == url(app, "events.index")


# --- log in / log out ---------------------------------------------------------------------


def test_login_with_mobile_and_password(app, client):
    user = make_user(mobile="13700001111")
    db.session.commit()

    response = client.post(
        "/login?next=/inbox", data={"mobile": "137-0000-1111", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    assert logged_in_user_id(client) == user.get_id()
    assert client.get_cookie("remember_token") is None


def test_login_ignores_an_offsite_next(app, client):
    user = make_user()
    db.session.commit()
    response = client.post(
        "/login?next=https://evil.example/", data={"mobile": user.mobile, "password": PASSWORD}
    )
    assert response.headers["Location"] == url(app, "events.index")


def test_remember_me_sets_the_remember_cookie(client, auth):
    user = make_user()
    db.session.commit()
    response = auth.login(user, remember=True)
    assert response.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.value.startswith(f"{user.get_id()}|")


def test_wrong_password_and_unknown_account_look_exactly_alike(app, client):
    user = make_user(mobile="13700001111")
    db.session.commit()

    wrong = client.post("/login", data={"mobile": user.mobile, "password": "not-the-password"})
    unknown = client.post("/login", data={"mobile": "13700002222", "password": "not-the-password"})

    assert wrong.status_code == unknown.status_code == 400
    assert form_errors(wrong.text) == form_errors(unknown.text) == [tr(app, LOGIN_FAILED)]
    # Apart from the number typed in, the two pages are byte for byte the same.
    assert wrong.get_data().replace(b"13700001111", b"N") == unknown.get_data().replace(
        b"13700002222", b"N"
    )
    assert logged_in_user_id(client) is None


def test_a_failed_login_does_the_same_hashing_either_way(app, client, monkeypatch):
    user = make_user(mobile="13700001111")
    db.session.commit()
    calls = []

    def counting(real):
        def check(pwhash, password):
            calls.append(pwhash)
            return real(pwhash, password)

        return check

    monkeypatch.setattr(
        account_models, "check_password_hash", counting(account_models.check_password_hash)
    )
    monkeypatch.setattr(
        account_service, "check_password_hash", counting(account_service.check_password_hash)
    )

    client.post("/login", data={"mobile": user.mobile, "password": "not-the-password"})
    known = list(calls)
    calls.clear()
    client.post("/login", data={"mobile": "13700002222", "password": "not-the-password"})
    unknown = list(calls)

    assert len(known) == len(unknown) == 1
    assert known[0] == user.password_hash
    # The dummy hash uses the same method and cost as a real one.
    assert unknown[0] != user.password_hash
    assert unknown[0].split("$")[0] == user.password_hash.split("$")[0]


def test_a_deactivated_account_cannot_log_in(app, client):
    user = make_user(active=False)
    db.session.commit()

    response = client.post("/login", data={"mobile": user.mobile, "password": PASSWORD})

    assert response.status_code == 400
    assert form_errors(response.text) == [tr(app, LOGIN_FAILED)]
    assert logged_in_user_id(client) is None


def test_deactivating_an_account_ends_its_open_session(app, client, auth):
    user = make_user()
    db.session.commit()
    auth.become(user)
    assert client.get("/account").status_code == 200

    user.active = False
    db.session.commit()

    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(url(app, "accounts.login"))


def test_empty_login_fields_are_flagged_beside_them(app, client):
    response = client.post("/login", data={"mobile": "", "password": ""})
    assert response.status_code == 400
    assert field_errors(response.text, "mobile") == [tr(app, "Please enter your mobile number.")]
    assert field_errors(response.text, "password") == [tr(app, "Please enter your password.")]


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}]
)
def test_login_attempts_are_rate_limited(app, client):
    user = make_user()
    db.session.commit()
    for _ in range(3):
        response = client.post("/login", data={"mobile": user.mobile, "password": "guess-again"})
        assert response.status_code == 400

    blocked = client.post("/login", data={"mobile": user.mobile, "password": PASSWORD})

    assert blocked.status_code == 429
    assert form_errors(blocked.text) == [
        tr(
            app,
            "Too many wrong passwords for this mobile number. To protect the account, logging "
            "in to it is paused; please try again in about %(minutes)s minutes.",
            minutes=1,
        )
    ]
    assert logged_in_user_id(client) is None  # even the right password waits
    assert client.get("/login").status_code == 200  # the form itself still opens


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}]
)
def test_successful_logins_and_other_members_are_not_held_back(app, client):
    colleague, member = make_user(), make_user()
    db.session.commit()
    for _ in range(3):
        assert (
            client.post("/login", data={"mobile": colleague.mobile, "password": "x"}).status_code
            == 400
        )
    # Same office address, another member: their own count.
    for _ in range(4):
        response = client.post("/login", data={"mobile": member.mobile, "password": PASSWORD})
        assert response.status_code == 302  # successes are not counted
        client.post("/logout")
    assert (
        client.post("/login", data={"mobile": colleague.mobile, "password": PASSWORD}).status_code
        == 429
    )


def test_logout_is_post_only(app, client, auth):
    user = make_user()
    db.session.commit()
    auth.login(user)

    assert client.get("/logout").status_code == 405
    assert logged_in_user_id(client) == user.get_id()

    response = client.post("/logout")
    assert response.status_code == 302
    assert logged_in_user_id(client) is None
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, client):
    refused = client.post("/signup", data={"mobile": SIGNUP["mobile"]})
    assert refused.status_code == 400
    assert tr(app, "Form expired") in refused.text
    assert user_count() == 0
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0

    page = client.get("/signup")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    asked = client.post("/signup", data={"mobile": SIGNUP["mobile"], "csrf_token": token})
    assert asked.status_code == 302
    details = {k: v for k, v in SIGNUP.items() if k != "mobile"}
    code = texted_code("13905512345")
    assert client.post("/signup/details", data={**details, "code": code}).status_code == 400
    accepted = client.post("/signup/details", data={**details, "code": code, "csrf_token": token})
    assert accepted.status_code == 302
    assert user_count() == 1


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_logout_without_csrf_token_does_not_log_out(client, auth):
    user = make_user()
    db.session.commit()
    auth.become(user)
    assert client.post("/logout").status_code == 400
    assert logged_in_user_id(client) == user.get_id()


# --- profile and password -----------------------------------------------------------------


def test_profile_needs_a_login(app, client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(url(app, "accounts.login"))
    assert "next=" in response.headers["Location"]


def test_profile_edit_saves_the_details_but_never_the_mobile(app, client, auth):
    user = make_user(mobile="13700001111", name="李娜", gender="female", birth_year=1992)
    db.session.commit()
    auth.become(user)

    page = client.get("/account")
    assert page.status_code == 200
    assert "13700001111" in page.text and 'value="李娜"' in page.text
    assert 'name="mobile"' not in page.text  # shown, not editable

    response = client.post(
        "/account",
        data={
            "name": "李娜娜",
            "email": "lnn@example.cn",
            "work_unit": "烟台外贸公司",
            "gender": "female",
            "birth_year": "1993",
            "mobile": "13999999999",
        },
    )

    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.email, user.work_unit, user.birth_year) == (
        "李娜娜",
        "lnn@example.cn",
        "烟台外贸公司",
        1993,
    )
    assert user.mobile == "13700001111"


@pytest.mark.parametrize(
    "field, change",
    [
        ("email", {"email": "lnn@"}),
        ("name", {"name": ""}),
        ("birth_year", {"birth_year": "1900"}),
        ("gender", {"gender": "x"}),
        ("work_unit", {"work_unit": "单" * 101}),
    ],
)
def test_bad_profile_input_changes_nothing(app, client, auth, field, change):
    user = make_user(name="李娜", gender="female", birth_year=1992, email="old@example.cn")
    db.session.commit()
    auth.become(user)
    good = {
        "name": "李娜娜",
        "email": "new@example.cn",
        "work_unit": "烟台外贸公司",
        "gender": "female",
        "birth_year": "1993",
    }

    response = client.post("/account", data={**good, **change})

    assert response.status_code == 400
    assert field_errors(response.text, field)
    db.session.refresh(user)
    assert (user.name, user.email, user.birth_year) == ("李娜", "old@example.cn", 1992)


def test_profile_email_can_be_removed(client, auth):
    user = make_user(email="old@example.cn")
    db.session.commit()
    auth.become(user)
    data = {
        "name": user.name,
        "email": "",
        "work_unit": "x",
        "gender": "male",
        "birth_year": "1990",
    }
    assert client.post("/account", data=data).status_code == 302
    db.session.refresh(user)
    assert user.email is None


def test_password_change_needs_the_current_password(app, client, auth):
    user = make_user()
    db.session.commit()
    auth.become(user)
    old_hash = user.password_hash

    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong-one-1",
            "password": "new-pass-2026",
            "confirm": "new-pass-2026",
        },
    )

    assert response.status_code == 400
    assert field_errors(response.text, "current_password") == [
        tr(app, "The current password is not correct.")
    ]
    db.session.refresh(user)
    assert user.password_hash == old_hash


@pytest.mark.parametrize(
    "field, data",
    [
        ("password", {"password": "short", "confirm": "short"}),
        ("password", {"password": "zzzzzzzzzz", "confirm": "zzzzzzzzzz"}),
        ("password", {"password": "MOBILE", "confirm": "MOBILE"}),
        ("confirm", {"password": "new-pass-2026", "confirm": "new-pass-2027"}),
        ("current_password", {"current_password": ""}),
    ],
)
def test_bad_new_password_is_refused(app, client, auth, field, data):
    user = make_user()
    db.session.commit()
    auth.become(user)
    old_hash = user.password_hash
    data = {k: (user.mobile if v == "MOBILE" else v) for k, v in data.items()}

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "x", "confirm": "x", **data},
    )

    assert response.status_code == 400
    assert field_errors(response.text, field)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_password_change_then_log_in_with_the_new_one(app, client, auth):
    user = make_user()
    db.session.commit()
    auth.become(user)

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "new-pass-2026",
            "confirm": "new-pass-2026",
        },
    )
    assert response.status_code == 302
    client.post("/logout")

    assert auth.login(user).status_code == 400
    assert auth.login(user, password="new-pass-2026").status_code == 302
    assert logged_in_user_id(client) == user.get_id()


def imported_account(name: str = "王小明", mobile: str = "13905512345") -> tuple[User, str]:
    """An account as a roster import leaves it (no password), and the claim code it issued."""
    from eventsite.accounts.models import UNCLAIMED_PASSWORD_HASH

    user = User(
        name=name,
        mobile=mobile,
        work_unit="烟台市总工会",
        gender="female",
        birth_year=1990,
        password_hash=UNCLAIMED_PASSWORD_HASH,
    )
    code = account_service.issue_claim_code(user)
    db.session.add(user)
    db.session.commit()
    return user, code


CLAIM_CODE_NEEDED = (
    "This mobile number and claim code do not match an imported account waiting to be "
    "claimed. Check both, or sign up with a code sent to your mobile."
)


def test_a_member_takes_over_the_account_a_roster_import_made_with_the_claim_code(app, client):
    imported, code = imported_account(name="王小明")  # the team leader's list misspelt the name
    assert not imported.check_password("")

    response = client.post("/signup/claim", data={**SIGNUP, "claim_code": code.lower()})

    assert response.status_code == 302
    db.session.expire_all()
    users = db.session.scalars(sa.select(User)).all()
    assert [u.id for u in users] == [imported.id]
    user = users[0]
    assert user.check_password(SIGNUP["password"]) and not user.is_unclaimed
    assert user.claim_code_hash is None  # the code worked once and is gone
    # The member's own details are saved; the name stays as imported, and they are told so.
    assert (user.work_unit, user.gender, user.birth_year) == ("芜湖职业技术学院", "male", 1996)
    assert user.email == "wxm@example.cn"
    assert user.name == "王小明"
    assert logged_in_user_id(client) == user.get_id()
    page = client.get("/events").text
    assert 'class="flash flash-info"' in page and "王小明" in page.split("flash-info")[1]


@pytest.mark.parametrize(
    "typed",
    ["", "WRONG234", "same name, no code", "another account's code"],
)
def test_an_imported_account_is_not_taken_over_without_its_code(app, client, typed):
    from eventsite.accounts.models import UNCLAIMED_PASSWORD_HASH

    # Same mobile and the same name as the form: what a team leader's list gives away.
    imported, _code = imported_account(name=SIGNUP["name"])
    _other, other_code = imported_account(name="李娜", mobile="13905519999")
    stored = imported.claim_code_hash
    claim = {"same name, no code": "", "another account's code": other_code}.get(typed, typed)

    response = client.post("/signup/claim", data={**SIGNUP, "claim_code": claim})

    assert response.status_code == 400
    expected = "Please enter the claim code." if not claim else CLAIM_CODE_NEEDED
    assert field_errors(response.text, "claim_code") == [tr(app, expected)]
    assert field_errors(response.text, "mobile") == []
    db.session.expire_all()
    user = db.session.get(User, imported.id)
    assert user.password_hash == UNCLAIMED_PASSWORD_HASH and user.claim_code_hash == stored
    assert user.work_unit == "烟台市总工会" and user.gender == "female"
    assert user_count() == 2
    assert logged_in_user_id(client) is None


def test_a_claim_code_without_an_imported_account_creates_nothing(app, client):
    response = client.post("/signup/claim", data={**SIGNUP, "claim_code": "ABCD2345"})

    assert response.status_code == 400
    assert field_errors(response.text, "claim_code") == [tr(app, CLAIM_CODE_NEEDED)]
    assert user_count() == 0


def test_a_claim_code_does_not_open_a_members_own_account(app, client):
    member = make_user(mobile="13905512345")
    db.session.commit()
    old_hash = member.password_hash

    response = client.post("/signup/claim", data={**SIGNUP, "claim_code": "ABCD2345"})

    assert response.status_code == 400
    assert field_errors(response.text, "claim_code") == [tr(app, CLAIM_CODE_NEEDED)]
    assert field_errors(response.text, "mobile") == []
    db.session.expire_all()
    assert db.session.get(User, member.id).password_hash == old_hash


def test_roles_are_not_granted_to_an_unclaimed_account(app, client, auth):
    from eventsite.accounts.models import UserRole
    from eventsite.core.models import AuditEntry

    admin = make_user(roles=["admin"])
    imported, _code = imported_account()
    auth.become(admin)

    response = client.post(f"/admin/users/{imported.id}/grant", data={"role": "organizer"})

    assert response.status_code == 400
    message = tr(
        app,
        "%(name)s has not yet taken over the account their organizer imported, so it cannot "
        "hold a role. Once they have signed up with their claim code, try again.",
        name="王小明",
    )
    assert message in response.text
    db.session.expire_all()
    assert not db.session.scalars(sa.select(UserRole).where(UserRole.user_id == imported.id)).all()
    assert not db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "role.grant")
    ).all()
    with pytest.raises(account_service.AccountError):
        account_service.grant_role(db.session.get(User, imported.id), "judge")


def test_a_birth_year_that_is_not_a_number_gets_one_message(app, client):
    response = sign_up_by_code(client, {**SIGNUP, "birth_year": "19x5"})

    assert response.status_code == 400
    errors = response.text.split('id="birth_year-errors"')[1].split("</ul>")[0]
    assert errors.count("<li>") == 1
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_new_password_signs_out_every_other_session(app, client, auth):
    user = make_user()
    db.session.commit()
    auth.login(user, remember=True)
    other_phone = app.test_client()
    AuthActions(other_phone).login(user, remember=True)
    assert other_phone.get("/account").status_code == 200

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a-new-secret-9",
            "confirm": "a-new-secret-9",
        },
    )

    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # the phone that changed it stays in
    other = other_phone.get("/account")
    assert other.status_code == 302 and "/login" in other.headers["Location"]
    with other_phone.session_transaction() as session:
        session.pop("_user_id", None)
    other_phone.delete_cookie("session")
    # The other phone's remember-me cookie no longer signs it back in either.
    assert other_phone.get("/account").status_code == 302


def test_login_after_an_expired_session_lands_on_a_page_not_a_post_only_address(app, client):
    user = make_user()
    db.session.commit()

    response = client.post(
        "/login?next=/events/7/register", data={"mobile": user.mobile, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/events/7"
