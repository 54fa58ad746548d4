"""The app shell: the 我的 hub each role sees, the large-text switch, the tab bar and the icon
sprite."""

from __future__ import annotations

import re

import pytest

from eventsite.accounts.models import Role
from eventsite.core.icon_sprite import icons_in_sprite, icons_in_templates
from eventsite.extensions import db
from tests.factories import make_organization, make_user

#: The hub's rows, by the page each opens.
PROFILE, MIXERS, DUTIES, SHEETS = (
    "/account",
    "/my/mixers",
    "/my/meet-duties",
    "/competitions/my-sheets",
)
ORGANIZE, PLATFORM_ADMIN, UNION_ADMIN = "/manage", "/admin/users", "/admin/organizations"


def hub_links(html: str) -> set[str]:
    """The pages the hub's rows open (its lists only, not the header or the tab bar)."""
    lists = re.findall(r'<ul class="hub-list".*?</ul>', html, re.S)
    return set(re.findall(r'<a href="([^"?]+)"', "".join(lists)))


def test_the_hub_routes_are_what_the_rows_name(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("accounts.profile") == PROFILE
        assert url_for("mixers.my_mixers") == MIXERS
        assert url_for("sportsmeet.duties") == DUTIES
        assert url_for("competitions.my_sheets") == SHEETS
        assert url_for("events.manage") == ORGANIZE
        assert url_for("accounts.admin_users") == PLATFORM_ADMIN
        assert url_for("organizations.tree") == UNION_ADMIN


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((), {PROFILE, MIXERS}),
        ((Role.JUDGE,), {PROFILE, MIXERS, DUTIES, SHEETS}),
        ((Role.ORGANIZER,), {PROFILE, MIXERS, ORGANIZE}),
        ((Role.ADMIN,), {PROFILE, MIXERS, ORGANIZE, PLATFORM_ADMIN}),
    ],
    ids=["member", "judge", "organizer", "admin"],
)
def test_the_hub_lists_what_the_menu_lists_for_each_role(client, auth, roles, expected):
    user = make_user(roles=roles)
    db.session.commit()
    auth.become(user)
    page = client.get("/me")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert hub_links(html) - {"/lang/en", "/lang/zh_Hans_CN"} == expected
    # Language, large text and logging out are on every member's hub; logging out is a POST.
    assert 'action="/me/large-text"' in html
    assert re.search(r'<form method="post" action="/logout">', html)


def test_a_union_admin_reaches_the_organizations_as_admin(client, auth):
    union = make_organization("芜湖市总工会")
    user = make_user(roles=[Role.ADMIN], roles_on=union.id)
    db.session.commit()
    auth.become(user)
    html = client.get("/me").get_data(as_text=True)
    assert hub_links(html) - {"/lang/en", "/lang/zh_Hans_CN"} == {
        PROFILE,
        MIXERS,
        ORGANIZE,
        UNION_ADMIN,
    }


def test_a_visitor_is_sent_to_log_in_from_the_hub_and_its_tab(client):
    page = client.get("/me")
    assert page.status_code == 302 and "/login" in page.location
    html = client.get("/").get_data(as_text=True)
    tabs = re.search(r'<nav class="tab-bar".*?</nav>', html, re.S).group(0)
    assert re.findall(r'<a href="([^"?]+)', tabs) == ["/events", "/my/events", "/inbox", "/login"]


def test_the_tab_bar_marks_the_page_it_shows(client, auth):
    auth.become(make_user())
    for path, current in (("/", "/events"), ("/my/events", "/my/events"), ("/inbox", "/inbox")):
        html = client.get(path).get_data(as_text=True)
        tabs = re.search(r'<nav class="tab-bar".*?</nav>', html, re.S).group(0)
        assert re.findall(r'<a href="([^"?]+)" aria-current="page"', tabs) == [current]
    tabs = re.search(
        r'<nav class="tab-bar".*?</nav>', client.get("/me").get_data(as_text=True), re.S
    )
    assert re.findall(r'<a href="([^"?]+)" aria-current="page"', tabs.group(0)) == ["/me"]


def test_large_text_is_kept_on_the_account_and_marks_every_page(client, auth):
    user = make_user()
    db.session.commit()
    auth.become(user)
    assert 'class="large-text"' not in client.get("/").get_data(as_text=True)

    answer = client.post("/me/large-text?next=/my/events", data={"large_text": "on"})
    assert answer.status_code == 302 and answer.location == "/my/events"
    db.session.refresh(user)
    assert user.large_text is True
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<html lang="[^"]+" class="large-text">', html)
    assert 'aria-pressed="true"' in client.get("/me").get_data(as_text=True)

    answer = client.post("/me/large-text", data={"large_text": "off"})
    assert answer.location == "/me"
    db.session.refresh(user)
    assert user.large_text is False
    assert 'class="large-text"' not in client.get("/").get_data(as_text=True)


def test_large_text_refuses_a_bad_value_and_changes_nothing(client, auth):
    user = make_user(large_text=True)
    db.session.commit()
    auth.become(user)
    for data in ({"large_text": "bigger"}, {}):
        answer = client.post("/me/large-text", data=data)
        assert answer.status_code == 400
        assert 'class="errors"' in answer.get_data(as_text=True)
        db.session.refresh(user)
        assert user.large_text is True


def test_large_text_is_refused_to_a_visitor(client):
    answer = client.post("/me/large-text", data={"large_text": "on"})
    assert answer.status_code == 302 and "/login" in answer.location


def test_large_text_is_refused_without_the_csrf_token(app, client, auth):
    user = make_user()
    db.session.commit()
    auth.become(user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        answer = client.post("/me/large-text", data={"large_text": "on"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code == 400
    db.session.refresh(user)
    assert user.large_text is False


def test_the_back_arrow_leads_to_the_parent_page(client, auth):
    from tests.factories import make_event

    event = make_event()
    db.session.commit()
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert re.search(r'<a class="back" href="/events"', html)
    assert 'class="back"' not in client.get("/").get_data(as_text=True)


def test_the_sprite_is_well_formed_svg_with_the_licence():
    from xml.dom import minidom

    from eventsite.core.icon_sprite import SPRITE

    document = minidom.parse(str(SPRITE))
    assert document.documentElement.tagName == "svg"
    assert len(document.getElementsByTagName("symbol")) == len(icons_in_sprite())
    assert "ISC License" in SPRITE.read_text(encoding="utf-8")


def test_every_icon_the_templates_use_is_in_the_sprite():
    used = icons_in_templates()
    assert {"calendar-days", "message-circle", "arrow-left", "log-out"} <= used
    assert used - icons_in_sprite() == set()
    # Only the icons in use: a sprite of every Lucide icon would weigh megabytes.
    assert icons_in_sprite() == used
