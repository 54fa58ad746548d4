"""Pages every feature shares: the inbox, the language switch, a health check."""

from flask import Blueprint

bp = Blueprint("core", __name__)
