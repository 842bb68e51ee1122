"""The user's own account: first password, forgotten password, change of password."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from ticketing.account import views  # noqa: E402, F401
