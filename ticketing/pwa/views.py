"""Manifest and service worker, served from the site's root so the worker's scope is "/"."""

from __future__ import annotations

from pathlib import Path

from flask import jsonify, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ticketing.auth.access import public
from ticketing.pwa import bp

STATIC = Path(__file__).resolve().parent.parent / "static"


@bp.route("/manifest.webmanifest")
@public
def manifest() -> Response:
    """What a phone needs to install the app on its home screen."""
    icon = "icons/icon-{}.png"
    response = jsonify(
        name=_("PSP Escalations"),
        short_name=_("Escalations"),
        lang="id",
        start_url=url_for("tickets.index"),
        scope="/",
        display="standalone",
        background_color="#f6f7f9",
        theme_color="#0b5394",
        icons=[
            {"src": url_for("static", filename=icon.format(size)), "sizes": f"{size}x{size}",
             "type": "image/png", "purpose": "any"}
            for size in (192, 512)
        ],
    )  # fmt: skip
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
@public
def service_worker() -> Response:
    """The service worker; never cached by the browser, so a new version takes over soon."""
    response = send_file(STATIC / "js" / "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
