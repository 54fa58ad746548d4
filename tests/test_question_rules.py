"""The rules every registration and feedback answer meets (eventsite.questions.rules).

The property test states each question's rule again, independently, as a predicate on the raw
strings, and checks that `read_answers` accepts an answer iff the predicate holds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.questions import rules
from eventsite.questions.rules import AnswerProblem as P
from eventsite.questions.rules import ChoiceSpec, QuestionKind, QuestionSpec

K = QuestionKind


def q(id, kind, **kw):
    return QuestionSpec(id=id, kind=kind, label=f"q{id}", **kw)


SIZES = (
    ChoiceSpec(11, "S"),
    ChoiceSpec(12, "M", places_left=0),
    ChoiceSpec(13, "L", places_left=3),
)


# --- one question at a time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "sent", "expected"),
    [
        (q(1, K.SHORT_TEXT), [], None),
        (q(1, K.SHORT_TEXT, required=True), [], P.REQUIRED),
        (q(1, K.SHORT_TEXT, required=True), ["  工号 A123 "], "工号 A123"),
        (q(1, K.SHORT_TEXT), ["x" * 200], "x" * 200),
        (q(1, K.SHORT_TEXT), ["x" * 201], P.TOO_LONG),
        (q(1, K.SHORT_TEXT), ["a\nb"], P.CONTROL_CHARACTER),
        (q(1, K.SHORT_TEXT), ["a\x00b"], P.CONTROL_CHARACTER),
        (q(1, K.LONG_TEXT), ["a\nb\tc"], "a\nb\tc"),
        (q(1, K.LONG_TEXT), ["a\x07"], P.CONTROL_CHARACTER),
        (q(1, K.LONG_TEXT), ["x" * 2001], P.TOO_LONG),
        (q(1, K.LONG_TEXT), ["x" * 2000], "x" * 2000),
        (q(1, K.SINGLE_CHOICE, choices=(ChoiceSpec(9, "最后一件", places_left=1),)), ["9"], (9,)),
        (q(1, K.NUMBER), ["2000000000"], 2_000_000_000),
        (q(1, K.NUMBER), ["-2000000000"], -2_000_000_000),
        (q(1, K.NUMBER), ["2000000001"], P.NOT_A_NUMBER),
        (q(1, K.DATE), ["1900-01-01"], date(1900, 1, 1)),
        (q(1, K.DATE), ["2100-12-31"], date(2100, 12, 31)),
        (q(1, K.DATE), ["2101-01-01"], P.NOT_A_DATE),
        (q(1, K.SINGLE_CHOICE, choices=SIZES), ["11"], (11,)),
        (q(1, K.SINGLE_CHOICE, choices=SIZES), ["11", "13"], P.ONE_CHOICE_ONLY),
        (q(1, K.SINGLE_CHOICE, choices=SIZES), ["11", "11"], (11,)),
        (q(1, K.SINGLE_CHOICE, choices=SIZES), ["14"], P.NOT_A_CHOICE),
        (q(1, K.SINGLE_CHOICE, choices=SIZES), ["S"], P.NOT_A_CHOICE),
        (q(1, K.SINGLE_CHOICE, choices=SIZES), ["12"], P.CHOICE_FULL),
        (q(1, K.MULTIPLE_CHOICE, choices=SIZES), ["13", "11"], (11, 13)),
        (q(1, K.MULTIPLE_CHOICE, choices=SIZES), ["13", "12"], P.CHOICE_FULL),
        (q(1, K.MULTIPLE_CHOICE, choices=SIZES, required=True), ["  "], P.REQUIRED),
        (q(1, K.NUMBER), ["42"], 42),
        (q(1, K.NUMBER), ["-3"], -3),
        (q(1, K.NUMBER), ["4.5"], P.NOT_A_NUMBER),
        (q(1, K.NUMBER), ["٣"], P.NOT_A_NUMBER),
        (q(1, K.NUMBER), ["99999999999"], P.NOT_A_NUMBER),
        (q(1, K.NUMBER, min_value=1, max_value=3), ["0"], P.BELOW_MINIMUM),
        (q(1, K.NUMBER, min_value=1, max_value=3), ["1"], 1),
        (q(1, K.NUMBER, min_value=1, max_value=3), ["3"], 3),
        (q(1, K.NUMBER, min_value=1, max_value=3), ["4"], P.ABOVE_MAXIMUM),
        (q(1, K.DATE), ["2026-11-11"], date(2026, 11, 11)),
        (q(1, K.DATE), ["2026-02-30"], P.NOT_A_DATE),
        (q(1, K.DATE), ["11/11/2026"], P.NOT_A_DATE),
        (q(1, K.DATE), ["1899-12-31"], P.NOT_A_DATE),
        (q(1, K.CONSENT), [], False),
        (q(1, K.CONSENT), ["yes"], True),
        (q(1, K.CONSENT, required=True), [], P.CONSENT_REQUIRED),
        (q(1, K.CONSENT, required=True), ["no"], P.CONSENT_REQUIRED),
        (q(1, K.CONSENT, required=True), ["yes"], True),
    ],
)
def test_one_answer(question, sent, expected):
    reading = rules.read_answers([question], {question.id: sent})
    if isinstance(expected, P):
        assert reading.problems == {question.id: expected}
        assert reading.values == {}
    elif expected is None:
        assert reading.ok and reading.values == {}
    else:
        assert reading.ok and reading.values == {question.id: expected}


def test_a_hidden_question_is_neither_asked_nor_kept():
    family = q(1, K.SINGLE_CHOICE, choices=(ChoiceSpec(1, "是"), ChoiceSpec(2, "否")))
    how_many = q(2, K.NUMBER, required=True, min_value=1, max_value=2, shown_if_choice_id=1)
    names = q(3, K.SHORT_TEXT, required=True, shown_if_choice_id=1)
    qs = [family, how_many, names]

    no = rules.read_answers(qs, {1: ["2"], 2: ["7"], 3: ["张三"]})
    assert no.ok and no.values == {1: (2,)} and no.shown == (1,)

    yes = rules.read_answers(qs, {1: ["1"], 2: ["7"]})
    assert yes.shown == (1, 2, 3)
    assert yes.problems == {2: P.ABOVE_MAXIMUM, 3: P.REQUIRED}

    unanswered = rules.read_answers(qs, {})
    assert unanswered.ok and unanswered.shown == (1,)


def test_a_condition_on_a_refused_answer_shows_nothing_below_it():
    first = q(1, K.SINGLE_CHOICE, choices=(ChoiceSpec(1, "A", places_left=0),))
    second = q(2, K.SHORT_TEXT, required=True, shown_if_choice_id=1)
    reading = rules.read_answers([first, second], {1: ["1"]})
    assert reading.problems == {1: P.CHOICE_FULL}
    assert reading.shown == (1,)


@pytest.mark.parametrize(
    "value",
    ["工号 A1", "多行\n文字", (3, 1), 0, -12, date(2026, 11, 11), True, False],
)
def test_stored_text_reads_back_as_the_form_sent_it(value):
    if isinstance(value, bool):
        kind = K.CONSENT
    elif isinstance(value, tuple):
        kind = K.MULTIPLE_CHOICE
    elif isinstance(value, int):
        kind = K.NUMBER
    elif isinstance(value, date):
        kind = K.DATE
    else:
        kind = K.LONG_TEXT
    choices = (ChoiceSpec(3, "c"), ChoiceSpec(1, "a"))
    question = q(1, kind, choices=choices if kind == K.MULTIPLE_CHOICE else ())
    sent = rules.form_values(kind, rules.stored_text(value))
    assert rules.read_answers([question], {1: sent}).values.get(1, False) == value


def test_stored_texts():
    assert rules.stored_text(False) == "no"
    assert rules.stored_text(True) == "yes"
    assert rules.stored_text((3, 1)) == "3,1"
    assert rules.form_values(K.SHORT_TEXT, "") == []
    assert rules.form_values(K.CONSENT, "no") == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", ""),
        ("abc", "***"),
        ("123456", "******"),
        ("1234567", "12***67"),
        ("340202199001011234", "34**************34"),
    ],
)
def test_masked(text, shown):
    assert rules.masked(text) == shown


def test_design_problems():
    a = q(1, K.SINGLE_CHOICE, choices=(ChoiceSpec(10, "x"),))
    empty = q(2, K.MULTIPLE_CHOICE)
    reversed_bounds = q(3, K.NUMBER, min_value=5, max_value=4)
    forward = q(4, K.SHORT_TEXT, shown_if_choice_id=50)
    later = q(5, K.SINGLE_CHOICE, choices=(ChoiceSpec(50, "y"),))
    good = q(6, K.SHORT_TEXT, shown_if_choice_id=10)
    equal_bounds = q(7, K.NUMBER, min_value=4, max_value=4)
    assert rules.design_problems(
        [a, empty, reversed_bounds, forward, later, good, equal_bounds]
    ) == {
        2: rules.DesignProblem.NO_CHOICES,
        3: rules.DesignProblem.BOUNDS_REVERSED,
        4: rules.DesignProblem.CONDITION_NOT_EARLIER,
    }


def test_retyping_needs_no_answers():
    assert rules.may_change_kind(K.NUMBER, K.NUMBER, answered=True)
    assert rules.may_change_kind(K.NUMBER, K.DATE, answered=False)
    assert not rules.may_change_kind(K.NUMBER, K.DATE, answered=True)


@pytest.mark.parametrize(
    ("capacity", "taken", "mine", "left"),
    [
        (None, 99, False, None),
        (5, 5, False, 0),
        (5, 5, True, 1),
        (5, 2, False, 3),
        (0, 0, False, 0),
    ],
)
def test_places_left(capacity, taken, mine, left):
    assert rules.places_left(capacity, taken, mine) == left


# --- the property: accepted iff it satisfies its question's rule ---------------------------------


def satisfies(question: QuestionSpec, sent: list[str]) -> bool:
    """The rule of each kind, restated from the issue and the question's settings."""
    filled = [s for s in sent if s.strip()]
    if question.kind == K.CONSENT:
        return not question.required or "yes" in [s.strip() for s in filled]
    if not filled:
        return not question.required
    if question.kind in (K.SINGLE_CHOICE, K.MULTIPLE_CHOICE):
        by_id = {str(c.id): c for c in question.choices}
        picked = {s.strip() for s in filled}
        if not picked <= by_id.keys():
            return False
        if question.kind == K.SINGLE_CHOICE and len(picked) > 1:
            return False
        return all(by_id[p].places_left is None or by_id[p].places_left > 0 for p in picked)
    if len(filled) != 1:
        return False
    text = filled[0].strip()
    if question.kind == K.SHORT_TEXT:
        return len(text) <= 200 and all(ord(c) >= 32 and c != "\x7f" for c in text)
    if question.kind == K.LONG_TEXT:
        return len(text) <= 2000 and all(
            c in "\n\r\t" or (ord(c) >= 32 and c != "\x7f") for c in text
        )
    if question.kind == K.NUMBER:
        body = text[1:] if text[:1] in "+-" else text
        if not (body and len(body) <= 12 and all(c in "0123456789" for c in body)):
            return False
        n = int(text)
        return (
            abs(n) <= rules.NUMBER_LIMIT
            and (question.min_value is None or n >= question.min_value)
            and (question.max_value is None or n <= question.max_value)
        )
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10 and text[4] == "-" and date(1900, 1, 1) <= day <= date(2100, 12, 31)


