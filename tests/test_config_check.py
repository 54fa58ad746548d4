"""The settings file the app reads itself, and `flask config check`."""

from __future__ import annotations

import string

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from eventsite import config, create_app
from eventsite.config import ConfigurationError, parse_settings_file, settings_environment
from eventsite.config_check import (
    NOTE,
    OK,
    PROBLEM,
    config_cli,
    connection_findings,
    database_url_findings,
    known_settings,
    settings_findings,
)

GOOD_FILE = """\
# eventsite settings
EVENTSITE_ENV=production
SECRET_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

DATABASE_URL=postgresql://eventsite:pa%24%24w0rd%2F%40x@127.0.0.1:5432/eventsite
PUBLIC_URL=https://events.example.org:8443
MAIL_PASSWORD=pa$$w0rd
SMS_TEMPLATES={"code": {"template": "1", "params": ["code"]}}
"""


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """A private settings file; none of the documented variables set in the environment."""
    for name in known_settings():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "INSTANCE_PATH", tmp_path / "instance")
    path = tmp_path / "env"

    def write(text: str, mode: int = 0o640):
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
        return path

    return write


def test_values_are_taken_as_written():
    parsed = parse_settings_file(GOOD_FILE)
    assert parsed.problems == []
    assert parsed.values["MAIL_PASSWORD"] == "pa$$w0rd"
    assert parsed.values["SMS_TEMPLATES"] == '{"code": {"template": "1", "params": ["code"]}}'
    assert "#" not in "".join(parsed.values)


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('SECRET_KEY="abc"', "quoted"),
        ("SECRET_KEY='abc'", "quoted"),
        ("export SECRET_KEY=abc", "without `export`"),
        ("SECRET_KEY abc", "not NAME=value"),
        ("secret_key=abc", "not a variable name"),
        ("MAIL_PASSWORD=a\\b", "backslash"),
        ("TIMEZONE=Asia/Shanghai\nTIMEZONE=UTC", "set twice (first on line 1)"),
    ],
)
def test_malformed_lines_are_refused_with_their_line(line, complaint):
    parsed = parse_settings_file(line)
    assert len(parsed.problems) == 1
    assert complaint in parsed.problems[0]
    assert parsed.problems[0].startswith("line ")


_VALUE_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\\\x85"
)


@given(
    name=st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True),
    value=st.text(_VALUE_CHARS, max_size=40).map(str.strip).filter(lambda v: v[:1] not in "'\""),
)
def test_any_unquoted_value_reads_back_exactly(name, value):
    parsed = parse_settings_file(f"{name}={value}\n")
    assert parsed.problems == []
    assert parsed.values == {name: value}


def test_the_environment_overrides_the_file(settings_file):
    path = settings_file("TIMEZONE=Asia/Urumqi\nROSTER_PAGE_SIZE=20\n")
    env = settings_environment({"EVENTSITE_ENV_FILE": str(path), "ROSTER_PAGE_SIZE": "30"})
    assert env["TIMEZONE"] == "Asia/Urumqi"
    assert env["ROSTER_PAGE_SIZE"] == "30"


def test_the_app_reads_its_settings_file(settings_file, monkeypatch, tmp_path):
    path = settings_file(
        f"EVENTSITE_ENV=production\nSECRET_KEY=pa$$w0rd-{'x' * 40}\n"
        f"EVENTSITE_INSTANCE_PATH={tmp_path / 'elsewhere'}\nROSTER_PAGE_SIZE=20\n"
    )
    monkeypatch.setenv("EVENTSITE_ENV_FILE", str(path))
    app = create_app()
    assert app.config["SECRET_KEY"] == f"pa$$w0rd-{'x' * 40}"
    assert app.config["ROSTER_PAGE_SIZE"] == 20
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("elsewhere/eventsite.db")


def test_a_malformed_settings_file_stops_the_start(settings_file, monkeypatch):
    monkeypatch.setenv("EVENTSITE_ENV_FILE", str(settings_file('SECRET_KEY="abc"\n')))
    with pytest.raises(ConfigurationError, match="line 1: SECRET_KEY is quoted"):
        create_app()


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("MAIL_PORT", "smtp", "MAIL_PORT must be a whole number"),
        ("CHECKIN_OPENS_HOURS", "three", "CHECKIN_OPENS_HOURS must be a number"),
        ("CHECKIN_OPENS_HOURS", "nan", "finite"),
        ("MAIL_USE_TLS", "maybe", "MAIL_USE_TLS must be true or false"),
        ("EVENTSITE_ENV", "prod", "EVENTSITE_ENV must be development or production"),
        ("SMS_TEMPLATES", "[1]", "SMS_TEMPLATES must be a JSON object"),
    ],
)
def test_a_malformed_value_names_its_setting(settings_file, name, value, complaint):
    with pytest.raises(ConfigurationError, match=complaint) as raised:
        config.from_environment({name: value})
    assert raised.value.setting == name


