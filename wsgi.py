"""WSGI entry point: ``gunicorn wsgi:app``."""

from ticketing import create_app

app = create_app()
