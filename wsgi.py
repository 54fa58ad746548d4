"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from eventsite import create_app

app = create_app()
