"""Demo union activities (工会活动) from the seed page: the Double-11 courier care day, held in
sessions with a question set, and a 职工讲堂 lecture whose feedback has come in.

Called by `demo.load`; rows are written directly (the registration engine's rules are tested
elsewhere), with arrival times in the past so every page reads as it would a few days on.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsite.accounts.models import Gender, User
from eventsite.core.time import to_local
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventSession,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from eventsite.extensions import db
from eventsite.feedback.models import FeedbackAnswer, FeedbackReceipt, FeedbackResponse
from eventsite.organizations.models import Organization
from eventsite.questions import rules as question_rules
from eventsite.questions.models import (
    Answer,
    AnswerChoice,
    Question,
    QuestionChoice,
    QuestionPurpose,
)

CARE_DAY_UNION = "辽宁省总工会"
LECTURE_UNION = "齐齐哈尔市职工大学"
CARE_DAY_FIRST_MOBILE = 13900007000
LECTURE_FIRST_MOBILE = 13900008000

CARE_DAY_TITLE = "「与小哥并肩」双十一快递员暖冬关爱日"
CARE_DAY_DESCRIPTION = """\
双十一期间包裹激增，快递员从清晨忙到日暮。工会驿站为快递员、外卖骑手等新就业形态劳动者\
准备了暖冬关爱日：免费职业健康体检、冬季防寒手套、理发和法律咨询，爱「新」食堂就餐九折。\
错峰分三场进行，请选择方便的一场报名；每场名额有限，满额后可排队候补。"""
CARE_DAY_VENUE = "沈阳高新区工会驿站（京东「亚洲一号」分拣中心旁）"
#: (label, start hour, start minute, end hour, end minute, capacity): the quiet hours between
#: the morning sort, the lunch rush and the evening round.
CARE_DAY_SESSIONS = (
    ("第一场（早班后）", 9, 30, 11, 0, 30),
    ("第二场（午休）", 13, 0, 14, 30, 40),
    ("第三场（收工后）", 18, 0, 19, 30, 30),
)
#: Couriers registering for each session: the first fills up and three wait for it.
CARE_DAY_SPREAD = (33, 22, 10)
CARE_DAY_COMPANIES = ("京东物流", "顺丰速运", "中通快递", "圆通速递", "韵达快递", "美团外卖")
#: Glove sizes with the stock the union bought.
GLOVE_SIZES = (("M 码", 30), ("L 码", 40), ("XL 码", 25))
CARE_DAY_SERVICES = ("职业健康体检", "理发", "法律咨询", "手机贴膜")

LECTURE_TITLE = "职工讲堂：新就业形态劳动者职业健康与安全"
LECTURE_DESCRIPTION = """\
市职工大学培训中心的老师讲解久坐、负重和冬季骑行的职业健康风险，现场演示护腰拉伸和\
急救要点。讲座后请参加活动反馈，帮助我们把下一期讲得更实用。"""
LECTURE_VENUE = "齐齐哈尔市职工大学报告厅"
LECTURE_COMMENTS = (
    "护腰拉伸动作很实用，回去就能做。",
    "希望下次讲讲冬季骑行防冻。",
    "老师讲得通俗易懂，案例贴近我们的工作。",
    "时间可以再长一点，急救部分没听够。",
    "报告厅有点冷，其他都很好。",
    "建议做成系列讲座，每月一次。",
)
#: (rating, how useful, what next) per response, most of them content.
LECTURE_RESPONSES = (5, 5, 4, 5, 4, 5, 3, 5, 4, 5, 5, 4, 5, 4, 5, 4, 5, 5)
LECTURE_NEXT_TOPICS = ("颈椎腰椎保健", "交通安全", "心理减压", "劳动法律知识")


@dataclass(frozen=True)
class Loaded:
    care_day: Event
    lecture: Event


def load(
    now: datetime,
    organizer: User,
    member: User,
    organizations: dict[str, Organization],
    password_hash: str,
    person: Callable[[random.Random, str], str],
) -> Loaded:
    """The courier care day (upcoming, in sessions, with questions and answers) and the lecture
    (ended two days ago, feedback open, 18 responses in); `member` attended the lecture and has
    yet to answer its survey. `person(rng, gender)` names a demo member."""
    rng = random.Random(CARE_DAY_FIRST_MOBILE)
    care_day = _care_day(now, organizer, organizations[CARE_DAY_UNION], password_hash, rng, person)
    lecture = _lecture(
        now, organizer, member, organizations[LECTURE_UNION], password_hash, rng, person
    )
    return Loaded(care_day=care_day, lecture=lecture)


def _local(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """`days` after today's local date, at hour:minute local time, as UTC."""
    local = to_local(now).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return (local + timedelta(days=days)).astimezone(now.tzinfo)


