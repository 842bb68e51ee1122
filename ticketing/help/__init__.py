"""The help page: the workflow diagram drawn from the state machine, and each role's duties."""

from flask import Blueprint

bp = Blueprint("help", __name__)

from ticketing.help import views  # noqa: E402, F401
