"""The organizer's roster, check-in desk and audit log for one event."""

from flask import Blueprint

bp = Blueprint("roster", __name__)
