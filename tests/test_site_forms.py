"""What every form shares (core.forms.SiteForm): a value the database cannot store refuses only
its own field, every other field is checked in the same submit, a number beyond its column is
told in the field's own words, and a length limit is worded one way over the whole site.

Each test here failed on the code before: the storage check refused the whole form before any
other check ran (so a member saw the rest of their mistakes only on the next submit), a huge
birth year read "no larger than 2147483647", and length limits were worded three ways.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import g
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields import (
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    StringField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from eventsite.accounts.models import User
from eventsite.core.forms import Length, SiteForm, leaf_fields
from eventsite.core.time import to_local, utcnow
from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.factories import make_event, make_user

NUL = "This contains a character that cannot be saved (a NUL byte). Please retype it."


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def errors_beside(html: str, field_id: str) -> list[str]:
    """The messages the `_forms.html` macro renders beside one field."""
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return [m.strip() for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)] if match else []


def field_errors(form) -> dict[str, list[str]]:
    return {
        field.name: [str(e) for e in field.errors] for field in leaf_fields(form) if field.errors
    }


# --- one field refused, the others checked in the same submit ---------------------------------


class Row(Form):
    name = StringField(validators=[DataRequired("Name the row.")])
    max_score = StringField()  # Criterion.max_score: NUMERIC(7, 2)


class Sample(SiteForm):
    class Meta:
        csrf = False

    title = StringField(validators=[DataRequired("Give a title."), Length(max=5)])
    count = IntegerField(validators=[NumberRange(min=1, message="At least one.")])
    size = IntegerField(validators=[NumberRange(min=1, max=50, message="Enter 1 to 50.")])
    rows = FieldList(FormField(Row), min_entries=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.titles_checked: list[str] = []

    def validate_title(self, field):
        # An inline check that would send the value to the database.
        self.titles_checked.append(field.data)
        if field.data == "taken":
            raise ValidationError("That title is taken.")

    def check_across_fields(self) -> bool:
        count, size = self.count.data, self.size.data
        if count is not None and size is not None and count > size:
            self.size.errors.append("Size must hold the count.")
            return False
        return True


def validated(app, data: dict) -> tuple[bool, Sample]:
    with app.test_request_context():
        form = Sample(formdata=MultiDict(data))
        return form.validate(), form


def test_a_refused_field_has_its_one_message_and_every_other_field_is_checked(app):
    valid, form = validated(
        app,
        {
            "title": "拔\x00河",
            "count": "0",
            "size": "99",
            "rows-0-name": "",
            "rows-0-max_score": "1e308",
            "rows-1-name": "第二组\x00",
        },
    )
    assert not valid
    assert field_errors(form) == {
        "title": [NUL],  # neither DataRequired, Length nor the inline check ran on it
        "count": ["At least one."],
        "size": ["Enter 1 to 50."],
        "rows-0-name": ["Name the row."],
        "rows-0-max_score": ["Enter a number no larger than 99999.99."],
        "rows-1-name": [NUL],
    }
    assert form.titles_checked == []
    assert form.rows.errors == [
        {"name": ["Name the row."], "max_score": ["Enter a number no larger than 99999.99."]},
        {"name": [NUL]},
    ]


def test_checks_across_fields_run_too_but_leave_a_refused_field_its_one_message(app):
    valid, form = validated(
        app, {"title": "接力", "count": "60", "size": "3", "rows-0-name": "甲", "rows-1-name": "乙"}
    )
    assert not valid and field_errors(form) == {"size": ["Size must hold the count."]}

    # The count is refused (beyond INTEGER); the cross check still runs and tells the size.
    valid, form = validated(
        app,
        {
            "title": "接力",
            "count": "-99999999999",
            "size": "200",
            "rows-0-name": "甲",
            "rows-1-name": "乙",
        },
    )
    assert not valid
    assert field_errors(form) == {"count": ["At least one."], "size": ["Enter 1 to 50."]}


def test_the_inline_check_of_a_storable_field_still_runs(app):
    valid, form = validated(
        app,
        {"title": "taken", "count": "1", "size": "\x00", "rows-0-name": "甲", "rows-1-name": "乙"},
    )
    assert not valid
    assert field_errors(form) == {"title": ["That title is taken."], "size": [NUL]}
    assert form.titles_checked == ["taken"]
    # The stand-in is gone after the call: a second validation checks the field again.
    with app.test_request_context():
        form = Sample(
            formdata=MultiDict(
                {"title": "ok", "count": "1", "size": "2", "rows-0-name": "甲", "rows-1-name": "乙"}
            )
        )
        assert form.validate(), field_errors(form)
        assert "validate" not in vars(form.size)


def test_no_form_of_the_site_overrides_validate(app):
    """Checks across fields go in check_across_fields(), after which SiteForm puts a refused
    field's one message back; a form overriding validate() would add to it behind SiteForm."""
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

    ours = [c for c in subclasses(SiteForm) if c.__module__.startswith("eventsite.")]
    assert len(ours) > 40
    assert [c.__qualname__ for c in ours if "validate" in vars(c)] == []


