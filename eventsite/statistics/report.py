"""The 年度工作统计 workbook: a sheet of totals, one by month, one by sub-organization, one per
event kind; the same figures as the page, masked the same way."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from openpyxl import Workbook

from eventsite.core.exports import add_sheet, workbook_bytes
from eventsite.events.models import EventKind
from eventsite.statistics import rules
from eventsite.statistics.service import (
    FeedbackFigures,
    Figures,
    MixerFigures,
    Statistics,
    Unit,
)


def unit_name(unit: Unit) -> str:
    """A row of the sub-organization table: the child's name, or the organization's own events."""
    if unit.own:
        return _("%(name)s (its own events)", name=unit.organization.display_name)
    return unit.organization.display_name


def figure_header() -> list[str]:
    return [
        _("Events held"),
        _("Registrations made"),
        _("Unique participants"),
        _("Confirmed places"),
        _("Members checked in"),
        _("Attendance rate"),
        _("No-show rate"),
        _("Waitlist served"),
    ]


def figure_row(f: Figures) -> list:
    return [
        f.events,
        f.registrations,
        f.participants,
        f.confirmed,
        f.checked_in,
        rules.percent(f.attendance_rate),
        rules.percent(f.no_show_rate),
        f.waitlist_served,
    ]


def mixer_header() -> list[str]:
    return [
        _("Mixers counted"),
        _("Mixer participants"),
        _("Matched pairs"),
        _("Members with a match"),
        _("Match rate"),
        _("Introductions accepted"),
    ]


def mixer_row(m: MixerFigures) -> list:
    """A mixer figures' cells, masked ("<5") wherever they are shown: in a total too, since a
    total with one sub-organization or one month is that sub-organization's or month's figure."""
    shown = m.masked()
    return [
        shown["mixers"],
        shown["participants"],
        shown["matches"],
        shown["matched_members"],
        rules.percent(shown["match_rate"]),
        shown["introductions_accepted"],
    ]


def feedback_header() -> list[str]:
    return [
        _("Surveys counted"),
        _("Responses"),
        _("Average rating (1–5)"),
        _("Surveys with fewer than 5 responses"),
    ]


def feedback_row(f: FeedbackFigures) -> list:
    """Feedback figures' cells, masked as on the page (only surveys of 5 responses or more)."""
    shown = f.masked()
    average = shown["average"]
    return [
        shown["surveys"],
        shown["responses"],
        "—" if average is None else str(average),
        shown["surveys_too_few"],
    ]


def totals_rows(stats: Statistics) -> list[list]:
    f, m = stats.total, stats.mixers
    rows = [[label, value] for label, value in zip(figure_header(), figure_row(f), strict=True)]
    rows += [[label, value] for label, value in zip(mixer_header(), mixer_row(m), strict=True)]
    rows.append([_("Competition contestants"), stats.contestants])
    rows += [[_("Awards: %(tier)s", tier=a.tier), a.places] for a in stats.awards]
    rows.append([_("Sports meet teams"), stats.teams])
    rows.append([_("Sports meet entries"), stats.entries])
    rows += [
        [_("Event feedback: %(figure)s", figure=label), value]
        for label, value in zip(feedback_header(), feedback_row(stats.feedback_total), strict=True)
    ]
    return rows


def workbook(stats: Statistics, month_label: Callable[[int], str]) -> bytes:
    book = Workbook(write_only=True)
    name = stats.organization.name
    title = _("Annual work statistics of %(name)s, %(year)s", name=name, year=stats.year)
    add_sheet(book, _("Totals"), [_("Item"), _("Figure")], totals_rows(stats), note=title)
    add_sheet(
        book,
        _("By month"),
        [_("Month"), *figure_header(), *mixer_header()],
        [
            [month_label(month), *figure_row(f), *mixer_row(stats.mixer_months[month])]
            for month, f in stats.months.items()
        ],
        note=title,
    )
    add_sheet(
        book,
        _("By sub-organization"),
        [_("Organization"), *figure_header(), *mixer_header()],
        [[unit_name(u), *figure_row(u.figures), *mixer_row(u.mixers)] for u in stats.units],
        note=_(
            "Mixer counts from 1 to 4 are shown as “<5”, so that no attendee can be singled out."
        ),
    )
    for kind in EventKind:
        add_sheet(
            book,
            kind.title,
            [_("Month"), *figure_header()],
            [
                [month_label(month), *figure_row(f)]
                for month, f in stats.kind_months[str(kind)].items()
            ]
            + [[_("Whole year"), *figure_row(stats.kinds[str(kind)])]],
            note=title,
        )
    add_sheet(
        book,
        _("Event feedback"),
        [_("Event kind"), *feedback_header()],
        [[kind.title, *feedback_row(stats.feedback[str(kind)])] for kind in EventKind]
        + [[_("All events"), *feedback_row(stats.feedback_total)]],
        note=_(
            "Anonymous surveys after each event; only surveys with at least 5 responses are "
            "counted, so that no member's answer can be told apart."
        ),
    )
    return workbook_bytes(book)
