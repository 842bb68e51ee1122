"""Administration: users, schools, assignments, categories, hand-over, imports, the log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from ticketing.admin import reply_templates, views  # noqa: E402, F401
