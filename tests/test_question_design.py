"""The organizer's question designer through the real pages, with CSRF on: adding every kind,
conditions, moving, rewording under answers (never retyping), removing with the answers kept in
the audit log (masked when sensitive), copying from an earlier event, stale edits, bad input,
and who may open it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from eventsite.core.models import AuditEntry
from eventsite.events.models import EventKind, RegistrationStatus
from eventsite.extensions import db
from eventsite.questions.models import Answer, AnswerChoice, Question, QuestionChoice
from tests.factories import (
    make_event,
    make_organization,
    make_outside_organizer,
    make_registration,
    make_user,
)
from tests.question_factories import make_question


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en", "WTF_CSRF_ENABLED": True}


@pytest.fixture
def organizer(app, auth):
    """An organizer of a city union (not of the whole federation)."""
    city = make_organization("芜湖市总工会")
    user = make_user(roles=["organizer"], name="工会干事", roles_on=city.id)
    db.session.commit()
    auth.become(user)
    return user


def event_of(organizer, **fields):
    """An event of the organizer's union."""
    organization_id = organizer.role_grants[0].organization_id
    return make_event(organizer=organizer, organization_id=organization_id, **fields)


@pytest.fixture
def event(organizer):
    made = event_of(organizer, kind=EventKind.GENERAL, title="快递小哥关爱日")
    db.session.commit()
    return made


def url(event, *parts, purpose="questions") -> str:
    return "/".join([f"/events/{event.id}/{purpose}", *(str(part) for part in parts)])


def token(client, event, purpose="questions") -> str:
    html = client.get(url(event, purpose=purpose)).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def add(client, event, purpose="questions", **fields):
    data = {"kind": "short_text", "label": "工号", "csrf_token": token(client, event, purpose)}
    data.update(fields)
    return client.post(url(event, purpose=purpose), data=data)


def questions(event, purpose="registration") -> list[Question]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.event_id == event.id, Question.purpose == purpose)
            .order_by(Question.position, Question.id)
        )
    )


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def errors_beside(html: str, field_id: str) -> str:
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def edit_data(client, event, question: Question, **change) -> dict:
    """The edit form as the page renders it for `question`, with `change` applied."""
    html = client.get(url(event, question.id)).get_data(as_text=True)
    version = re.search(r'name="loaded_version" type="hidden" value="([^"]+)"', html).group(1)
    data = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1),
        "loaded_version": version,
        "kind": question.kind,
        "label": question.label,
        "help_text": question.help_text,
        "min_value": "" if question.min_value is None else str(question.min_value),
        "max_value": "" if question.max_value is None else str(question.max_value),
        "shown_if_choice_id": question.shown_if_choice_id or "",
        "new_choices": "",
    }
    if question.required:
        data["required"] = "y"
    if question.sensitive:
        data["sensitive"] = "y"
    for index, choice in enumerate(question.choices):
        data[f"choices-{index}-id"] = str(choice.id)
        data[f"choices-{index}-label"] = choice.label
        data[f"choices-{index}-capacity"] = "" if choice.capacity is None else str(choice.capacity)
    for name, value in change.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def answer(question: Question, user=None, value: str = "", choices=(), status=None):
    """A member's registration with their answer to `question`."""
    user = user or make_user()
    registration = make_registration(
        question.event, user, status=status or RegistrationStatus.CONFIRMED
    )
    row = Answer(registration_id=registration.id, question_id=question.id, value=value)
    row.chosen = [AnswerChoice(choice_id=choice.id) for choice in choices]
    db.session.add(row)
    db.session.flush()
    return row


