"""Browser security headers on every response, framing per province, no inline script/style."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from config import ROOT, ProductionConfig
from tests.factories import login
from ticketing import create_app
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, Province


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {
        part.split(" ", 1)[0]: [*part.split(" ", 1), ""][1]
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def _assert_strict(response: Any) -> None:
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def _refuses_framing(response: Any) -> None:
    assert _csp(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_anonymous_pages_have_every_header_but_no_store(client, world):
    for path in ("/login", "/help", "/forgot", "/nowhere", "/healthz"):
        response = client.get(path)
        _assert_strict(response)
        _refuses_framing(response)
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
        assert "Strict-Transport-Security" not in response.headers  # not in development


def test_signed_in_pages_are_not_stored(client, world):
    login(client, world.admin)
    for path in ("/", "/help", "/admin/", "/admin/users", "/notifications", "/nowhere"):
        response = client.get(path)
        _assert_strict(response)
        _refuses_framing(response)
        assert response.headers["Cache-Control"] == "no-store", path
    # Static files stay cacheable: they hold nothing personal.
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_hsts_in_production(database_url, tmp_path, monkeypatch):
    assert ProductionConfig.HSTS_SECONDS >= 180 * 24 * 3600
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    app = create_app(
        ProductionConfig,
        instance_path=str(tmp_path / "i"),
        SQLALCHEMY_DATABASE_URI=database_url,
        SECRET_KEY="x" * 40,
    )
    with app.app_context():
        response = app.test_client().get("/login", base_url="https://localhost")
        db.session.remove()
        db.engine.dispose()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


INLINE = re.compile(
    r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|<script(?![^>]*(\bsrc=|type=.application/json.))",
    re.IGNORECASE,
)


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for path in sorted(Path(ROOT / "templates").rglob("*.html")):
        if path.parts[-2] == "email":  # e-mails are not served to browsers
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, offenders


def test_public_view_may_be_framed_only_by_the_provinces_sites(client, world):
    login(client, world.admin)
    client.post("/dashboard/province/35/public", data={"enabled": "1"})
    refused = client.post(
        "/admin/embedding/35", data={"origins": "http://portal.example javascript:x"}
    )
    assert refused.status_code == 200 and "is not a site address" in refused.get_data(True)
    saved = client.post(
        "/admin/embedding/35",
        data={"origins": "https://portal.jatimprov.go.id/\nhttps://psp.example.id:8443"},
    )
    assert saved.status_code == 302
    assert db.session.get(Province, "35").embed_origins == (
        "https://portal.jatimprov.go.id https://psp.example.id:8443"
    )
    assert db.session.query(AdminLogEntry).filter_by(action="dashboard.embed_origins").count() == 1
    client.post("/logout")

    public = client.get("/public/35")
    assert public.status_code == 200
    _assert_strict(public)
    assert _csp(public)["frame-ancestors"] == (
        "https://portal.jatimprov.go.id https://psp.example.id:8443"
    )
    assert "X-Frame-Options" not in public.headers
    # Every other page, the sign-in page included, still refuses to be framed.
    _refuses_framing(client.get("/login"))
    # A province that allows no site: its public view refuses framing too.
    db.session.get(Province, "33").public_dashboard = True
    db.session.commit()
    _refuses_framing(client.get("/public/33"))


def test_only_the_provinces_administrators_set_its_sites(client, world):
    login(client, world.admin)  # administrator of province 35
    assert client.get("/admin/embedding").status_code == 200
    assert client.get("/admin/embedding/35").status_code == 200
    assert client.get("/admin/embedding/33").status_code == 404
    assert (
        client.post("/admin/embedding/33", data={"origins": "https://a.example"}).status_code == 404
    )
    client.post("/logout")
    login(client, world.province)  # a province PMO is no administrator
    assert client.get("/admin/embedding/35").status_code == 403
    client.post("/logout")
    login(client, world.national)
    page = client.get("/admin/embedding").get_data(as_text=True)
    assert "Jawa Tengah" in page and "Jawa Timur" in page
    assert client.post("/admin/embedding/33", data={"origins": ""}).status_code == 302
    assert db.session.get(Province, "33").embed_origins == ""