SIGNUP = {
    "name": "王晓明",
    "mobile": "13905512345",
    "email": "wxm@example.cn",
    "password": "huangshan-2026",
    "confirm": "huangshan-2026",
    "privacy": "y",
    "work_unit": "芜湖职业技术学院",
    "gender": "male",
    "birth_year": "1996",
    "claim_code": "ABCD2345",
}


def test_a_signup_with_a_nul_and_several_mistakes_shows_them_all_at_once(client):
    """The newcomer's signup (report item 2): every mistake is told in the first answer (the
    claim code's sign-up: the form with every field of a member's details and the number)."""
    response = client.post(
        "/signup/claim",
        data={
            **SIGNUP,
            "name": "名" * 4000,
            "mobile": "1" * 40,
            "password": "short",
            "confirm": "shorter",
            "work_unit": "芜湖\x00职业技术学院",
            "gender": "",
            "birth_year": "9" * 20,
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    year_now = to_local(utcnow()).year
    assert errors_beside(html, "work_unit") == [NUL]
    assert errors_beside(html, "name") == ["At most 50 characters."]
    assert errors_beside(html, "mobile") == [
        "Please enter an 11-digit mainland mobile number, e.g. 13812345678."
    ]
    assert errors_beside(html, "password") == ["The password needs at least 8 characters."]
    assert errors_beside(html, "confirm") == ["The two passwords are not the same."]
    assert errors_beside(html, "gender") == ["Please choose your gender."]
    assert errors_beside(html, "birth_year") == [
        f"Please enter a birth year between 1940 and {year_now - 16}."
    ]
    assert errors_beside(html, "email") == []
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_the_account_page_shows_every_mistake_beside_a_nul(client, auth):
    member = make_user(name="李老师")
    db.session.commit()
    auth.become(member)
    g.pop("_login_user", None)
    response = client.post(
        "/account",
        data={
            "name": "李\x00老师",
            "email": "not-an-address",
            "work_unit": "",
            "gender": "female",
            "birth_year": "-99999999999",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert errors_beside(html, "name") == [NUL]
    assert errors_beside(html, "email") == [
        "Please enter a valid email address, or leave it empty."
    ]
    assert errors_beside(html, "work_unit") == ["Please enter your work unit."]
    assert "2147483648" not in errors_beside(html, "birth_year")[0]
    db.session.expire_all()
    assert db.session.get(User, member.id).name == "李老师"


# --- a number beyond its column, in the field's own words -------------------------------------


class Numbers(SiteForm):
    class Meta:
        csrf = False

    bounded = IntegerField(
        validators=[Optional(), NumberRange(min=1, max=50, message="From 1 to 50.")]
    )
    default_words = IntegerField(validators=[Optional(), NumberRange(min=1, max=50)])
    floor_only = IntegerField(
        validators=[Optional(), NumberRange(min=1, message="At least %(min)s.")]
    )
    friendly = IntegerField(
        validators=[Optional()], invalid_value_message="Four digits, e.g. 1995."
    )
    plain = IntegerField(validators=[Optional()])
    multiplier = DecimalField(
        validators=[Optional(), NumberRange(min=Decimal("0.5"), max=Decimal(10))]
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        # Its own bounds refuse the number: their message, not the column's.
        ("bounded", "99999999999999999999", "From 1 to 50."),
        ("bounded", "-99999999999999999999", "From 1 to 50."),
        ("default_words", "99999999999", "Number must be between 1 and 50."),
        ("multiplier", "1e308", "Number must be between 0.5 and 10."),
        ("floor_only", "-99999999999", "At least 1."),
        # Its own bounds let it through (no upper bound): the column's limit is the one it meets.
        ("floor_only", "99999999999", "Enter a whole number no larger than 2147483647."),
        # No bounds, but its own words for a number it cannot take.
        ("friendly", "99999999999", "Four digits, e.g. 1995."),
        ("plain", "99999999999", "Enter a whole number no larger than 2147483647."),
        ("plain", "-99999999999", "Enter a whole number no smaller than -2147483648."),
    ],
)
def test_a_number_beyond_its_column_is_told_in_the_fields_own_words(app, name, value, message):
    with app.test_request_context():
        form = Numbers(formdata=MultiDict({name: value}))
        assert not form.validate()
        assert field_errors(form) == {name: [message]}


@pytest.mark.parametrize("year", ["9" * 20, "99999999999", "-2147483649", "2147483648"])
def test_a_huge_birth_year_gets_the_birth_year_message_in_chinese(app, client, year):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans_CN"
    response = client.post("/signup/claim", data={**SIGNUP, "birth_year": year})
    assert response.status_code == 400
    errors = errors_beside(response.get_data(as_text=True), "birth_year")
    latest = to_local(utcnow()).year - 16
    assert errors == [f"请输入 1940 至 {latest} 之间的出生年份。"]


# --- one wording for length limits -------------------------------------------------------------


def test_length_limits_are_worded_one_way(app):
    class Texts(SiteForm):
        class Meta:
            csrf = False

        short = StringField(validators=[Length(max=3)])
        long_enough = StringField(validators=[Length(min=4, max=9)])
        custom = StringField(validators=[Length(min=4, message="Say more.")])

    with app.test_request_context():
        form = Texts(
            formdata=MultiDict({"short": "四个字啊", "long_enough": "三个字", "custom": "一"})
        )
        assert not form.validate()
        assert field_errors(form) == {
            "short": ["At most 3 characters."],
            "long_enough": ["At least 4 characters."],
            "custom": ["Say more."],
        }
        with force_locale("zh_Hans_CN"):
            form = Texts(
                formdata=MultiDict(
                    {"short": "四个字啊", "long_enough": "一" * 10, "custom": "一二三四"}
                )
            )
            assert not form.validate()
            assert field_errors(form) == {
                "short": ["最多 3 个字。"],
                "long_enough": ["最多 9 个字。"],
            }


def test_every_length_limit_of_the_site_is_the_sites_own(app):
    """WTForms' Length words its limit "Field cannot be longer than …"; a form that used it (or
    gave each limit its own words) would bring a second wording back."""
    from wtforms import validators as wtforms_validators

    import eventsite.accounts.forms
    import eventsite.competitions.forms
    import eventsite.events.forms
    import eventsite.events.roster_forms
    import eventsite.mixers.forms
    import eventsite.sportsmeet.forms

    modules = [
        eventsite.accounts.forms,
        eventsite.competitions.forms,
        eventsite.events.forms,
        eventsite.events.roster_forms,
        eventsite.mixers.forms,
        eventsite.sportsmeet.forms,
    ]
    found, foreign, worded = 0, [], []
    for module in modules:
        for form_class in vars(module).values():
            if not (isinstance(form_class, type) and issubclass(form_class, Form | SiteForm)):
                continue
            if form_class.__module__ != module.__name__:
                continue
            for name in dir(form_class):
                unbound = getattr(form_class, name)
                for validator in (getattr(unbound, "kwargs", None) or {}).get("validators") or []:
                    if isinstance(validator, wtforms_validators.Length):
                        found += 1
                        where = f"{form_class.__qualname__}.{name}"
                        if not isinstance(validator, Length):
                            foreign.append(where)
                        elif validator.message is not None and validator.max != -1:
                            worded.append(where)
    assert found > 30
    assert foreign == [], "use eventsite.core.forms.Length"
    assert worded == [], "a maximum length is worded by Length itself"


# --- the contact card's phone ------------------------------------------------------------------

NOT_A_PHONE = (
    "This is not a phone number: give an 11-digit mainland mobile number (e.g. 13812345678) or "
    "a landline with its area code (e.g. 0553-5812345)."
)


def save_card(client, auth, phone: str):
    from tests.mixer_factories import attend, make_mixer

    mixer = make_mixer()
    member = attend(mixer, gender="male", ready=False)
    db.session.commit()
    auth.become(member)
    g.pop("_login_user", None)
    response = client.post(
        f"/events/{mixer.event.id}/mixer/profile",
        data={"nickname": "晓宇", "single_declared": "y", "phone": phone, "release_card": "y"},
    )
    return mixer, member, response


@pytest.mark.parametrize("phone", ["1" * 500, "abc电话", "12345", "5812345", "0553-1812345"])
def test_a_card_phone_no_one_can_call_is_refused_as_not_a_phone(client, auth, clock, phone):
    from eventsite.mixers import service

    mixer, member, response = save_card(client, auth, phone)
    assert response.status_code == 400
    assert errors_beside(response.get_data(as_text=True), "phone") == [NOT_A_PHONE]
    assert service.profile_of(mixer.event, member.id).card is None


@pytest.mark.parametrize(
    ("phone", "kept"),
    [("+86 138 1234 5678", "13812345678"), ("（0553）5812345", "0553-5812345")],
)
def test_a_card_phone_is_kept_in_its_usual_spelling(client, auth, clock, phone, kept):
    from eventsite.mixers import service

    mixer, member, response = save_card(client, auth, phone)
    assert response.status_code == 303
    assert service.profile_of(mixer.event, member.id).card.phone == kept


# --- the summary at the top of a page re-rendered with errors ---------------------------------


def summary(html: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(its heading, [(link target, text)]) of the error summary, None when the page has none."""
    match = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    if match is None:
        return None
    heading = re.search(r"<p>(.*?)</p>", match.group(1), re.S).group(1).strip()
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', match.group(1), re.S)
    return heading, [(target, label.strip()) for target, label in links]


def test_a_refused_form_is_summed_up_at_the_top_with_a_link_to_each_field(client):
    html = client.post(
        "/signup/claim",
        data={**SIGNUP, "mobile": "12345", "gender": "", "birth_year": "9" * 20},
    ).get_data(as_text=True)
    heading, links = summary(html)
    year_now = to_local(utcnow()).year
    assert heading == "Please correct the 3 places marked below:"
    assert links == [
        (
            "mobile",
            "Mobile number: Please enter an 11-digit mainland mobile number, e.g. 13812345678.",
        ),
        ("gender-0", "Gender: Please choose your gender."),  # the first radio button
        ("birth_year", f"Birth year: Please enter a birth year between 1940 and {year_now - 16}."),
    ]
    # Before the summary: the page's content, so it sits at the top, above the form.
    assert html.index('class="error-summary"') < html.index("<form")
    assert summary(client.get("/signup/claim").get_data(as_text=True)) is None


def test_the_summary_counts_an_error_the_service_put_beside_a_field_and_is_chinese(
    app, client, auth
):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans_CN"
    member = make_user(birth_year=1996)
    mixer = make_event(kind=EventKind.MIXER, title="皖工鹊桥")
    db.session.commit()
    auth.become(member)
    g.pop("_login_user", None)
    html = client.post(f"/events/{mixer.id}/register", data={}).get_data(as_text=True)
    heading, [(target, text)] = summary(html)
    assert heading == "请修改下面标出的 1 处："
    assert target == "single_declared" and text.startswith("本人声明目前为单身")
    assert "：" in text
