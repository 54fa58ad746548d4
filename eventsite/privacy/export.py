""" "Download my data": everything the site holds about one member, as one JSON file whose
labels are in the member's language.

One JSON file rather than a spreadsheet or a ZIP: it opens on a phone, it carries nested records
(a registration's check-in, a sheet's scores) without flattening them, and another service can
read it (PIPL article 45, portability). What other members chose stays out: of a mixer, only
what `mixers.service.member_data` shows the member themselves (their own marks, their revealed
matches, their requests as they see them), never who marked them.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from eventsite.accounts import devices
from eventsite.accounts.models import Gender, MembershipStatus, User
from eventsite.competitions.models import Criterion, Round, Score, ScoreSheet
from eventsite.core.models import Notification
from eventsite.core.time import to_local
from eventsite.events.models import Event, EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.feedback import service as feedback
from eventsite.mixers import service as mixers
from eventsite.organizations.models import Organization
from eventsite.questions.answers import member_answers
from eventsite.sms import rules as sms_rules
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sportsmeet.models import Entry, EntryMember, Heat, Item, Outcome, Result

#: A text message's status as the member reads it.
SMS_STATUS_TITLES = {
    SmsStatus.QUEUED: _l("Waiting to be sent"),
    SmsStatus.SENT: _l("Sent"),
    SmsStatus.FAILED: _l("Not delivered"),
    SmsStatus.WITHDRAWN: _l("Not sent: no longer true"),
    SmsStatus.DISCARDED: _l("Not sent: held after a restore of the site's data"),
}


def _time(moment: datetime | None) -> str | None:
    """Beijing time with its offset, as the pages state times."""
    return to_local(moment).isoformat(timespec="seconds") if moment else None


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def member_data(user: User, now: datetime) -> dict:
    """Everything about `user`, in sections, labelled in the current language."""
    return {
        _("Exported at"): _time(now),
        _("Account"): _account(user),
        _("Signed-in devices"): [
            {
                _("Device"): device.name or _("Unknown device"),
                _("Logged in at"): _time(device.signed_in_at),
                _("Last seen at"): _time(device.last_seen_at),
            }
            for device in devices.devices_of(user)
        ],
        _("Registrations"): _registrations(user),
        _("Competition scores"): _competition_scores(user),
        _("Sports meet results"): _meet_results(user),
        _("Singles mixers"): _mixers(user, now),
        _("Event feedback"): _feedback(user),
        _("Inbox"): _notifications(user),
        _("Text messages"): _text_messages(user),
    }


def as_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def _union(user: User) -> dict | None:
    """The member's union and its verification; None when they chose none."""
    if user.organization_id is None:
        return None
    organization = db.session.get(Organization, user.organization_id)
    verifier = (
        db.session.get(User, user.membership_verified_by_id)
        if user.membership_verified_by_id
        else None
    )
    return {
        _("Name"): organization.name,
        _("Membership"): MembershipStatus(user.membership_status).title,
        _("Since"): _time(user.membership_changed_at),
        _("Verified by"): verifier.name if verifier else None,
    }


def _account(user: User) -> dict:
    return {
        _("Name"): user.name,
        _("Mobile number"): user.mobile,
        _("Email"): user.email,
        _("Work unit"): user.work_unit,
        _("Gender"): Gender(user.gender).title,
        _("Birth year"): user.birth_year,
        _("Language"): user.locale,
        _("Roles"): [role.title for role in sorted(user.roles)],
        _("Union"): _union(user),
        _("Account created at"): _time(user.created_at),
        _("Privacy notice accepted"): user.privacy_version,
        _("Privacy notice accepted at"): _time(user.privacy_accepted_at),
    }


def _registrations(user: User) -> list[dict]:
    rows = db.session.scalars(
        sa.select(Registration)
        .options(
            joinedload(Registration.event),
            joinedload(Registration.team),
            joinedload(Registration.track),
        )
        .where(Registration.user_id == user.id)
        .order_by(Registration.registered_at)
    ).all()
    # The member's own answers, sensitive ones in full: they are theirs.
    answers = member_answers([registration.id for registration in rows])
    return [
        {
            _("Event"): registration.event.title,
            _("Kind"): EventKind(registration.event.kind).title,
            _("Starts at"): _time(registration.event.starts_at),
            _("Status"): RegistrationStatus(registration.status).title,
            _("Reason given"): registration.status_reason or None,
            _("Team"): registration.team.name if registration.team else None,
            _("Track"): registration.track.name if registration.track else None,
            _("Registered at"): _time(registration.registered_at),
            _("Status changed at"): _time(registration.status_changed_at),
            _("Declared single at"): _time(registration.single_declared_at),
            _("Checked in at"): _time(registration.checked_in_at),
            _("Answers to registration questions"): dict(answers.get(registration.id, [])),
        }
        for registration in rows
    ]


def _feedback(user: User) -> list[dict]:
    """The events whose feedback survey the member answered. The answers themselves name
    nobody, by design, so they cannot be picked out as the member's, not even for them."""
    return [
        {_("Event"): event.title, _("Starts at"): _time(event.starts_at)}
        for event in feedback.answered_events(user.id)
    ]


