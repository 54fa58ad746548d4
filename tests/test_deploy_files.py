"""deploy/: what the production files promise, checked without root (deploy/rehearse, run by CI
as root, installs and uses them for real).

- nginx logs the method and the path only, never the query string or the referrer, forwards the
  Host with its port and sets every X-Forwarded-* header the app trusts, hides its version,
  speaks TLS 1.2+ only;
- gunicorn writes no access log (it would log check-in tokens); the backup runs in Beijing time;
- the headers nginx adds to what it answers itself are the app's own values;
- the units read the settings through EVENTSITE_ENV_FILE, never systemd's EnvironmentFile=;
- the docs' rehearsed blocks are the ones the rehearsal runs, by name; each stops at an error and
  reads the site's values from the values file; nginx's user is never given the settings' group.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from eventsite import create_app
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = (DEPLOY / "nginx-site.conf").read_text(encoding="utf-8")
UNITS = ["eventsite-web.service", "eventsite-scheduler.service", "eventsite-backup.service"]


def directives(name: str) -> list[str]:
    """The arguments of every `name …;` directive of the nginx site (comments left out)."""
    text = "\n".join(line.split("#", 1)[0] for line in NGINX.splitlines())
    return [m.strip() for m in re.findall(rf"(?:^|[;{{}}\s]){name}\s+([^;]*);", text, re.M)]


def test_the_access_log_keeps_method_and_path_only():
    [log_format] = [d for d in directives("log_format") if d.startswith("eventsite_privacy")]
    for leak in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$arg_"):
        assert leak not in log_format + " ", leak
    assert "$http_referer" not in log_format and "$http_user_agent" not in log_format
    assert "$request_method" in log_format and "$eventsite_logged_path" in log_format
    access_logs = directives("access_log")
    assert access_logs and all(d.endswith(" eventsite_privacy") for d in access_logs)


def test_host_keeps_its_port_and_nginx_hides_its_version():
    assert directives("proxy_set_header")[0] == "Host $http_host"
    assert "Host $host" not in directives("proxy_set_header")
    # TRUSTED_PROXIES=1: the app believes X-Forwarded-For, -Proto and -Host, so nginx sets all
    # three itself (a client's own would otherwise pass through).
    forwarded = {d.split()[0]: d.split(None, 1)[1] for d in directives("proxy_set_header")}
    assert forwarded["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert forwarded["X-Forwarded-Proto"] == "$scheme"
    assert forwarded["X-Forwarded-Host"] == "$http_host"
    assert directives("server_tokens") == ["off", "off"]
    assert directives("ssl_protocols") == ["TLSv1.2 TLSv1.3"]


def test_nginx_adds_the_apps_own_header_values_and_none_to_proxied_pages(app, database_uri):
    config = base_config(database_uri)
    config.update(ENV_NAME="production", SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    production = create_app(config)
    response = production.test_client().get("/login", base_url="https://events.example.org")
    static = NGINX.split("location /static/", 1)[1].split("}", 1)[0]
    added = {
        name: value.strip('"')
        for name, value in re.findall(r'add_header\s+([\w-]+)\s+("[^"]*"|[^;\s]+)', static)
    }
    for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
        assert added[name] == response.headers[name], name
    assert added["Strict-Transport-Security"] == response.headers["Strict-Transport-Security"]
    proxied = NGINX.split("location / {", 1)[1].split("}\n}", 1)[0]
    assert "add_header" not in proxied  # the app's own headers would be doubled


def test_the_maintenance_page_is_chinese_and_self_contained():
    page = (DEPLOY / "maintenance.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "系统维护中" in page
    assert not re.search(r"\b(src|href)\s*=", page)  # no external (or any) assets
    assert "<script" not in page
    assert "/srv/eventsite/app/deploy/maintenance.html" in NGINX


@pytest.mark.parametrize("unit", UNITS)
def test_units_read_the_settings_through_the_app(unit):
    text = (DEPLOY / unit).read_text(encoding="utf-8")
    assert "EnvironmentFile" not in re.sub(r"#.*", "", text)
    assert "Environment=EVENTSITE_ENV_FILE=/etc/eventsite/env" in text
    out = subprocess.run(
        [sys.executable, str(DEPLOY / "rehearse.py"), "unit", str(DEPLOY / unit)],
        capture_output=True,
        check=True,
    ).stdout.decode()
    user, workdir, *rest = out.rstrip("\0").split("\0")
    assert (user, workdir) == ("eventsite", "/srv/eventsite/app")
    argv = rest[rest.index("--") + 1 :]
    assert argv[0].startswith("/srv/eventsite/app/.venv/bin/")


def test_gunicorn_writes_no_access_log_and_takes_its_workers_from_the_environment():
    """nginx logs every request with a check-in token masked; gunicorn's %(U)s would write the
    token into the journal. The worker count is WEB_CONCURRENCY, so a drop-in can change it."""
    out = subprocess.run(
        [sys.executable, str(DEPLOY / "rehearse.py"), "unit", str(DEPLOY / UNITS[0])],
        capture_output=True,
        check=True,
    ).stdout.decode()
    items = out.rstrip("\0").split("\0")
    environment, argv = items[2 : items.index("--")], items[items.index("--") + 1 :]
    assert not any(a.startswith(("--access-log", "--workers", "-w")) for a in argv), argv
    assert "WEB_CONCURRENCY=2" in environment


def test_the_nightly_backup_runs_in_beijing_time():
    timer = (DEPLOY / "eventsite-backup.timer").read_text(encoding="utf-8")
    assert re.findall(r"^OnCalendar=(.*)$", timer, re.M) == ["*-*-* 02:30:00 Asia/Shanghai"]


def test_the_docs_rehearsed_blocks_are_the_ones_the_rehearsal_runs(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(DEPLOY / "rehearse.py"),
            "blocks",
            str(tmp_path),
            str(ROOT / "docs" / "deployment.md"),
            str(ROOT / "docs" / "operations.md"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    expected = re.search(r'^expected="([^"]*)"', (DEPLOY / "rehearse").read_text(), re.M)
    assert out == expected.group(1)
    settings = (tmp_path / "settings.sh").read_text()
    assert "EnvironmentFile" not in settings and "set -a" not in settings
    assert "[ -e /etc/eventsite/env ]" in settings  # never overwrites the SECRET_KEY in use
    for block in tmp_path.glob("*.sh"):
        lines = block.read_text().splitlines()
        assert "sudo " not in block.read_text(), block.name
        assert lines[0] == "set -eu", block.name  # stop at the first error
        if block.name != "values.sh":  # the values from the file, not from an earlier shell
            assert lines[1] == ". /root/eventsite-values.sh", block.name
    user = (tmp_path / "user.sh").read_text()
    assert "www-data" not in user and "usermod" not in user  # nginx never reads the settings
    assert "chmod 0711 /srv/eventsite" in user
