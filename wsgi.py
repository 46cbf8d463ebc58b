"""The gunicorn entry point: `gunicorn wsgi:app`."""

from wishboard import create_app

app = create_app()