@pytest.mark.parametrize(
    ("url", "level", "complaint"),
    [
        ("postgresql://eventsite:secret@127.0.0.1:5432/eventsite", OK, "'eventsite'"),
        ("postgresql://eventsite:pa%24%24w%2F%40@127.0.0.1/eventsite", OK, "'eventsite'"),
        ("postgresql://eventsite:pa$$w0rd@127.0.0.1/eventsite", OK, "'eventsite'"),
        ("postgresql://eventsite:pa/ss@127.0.0.1/eventsite", PROBLEM, "'/'"),
        ("postgresql://eventsite:p@ss@127.0.0.1/eventsite", PROBLEM, "'@'"),
        ("postgresql://eventsite:p#ss@127.0.0.1/eventsite", PROBLEM, "'#'"),
        ("postgresql://eventsite:p?ss@127.0.0.1/eventsite", PROBLEM, "'?'"),
        ("postgresql://eventsite:100%@127.0.0.1/eventsite", PROBLEM, "'%'"),
        ("postgresql://eventsite@127.0.0.1", PROBLEM, "names no database"),
        ("postgresql://eventsite@127.0.0.1:99999/eventsite", PROBLEM, "cannot be read"),
        ("mysql://root@127.0.0.1/eventsite", PROBLEM, "not supported"),
        ("127.0.0.1/eventsite", PROBLEM, "not a URL"),
        ("sqlite:////srv/eventsite/instance/eventsite.db", NOTE, "SQLite"),
        ("", NOTE, "unset"),
    ],
)
def test_database_url_passwords_must_be_url_encoded(url, level, complaint):
    (finding,) = database_url_findings(url)
    assert finding.level == level
    assert complaint in finding.message
    assert "secret" not in finding.message  # the password itself is never echoed


def test_a_good_production_file_has_no_problems(settings_file):
    path = settings_file(GOOD_FILE.replace("SMS_TEMPLATES", "# SMS_TEMPLATES"))
    findings, built = settings_findings({"EVENTSITE_ENV_FILE": str(path)})
    assert [f.line() for f in findings if f.level == PROBLEM] == []
    assert built["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://eventsite:")


def test_every_problem_is_named_in_one_run(settings_file):
    path = settings_file(
        "EVENTSITE_ENV=production\nSECRET_KEY='abc'\nMAIL_PORT=smtp\nDATABSE_URL=x\n"
        "PUBLIC_URL=http://events.example.org\nTIMEZONE=Mars/Olympus\n"
        "LOGIN_RATE_LIMIT=lots\nSMS_BACKEND=tencent\n",
        mode=0o644,
    )
    findings, _ = settings_findings({"EVENTSITE_ENV_FILE": str(path)})
    problems = "\n".join(f.line() for f in findings if f.level == PROBLEM)
    for expected in (
        "line 2: SECRET_KEY is quoted",
        "readable by everyone",
        "DATABSE_URL is not a setting",
        "SECRET_KEY must be set",
        "MAIL_PORT must be a whole number",
        "PUBLIC_URL: must be https://",
        "'Mars/Olympus' is no time zone",
        "LOGIN_RATE_LIMIT: 'lots' is not a limit",
        "SMS_BACKEND=tencent needs",
    ):
        assert expected in problems


def test_a_missing_settings_file_is_a_problem(tmp_path):
    findings, _ = settings_findings({"EVENTSITE_ENV_FILE": str(tmp_path / "nowhere")})
    assert any(f.level == PROBLEM and "does not exist" in f.message for f in findings)


def test_the_check_reaches_the_database_and_its_schema(app):
    built = dict(app.config, RATELIMIT_STORAGE_URI="memory://", MAIL_SERVER=None)
    (finding,) = connection_findings(built)
    assert finding.level == OK
    assert "schema current" in finding.message


def test_an_unreachable_database_is_a_problem(app):
    built = dict(
        app.config,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://eventsite@127.0.0.1:1/eventsite",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=1,
    )
    findings = connection_findings(built)
    assert [f.subject for f in findings if f.level == PROBLEM] == [
        "database",
        "RATELIMIT_STORAGE_URI",
        "MAIL_SERVER",
    ]


def test_the_command_exits_1_on_a_problem_and_0_when_complete(settings_file):
    runner = CliRunner()
    bad = settings_file("EVENTSITE_ENV=production\n")
    result = runner.invoke(
        config_cli, ["check", "--no-connect"], env={"EVENTSITE_ENV_FILE": str(bad)}
    )
    assert result.exit_code == 1
    assert "SECRET_KEY must be set" in result.output
    good = settings_file(GOOD_FILE.replace("SMS_TEMPLATES", "# SMS_TEMPLATES"))
    result = runner.invoke(
        config_cli, ["check", "--no-connect"], env={"EVENTSITE_ENV_FILE": str(good)}
    )
    assert result.exit_code == 0, result.output
    assert "The settings are complete." in result.output


def test_the_check_knows_every_documented_setting():
    documented = set()
    for line in (config.__doc__ or "").splitlines():
        if line.startswith("| ") and not line.startswith("| variable"):
            cell = line.split("|")[1]
            documented |= {
                word.strip(" `") for word in cell.split("/") if word.strip(" `").isupper()
            }
    documented = {name for name in documented if set(name) <= set(string.ascii_uppercase + "_")}
    assert documented - known_settings() == set()


def test_production_without_an_sms_provider_or_privacy_contact_is_pointed_out(settings_file):
    path = settings_file(GOOD_FILE.replace("SMS_TEMPLATES", "# SMS_TEMPLATES"))
    findings, _ = settings_findings({"EVENTSITE_ENV_FILE": str(path)})
    notes = {f.subject: f.message for f in findings if f.level == NOTE}
    assert "nobody can sign up" in notes["SMS_BACKEND"]
    assert "PRIVACY_CONTACT" in notes
    findings, _ = settings_findings(
        {"EVENTSITE_ENV_FILE": str(path), "PRIVACY_CONTACT": "0553-1234567"}
    )
    assert "PRIVACY_CONTACT" not in {f.subject for f in findings}
