"""Check-in tokens: a signed, URL-safe token per registration, shown to the member as a QR code."""

from __future__ import annotations

import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "eventsite.checkin"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(registration) -> str:
    """The member's personal check-in token for one registration."""
    return _serializer().dumps({"r": registration.id, "e": registration.event_id})


def read_token(token: str) -> tuple[int, int] | None:
    """(registration_id, event_id) from a token, or None when it is forged or malformed."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("r"), int)
        or not isinstance(data.get("e"), int)
    ):
        return None
    return data["r"], data["e"]


def qr_svg(url: str) -> str:
    """An inline SVG QR code for `url` (no external assets)."""
    return segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#111")
