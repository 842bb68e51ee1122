"""The JSON API, /api/v1/: a thin door onto the same services, permissions and ticket query.

flask-smorest (marshmallow + apispec) describes it as OpenAPI 3; see docs/api.md and
docs/decisions.md. Authentication: ticketing/api/auth.py; errors: ticketing/api/problems.py.
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, current_app
from flask_smorest import Api as _SmorestApi
from flask_smorest import Blueprint
from flask_smorest.utils import prepare_response

from ticketing.api import problems
from ticketing.api.schemas import ProblemSchema
from ticketing.extensions import csrf, limiter

PREFIX = "/api/v1"
API_VERSION = "1.0.0"

bp = Blueprint(
    "api",
    __name__,
    url_prefix=PREFIX,
    description="Tickets, their events, comments and files; catalogues; notifications; dashboards.",
)
# Tokens carry no ambient authority, so they need no CSRF token; session requests are
# checked by auth.authenticate instead of Flask-WTF's global hook.
csrf.exempt(bp)
limiter.shared_limit(
    lambda: str(current_app.config.get("API_RATE_LIMIT", "300 per minute")),
    scope="api",
    key_func=lambda: _rate_limit_key(),
)(bp)


def _rate_limit_key() -> str:
    from ticketing.api.auth import rate_limit_key

    return rate_limit_key()


class Api(_SmorestApi):
    """flask-smorest's Api without its app-wide JSON error handler (the web keeps its pages)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        """Errors under /api/ become problems in ticketing/errors_web.py, nowhere else."""

    def _register_responses(self) -> None:
        """One lazily registered response per status, as application/problem+json."""
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response: dict[str, Any] = {"description": status.phrase, "schema": ProblemSchema}
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)


def init_app(app: Flask) -> None:
    """Register the API blueprint, its document and its reference page."""
    from ticketing.api import reference, views  # noqa: F401 - views register routes

    app.config.setdefault("API_TITLE", "Eskalasi PSP API")
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("API_RATE_LIMIT", "300 per minute")
    # The document and the reference page are served by reference.py, not by flask-smorest.
    app.config["OPENAPI_URL_PREFIX"] = None
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": "See docs/api.md. Errors are application/problem+json."},
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal access token (eskpat_...) from the account page",
                    }
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api = Api(app)
    api.register_blueprint(bp)
    app.extensions["ticketing_api"] = api
    app.register_blueprint(reference.bp)
