"""Browser security headers for every response, set in one place.

A small ``after_request`` hook rather than a library: Flask-Talisman has had no release since
2023, and ``secure`` only composes header strings, while two of our headers depend on the
request (framing is allowed per province on the public dashboard; ``no-store`` only for
signed-in pages). Views that need a different framing policy say so through
:func:`allow_framing`; nothing else sets these headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

# No inline script or style anywhere: scripts and styles are static files of this site. Data
# blocks (<script type="application/json">) are not scripts and need no exception.
CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; worker-src 'self'; manifest-src 'self'"
)
REFERRER_POLICY = "same-origin"  # one-time links carry tokens in the path: never send them away


def allow_framing(origins: Iterable[str]) -> None:
    """Let this response be embedded by the given origins (an empty list keeps it refused)."""
    g.frame_ancestors = [origin for origin in origins if origin]


def _is_static() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def set_headers(response: Response) -> Response:
    """after_request: the same policy for every response; framing and caching per request."""
    origins: list[str] = g.pop("frame_ancestors", None) or []
    if origins:
        ancestors = " ".join(origins)
    else:
        ancestors = "'none'"
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = f"{CSP_BASE}; frame-ancestors {ancestors}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    hsts = int(_config("HSTS_SECONDS") or 0)
    if hsts:
        response.headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    # Pages for a signed-in person must not stay in a shared browser's cache or a proxy.
    if not _is_static() and _signed_in():
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def _config(name: str) -> Any:
    from flask import current_app

    return current_app.config.get(name)


def _signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # a broken session or database must not break the error page
        return False


def init_app(app: Flask) -> None:
    """Register the header hook (last, so it sees every response, error pages included)."""
    app.after_request(set_headers)