# --- Adding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "short_text", "label": "工号", "required": "y"}, {"required": True}),
        ({"kind": "long_text", "label": "饮食禁忌", "help_text": "如清真、素食"}, {}),
        (
            {"kind": "number", "label": "携带家属人数", "min_value": "0", "max_value": "2"},
            {"min_value": 0, "max_value": 2},
        ),
        ({"kind": "date", "label": "出生日期"}, {}),
        ({"kind": "consent", "label": "同意购买活动意外险", "required": "y"}, {}),
        (
            {"kind": "short_text", "label": "身份证号", "sensitive": "y", "required": "y"},
            {"sensitive": True},
        ),
    ],
)
def test_each_kind_is_added_audited_and_previewed(client, event, fields, expected):
    response = add(client, event, **fields)
    assert response.status_code == 303
    [question] = questions(event)
    assert response.headers["Location"].endswith(
        f"/events/{event.id}/questions#question-{question.id}"
    )
    assert (question.kind, question.label) == (fields["kind"], fields["label"])
    for name, value in expected.items():
        assert getattr(question, name) == value, name
    assert question.choices == []
    [entry] = audit_entries("question.add")
    assert fields["label"] in entry.detail and entry.event_id == event.id
    page = client.get(url(event)).get_data(as_text=True)
    assert f'id="q-{question.id}-field"' in page  # the preview, drawn by the members' macro
    assert f'id="question-{question.id}"' in page


@pytest.mark.parametrize("kind", ["single_choice", "multiple_choice"])
def test_choice_questions_take_one_choice_a_line_with_an_optional_stock(client, event, kind):
    response = add(
        client, event, kind=kind, label="T恤尺码", new_choices="S | 20\r\nM｜5\r\n\r\n  L  \r\n"
    )
    assert response.status_code == 303
    [question] = questions(event)
    assert [(c.label, c.capacity) for c in question.choices] == [
        ("S", 20),
        ("M", 5),
        ("L", None),
    ]
    page = client.get(url(event)).get_data(as_text=True)
    assert "0 of 20 taken" in page
    assert f'type="{"radio" if kind == "single_choice" else "checkbox"}"' in page


def test_fields_a_kind_does_not_use_are_not_kept(client, event):
    response = add(client, event, kind="short_text", min_value="1", max_value="3", new_choices="A")
    assert response.status_code == 303
    [question] = questions(event)
    assert (question.min_value, question.max_value, question.choices) == (None, None, [])


def test_a_conditional_question_is_shown_only_after_its_choice(client, event):
    add(client, event, kind="single_choice", label="是否携带家属", new_choices="是\n否")
    [family] = questions(event)
    yes = family.choices[0]
    response = add(
        client, event, kind="number", label="家属人数", min_value="1", shown_if_choice_id=yes.id
    )
    assert response.status_code == 303
    count = questions(event)[1]
    assert count.shown_if_choice_id == yes.id
    page = client.get(url(event)).get_data(as_text=True)
    assert f'data-shown-if="{yes.id}"' in page
    assert "Shown only when 「是否携带家属」 is 「是」" in page


def test_a_condition_only_looks_at_an_earlier_questions_choice(client, event, organizer):
    other = event_of(organizer, title="别的活动")
    foreign = make_question(other, "single_choice", "别处", choices=["甲"])
    first = make_question(event, "single_choice", "第一题", choices=["甲", "乙"])
    second = make_question(event, "single_choice", "第二题", choices=["丙"])
    db.session.commit()
    # Another event's choice is not on offer at all.
    response = add(client, event, label="新题", shown_if_choice_id=foreign.choices[0].id)
    assert response.status_code == 400
    assert errors_beside(response.get_data(as_text=True), "shown_if_choice_id")
    # The first question cannot depend on the second, which comes after it.
    data = edit_data(client, event, first, shown_if_choice_id=second.choices[0].id)
    response = client.post(url(event, first.id), data=data)
    assert response.status_code == 400
    assert errors_beside(response.get_data(as_text=True), "shown_if_choice_id")
    # Nor on its own choice.
    data = edit_data(client, event, second, shown_if_choice_id=second.choices[0].id)
    assert client.post(url(event, second.id), data=data).status_code == 400
    assert [q.shown_if_choice_id for q in questions(event)] == [None, None]
    assert audit_entries() == []


# --- Moving ----------------------------------------------------------------------------------


def move(client, event, question, direction, version=None):
    html = client.get(url(event)).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(
        url(event, question.id, "move"),
        data={
            "csrf_token": csrf,
            "loaded_version": version or question.version,
            "direction": direction,
        },
    )