choice_specs = st.lists(
    st.builds(
        ChoiceSpec,
        id=st.integers(1, 6),
        label=st.just("c"),
        places_left=st.none() | st.integers(-1, 2),
    ),
    max_size=4,
    unique_by=lambda c: c.id,
).map(tuple)

bounds = st.none() | st.integers(-5, 5)


@st.composite
def question_sets(draw):
    count = draw(st.integers(1, 5))
    questions = []
    for index in range(count):
        kind = draw(st.sampled_from(list(K)))
        earlier = [c.id for x in questions for c in x.choices]
        condition = draw(st.none() | st.sampled_from(earlier)) if earlier else None
        questions.append(
            QuestionSpec(
                id=index + 1,
                kind=kind,
                required=draw(st.booleans()),
                choices=draw(choice_specs) if kind in rules.CHOICE_KINDS else (),
                min_value=draw(bounds) if kind == K.NUMBER else None,
                max_value=draw(bounds) if kind == K.NUMBER else None,
                shown_if_choice_id=condition,
            )
        )
    return questions


raw_text = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "1",
            "2",
            "3",
            "7",
            "-4",
            "+2",
            "0",
            "4.5",
            "yes",
            "no",
            "2026-11-11",
            "2026-02-30",
            "1899-01-01",
            "abc",
            "x" * 201,
            "x" * 2001,
            "a\nb",
            "a\x00b",
            "٣",
            "9999999999999",
            "3000000000",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(question_sets(), st.data())