def _competition_scores(user: User) -> list[dict]:
    """The submitted sheets on the member's performances in rounds whose results are published
    (what the member may see; a sheet before publication is the judges' work in progress). The
    judges are numbered per round, not named."""
    sheets = db.session.execute(
        sa.select(ScoreSheet, Round, Event)
        .join(Registration, Registration.id == ScoreSheet.registration_id)
        .join(Round, Round.id == ScoreSheet.round_id)
        .join(Event, Event.id == Round.event_id)
        .where(
            Registration.user_id == user.id,
            Round.published_at.is_not(None),
            ScoreSheet.submitted_at.is_not(None),
        )
        .order_by(Event.starts_at, Round.position, ScoreSheet.id)
    ).all()
    criteria = dict(
        db.session.execute(
            sa.select(Criterion.id, Criterion.name).where(
                Criterion.round_id.in_({round_.id for _s, round_, _e in sheets} or {0})
            )
        ).all()
    )
    scores: dict[int, list[Score]] = {}
    for score in db.session.scalars(
        sa.select(Score).where(Score.sheet_id.in_([sheet.id for sheet, _r, _e in sheets] or [0]))
    ):
        scores.setdefault(score.sheet_id, []).append(score)
    judge_numbers: dict[tuple[int, int], int] = {}
    shown = []
    for sheet, round_, event in sheets:
        number = judge_numbers.setdefault(
            (round_.id, sheet.judge_id),
            1 + sum(1 for key in judge_numbers if key[0] == round_.id),
        )
        shown.append(
            {
                _("Competition"): event.title,
                _("Round"): round_.name,
                _("Judge"): _("Judge %(number)s", number=number),
                _("Scores"): {
                    criteria.get(score.criterion_id, ""): _number(score.value)
                    for score in scores.get(sheet.id, [])
                },
                _("Comment"): sheet.comment or None,
                _("Published at"): _time(round_.published_at),
            }
        )
    return shown


def _meet_results(user: User) -> list[dict]:
    entries = db.session.execute(
        sa.select(Entry, Item, Event)
        .join(EntryMember, EntryMember.entry_id == Entry.id)
        .join(Registration, Registration.id == EntryMember.registration_id)
        .join(Item, Item.id == Entry.item_id)
        .join(Event, Event.id == Item.event_id)
        .options(joinedload(Entry.team))
        .where(Registration.user_id == user.id)
        .order_by(Event.starts_at, Item.id)
    ).all()
    results: dict[int, list[tuple[Result, Heat]]] = {}
    for result, heat in db.session.execute(
        sa.select(Result, Heat)
        .join(Heat, Heat.id == Result.heat_id)
        .where(Result.entry_id.in_([entry.id for entry, _i, _e in entries] or [0]))
        .order_by(Heat.number)
    ):
        results.setdefault(result.entry_id, []).append((result, heat))
    return [
        {
            _("Sports meet"): event.title,
            _("Item"): item.name,
            _("Team"): entry.team.name,
            _("Results"): [
                {
                    _("Heat"): heat.number,
                    _("Result"): _number(result.value),
                    _("Second attempt"): _number(result.second_value),
                    _("Outcome"): Outcome(result.outcome).title,
                    _("Entered at"): _time(result.entered_at),
                }
                for result, heat in results.get(entry.id, [])
            ],
        }
        for entry, item, event in entries
    ]


def _mixers(user: User, now: datetime) -> list[list]:
    """Per mixer attended, the exchange's data as the member's own "my data" download shows it;
    its marks and requests go when the retention purge deletes them."""
    shown = []
    for attended in mixers.my_mixers(user.id, now):
        try:
            data = mixers.member_data(attended.event, user.id, now)
        except mixers.MixerError:
            continue  # checked in, but taken out of the exchange: nothing of it is shown
        # Label and value pairs: a mixer may list several matches and requests under one label.
        shown.append(mixers.member_data_rows(data))
    return shown


def _notifications(user: User) -> list[dict]:
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()
    return [
        {
            _("Subject"): row.subject,
            _("Message"): row.body,
            _("Link"): row.link,
            _("Received at"): _time(row.created_at),
            _("Read at"): _time(row.read_at),
        }
        for row in rows
    ]


def _without_code(row: SmsMessage) -> str:
    """A text as the download gives it: a verification code never, since the code of a new
    number went to that number's phone, not necessarily the member's own."""
    if row.kind != SmsKind.CODE:
        return row.body
    return sms_rules.masked_code(row.body, str((row.params or {}).get("code", "")))


def _text_messages(user: User) -> list[dict]:
    rows = db.session.scalars(
        sa.select(SmsMessage).where(SmsMessage.user_id == user.id).order_by(SmsMessage.id)
    ).all()
    return [
        {
            _("Mobile number"): row.mobile,
            _("Message"): _without_code(row),
            _("Status"): str(SMS_STATUS_TITLES.get(row.status, row.status)),
            _("Queued at"): _time(row.created_at),
            _("Sent at"): _time(row.sent_at),
        }
        for row in rows
    ]
