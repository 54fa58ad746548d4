"""An organization's statistics page and its XLSX report (年度工作统计)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.accounts.models import Role
from eventsite.core.exports import XLSX_MIMETYPE, attachment
from eventsite.core.inputs import storable_integer
from eventsite.core.permissions import role_required
from eventsite.core.time import to_local, utcnow
from eventsite.events.models import EventKind
from eventsite.extensions import db
from eventsite.organizations.models import Organization
from eventsite.statistics import charts, report, rules, service
from eventsite.statistics.permissions import may_read_statistics

bp = Blueprint("statistics", __name__)


def _organization(organization_id: int) -> Organization:
    organization = (
        db.session.get(Organization, organization_id) if storable_integer(organization_id) else None
    )
    if organization is None:
        abort(404)
    if not may_read_statistics(current_user, organization.id):
        abort(403)
    return organization


def _statistics(organization: Organization) -> service.Statistics:
    now = utcnow()
    current = to_local(now).year
    years = rules.year_choices(service.first_year(organization.id), current)
    year = rules.chosen_year(request.args.get("year"), years, current)
    return service.statistics(organization, year, years, now)


def month_label(month: int) -> str:
    return _("Month %(month)s", month=month)


@bp.get("/organizations/<int:organization_id>/statistics")
@role_required(Role.ADMIN, Role.ORGANIZER)
def organization(organization_id: int):
    """The year's figures for the organization and everything below it, with charts."""
    organization = _organization(organization_id)
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
@role_required(Role.ADMIN, Role.ORGANIZER)
def organization_xlsx(organization_id: int):
    """The year's figures as the 年度工作统计 workbook."""
    organization = _organization(organization_id)
    stats = _statistics(organization)
    return attachment(
        report.workbook(stats, month_label),
        filename=f"statistics-{organization.id}-{stats.year}.xlsx",
        mimetype=XLSX_MIMETYPE,
    )
