"""What each kind of text message says, as the member reads it (the outbox shows this text).

Providers send their own pre-approved template with the same parameters; `docs/deployment.md`
gives the template text to register for each kind, which says what these say.
"""

from __future__ import annotations

from flask_babel import gettext as _

from eventsite.sms.rules import SmsKind


def render(kind: SmsKind, params: dict) -> str:
    """The text of a message of `kind` with `params`, in the active locale, no signature."""
    p = params
    match kind:
        case SmsKind.CODE:
            return _(
                "Your verification code is %(code)s, valid for %(minutes)s minutes. "
                "If you did not ask for it, ignore this message.",
                code=p["code"],
                minutes=p["minutes"],
            )
        case SmsKind.MOBILE_CHANGED:
            return _(
                "The mobile number of your account was changed to %(mobile)s. If you did not "
                "do this, contact your union office.",
                mobile=p["mobile"],
            )
        case SmsKind.REGISTRATION_CONFIRMED:
            return _(
                "You are registered for %(event)s, %(time)s.", event=p["event"], time=p["time"]
            )
        case SmsKind.WAITLIST_PROMOTED:
            return _(
                "A place at %(event)s is yours: please confirm by %(deadline)s on the site, or "
                "it goes to the next in line.",
                event=p["event"],
                deadline=p["deadline"],
            )
        case SmsKind.EVENT_CHANGED:
            return _(
                "%(event)s has changed: now %(time)s at %(place)s.",
                event=p["event"],
                time=p["time"],
                place=p["place"],
            )
        case SmsKind.EVENT_CANCELLED:
            return _("%(event)s has been cancelled.", event=p["event"])
        case SmsKind.EVENT_REMINDER:
            return _(
                "Reminder: %(event)s starts %(time)s at %(place)s.",
                event=p["event"],
                time=p["time"],
                place=p["place"],
            )
        case SmsKind.MIXER_RESULTS:
            return _("The results of %(event)s are ready: see them on the site.", event=p["event"])
        case SmsKind.INTRODUCTION_REQUEST:
            return _(
                "Someone you met at %(event)s asked for an introduction: see it on the site.",
                event=p["event"],
            )
        case SmsKind.ROSTER_MESSAGE:
            return _("%(event)s: %(text)s", event=p["event"], text=p["text"])
    raise ValueError(f"unknown SMS kind {kind!r}")
