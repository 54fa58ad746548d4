"""Static URLs carry a hash of the file's content, so an upgrade reaches every phone at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventsite import create_app
from eventsite.core.static_files import VERSION_LENGTH, content_version
from tests.conftest import base_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_the_start_of_the_contents_sha256():
    assert content_version(b"abc") == "ba7816bf8f"
    assert content_version(b"") == "e3b0c44298"
    assert len(content_version(b"x" * 10_000)) == VERSION_LENGTH
    assert content_version(b"a") != content_version(b"b")


def test_pages_link_static_files_with_their_content_version(app, client):
    page = client.get("/login").text
    css = (PROJECT_ROOT / "static/css/site.css").read_bytes()
    js = (PROJECT_ROOT / "static/js/site.js").read_bytes()
    assert f"/static/css/site.css?v={content_version(css)}" in page
    assert f"/static/js/site.js?v={content_version(js)}" in page


def test_a_versioned_url_is_served_under_the_content_security_policy(app, client):
    page = client.get("/login").text
    script = re.search(r'src="(/static/js/site\.js\?v=[0-9a-f]+)"', page).group(1)
    response = client.get(script)
    assert response.status_code == 200
    assert response.data == (PROJECT_ROOT / "static/js/site.js").read_bytes()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def versioned(app, filename: str) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for("static", filename=filename)


@pytest.fixture
def static_folder(tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css/site.css").write_text("body { color: black }")
    (folder / "js").mkdir()
    (folder / "js/site.js").write_text("console.log(1);")
    return folder


def app_on(database_uri, folder, **settings):
    app = create_app({**base_config(database_uri), **settings})
    app.static_folder = str(folder)
    return app


def test_an_upgrade_changes_the_url_of_a_changed_file_only(database_uri, static_folder):
    before = app_on(database_uri, static_folder)
    css_before = versioned(before, "css/site.css")
    js_before = versioned(before, "js/site.js")
    (static_folder / "css/site.css").write_text("body { color: navy }")
    after = app_on(database_uri, static_folder)  # the upgraded release's new processes
    assert versioned(after, "css/site.css") != css_before
    assert versioned(after, "css/site.css") == "/static/css/site.css?v=" + content_version(
        b"body { color: navy }"
    )
    assert versioned(after, "js/site.js") == js_before


def test_a_running_production_process_hashes_each_file_once(database_uri, static_folder):
    app = app_on(database_uri, static_folder)
    first = versioned(app, "css/site.css")
    (static_folder / "css/site.css").write_text("body { color: navy; margin: 0 }")
    assert versioned(app, "css/site.css") == first


def test_in_debug_an_edited_file_gets_its_new_url_at_once(database_uri, static_folder):
    app = app_on(database_uri, static_folder, DEBUG=True)
    app.debug = True
    first = versioned(app, "css/site.css")
    assert versioned(app, "css/site.css") == first  # unchanged: same URL
    (static_folder / "css/site.css").write_text("body { color: navy; margin: 0 }")
    assert versioned(app, "css/site.css") != first


@pytest.mark.parametrize("filename", ["css/missing.css", "css", "../secret.txt", "/etc/passwd"])
def test_a_name_that_is_no_static_file_gets_no_version(database_uri, static_folder, filename):
    (static_folder.parent / "secret.txt").write_text("private")
    url = versioned(app_on(database_uri, static_folder), filename)
    assert "v=" not in url


def test_an_explicit_version_is_kept(app):
    assert versioned(app, "css/site.css").count("v=") == 1
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="css/site.css", v="pinned").endswith("?v=pinned")


def test_no_template_writes_a_static_path_by_hand():
    """Every static file is linked through url_for, so every one carries its version."""
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in sorted((PROJECT_ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"""["'(]\s*/static/""", line)
    ]
    assert offenders == []
