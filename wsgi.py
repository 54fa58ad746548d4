"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from eventsite import create_app
from eventsite.core.process import settle_after_loading

app = create_app()
settle_after_loading()
