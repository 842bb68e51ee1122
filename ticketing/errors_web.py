"""Error pages in the user's language (HTML) or JSON for the API; never a stack trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ticketing import stash
from ticketing.api import problems
from ticketing.errors import InvalidInput, ServiceError
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


def _next_steps() -> dict[int, str]:
    """What the user can do next, per status code (an error page never ends the road)."""
    return {
        400: _("Go back, reload the page and send it again. Your text is usually kept."),
        403: _("If you think you need this, ask your administrator to check your role."),
        404: _(
            "The address may be mistyped, or the ticket is outside your area. "
            "Look for it in the ticket list."
        ),
        405: _("Open the page from the menu and try again."),
        409: _("Open the ticket again to see what changed, then decide whether to try again."),
        413: _(
            "Choose fewer or smaller files and send again. Photos are made smaller "
            "automatically when the page has finished loading."
        ),
        429: _("Wait a minute, then try again."),
        500: _(
            "Try again in a few minutes. If it keeps happening, tell your administrator "
            "what you were doing and when."
        ),
    }


def error_response(code: int, message: str | None = None) -> tuple[Response | str, int]:
    """Render the error page (or JSON under /api/) for an HTTP status code."""
    title = _titles().get(code, _("Error"))
    return render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=message,
        next_step=_next_steps().get(code),
    ), code


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Any:
        db.session.rollback()
        if problems.is_api_request():
            return problems.from_service_error(exc)
        # A form a view did not re-render itself (administrators' forms): back to the form
        # with its text and the refusal, never a dead-end page.
        if isinstance(exc, InvalidInput) and request.method == "POST":
            page = stash.keep_this_post("invalid", message=exc.text)
            if page is not None:
                return redirect(page, code=303)
        return error_response(exc.status_code, exc.text)

    @app.errorhandler(413)
    def _too_large(exc: HTTPException) -> Any:
        if problems.is_api_request():
            db.session.rollback()
            return problems.from_http_exception(exc)
        # The form comes back with its text; the files are named to be chosen again.
        recovered = stash.recover_oversized()
        if recovered is not None:
            page = stash.keep(*recovered, reason="too_large")
            if page is not None:
                return redirect(page, code=303)
        return error_response(413)

    @app.errorhandler(CSRFError)
    def _csrf_expired(exc: CSRFError) -> Any:
        if problems.is_api_request():
            db.session.rollback()
            return problems.from_http_exception(exc)
        # Usually a form left open past the end of its session: keep the text, sign in again.
        if request.method == "POST":
            page = stash.keep_this_post("csrf")
            if page is not None:
                if current_user.is_authenticated:
                    return redirect(page, code=303)
                return redirect(url_for("auth.login", next=page), code=303)
        return error_response(400, _("The form had expired. Open the page again and resend it."))

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
