"""An organization's statistics page and its XLSX report (年度工作统计)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from eventsite.accounts.models import Role
from eventsite.core.exports import XLSX_MIMETYPE, attachment
from eventsite.core.time import to_local, utcnow
from eventsite.events.models import EventKind
from eventsite.organizations.models import Organization
from eventsite.organizations.permissions import organization_role_required
from eventsite.statistics import charts, report, rules, service

bp = Blueprint("statistics", __name__)


def _statistics(organization: Organization) -> service.Statistics:
    now = utcnow()
    current = to_local(now).year
    years = rules.year_choices(service.first_year(organization.id), current)
    year = rules.chosen_year(request.args.get("year"), years, current)
    return service.statistics(organization, year, years, now)


def month_label(month: int) -> str:
    return _("Month %(month)s", month=month)


@bp.get("/organizations/<int:organization_id>/statistics")
@organization_role_required(Role.ORGANIZER)  # its admins and organizers, and those above it
def organization(organization: Organization):
    """The year's figures for the organization and everything below it, with charts."""
    stats = _statistics(organization)
    by_month = charts.bar_chart(
        _("Events held by month, %(year)s", year=stats.year),
        [charts.Bar(month_label(m), f.events) for m, f in stats.months.items()],
        chart_id="chart-months",
    )
    by_unit = charts.bar_chart(
        _("Participants by sub-organization, %(year)s", year=stats.year),
        [charts.Bar(report.unit_name(u), u.figures.participants) for u in stats.units],
        chart_id="chart-units",
    )
    return render_template(
        "statistics/organization.html",
        stats=stats,
        by_month=by_month,
        by_unit=by_unit,
        month_label=month_label,
        unit_name=report.unit_name,
        percent=rules.percent,
        kind_title=lambda kind: EventKind(kind).title,
    )


@bp.get("/organizations/<int:organization_id>/statistics.xlsx")
@organization_role_required(Role.ORGANIZER)
def organization_xlsx(organization: Organization):
    """The year's figures as the 年度工作统计 workbook."""
    stats = _statistics(organization)
    return attachment(
        report.workbook(stats, month_label),
        filename=f"statistics-{organization.id}-{stats.year}.xlsx",
        mimetype=XLSX_MIMETYPE,
    )
