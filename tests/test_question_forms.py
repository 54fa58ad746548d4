"""Questions on a form: the fields drawn for each kind, what the form sent, the messages."""

from __future__ import annotations

from flask import render_template_string
from werkzeug.datastructures import MultiDict

from eventsite.events.models import EventKind
from eventsite.questions import forms, rules
from tests.factories import make_event
from tests.question_factories import make_question

MACRO = (
    '{% from "questions/_fields.html" import question_fields %}'
    "{{ question_fields(questions, values, problems, full) }}"
)


def test_each_kind_gets_its_field_and_a_condition_is_marked(app):
    event = make_event(kind=EventKind.GENERAL)
    size = make_question(event, "single_choice", "T恤尺码", choices=[("M", 0), "L"], required=True)
    family = make_question(event, "single_choice", "是否携带家属", choices=["是", "否"])
    count = make_question(
        event, "number", "家属人数", min_value=1, max_value=2, shown_if=family.choices[0]
    )
    make_question(event, "long_text", "饮食禁忌")
    make_question(event, "date", "出生日期")
    make_question(event, "consent", "同意购买活动保险", required=True)
    id_number = make_question(event, "short_text", "身份证号", sensitive=True)
    questions = [size, family, count, *event_questions(event)[3:]]
    with app.test_request_context():
        html = render_template_string(
            MACRO,
            questions=questions,
            values={family.id: [str(family.choices[0].id)]},
            problems={count.id: "请填写不小于 1 的数。"},
            full={size.choices[0].id},
        )
    assert f'name="q-{size.id}" value="{size.choices[0].id}" disabled' in html
    assert f'data-shown-if="{family.choices[0].id}"' in html
    assert f'value="{family.choices[0].id}" checked' in html
    assert "请填写不小于 1 的数。" in html and f'id="q-{count.id}-errors"' in html
    assert 'type="date"' in html and "<textarea" in html and 'value="yes"' in html
    assert (
        f'id="q-{id_number.id}" name="q-{id_number.id}" value="" maxlength="200" autocomplete="off"'
        in html
    )


def event_questions(event):
    from eventsite.extensions import db
    from eventsite.questions.models import Question

    return db.session.scalars(
        db.select(Question).where(Question.event_id == event.id).order_by(Question.position)
    ).all()


def test_what_the_form_sent_is_read_by_the_rules(app):
    event = make_event(kind=EventKind.GENERAL)
    size = make_question(event, "multiple_choice", "班车", choices=[("去程", 1), "返程"])
    age = make_question(event, "number", "工龄", min_value=0, max_value=50)
    sent = MultiDict(
        [
            (f"q-{size.id}", str(size.choices[0].id)),
            (f"q-{size.id}", str(size.choices[1].id)),
            (f"q-{age.id}", "51"),
        ]
    )
    raw = forms.raw_answers(sent, [size, age])
    taken = {size.choices[0].id: rules.places_left(1, 1, held_by_member=False)}
    reading = rules.read_answers(forms.specs_of([size, age], taken), raw)
    assert reading.problems == {
        size.id: rules.AnswerProblem.CHOICE_FULL,
        age.id: rules.AnswerProblem.ABOVE_MAXIMUM,
    }
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert forms.problem_messages([size, age], reading.problems) == {
            size.id: "该选项名额已满，请另选。",
            age.id: "请填写不大于 50 的数。",
        }
