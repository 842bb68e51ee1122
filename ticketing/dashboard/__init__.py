"""Dashboards (province, district, national), their exports, and the public view."""

from typing import cast

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

# Own static folder: the chart set-up script and the dashboard/print styles.
bp = Blueprint("dashboard", __name__, static_folder="static", static_url_path="/dashboard/static")

from ticketing.dashboard import cache, views  # noqa: E402, F401


@bp.record_once
def _init_cache(state: BlueprintSetupState) -> None:
    cache.init_app(cast(Flask, state.app))
