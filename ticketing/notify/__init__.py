"""Notifications list and SLA settings pages."""

from flask import Blueprint

bp = Blueprint("notify", __name__)

from ticketing.notify import views  # noqa: E402, F401 - registers the routes
