"""The facilitator's path in the field, in a real browser: a 360x640 phone, Indonesian,
phone photos, a lost session, no signal. Playwright drives Debian's Chromium; CSRF on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.factories import PASSWORD, World
from tests.photos import phone_heic, phone_jpeg
from tests.test_browser import launch_chromium, screenshots_on_failure, serve
from ticketing.extensions import db
from ticketing.models import Attachment, Ticket
from ticketing.services import attachments
from ticketing.services import users as user_service

pytestmark = [pytest.mark.browser, pytest.mark.indonesian]
PHONE = {"viewport": {"width": 360, "height": 640}, "locale": "id-ID", "is_mobile": True,
         "has_touch": True, "device_scale_factor": 2}  # fmt: skip
# Sizes measured by these tests, for the closing note (printed with -s).
MEASURED: dict[str, Any] = {}


@pytest.fixture
def field(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, World, Flask]]:
    """The app on a SQLite copy, served on a free port, speaking Indonesian."""
    with serve(sqlite_template, tmp_path, "id") as served_app:
        yield served_app


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with launch_chromium() as launched:
        yield launched


def _phone(browser: Any, base: str, email: str, pages: list[Any], **options: Any) -> Any:
    context = browser.new_context(base_url=base, **{**PHONE, **options})
    page = context.new_page()
    page.set_default_timeout(20_000)
    pages.append(page)
    _sign_in(page, email)
    return page


def _sign_in(page: Any, email: str, then: str = r"/$") -> None:
    if "/login" not in page.url:
        page.goto("/login")
    page.fill("[name=email]", email)
    page.fill("[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(then))


def _fill(page: Any, title: str, description: str = "Air masuk ke kelas 3 saat hujan.") -> None:
    page.fill("[name=title]", title)
    page.fill("[name=description]", description)


def _submit(page: Any) -> None:
    page.locator("form[data-draft=raise] button[type=submit]").click()


def _tickets() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ticket)) or 0


def _files(name: str, data: bytes, mime: str) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_three_phone_photos_are_stored_small(field: Any, chromium: Any) -> None:
    base, world, _app = field
    photos = [phone_jpeg(seed=s) for s in (11, 12, 13)]
    assert all(len(p) > 4 * 1024 * 1024 for p in photos)
    pages: list[Any] = []
    with screenshots_on_failure("field-photos", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages)
        page.goto("/tickets/new")
        _fill(page, "Atap kelas bocor")
        page.set_input_files(
            "input[type=file]",
            files=[_files(f"IMG_00{i}.jpg", p, "image/jpeg") for i, p in enumerate(photos)],
        )
        # photos.js shrinks them before the form is sent.
        page.locator("[data-photo-status]").filter(has_text="Siap dikirim").wait_for()
        sent = page.evaluate(
            "Array.from(document.querySelector('input[type=file]').files).map(f => f.size)"
        )
        _submit(page)
        page.wait_for_url(re.compile(r"/tickets/\d+$"))
        assert "Tiket ESK-" in page.locator(".flash").first.inner_text()
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    stored = [attachments.path_of(r).stat().st_size for r in rows]
    assert len(rows) == 3 and all(size < 1024 * 1024 for size in stored)
    MEASURED["photos"] = {"original": [len(p) for p in photos], "sent": sent, "stored": stored}
    print("PHOTO SIZES", json.dumps(MEASURED["photos"]))


def test_heic_photo_is_accepted(field: Any, chromium: Any) -> None:
    base, world, _app = field
    pages: list[Any] = []
    with screenshots_on_failure("field-heic", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages)
        page.goto("/tickets/new")
        _fill(page, "Foto dari iPhone")
        page.set_input_files(
            "input[type=file]", files=[_files("IMG_1.HEIC", phone_heic(), "image/heic")]
        )
        _submit(page)
        page.wait_for_url(re.compile(r"/tickets/\d+$"))
    row = db.session.scalars(select(Attachment)).one()
    assert row.content_type == "image/jpeg" and row.original_name == "IMG_1.jpg"


def test_over_limit_upload_without_javascript_keeps_the_text(field: Any, chromium: Any) -> None:
    base, world, app = field
    app.config["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024
    photos = [phone_jpeg(seed=s) for s in (21, 22)]
    pages: list[Any] = []
    with screenshots_on_failure("field-413", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages, java_script_enabled=False)
        page.goto("/tickets/new")
        _fill(page, "Pagar sekolah roboh", "Pagar depan roboh setelah hujan deras.")
        page.set_input_files(
            "input[type=file]",
            files=[_files(f"pagar{i}.jpg", p, "image/jpeg") for i, p in enumerate(photos)],
        )
        _submit(page)
        page.wait_for_url(re.compile(r"/tickets/new$"))
        assert page.input_value("[name=title]") == "Pagar sekolah roboh"
        assert page.input_value("[name=description]") == "Pagar depan roboh setelah hujan deras."
        text = page.locator("main").inner_text()
        assert "pagar0.jpg, pagar1.jpg" in text and "pilih lagi" in text
    assert _tickets() == 0


def test_session_ended_mid_form_returns_after_sign_in(field: Any, chromium: Any) -> None:
    base, world, _app = field
    pages: list[Any] = []
    with screenshots_on_failure("field-session", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages)
        page.goto("/tickets/new")
        _fill(page, "Listrik padam", "Sudah dua minggu listrik padam di ruang guru.")
        user_service.end_sessions(world.facilitator_a)  # e.g. signed out on another device
        db.session.commit()
        _submit(page)
        page.wait_for_url(re.compile(r"/login"))
        _sign_in(page, world.facilitator_a.email, then=r"/tickets/new$")
        assert page.input_value("[name=title]") == "Listrik padam"
        assert page.input_value("[name=description]").startswith("Sudah dua minggu")
        assert "Sesi Anda sudah berakhir" in page.locator("main").inner_text()
    assert _tickets() == 0


def test_offline_raise_is_sent_once_when_the_signal_returns(field: Any, chromium: Any) -> None:
    base, world, _app = field
    pages: list[Any] = []
    with screenshots_on_failure("field-offline", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages)
        page.goto("/tickets/new")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        # The worker keeps the raise form for offline use (asked a moment after loading).
        page.wait_for_function("async () => !!(await caches.match('/tickets/new'))")
        page.context.set_offline(True)
        _fill(page, "Tidak ada sinyal di sekolah")
        _submit(page)
        outbox = page.locator("#outbox")
        outbox.get_by_text("menunggu sinyal").wait_for()
        assert _tickets() == 0
        # The raise form and the list still open without signal (service worker).
        page.goto("/tickets/new")
        assert page.locator("form[data-draft=raise]").count() == 1
        page.locator("#outbox").get_by_text("menunggu sinyal").wait_for()
        page.context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.locator("#outbox .sent a").wait_for()
        assert _tickets() == 1
        # Back online again (another tab, a reload): nothing is sent twice.
        page.reload()
        page.wait_for_timeout(1000)
        assert _tickets() == 1


def test_doubled_submission_with_one_key_is_one_ticket(field: Any, chromium: Any) -> None:
    base, world, _app = field
    pages: list[Any] = []
    with screenshots_on_failure("field-double", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages)
        page.goto("/tickets/new")
        _fill(page, "Dua kali ketuk")
        fields = page.evaluate(
            "Object.fromEntries(new FormData(document.querySelector('form[data-draft=raise]'))"
            ".entries().filter(([k, v]) => typeof v === 'string'))"
        )
        assert re.fullmatch(r"[0-9a-f]{32}", fields["idempotency_key"])
        answers = [page.request.post("/tickets/new", multipart=fields, max_redirects=0)
                   for _ in range(2)]  # fmt: skip
        assert [a.status for a in answers] == [302, 302]
        assert answers[0].headers["location"] == answers[1].headers["location"]
    assert _tickets() == 1


def _draft_keys(page: Any) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('draft:'))")


def _draft_saved(page: Any, text: str) -> None:
    """Wait until drafts.js has kept ``text``."""
    for _attempt in range(100):
        if any(text in (page.evaluate(f"localStorage.getItem({json.dumps(k)})") or "")
               for k in _draft_keys(page)):  # fmt: skip
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"no draft with {text!r}")


def test_a_draft_goes_over_the_prefilled_edit_form(field: Any, chromium: Any) -> None:
    """ "Ubah laporan" comes back filled from the database; a correction typed and not saved
    is put back over it (same version, differs), can be discarded, and is cleared after
    saving; a draft of an older version is dropped (what was saved since is newer)."""
    from ticketing.services import tickets as ticket_service

    base, world, _app = field
    ticket = world.raise_ticket(title="Atap bocor")
    db.session.commit()
    edit_url = f"/tickets/{ticket.id}/edit"
    pages: list[Any] = []
    with screenshots_on_failure("field-edit-draft", pages):
        page = _phone(chromium, base, world.facilitator_a.email, pages)
        page.goto(f"/tickets/{ticket.id}")
        page.locator("#edit-report").click()
        page.wait_for_url(re.compile(r"/edit$"))
        assert page.input_value("[name=title]") == "Atap bocor"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Typed, not saved (the connection dropped, the phone locked...).
        page.fill("[name=title]", "Atap kelas 3 bocor")
        page.fill("[name=description]", "Air masuk saat hujan deras, buku basah.")
        page.goto(f"/tickets/{ticket.id}")  # at once: the draft is written as the page goes
        page.goto(edit_url)
        assert page.input_value("[name=title]") == "Atap kelas 3 bocor"
        assert "buku basah" in page.input_value("[name=description]")
        note = page.locator("form[data-draft=edit] .flash")
        assert "belum disimpan" in note.inner_text()
        # Back to what is saved: the prefilled values, and the draft is gone.
        note.locator("button").click()
        assert page.input_value("[name=title]") == "Atap bocor"
        assert _draft_keys(page) == []
        # Type again and save: the draft is cleared after success.
        page.fill("[name=title]", "Atap kelas 3 bocor")
        _draft_saved(page, "Atap kelas 3 bocor")
        page.locator("form[data-draft=edit] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/tickets/\d+$"))
        assert "diubah" in page.locator(".flash").first.inner_text()
        assert "Mengubah laporan" in page.locator("#timeline").inner_text()
        assert _draft_keys(page) == []
        page.goto(edit_url)
        assert page.input_value("[name=title]") == "Atap kelas 3 bocor"
        assert page.locator("form[data-draft=edit] .flash").count() == 0
        # A draft typed on a version that was changed since is not put back.
        page.fill("[name=description]", "Draf lama yang tidak dikirim.")
        _draft_saved(page, "Draf lama")
        db.session.expire_all()
        fresh = db.session.get(Ticket, ticket.id)
        ticket_service.edit_report(fresh, actor=world.facilitator_a, title="Dari ponsel lain",
                                   description=fresh.description, category=fresh.category,
                                   school=fresh.school)  # fmt: skip
        db.session.commit()
        page.goto(edit_url)
        assert page.input_value("[name=title]") == "Dari ponsel lain"
        assert "Draf lama" not in page.input_value("[name=description]")
        assert _draft_keys(page) == []