def test_an_answer_is_accepted_iff_it_satisfies_its_question(questions, data):
    raw = {
        question.id: data.draw(st.lists(raw_text, max_size=3), label=f"answer {question.id}")
        for question in questions
    }
    reading = rules.read_answers(questions, raw)
    chosen: set[int] = set()
    for question in questions:
        shown = question.shown_if_choice_id is None or question.shown_if_choice_id in chosen
        assert (question.id in reading.shown) == shown
        if not shown:
            assert question.id not in reading.values and question.id not in reading.problems
            continue
        ok = satisfies(question, raw[question.id])
        assert (question.id not in reading.problems) == ok, (question, raw[question.id], reading)
        value = reading.values.get(question.id)
        if ok and isinstance(value, tuple):
            chosen.update(value)


# --- designing a question set ---------------------------------------------------------------

L = rules.ChoiceLineProblem


@pytest.mark.parametrize(
    ("text", "lines", "problems"),
    [
        ("", [], {}),
        ("S\nM\n\n  L  ", [("S", None), ("M", None), ("L", None)], {}),
        ("XL | 20", [("XL", 20)], {}),
        ("XL｜20\r\n大巴一号车 | 0", [("XL", 20), ("大巴一号车", 0)], {}),
        ("XL |", [("XL", None)], {}),
        ("A|B | 3", [("A|B", 3)], {}),
        ("| 20", [], {1: L.NO_LABEL}),
        ("S\nXL | -1", [("S", None)], {2: L.STOCK_NEGATIVE}),
        ("XL | 2.5", [], {1: L.STOCK_NOT_A_NUMBER}),
        ("XL | 很多", [], {1: L.STOCK_NOT_A_NUMBER}),
        ("XL | 3000000000", [], {1: L.STOCK_NOT_A_NUMBER}),
        ("S\nS", [("S", None)], {2: L.DUPLICATE}),
        ("码" * 100, [("码" * 100, None)], {}),
        ("码" * 101, [], {1: L.LABEL_TOO_LONG}),
    ],
)
def test_choice_lines(text, lines, problems):
    read, found = rules.read_choice_lines(text)
    assert [(line.label, line.capacity) for line in read] == lines
    assert found == problems