def test_questions_move_up_and_down(client, event):
    a = make_question(event, "short_text", "甲")
    b = make_question(event, "short_text", "乙")
    c = make_question(event, "short_text", "丙")
    db.session.commit()
    assert move(client, event, c, "up").status_code == 303
    assert [q.label for q in questions(event)] == ["甲", "丙", "乙"]
    assert move(client, event, questions(event)[0], "down").status_code == 303
    assert [q.label for q in questions(event)] == ["丙", "甲", "乙"]
    assert [q.position for q in questions(event)] == [0, 1, 2]
    assert len(audit_entries("question.move")) == 2
    # The first cannot go up.
    response = move(client, event, questions(event)[0], "up")
    assert response.status_code == 400
    assert "already first" in response.get_data(as_text=True)
    assert (a.id, b.id) != (None, None)


def test_a_stale_move_is_refused_on_the_card_and_nothing_moves(client, event):
    first = make_question(event, "short_text", "甲")
    second = make_question(event, "short_text", "乙")
    db.session.commit()
    loaded = second.version  # the page was loaded before the other organizer's save
    theirs = edit_data(client, event, second, label="乙二")
    assert client.post(url(event, second.id), data=theirs).status_code == 303
    response = move(client, event, second, "up", version=loaded)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "after you opened this page" in html
    assert f'id="question-{second.id}-errors"' in html
    assert [q.id for q in questions(event)] == [first.id, second.id]
    assert audit_entries("question.move") == []


def test_a_move_that_would_put_a_condition_above_its_question_is_refused(client, event):
    family = make_question(event, "single_choice", "是否携带家属", choices=["是", "否"])
    count = make_question(event, "number", "家属人数", shown_if=family.choices[0])
    db.session.commit()
    for question, direction in ((count, "up"), (family, "down")):
        response = move(client, event, question, direction)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "must stay below it" in html
        assert f'id="question-{question.id}-errors"' in html  # on the card moved
    assert [q.label for q in questions(event)] == ["是否携带家属", "家属人数"]
    assert questions(event)[1].shown_if_choice_id == family.choices[0].id
    assert audit_entries() == []


# --- Changing, under answers -----------------------------------------------------------------


def test_a_question_with_answers_may_be_reworded_but_not_retyped(client, event):
    size = make_question(event, "single_choice", "T恤尺码", choices=[("M", 10), ("L", 10)])
    answer(size, choices=[size.choices[0]])
    db.session.commit()
    data = edit_data(client, event, size, kind="multiple_choice")
    response = client.post(url(event, size.id), data=data)
    assert response.status_code == 400
    assert "its type stays" in errors_beside(response.get_data(as_text=True), "kind")
    assert questions(event)[0].kind == "single_choice"

    data = edit_data(
        client,
        event,
        size,
        label="文化衫尺码",
        help_text="按平时穿的尺码选",
        **{"choices-0-label": "M（170）", "choices-1-capacity": "30"},
        new_choices="XL | 5",
    )
    response = client.post(url(event, size.id), data=data)
    assert response.status_code == 303
    [question] = questions(event)
    assert (question.label, question.help_text) == ("文化衫尺码", "按平时穿的尺码选")
    assert [(c.label, c.capacity) for c in question.choices] == [
        ("M（170）", 10),
        ("L", 30),
        ("XL", 5),
    ]
    [entry] = audit_entries("question.update")
    assert "T恤尺码 → 文化衫尺码" in entry.detail
    assert "M（170）" in entry.detail and "XL" in entry.detail
    # The answer still points at its choice.
    assert db.session.scalar(sa.select(AnswerChoice.choice_id)) == question.choices[0].id


