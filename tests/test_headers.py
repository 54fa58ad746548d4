"""Security headers on every response: a Content-Security-Policy that allows no inline script or
style, no framing, no MIME sniffing, a same-origin referrer, and HSTS in production over HTTPS.
The templates carry nothing the policy would block, so no page depends on what it refuses."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from eventsite import create_app
from eventsite.extensions import db
from tests.conftest import base_config
from tests.factories import make_event, make_user

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, response.request.path
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture
def pages(app, client, auth):
    """A public page, a form, a member's page, an error page, a JSON answer and a static file."""
    member = make_user()
    event = make_event()
    db.session.commit()
    auth.become(member)
    return [
        client.get("/events"),
        client.get(f"/events/{event.id}"),
        client.get("/account"),
        client.get("/no-such-page"),
        client.get("/healthz"),
        client.get("/static/js/site.js"),
        app.test_client().get("/login"),
    ]


def test_every_response_carries_the_policy_and_the_other_headers(pages):
    statuses = [response.status_code for response in pages]
    assert statuses == [200, 200, 200, 404, 200, 200, 200]
    for response in pages:
        csp = policy(response)
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no other host
        assert csp["style-src"] == ["'self'"]  # no style="" or <style> either
        assert csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'none'"]
        assert csp["form-action"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"]
        header = response.headers["Content-Security-Policy"]
        assert "unsafe" not in header and "*" not in header and "http" not in header
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        # Development and tests run over plain HTTP: no HSTS, no redirect to HTTPS.
        assert "Strict-Transport-Security" not in response.headers


def production_app(database_uri):
    config = base_config(database_uri)
    config.update(ENV_NAME="production", SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    return create_app(config)


def test_production_sends_hsts_over_https(app, database_uri):
    production = production_app(database_uri)
    client = production.test_client()

    secure = client.get("/login", base_url="https://events.example.org")
    behind_proxy = client.get("/login", headers={"X-Forwarded-Proto": "https"})

    for response in (secure, behind_proxy):
        assert response.status_code == 200
        hsts = response.headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 365 * 24 * 3600
    # The proxy redirects plain HTTP (docs/deployment.md); the app answers it without HSTS,
    # which a browser would ignore over HTTP anyway.
    plain = client.get("/login")
    assert plain.status_code == 200
    assert "Strict-Transport-Security" not in plain.headers
    with production.app_context():
        db.engine.dispose()


def test_development_sends_no_hsts_even_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_production_cookies_stay_secure_and_same_site(app, database_uri):
    production = production_app(database_uri)
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    with production.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_has_inline_script_handler_or_style(template):
    """What the policy would block: a <script> without src, an on…= handler, a javascript: URL,
    a style="" attribute or a <style> element."""
    text = template.read_text()
    assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert not re.findall(r"<[^>]+\son[a-z]+\s*=", text)
    assert "javascript:" not in text
    assert not re.findall(r"<[^>]+\sstyle\s*=", text)
    assert "<style" not in text


def test_every_script_a_template_loads_is_a_static_file(app):
    sources = set()
    for template in TEMPLATES:
        sources |= set(re.findall(r"filename='(js/[^']+)'", template.read_text()))
    assert "js/checkin.js" in sources
    for source in sources:
        assert (ROOT / "static" / source).is_file(), source


def test_security_txt_names_the_deployments_contact(app, client, clock):
    """RFC 9116: the contact, an expiry a year ahead, the languages and the canonical place;
    without a contact configured there is no file at all."""
    assert client.get("/.well-known/security.txt").status_code == 404
    app.config.update(SECURITY_CONTACT="mailto:it@union.example", PUBLIC_URL="https://hd.example/")
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    expires = (clock.now + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response.get_data(as_text=True).splitlines() == [
        "Contact: mailto:it@union.example",
        f"Expires: {expires}",
        "Preferred-Languages: zh, en",
        "Canonical: https://hd.example/.well-known/security.txt",
    ]