def test_choice_lines_without_stock_and_beside_existing_choices():
    assert rules.read_choice_lines("满意 | 3", stock_allowed=False)[1] == {1: L.STOCK_NOT_ASKED}
    assert rules.read_choice_lines("满意", stock_allowed=False)[1] == {}
    assert rules.read_choice_lines("M\nL", taken_labels=["M"])[1] == {1: L.DUPLICATE}
    many = "\n".join(str(n) for n in range(rules.MAX_CHOICES))
    assert rules.read_choice_lines(many)[1] == {}
    assert rules.read_choice_lines(many, taken_labels=["x"])[1] == {rules.MAX_CHOICES: L.TOO_MANY}


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="ab 码Ｘ-", min_size=1, max_size=8).filter(
                lambda s: s.strip() and s == s.strip()
            ),
            st.none() | st.integers(0, rules.STOCK_LIMIT),
        ),
        max_size=5,
        unique_by=lambda pair: pair[0],
    )
)
def test_a_choice_written_as_a_line_reads_back_the_same(pairs):
    text = "\n".join(rules.stock_line(label, capacity) for label, capacity in pairs)
    lines, problems = rules.read_choice_lines(text)
    assert problems == {}
    assert [(line.label, line.capacity) for line in lines] == pairs


@pytest.mark.parametrize(
    ("order", "question_id", "step", "expected"),
    [
        ([1, 2, 3], 3, -1, [1, 3, 2]),
        ([1, 2, 3], 1, 1, [2, 1, 3]),
        ([1, 2, 3], 1, -1, None),
        ([1, 2, 3], 3, 1, None),
        ([1, 2, 3], 4, -1, None),
        ([1], 1, 1, None),
    ],
)
def test_moved(order, question_id, step, expected):
    assert rules.moved(order, question_id, step) == expected


def test_a_condition_must_stay_below_its_question():
    family = q(1, K.SINGLE_CHOICE, choices=(ChoiceSpec(11, "是"), ChoiceSpec(12, "否")))
    count = q(2, K.NUMBER, shown_if_choice_id=11)
    other = q(3, K.SHORT_TEXT)
    assert rules.conditions_out_of_order([family, count, other]) == []
    assert rules.conditions_out_of_order([family, other, count]) == []
    assert rules.conditions_out_of_order([count, family, other]) == [2]
    assert rules.conditions_on([family, count, other], frozenset({11})) == [2]
    assert rules.conditions_on([family, count, other], frozenset({12})) == []


def test_what_answers_keep():
    assert rules.may_remove_choice(0) and not rules.may_remove_choice(1)
    assert rules.may_set_stock(None, 50)
    assert rules.may_set_stock(3, 3) and not rules.may_set_stock(2, 3)
    assert rules.may_set_stock(0, 0)
    assert rules.may_unmark_sensitive(False) and not rules.may_unmark_sensitive(True)