def test_an_answered_choice_stays_and_a_stock_never_falls_below_what_is_taken(client, event):
    size = make_question(event, "single_choice", "T恤尺码", choices=[("M", 10), "L", "XL"])
    m = size.choices[0]
    answer(size, choices=[m])
    answer(size, choices=[m])
    answer(size, choices=[m], status=RegistrationStatus.CANCELLED)  # gave its place back
    db.session.commit()
    before = [(c.id, c.label, c.capacity) for c in size.choices]

    data = edit_data(client, event, size, **{"choices-0-remove": "y"})
    response = client.post(url(event, size.id), data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "stays" in errors_beside(html, "choices-0-label")
    # No remove box beside an answered choice, only its count.
    assert 'id="choices-0-remove"' not in html.split('id="choices-1-id"')[0]

    data = edit_data(client, event, size, **{"choices-0-capacity": "1"})
    response = client.post(url(event, size.id), data=data)
    assert response.status_code == 400
    assert "cannot be less than 2" in errors_beside(
        response.get_data(as_text=True), "choices-0-label"
    )
    assert [(c.id, c.label, c.capacity) for c in questions(event)[0].choices] == before

    data = edit_data(client, event, size, **{"choices-0-capacity": "2", "choices-2-remove": "y"})
    assert client.post(url(event, size.id), data=data).status_code == 303
    assert [(c.label, c.capacity) for c in questions(event)[0].choices] == [("M", 2), ("L", None)]


def test_sensitive_may_be_marked_any_time_but_stays_once_answered(client, event):
    id_number = make_question(event, "short_text", "身份证号")
    answer(id_number, value="340202199001011234")
    db.session.commit()
    data = edit_data(client, event, id_number, sensitive="y")
    assert client.post(url(event, id_number.id), data=data).status_code == 303
    assert questions(event)[0].sensitive is True
    data = edit_data(client, event, questions(event)[0], sensitive=None)
    response = client.post(url(event, id_number.id), data=data)
    assert response.status_code == 400
    assert "stays sensitive" in errors_beside(response.get_data(as_text=True), "sensitive")
    assert questions(event)[0].sensitive is True


def test_an_unanswered_question_may_be_retyped_and_its_choices_go(client, event):
    family = make_question(event, "single_choice", "是否携带家属", choices=["是", "否"])
    count = make_question(event, "number", "家属人数", shown_if=family.choices[0])
    db.session.commit()
    data = edit_data(client, event, family, kind="short_text", label="家属姓名")
    response = client.post(url(event, family.id), data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "「家属人数」 is now always shown" in response.get_data(as_text=True)
    first, second = questions(event)
    assert (first.kind, first.choices) == ("short_text", [])
    assert second.id == count.id and second.shown_if_choice_id is None
    assert db.session.scalar(sa.select(sa.func.count(QuestionChoice.id))) == 0


def test_removing_the_choice_a_condition_looks_at_clears_the_condition(client, event):
    family = make_question(event, "single_choice", "是否携带家属", choices=["是", "否"])
    count = make_question(event, "number", "家属人数", shown_if=family.choices[0])
    db.session.commit()
    data = edit_data(client, event, family, **{"choices-0-remove": "y"})
    response = client.post(url(event, family.id), data=data, follow_redirects=True)
    assert "「家属人数」 is now always shown" in response.get_data(as_text=True)
    first, second = questions(event)
    assert [c.label for c in first.choices] == ["否"]
    assert second.id == count.id and second.shown_if_choice_id is None


# --- Removing --------------------------------------------------------------------------------


def remove(client, event, question, version=None):
    html = client.get(url(event)).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(
        url(event, question.id, "remove"),
        data={"csrf_token": csrf, "loaded_version": version or question.version},
    )


def test_removing_a_question_keeps_its_answers_in_the_audit_log(client, event):
    size = make_question(event, "multiple_choice", "需要的物资", choices=["雨衣", "保温杯"])
    answer(size, make_user(name="张师傅"), choices=size.choices)
    answer(size, make_user(name="李师傅"), choices=[size.choices[1]])
    later = make_question(event, "short_text", "备注", shown_if=size.choices[0])
    db.session.commit()
    response = remove(client, event, size)
    assert response.status_code == 303
    assert [q.id for q in questions(event)] == [later.id]
    assert questions(event)[0].shown_if_choice_id is None
    assert questions(event)[0].position == 0
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    [entry] = audit_entries("question.remove")
    assert "需要的物资" in entry.detail
    assert "张师傅: 雨衣、保温杯" in entry.detail
    assert "李师傅: 保温杯" in entry.detail


def test_a_removed_sensitive_questions_answers_are_logged_masked(client, event):
    id_number = make_question(event, "short_text", "身份证号", sensitive=True)
    answer(id_number, make_user(name="王师傅"), value="340202199001011234")
    db.session.commit()
    assert remove(client, event, id_number).status_code == 303
    [entry] = audit_entries("question.remove")
    assert "王师傅: 34**************34" in entry.detail
    assert "340202199001011234" not in entry.detail


def test_a_stale_remove_or_edit_is_refused(client, auth, event, organizer, clock):
    question = make_question(event, "short_text", "工号")
    db.session.commit()
    mine = edit_data(client, event, question)  # loaded before the other organizer's save
    theirs = edit_data(client, event, question, label="职工工号")
    assert client.post(url(event, question.id), data=theirs).status_code == 303
    response = client.post(url(event, question.id), data={**mine, "label": "工作证号"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "after you opened this page" in html
    assert 'value="工作证号"' in html  # the organizer's entry is kept to save again
    assert questions(event)[0].label == "职工工号"
    # A remove button from the old page is refused too.
    response = remove(client, event, question, version=mine["loaded_version"])
    assert response.status_code == 409
    assert len(questions(event)) == 1
    # Saving again from the refused page (it now carries the current version) goes through.
    refreshed = re.search(r'name="loaded_version" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        url(event, question.id), data={**mine, "label": "工作证号", "loaded_version": refreshed}
    )
    assert response.status_code == 303
    assert questions(event)[0].label == "工作证号"


# --- Copying ---------------------------------------------------------------------------------


def test_copy_from_an_earlier_event_remaps_conditions(client, event, organizer):
    earlier = event_of(organizer, title="去年的关爱日")
    family = make_question(earlier, "single_choice", "是否携带家属", choices=["是", "否"])
    make_question(earlier, "number", "家属人数", shown_if=family.choices[0], min_value=1)
    make_question(earlier, "single_choice", "T恤尺码", choices=[("M", 20)], sensitive=True)
    make_question(earlier, "long_text", "问卷题", purpose="feedback")
    outsider = make_outside_organizer(name="外单位")
    theirs = make_event(
        organizer=outsider,
        title="别人的活动",
        organization_id=outsider.role_grants[0].organization_id,
    )
    make_question(theirs, "short_text", "别人的问题")
    make_question(event, "short_text", "工号")
    db.session.commit()

    page = client.get(url(event)).get_data(as_text=True)
    assert "去年的关爱日" in page and "3 questions" in page
    assert "别人的活动" not in page
    csrf = token(client, event)
    # Another union's event cannot be copied, whatever is posted.
    response = client.post(
        url(event, "copy"), data={"csrf_token": csrf, "source_event_id": theirs.id}
    )
    assert response.status_code == 400
    assert len(questions(event)) == 1

    response = client.post(
        url(event, "copy"), data={"csrf_token": csrf, "source_event_id": earlier.id}
    )
    assert response.status_code == 303
    copied = questions(event)
    assert [q.label for q in copied] == ["工号", "是否携带家属", "家属人数", "T恤尺码"]
    assert [q.position for q in copied] == [0, 1, 2, 3]
    new_family, new_count, new_size = copied[1:]
    assert new_family.id != family.id
    assert new_count.shown_if_choice_id == new_family.choices[0].id
    assert new_count.min_value == 1
    assert [(c.label, c.capacity) for c in new_size.choices] == [("M", 20)]
    assert new_size.sensitive is True
    assert questions(event, "feedback") == []
    [entry] = audit_entries("question.copy")
    assert "去年的关爱日" in entry.detail and "「家属人数」" in entry.detail


# --- The feedback survey's questions ---------------------------------------------------------


def test_the_feedback_designer_has_no_stock_and_no_sensitive_box(client, event):
    html = client.get(url(event, purpose="feedback-questions")).get_data(as_text=True)
    assert 'name="sensitive"' not in html
    assert "「XL | 20」" not in html
    response = add(
        client,
        event,
        purpose="feedback-questions",
        kind="single_choice",
        label="本次活动是否满意",
        new_choices="满意\n一般 | 3",
        sensitive="y",
    )
    assert response.status_code == 400
    assert "feedback choices have no stock" in errors_beside(
        response.get_data(as_text=True), "new_choices"
    )
    response = add(
        client,
        event,
        purpose="feedback-questions",
        kind="single_choice",
        label="本次活动是否满意",
        new_choices="满意\n一般",
        sensitive="y",
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/events/{event.id}/feedback-questions")
    [question] = questions(event, "feedback")
    assert question.sensitive is False
    assert questions(event) == []
    # A feedback question is not reachable under the registration questions' path.
    assert client.get(url(event, question.id)).status_code == 404
    assert client.get(url(event, question.id, purpose="feedback-questions")).status_code == 200


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        ("label", {"label": "  "}, "Please write the question."),
        ("label", {"label": "问" * 201}, "At most 200 characters."),
        ("label", {"label": "工\x00号"}, "NUL"),
        ("help_text", {"help_text": "说" * 501}, "At most 500 characters."),
        (
            "max_value",
            {"kind": "number", "min_value": "5", "max_value": "1"},
            "must not be below the smallest",
        ),
        ("min_value", {"kind": "number", "min_value": "1.5"}, ""),
        ("new_choices", {"kind": "single_choice", "new_choices": "XL | -1"}, "below 0"),
        ("new_choices", {"kind": "single_choice", "new_choices": "XL | 很多"}, "whole number"),
        ("new_choices", {"kind": "single_choice", "new_choices": "A\nA"}, "already in the list"),
        ("new_choices", {"kind": "single_choice", "new_choices": "码" * 101}, "at most 100"),
        ("new_choices", {"kind": "multiple_choice", "new_choices": ""}, "at least one choice"),
        ("kind", {"kind": "essay"}, ""),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_changes_nothing(
    client, event, field, change, message
):
    response = add(client, event, **change)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    beside = errors_beside(html, field)
    assert beside, html
    assert message in beside
    assert questions(event) == [] and audit_entries() == []


def test_bad_choice_rows_are_refused_beside_the_row(client, event):
    size = make_question(event, "single_choice", "T恤尺码", choices=["M", "L"])
    db.session.commit()
    for change, message in (
        ({"choices-0-capacity": "-1"}, "at least 0"),
        ({"choices-0-label": ""}, "tick"),
        ({"choices-1-label": "M"}, "already in the list"),
        ({"choices-0-label": "M\x00"}, "NUL"),
    ):
        data = edit_data(client, event, size, **change)
        response = client.post(url(event, size.id), data=data)
        assert response.status_code == 400, change
        row = next(iter(change))[: len("choices-0")]
        assert message in errors_beside(response.get_data(as_text=True), f"{row}-label"), change
    assert [(c.label, c.capacity) for c in questions(event)[0].choices] == [
        ("M", None),
        ("L", None),
    ]
    assert audit_entries() == []


def test_a_post_without_the_forms_token_is_refused(client, event):
    response = client.post(url(event), data={"kind": "short_text", "label": "工号"})
    assert response.status_code == 400
    assert questions(event) == []


# --- Who may design --------------------------------------------------------------------------


def test_only_the_events_managers_reach_the_designer(client, auth, event):
    question = make_question(event, "short_text", "工号")
    member = make_user(name="会员")
    outsider = make_outside_organizer(name="外单位组织者")
    db.session.commit()
    pages = [url(event), url(event, question.id), url(event, purpose="feedback-questions")]
    for user in (member, outsider):
        auth.become(user)
        for page in pages:
            assert client.get(page).status_code == 403, (user.name, page)
        for action in ("move", "remove"):
            response = client.post(
                url(event, question.id, action), data={"loaded_version": question.version}
            )
            assert response.status_code in (400, 403)  # no token: refused either way
    auth.logout()
    response = client.get(url(event))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    other = make_event(title="别的活动")
    stranger = make_question(other, "short_text", "别处")
    db.session.commit()
    auth.become(db.session.get(type(member), event.organizers[0].user_id))
    assert client.get(url(event, stranger.id)).status_code == 404
    assert client.get(f"/events/{event.id}/answers").status_code == 404
    assert questions(event)[0].label == "工号"


def test_the_manage_page_links_to_the_designer(client, event):
    html = client.get("/manage").get_data(as_text=True)
    assert f'href="/events/{event.id}/questions"' in html
