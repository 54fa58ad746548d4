"""Sign-up, sign-in, profile, password, and the admin's role page."""

from flask import Blueprint

from eventsite.accounts.models import User
from eventsite.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None
