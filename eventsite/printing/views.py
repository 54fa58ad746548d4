"""Organizer downloads of printed material: the door's sign-in sheet, name badges with each
member's check-in code, and certificates from final results. Each download is audited."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from eventsite.competitions.models import Round
from eventsite.competitions.permissions import competition_permission
from eventsite.core.db import write_intent
from eventsite.core.exports import attachment
from eventsite.core.time import format_local, utcnow
from eventsite.events import checkin
from eventsite.events.models import Event, Registration
from eventsite.events.permissions import event_permission
from eventsite.extensions import db
from eventsite.printing import pdf, service
from eventsite.sportsmeet.permissions import meet_permission

bp = Blueprint("printing", __name__)

PDF_MIMETYPE = "application/pdf"


@bp.before_request
def _downloads_take_the_write_lock():
    # Every download writes its audit line: on SQLite it starts a write transaction.
    write_intent.set(True)


@bp.teardown_request
def _refused_downloads_release_it(_exc):
    # A refused download (login redirect, 403, a refusal) ends its transaction here.
    db.session.rollback()


def _filename(event: Event, what: str) -> str:
    return f"{what}-event{event.id}-{format_local(utcnow(), '%Y%m%d')}.pdf"


def _checkin_link(registration: Registration) -> str:
    return url_for(
        "roster.check_in_by_token", token=checkin.token_for(registration), _external=True
    )


@bp.get("/events/<int:event_id>/print/sign-in-sheet.pdf")
@event_permission("manage")
def sign_in_sheet(event: Event):
    """The door's sign-in sheet (签到表): confirmed members, by team and pinyin, A4 portrait."""
    sheet = service.sign_in_sheet(event)
    body = pdf.sign_in_sheet_pdf(sheet)
    service.record_download(service.SIGN_IN_SHEET, event, actor=current_user, count=len(sheet.rows))
    db.session.commit()
    return attachment(body, filename=_filename(event, "sign-in-sheet"), mimetype=PDF_MIMETYPE)


@bp.get("/events/<int:event_id>/print/badges.pdf")
@event_permission("manage")
def badges(event: Event):
    """Name badges, 2 × 4 to an A4 sheet, each with the member's own check-in code."""
    found = service.badges(event, _checkin_link)
    body = pdf.badges_pdf(event.title, found)
    service.record_download(service.BADGES, event, actor=current_user, count=len(found))
    db.session.commit()
    return attachment(body, filename=_filename(event, "badges"), mimetype=PDF_MIMETYPE)


def _certificates(event: Event, certificates: list, what: str):
    body = pdf.certificates_pdf(event.title, certificates)
    service.record_download(
        service.CERTIFICATES, event, actor=current_user, count=len(certificates), what=what
    )
    db.session.commit()
    return attachment(body, filename=_filename(event, "certificates"), mimetype=PDF_MIMETYPE)


@bp.get("/events/<int:event_id>/print/rounds/<int:round_id>/certificates.pdf")
@competition_permission("manage")
def competition_certificates(event: Event, round: Round):
    """Certificates (荣誉证书) for the round's award tiers, once its results are final."""
    try:
        found = service.competition_certificates(event, round, utcnow())
    except service.PrintRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("competitions.ranking", event_id=event.id, round_id=round.id), 303)
    return _certificates(event, found, round.name)


@bp.get("/events/<int:event_id>/print/meet-certificates.pdf")
@meet_permission("manage")
def meet_certificates(event: Event):
    """Certificates (荣誉证书) for the meet's final placings and, once every item is final,
    its team standings."""
    try:
        found = service.meet_certificates(event, utcnow())
    except service.PrintRefused as exc:
        flash(exc.message, "error")
        return redirect(url_for("sportsmeet.setup", event_id=event.id, _anchor="exports"), 303)
    return _certificates(event, found, "")