def _published(event: Event, organizer: User, organization: Organization) -> Event:
    event.kind = EventKind.GENERAL
    event.status = EventStatus.PUBLISHED
    event.organization_id = organization.id
    event.created_by_id = organizer.id
    event.created_at = event.updated_at = event.published_at = (
        event.registration_opens_at - timedelta(days=2)
    )
    event.organizers = [EventOrganizer(user_id=organizer.id, added_at=event.created_at)]
    db.session.add(event)
    db.session.flush()
    return event


def _members(
    first_mobile: int,
    count: int,
    work_units: Sequence[str],
    password_hash: str,
    rng: random.Random,
    person: Callable[[random.Random, str], str],
    joined: datetime,
) -> list[User]:
    genders = [Gender.MALE if rng.random() < 0.8 else Gender.FEMALE for _ in range(count)]
    users = [
        User(
            name=person(rng, gender),
            mobile=str(first_mobile + i),
            work_unit=rng.choice(work_units),
            gender=gender,
            birth_year=to_local(joined).year - rng.randint(21, 48),
            password_hash=password_hash,
            created_at=joined,
        )
        for i, gender in enumerate(genders)
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


def _question(event: Event, purpose: str, position: int, kind: str, label: str, **fields):
    choices = fields.pop("choices", ())
    question = Question(
        event_id=event.id, purpose=purpose, position=position, kind=kind, label=label, **fields
    )
    for index, choice in enumerate(choices):
        label_, capacity = choice if isinstance(choice, tuple) else (choice, None)
        question.choices.append(QuestionChoice(position=index, label=label_, capacity=capacity))
    db.session.add(question)
    db.session.flush()
    return question


def _care_day(
    now: datetime,
    organizer: User,
    union: Organization,
    password_hash: str,
    rng: random.Random,
    person: Callable[[random.Random, str], str],
) -> Event:
    """Five days from now, three sessions; registration open since three days ago."""
    first, last = CARE_DAY_SESSIONS[0], CARE_DAY_SESSIONS[-1]
    event = _published(
        Event(
            title=CARE_DAY_TITLE,
            description=CARE_DAY_DESCRIPTION,
            venue=CARE_DAY_VENUE,
            co_hosts="沈阳高新区总工会",
            starts_at=_local(now, 5, first[1], first[2]),
            ends_at=_local(now, 5, last[3], last[4]),
            registration_opens_at=_local(now, -3, 9),
            registration_closes_at=_local(now, 4, 20),
            capacity=sum(spec[5] for spec in CARE_DAY_SESSIONS),
            multiple_sessions=False,
        ),
        organizer,
        union,
    )
    sessions = [
        EventSession(
            event_id=event.id,
            label=label,
            starts_at=_local(now, 5, h1, m1),
            ends_at=_local(now, 5, h2, m2),
            capacity=capacity,
            position=position,
        )
        for position, (label, h1, m1, h2, m2, capacity) in enumerate(CARE_DAY_SESSIONS)
    ]
    db.session.add_all(sessions)
    reg = QuestionPurpose.REGISTRATION
    company = _question(
        event,
        reg,
        0,
        "single_choice",
        "所在企业（平台）",
        required=True,
        choices=CARE_DAY_COMPANIES,
    )
    gloves = _question(
        event,
        reg,
        1,
        "single_choice",
        "是否领取冬季防寒手套",
        required=True,
        choices=("领取", "不需要"),
    )
    size = _question(
        event,
        reg,
        2,
        "single_choice",
        "手套尺码",
        required=True,
        choices=GLOVE_SIZES,
        shown_if_choice_id=gloves.choices[0].id,
        help_text="每种尺码数量有限，领完即止。",
    )
    services = _question(
        event, reg, 3, "multiple_choice", "希望参加的服务", choices=CARE_DAY_SERVICES
    )
    id_number = _question(
        event, reg, 4, "short_text", "身份证号（用于购买活动意外险）", required=True, sensitive=True
    )
    consent = _question(
        event,
        reg,
        5,
        "consent",
        "同意工会使用上述身份证号为本人购买活动当天的意外伤害保险",
        required=True,
    )

    couriers = _members(
        CARE_DAY_FIRST_MOBILE,
        sum(CARE_DAY_SPREAD),
        CARE_DAY_COMPANIES,
        password_hash,
        rng,
        person,
        joined=event.registration_opens_at,
    )
    # Sessions fill unevenly: the first (after the morning sort) is full, three wait for it.
    session_of = [sessions[n] for n, count in enumerate(CARE_DAY_SPREAD) for _ in range(count)]
    rng.shuffle(session_of)
    arrival = event.registration_opens_at
    taken = {session.id: 0 for session in sessions}
    for courier, session in zip(couriers, session_of, strict=True):
        arrival += timedelta(minutes=rng.randint(20, 90))
        confirmed = taken[session.id] < session.capacity
        taken[session.id] += confirmed
        registration = Registration(
            event_id=event.id,
            user_id=courier.id,
            session_id=session.id,
            status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
            registered_at=arrival,
            waitlisted_at=None if confirmed else arrival,
            status_changed_at=arrival,
        )
        db.session.add(registration)
        db.session.flush()
        picks = {
            company: [_choice(company, courier.work_unit)],
            gloves: [gloves.choices[0] if rng.random() < 0.85 else gloves.choices[1]],
            services: rng.sample(services.choices, rng.randint(0, 3)),
        }
        if picks[gloves][0] is gloves.choices[0]:
            picks[size] = [size.choices[rng.choice((0, 1, 1, 2))]]
        for question, chosen in picks.items():
            if chosen:
                _answer(registration, question, chosen)
        _answer(registration, id_number, text=_id_number(rng, courier))
        _answer(registration, consent, text=question_rules.stored_text(True))
    db.session.flush()
    return event


def _choice(question: Question, label: str) -> QuestionChoice:
    return next(choice for choice in question.choices if choice.label == label)


def _answer(registration: Registration, question: Question, chosen=(), text: str = "") -> None:
    if chosen:
        ordered = sorted(chosen, key=lambda choice: choice.position)
        text = question_rules.stored_text(tuple(choice.id for choice in ordered))
    answer = Answer(registration_id=registration.id, question_id=question.id, value=text)
    answer.chosen = [AnswerChoice(choice_id=choice.id) for choice in chosen]
    db.session.add(answer)


def _id_number(rng: random.Random, user: User) -> str:
    """A made-up 18-character resident ID number of Shenyang's form (not a real person's)."""
    body = f"2101{rng.randint(10, 99)}{user.birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return body + rng.choice("0123456789X")


def _lecture(
    now: datetime,
    organizer: User,
    member: User,
    college: Organization,
    password_hash: str,
    rng: random.Random,
    person: Callable[[random.Random, str], str],
) -> Event:
    """Held two days ago, 40 registered, 34 checked in (the demo member one of them); its
    feedback survey is open for five more days and 18 attendees have answered."""
    starts_at = _local(now, -2, 14)
    event = _published(
        Event(
            title=LECTURE_TITLE,
            description=LECTURE_DESCRIPTION,
            venue=LECTURE_VENUE,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            registration_opens_at=_local(now, -12, 9),
            registration_closes_at=_local(now, -3, 18),
            capacity=80,
        ),
        organizer,
        college,
    )
    fb = QuestionPurpose.FEEDBACK
    useful = _question(
        event,
        fb,
        0,
        "single_choice",
        "讲座内容对您的工作有帮助吗",
        required=True,
        choices=("很有帮助", "有一些帮助", "帮助不大"),
    )
    topic = _question(
        event, fb, 1, "single_choice", "下期讲堂您最想听", choices=LECTURE_NEXT_TOPICS
    )
    attendees = _members(
        LECTURE_FIRST_MOBILE,
        39,
        ("齐齐哈尔市邮政分公司", "京东物流齐齐哈尔站", "美团外卖站点", "顺丰速运齐齐哈尔分部"),
        password_hash,
        rng,
        person,
        joined=event.registration_opens_at,
    )
    arrival = event.registration_opens_at
    for index, user in enumerate([member, *attendees]):
        arrival += timedelta(hours=rng.randint(1, 5))
        # The demo member and 33 others came; six did not.
        came = index < 34
        db.session.add(
            Registration(
                event_id=event.id,
                user_id=user.id,
                status=RegistrationStatus.CONFIRMED,
                registered_at=arrival,
                status_changed_at=arrival,
                checked_in_at=starts_at - timedelta(minutes=rng.randint(1, 25)) if came else None,
                checked_in_by_id=organizer.id if came else None,
            )
        )
    # Who answered is kept apart from what was answered (see eventsite.feedback).
    responders = attendees[: len(LECTURE_RESPONSES)]
    db.session.add_all(FeedbackReceipt(event_id=event.id, user_id=user.id) for user in responders)
    for index, rating in enumerate(LECTURE_RESPONSES):
        response = FeedbackResponse(
            event_id=event.id,
            rating=rating,
            comment=LECTURE_COMMENTS[index] if index < len(LECTURE_COMMENTS) else "",
            submitted_on=to_local(event.ends_at + timedelta(days=index % 2)).date(),
        )
        useful_choice = useful.choices[0 if rating == 5 else 1 if rating == 4 else 2]
        response.answers = [
            FeedbackAnswer(question_id=useful.id, value=str(useful_choice.id)),
            FeedbackAnswer(
                question_id=topic.id, value=str(topic.choices[index % len(topic.choices)].id)
            ),
        ]
        db.session.add(response)
    db.session.flush()
    return event
