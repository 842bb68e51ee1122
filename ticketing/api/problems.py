"""Errors of the JSON API as application/problem+json (RFC 9457).

Every error carries a stable machine ``code`` (documented on the reference page, which the
``type`` URI points to), a ``title`` and a ``detail`` in the request's language
(``Accept-Language``: Indonesian by default, English on request), and the ``status``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, json, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ticketing.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
)

MEDIA_TYPE = "application/problem+json"

# code -> (status, title). The codes are part of the API: never rename one.
PROBLEMS: dict[str, tuple[int, Any]] = {
    "bad_request": (400, _l("The request could not be understood")),
    "invalid_input": (400, _l("The data given is not acceptable")),
    "csrf_failed": (400, _l("The CSRF token is missing or wrong")),
    "unauthorized": (401, _l("A valid access token is required")),
    "forbidden": (403, _l("You are not allowed to do this")),
    "not_found": (404, _l("Not found")),
    "method_not_allowed": (405, _l("This method is not allowed here")),
    "version_conflict": (409, _l("Someone else changed this ticket first")),
    "invalid_transition": (409, _l("This action is not possible in the ticket's state")),
    "payload_too_large": (413, _l("The request is too large")),
    "unsupported_media_type": (415, _l("This content type is not accepted")),
    "validation_failed": (422, _l("Some fields are missing or not valid")),
    "rate_limited": (429, _l("Too many requests; please wait a moment")),
    "server_error": (500, _l("Something went wrong on our side")),
}
_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "version_conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}
_SERVICE_CODES: dict[type[ServiceError], str] = {
    InvalidInput: "invalid_input",
    PermissionDenied: "forbidden",
    NotFound: "not_found",
    InvalidTransition: "invalid_transition",
    ConflictError: "version_conflict",
}


def is_api_request() -> bool:
    """Whether the current request is for the JSON API (errors become problems)."""
    return request.path == "/api" or request.path.startswith("/api/")


def problem(
    code: str,
    detail: Any = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The problem response for a code, with an optional detail and extension members."""
    status, title = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": f"{_reference_url()}#problem-{code}",
        "title": str(title),
        "status": status,
        "code": code,
        "detail": str(detail) if detail is not None else str(title),
        "instance": request.path,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype=MEDIA_TYPE, headers=headers
    )
    response.headers["Content-Language"] = _language()
    response.headers["Cache-Control"] = "no-store"
    return response


def _reference_url() -> str:
    return "/api/v1/docs"


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "id")


def from_service_error(exc: ServiceError) -> Response:
    """A service's refusal, with its own message (lazy strings translate themselves)."""
    code = _SERVICE_CODES.get(type(exc))
    if code is None:
        code = next((c for cls, c in _SERVICE_CODES.items() if isinstance(exc, cls)), "bad_request")
    extra: dict[str, Any] = {}
    field = exc.details.get("field")
    if field:
        extra["field"] = str(field)
    if isinstance(exc, ConflictError):
        ticket = exc.details.get("ticket")
        if ticket is not None:
            extra["current_version"] = ticket.version_id
            extra["current_state"] = ticket.state
    return problem(code, exc.text, **extra)


def from_http_exception(exc: HTTPException) -> Response:
    """Werkzeug's and the extensions' HTTP errors (404, 405, 413, 422, 429, CSRF, ...)."""
    status = exc.code or 500
    headers: dict[str, str] = {}
    if status == 429:
        retry = _retry_after(exc)
        headers["Retry-After"] = str(retry)
        return problem("rate_limited", headers=headers, retry_after=retry)
    if status == 400 and type(exc).__name__ == "CSRFError":
        return problem("csrf_failed", exc.description)
    data = getattr(exc, "data", None)
    if status == 422 and isinstance(data, dict):
        messages = data.get("messages") or data.get("errors")
        return problem("validation_failed", errors=_flatten(messages))
    code = _BY_STATUS.get(status, "server_error" if status >= 500 else "bad_request")
    if code == "method_not_allowed":
        allowed = exc.get_headers().__iter__()
        headers = {k: v for k, v in allowed if k == "Allow"}
    return problem(code, headers=headers or None)


def _retry_after(exc: HTTPException) -> int:
    """Seconds until the limit resets (Flask-Limiter's window), at least 1."""
    try:
        from flask_limiter import RateLimitExceeded

        if isinstance(exc, RateLimitExceeded):
            limiter = current_app.extensions["limiter"]
            stats = limiter.current_limit
            if stats is not None:
                import time

                return max(1, int(stats.reset_at - time.time()) + 1)
    except Exception:  # noqa: S110 - a missing figure must not turn a 429 into a 500
        pass
    return 60


def _flatten(messages: Any) -> dict[str, list[str]]:
    """webargs' {location: {field: [messages]}} as {field: [messages]}."""
    out: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return out
    for location, fields in messages.items():
        items = fields.items() if isinstance(fields, dict) else [(location, fields)]
        for name, value in items:
            if isinstance(value, dict):
                value = [f"{k}: {v}" for k, v in value.items()]
            elif not isinstance(value, list):
                value = [value]
            out[str(name)] = [str(v) for v in value]
    return out
