"""Members' details stay out of the logs: database row details and search query strings."""

from __future__ import annotations

import logging
import threading
import urllib.request

from werkzeug.serving import make_server

from eventsite.core.privacy import redact, without_query


def test_a_request_line_keeps_its_path_and_loses_its_query():
    line = "GET /events/7/roster?q=13900001000&status=confirmed HTTP/1.1"
    assert without_query(line) == "GET /events/7/roster?… HTTP/1.1"
    assert without_query("POST /login HTTP/1.1") == "POST /login HTTP/1.1"
    # The development server colours lines by status; the query still goes.
    coloured = "\x1b[33mGET /admin/users?q=王芳 HTTP/1.1\x1b[0m"
    assert "王芳" not in without_query(coloured) and "/admin/users" in without_query(coloured)


def test_postgres_row_details_are_blanked():
    text = "psycopg.errors.UniqueViolation: duplicate key\nDETAIL:  Key (mobile)=(13900001000) already exists."
    assert "13900001000" not in redact(text)
    assert "UniqueViolation" in redact(text)


def test_the_development_servers_access_log_has_no_search_terms(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        url = f"http://127.0.0.1:{server.server_port}/events?q=13900001000"
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
        thread.join(timeout=10)
    server.server_close()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("GET /events?… HTTP/1.1" in line for line in lines), lines
    assert not any("13900001000" in line for line in lines)
