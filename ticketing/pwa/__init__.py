"""The installable web app: manifest and service worker (offline shell, recent tickets)."""

from flask import Blueprint

bp = Blueprint("pwa", __name__)

from ticketing.pwa import views  # noqa: E402, F401
