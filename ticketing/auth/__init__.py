"""Sign in and out, the language switch, and the login-by-default rule."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from ticketing.auth import views  # noqa: E402, F401
