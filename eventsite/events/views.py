"""Event pages: list, detail, .ics, create/edit/publish/cancel, register, My events."""

from flask import Blueprint

bp = Blueprint("events", __name__)
