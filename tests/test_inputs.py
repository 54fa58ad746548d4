"""Input hardening: a value the database cannot store is refused at the door, never a 500.

core.inputs holds the rules (the INTEGER range, a column's numeric bounds, NUL bytes) and the
`int` URL converter; core.forms.SiteForm applies them to every field of every form. Each
route-level test below failed on the code before the layer (a 500, or the value stored on
SQLite where PostgreSQL would have refused it).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import g
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields import (
    DecimalField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import NumberRange

from eventsite.accounts.models import User
from eventsite.core import inputs
from eventsite.core.forms import SiteForm
from eventsite.core.models import AuditEntry
from eventsite.events.models import Event, EventKind
from eventsite.extensions import db
from tests.factories import make_event, make_user

# --- The rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column_type", "low", "high"),
    [
        (sa.Numeric(7, 2), "-99999.99", "99999.99"),
        (sa.Numeric(12, 3), "-999999999.999", "999999999.999"),
        (sa.Numeric(5, 2), "-999.99", "999.99"),
        (sa.Numeric(3, 0), "-999", "999"),
        (sa.Integer(), "-2147483648", "2147483647"),
        (sa.SmallInteger(), "-32768", "32767"),
        (sa.BigInteger(), "-9223372036854775808", "9223372036854775807"),
    ],
)
def test_a_columns_bounds_follow_its_type(column_type, low, high):
    assert inputs.column_bounds(column_type) == inputs.NumberBounds(Decimal(low), Decimal(high))


@pytest.mark.parametrize("column_type", [sa.String(20), sa.Text(), sa.Numeric(), sa.Float()])
def test_a_column_without_fixed_bounds_has_none(column_type):
    assert inputs.column_bounds(column_type) is None


def test_bounds_hold_finite_values_within_them_only():
    bounds = inputs.column_bounds(sa.Numeric(7, 2))
    assert bounds.holds(Decimal("99999.99")) and bounds.holds(-99999) and bounds.holds(0.5)
    assert not bounds.holds(Decimal("100000")) and not bounds.holds(Decimal("1e308"))
    assert not bounds.holds(Decimal("NaN")) and not bounds.holds(float("inf"))


def test_the_widest_bounds_admit_what_any_admits():
    small, large = (
        inputs.NumberBounds(Decimal(-1), Decimal(5)),
        inputs.NumberBounds(Decimal(0), Decimal(9)),
    )
    assert inputs.widest([small, large]) == inputs.NumberBounds(Decimal(-1), Decimal(9))
    assert inputs.widest([]) is None


@given(st.integers())
def test_storable_int_takes_exactly_the_integer_range(number):
    fits = -(2**31) <= number <= 2**31 - 1
    assert inputs.storable_integer(number) == fits
    if fits:
        assert inputs.storable_int(str(number)) == number
    else:
        with pytest.raises(ValueError):
            inputs.storable_int(str(number))


@pytest.mark.parametrize("text", ["", "1.5", "1e3", "abc", "1\x00", "9" * 5000, "NaN"])
def test_storable_int_refuses_what_is_no_whole_number(text):
    with pytest.raises(ValueError):
        inputs.storable_int(text)


def test_read_decimal_reads_numbers_only():
    assert inputs.read_decimal(" 1e308 ") == Decimal("1e308")
    assert inputs.read_decimal("8.5") == Decimal("8.5")
    assert inputs.read_decimal("八") is None and inputs.read_decimal("") is None


# --- The base form --------------------------------------------------------------------------


class Row(Form):
    name = StringField()
    max_score = StringField()  # named after Criterion.max_score, NUMERIC(7, 2)


class Sample(SiteForm):
    class Meta:
        csrf = False

    title = StringField()
    count = IntegerField(validators=[NumberRange(min=1)])
    size = IntegerField(validators=[NumberRange(min=1, max=50, message="Enter 1 to 50.")])
    ids = SelectMultipleField(coerce=int, validate_choice=False)
    multiplier = DecimalField(validators=[NumberRange(min=Decimal("0.5"), max=Decimal(10))])
    ratio = FloatField()
    rows = FieldList(FormField(Row), min_entries=1)


GOOD = {"title": "拔河", "count": "3", "size": "8", "multiplier": "1.5", "ratio": "0.5"}

HOSTILE = [
    ("title", {"title": "拔\x00河"}, "NUL"),
    ("rows-0-name", {"rows-0-name": "\x00"}, "NUL"),
    ("count", {"count": "99999999999999999999"}, "no larger than 2147483647"),
    ("count", {"count": "2147483648"}, "no larger than 2147483647"),
    ("size", {"size": "99999999999999999999"}, "Enter 1 to 50."),
    ("ids", {"ids": ["3", "99999999999999999999"]}, "no larger than 2147483647"),
    ("ids", {"ids": ["-2147483649"]}, "no smaller than -2147483648"),
    ("multiplier", {"multiplier": "NaN"}, "Enter a number."),
    # Its own NumberRange refuses it too: the field's own bounds are told (tests/test_site_forms.py).
    ("multiplier", {"multiplier": "1e308"}, "Number must be between 0.5 and 10."),
    ("ratio", {"ratio": "inf"}, "Enter a number."),
    ("rows-0-max_score", {"rows-0-max_score": "1e308"}, "no larger than 99999.99"),
    ("rows-0-max_score", {"rows-0-max_score": "-100000"}, "no smaller than -99999.99"),
]


def field_errors(form: SiteForm) -> dict[str, list[str]]:
    from eventsite.core.forms import leaf_fields

    return {field.name: list(field.errors) for field in leaf_fields(form) if field.errors}


@pytest.mark.parametrize(("name", "change", "message"), HOSTILE)
def test_a_value_the_database_cannot_store_is_refused_beside_its_field(app, name, change, message):
    with app.test_request_context():
        form = Sample(formdata=MultiDict({**GOOD, **change}))
        assert not form.validate()
        errors = field_errors(form)
    assert list(errors) == [name]
    assert message in errors[name][0]


def test_good_values_pass_to_the_forms_own_checks(app):
    with app.test_request_context():
        form = Sample(formdata=MultiDict({**GOOD, "rows-0-max_score": "99999.99"}))
        assert form.validate(), field_errors(form)
        form = Sample(formdata=MultiDict({**GOOD, "size": "51"}))
        assert not form.validate()
        assert field_errors(form) == {"size": ["Enter 1 to 50."]}


def test_every_form_of_the_site_is_a_site_form(app):
    """A form built on FlaskForm directly would skip the checks: every one derives SiteForm."""
    from flask_wtf import FlaskForm

    import eventsite.accounts.forms
    import eventsite.competitions.forms
    import eventsite.events.forms
    import eventsite.events.roster_forms
    import eventsite.mixers.forms
    import eventsite.sportsmeet.forms  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("eventsite.")]
    assert len(ours) > 40
    assert [c.__qualname__ for c in ours if not issubclass(c, SiteForm)] == []


# --- Through the routes ---------------------------------------------------------------------


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def organizer(app, auth):
    user = make_user(roles=["organizer"], name="工会干事")
    db.session.commit()
    auth.become(user)
    g.pop("_login_user", None)
    return user


def errors_beside(html: str, field_id: str) -> str:
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    "path",
    [
        "/events/2147483648",
        "/events/99999999999999999999",
        "/events/" + "9" * 5000,
        "/events/2147483647.ics",
        "/competitions/99999999999999999999/rounds/1/ranking",
        "/events/1/roster/99999999999999999999",
    ],
)
def test_an_id_beyond_the_integer_range_is_a_404(client, organizer, path):
    make_event(organizer=organizer)
    db.session.commit()
    response = client.get(path) if "roster/" not in path else client.post(path)
    assert response.status_code == 404


def edit_data(event: Event, **change) -> dict:
    from eventsite.core.time import to_local

    def local(moment):
        return to_local(moment).strftime("%Y-%m-%dT%H:%M")

    data = {
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "starts_at": local(event.starts_at),
        "ends_at": local(event.ends_at),
        "registration_opens_at": local(event.registration_opens_at),
        "registration_closes_at": local(event.registration_closes_at),
        "capacity": str(event.capacity),
        "team_cap": "",
    }
    return {**data, **change}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "趣味\x00运动会", "NUL"),
        ("description", "\x00", "NUL"),
        ("capacity", "99999999999", "no larger than 2147483647"),
        ("capacity", "99999999999999999999", "no larger than 2147483647"),
        ("team_cap", "2147483648", "no larger than 2147483647"),
    ],
)
def test_an_edit_with_a_value_the_database_cannot_store_is_refused_beside_it(
    client, organizer, field, value, message
):
    event = make_event(organizer=organizer, title="趣味运动会", capacity=20)
    db.session.commit()
    before = (event.title, event.description, event.capacity, event.team_cap, event.version)
    response = client.post(f"/events/{event.id}/edit", data=edit_data(event, **{field: value}))
    assert response.status_code == 400
    assert message in errors_beside(response.get_data(as_text=True), field)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.title, event.description, event.capacity, event.team_cap, event.version) == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_a_criterions_maximum_beyond_its_column_is_refused_beside_it(client, organizer):
    from eventsite.competitions.models import Criterion, Round

    event = make_event(organizer=organizer, kind=EventKind.COMPETITION, tracks=["商务英语"])
    contest_round = Round(event_id=event.id, name="决赛", position=1)
    db.session.add(contest_round)
    db.session.commit()
    response = client.post(
        f"/competitions/{event.id}/rounds/{contest_round.id}/criteria",
        data={
            "criteria-0-name": "商务谈判",
            "criteria-0-max_score": "1e308",
            "criteria-0-weight": "1",
            "criteria-0-step": "0.5",
        },
    )
    assert response.status_code == 400
    beside = errors_beside(response.get_data(as_text=True), "criteria-0-max_score")
    assert "Enter a number no larger than 99999.99." in beside
    assert db.session.scalar(sa.select(sa.func.count(Criterion.id))) == 0


def test_a_search_box_with_a_nul_is_refused_beside_it(client, organizer):
    event = make_event(organizer=organizer)
    db.session.commit()
    response = client.get(f"/events/{event.id}/roster", query_string={"q": "张\x00"})
    assert response.status_code == 400
    assert "NUL" in errors_beside(response.get_data(as_text=True), "q")


def test_a_query_or_form_value_read_directly_is_bounded_too(client, auth):
    member = make_user()
    db.session.commit()
    auth.become(member)
    # The view reads blocked_id itself: beyond the range it is as missing as no value at all.
    assert client.post("/my/mixers/unblock", data={"blocked_id": "9" * 20}).status_code == 400
    assert client.post("/my/mixers/unblock", data={}).status_code == 400


def test_the_admins_search_box_with_a_nul_is_refused_beside_it(client, auth):
    admin = make_user(roles=["admin"], name="管理员")
    db.session.commit()
    auth.become(admin)
    response = client.get("/admin/users", query_string={"q": "管\x00"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "NUL" in errors_beside(html, "q")
    assert "管理员" in html  # everyone is listed meanwhile
    # A search without one still finds by name.
    found = client.get("/admin/users", query_string={"q": "管理"})
    assert found.status_code == 200 and errors_beside(found.get_data(as_text=True), "q") == ""


def test_a_value_only_the_database_refused_is_a_400_with_nothing_saved(app, client, caplog):
    """The last net: a DataError that no check caught answers 400, rolled back and logged."""

    def refused():
        db.session.add(make_user(name="不该留下"))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SELECT CAST(:text AS text)"), {"text": "a\x00b"})
        raise sa.exc.DataError("SELECT 1", {}, ValueError("refused"))

    refused.permission = "public"
    app.add_url_rule("/refused-by-database", "refused", refused)
    response = client.get("/refused-by-database")
    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.name == "不该留下")) == 0
    assert any("the database refused a value" in r.getMessage() for r in caplog.records)
