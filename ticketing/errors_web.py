"""Error pages in the user's language (HTML) or JSON for the API; never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ticketing.api import problems
from ticketing.errors import ServiceError
from ticketing.extensions import db

HANDLED = (400, 403, 404, 405, 409, 413, 429, 500)


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You are not allowed to do this"),
        404: _("Page not found"),
        405: _("This action is not available here"),
        409: _("Someone else changed this first"),
        413: _("The file is too large"),
        429: _("Too many attempts; please wait a moment"),
        500: _("Something went wrong on our side"),
    }


def error_response(code: int, message: str | None = None) -> tuple[Response | str, int]:
    """Render the error page (or JSON under /api/) for an HTTP status code."""
    title = _titles().get(code, _("Error"))
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> tuple[Response | str, int] | Response:
        db.session.rollback()
        if problems.is_api_request():
            return problems.from_service_error(exc)
        return error_response(exc.status_code, exc.text)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException | Response:
        if problems.is_api_request():
            db.session.rollback()
            return problems.from_http_exception(exc)
        if exc.code not in HANDLED:
            return exc
        return error_response(exc.code or 500)

    @app.errorhandler(500)
    def _server_error(_exc: Exception) -> tuple[Response | str, int] | Response:
        db.session.rollback()
        if problems.is_api_request():
            return problems.problem("server_error")
        return error_response(500)
