"""The privacy notice: accepted at sign-up, shown again after a change, and the gate in front of
everything else until the member answers it, through the real app."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g

from eventsite.accounts import notice, rules
from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry
from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user, sign_up_by_code

SIGNUP = {
    "name": "王晓明",
    "mobile": "139 0551 2345",
    "password": "huangshan-2026",
    "confirm": "huangshan-2026",
    "work_unit": "芜湖职业技术学院",
    "gender": "male",
    "birth_year": "1996",
}


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    @app.before_request
    def forget():
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)


def audit_actions(user: User) -> list[str]:
    return db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id)
    ).all()


# --- the rules -----------------------------------------------------------------------------------


def test_only_the_version_in_force_counts_as_accepted():
    assert rules.notice_accepted("2026-12-06", "2026-12-06")
    assert not rules.notice_accepted("2026-01-01", "2026-12-06")
    assert not rules.notice_accepted(None, "2026-12-06")


@pytest.mark.parametrize(
    ("accepted", "endpoint", "wants_json", "answer"),
    [
        (True, "events.index", False, rules.NoticeGate.PASS),
        (True, "roster.checkin_counts", True, rules.NoticeGate.PASS),
        (False, "accounts.logout", False, rules.NoticeGate.PASS),
        (False, "static", False, rules.NoticeGate.PASS),
        (False, None, False, rules.NoticeGate.PASS),  # a 404 stays a 404
        (False, "events.index", False, rules.NoticeGate.NOTICE),
        (False, "roster.checkin_counts", True, rules.NoticeGate.JSON),
    ],
)
def test_the_gate_lets_through_only_the_exempt_until_the_notice_is_accepted(
    accepted, endpoint, wants_json, answer
):
    exempt = frozenset({"accounts.logout", "static"})
    gate = rules.notice_gate(
        accepted=accepted, endpoint=endpoint, exempt=exempt, wants_json=wants_json
    )
    assert gate is answer


def test_every_exempt_endpoint_exists(app):
    assert set(app.view_functions) >= notice.EXEMPT_ENDPOINTS


# --- sign-up -------------------------------------------------------------------------------------


def test_the_notice_is_public_and_names_the_union_and_the_retention(app, client):
    app.config["PRIVACY_CONTROLLER"] = "芜湖市总工会"
    app.config["PRIVACY_CONTACT"] = "0553-1234567"
    page = client.get("/privacy", headers={"Accept-Language": "zh"}).text
    assert "芜湖市总工会" in page and "0553-1234567" in page
    assert notice.PRIVACY_NOTICE_VERSION in page
    assert f"{app.config['MIXER_RETENTION_DAYS']}" in page
    assert "accept_privacy_notice" not in page and "/privacy/accept" not in page


def test_signup_without_the_box_is_refused_and_creates_nothing(client):
    response = sign_up_by_code(client, SIGNUP)
    assert response.status_code == 400
    assert 'id="privacy-errors"' in response.text
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


@pytest.mark.parametrize("path", ["/signup/details", "/signup/claim"])
def test_the_signup_pages_link_the_notice(client, path):
    if path == "/signup/details":
        client.post("/signup", data={"mobile": SIGNUP["mobile"]})
    page = client.get(path).text
    assert 'href="/privacy"' in page
    assert 'id="privacy"' in page and 'type="checkbox"' in page


def test_signup_with_the_box_records_the_version_and_the_time(client, clock):
    response = sign_up_by_code(client, {**SIGNUP, "privacy": "y"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert user.privacy_version == notice.PRIVACY_NOTICE_VERSION
    assert user.privacy_accepted_at == clock.now
    assert audit_actions(user) == ["privacy.accept"]
    # Accepted: the next page is served, not the notice, and says what was accepted.
    profile = client.get("/account")
    assert profile.status_code == 200
    assert notice.PRIVACY_NOTICE_VERSION in profile.text


# --- a changed notice, and accounts from before it -------------------------------------------------


def test_an_account_from_before_the_notice_meets_it_after_logging_in(client, auth):
    member = make_user(privacy_version=None)
    db.session.commit()
    response = auth.login(member)
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/privacy?next=/")
    page = client.get(response.headers["Location"]).text
    assert "/privacy/accept" in page and "/privacy/decline" in page
    assert "/account/delete" in page


def test_a_changed_notice_is_shown_again_and_accepting_returns_to_the_page(
    client, auth, monkeypatch, clock
):
    member = make_user()
    db.session.commit()
    auth.become(member)
    assert client.get("/account").status_code == 200

    monkeypatch.setattr(notice, "PRIVACY_NOTICE_VERSION", "2027-03-01")
    response = client.get("/account")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "/privacy/accept?next=/account" in page
    accepted = client.post("/privacy/accept?next=/account")
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/account"
    db.session.refresh(member)
    assert member.privacy_version == "2027-03-01"
    assert member.privacy_accepted_at == clock.now
    assert client.get("/account").status_code == 200


def test_declining_signs_out_and_says_so(client, auth):
    member = make_user(privacy_version=None)
    db.session.commit()
    auth.become(member)
    response = client.post("/privacy/decline", follow_redirects=True)
    assert "Delete my account" in response.text or "注销" in response.text
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/account").status_code == 302  # to the login page: signed out
    db.session.refresh(member)
    assert member.privacy_version is None
    assert audit_actions(member) == ["privacy.decline"]


def test_the_gate_exempts_signing_out_the_notice_static_files_and_the_language(client, auth):
    member = make_user(privacy_version=None)
    db.session.commit()
    auth.become(member)
    assert client.get("/privacy").status_code == 200
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/lang/en?next=/privacy").status_code == 302
    assert client.get("/account/delete").status_code == 200
    assert client.post("/logout").status_code == 302


def test_scripts_get_json_not_a_redirect(client, auth):
    organizer = make_user(roles=["organizer"], privacy_version=None)
    event = make_event(organizer=organizer, kind=EventKind.SPORTSMEET)
    make_registration(event, make_user())
    db.session.commit()
    auth.become(organizer)

    counts = client.get(f"/events/{event.id}/checkin/counts.json")
    assert counts.status_code == 403
    assert counts.is_json and counts.json["notice"] == "/privacy"
    # The mixer's marking taps and the judges' autosave send their own JSON headers.
    tap = client.post(
        f"/events/{event.id}/mixer/mark",
        data={"number": "1", "marked": "y"},
        headers={"Accept": "application/json"},
    )
    assert tap.status_code == 403 and tap.json["error"]


def test_a_scanned_check_in_link_comes_back_after_accepting(client, auth):
    from eventsite.events.checkin import token_for

    organizer = make_user(roles=["organizer"], privacy_version=None)
    event = make_event(organizer=organizer)
    registration = make_registration(event, make_user())
    db.session.commit()
    auth.become(organizer)
    link = f"/checkin/{token_for(registration)}"

    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/privacy?next={link}"
    accepted = client.post(f"/privacy/accept?next={link}")
    assert accepted.headers["Location"] == link
    assert client.get(link).status_code == 200


def test_every_route_is_behind_the_gate(app):
    """Every route belongs to a blueprint, whose hooks hold the gate (static files excepted)."""
    gated = {name for name, hooks in app.before_request_funcs.items() if notice.gate in hooks}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            assert rule.endpoint.split(".")[0] in gated, rule.endpoint
