"""Dashboards (province, district, national), their exports, and the public view."""

from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

# Styles live in static/css/dashboard.css (public: the public view needs them signed out).
bp = Blueprint("dashboard", __name__)

from ticketing.dashboard import cache, views  # noqa: E402, F401


@bp.record_once
def _init_cache(state: BlueprintSetupState) -> None:
    cache.init_app(cast(Flask, state.app))
