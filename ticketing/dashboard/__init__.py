"""Dashboards (province, district, national), their exports, and the public view."""

from flask import Blueprint

# Own static folder: the chart set-up script and the dashboard/print styles.
bp = Blueprint("dashboard", __name__, static_folder="static", static_url_path="/dashboard/static")

from ticketing.dashboard import views  # noqa: E402, F401
