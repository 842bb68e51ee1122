"""Browser tests: Playwright drives Debian's Chromium against the app on a real local server.

Each person works in their own browser context, as on their own phone. SQLite only: the
point here is the pages, the forms and the buttons, not the database. CSRF stays on.
A failing test leaves screenshots of every open page in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.factories import PASSWORD, World, build_world
from ticketing import create_app
from ticketing.extensions import db

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser() -> None:
    missing = not Path(CHROMIUM).exists() and shutil.which("chromium") is None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but Chromium or Playwright is missing")
        pytest.skip("Chromium or Playwright not installed")


@contextmanager
def serve(sqlite_template: Path, tmp_path: Path, locale: str) -> Iterator[tuple[str, World, Flask]]:
    """The app on a SQLite copy with the test world, on a real threaded server on a free port."""
    _require_browser()
    from werkzeug.serving import make_server

    database = tmp_path / "browser.sqlite"
    shutil.copyfile(sqlite_template, database)
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
        BABEL_DEFAULT_LOCALE=locale,
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        world = build_world()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", world, app
        finally:
            server.shutdown()
            thread.join(timeout=5)
            db.session.remove()
            db.engine.dispose()


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, with the flags of a closed network."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def served(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, World, Flask]]:
    """The app served in English (the assertions read the English source texts)."""
    with serve(sqlite_template, tmp_path, "en") as served_app:
        yield served_app


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with launch_chromium() as chromium:
        yield chromium


@contextmanager
def screenshots_on_failure(name: str, pages: list[Any]) -> Iterator[None]:
    """Save a screenshot of every open page when the block fails, then re-raise."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        for index, page in enumerate(pages):
            # A page that died must not hide the real failure.
            with suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{name}-{index}.png"), full_page=True)
        raise


def _person(browser: Any, base: str, email: str, pages: list[Any], **options: Any) -> Any:
    """A separate browser context (own cookies), signed in through the form."""
    context = browser.new_context(base_url=base, locale="en-US", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    pages.append(page)
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


def _raise(page: Any, title: str) -> str:
    page.get_by_role("link", name="Raise a ticket").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("Sejak Juli tidak ada guru bahasa Inggris.")
    page.get_by_role("button", name="Raise the ticket").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    number = page.locator("h1 .ticket-number").inner_text()
    assert re.fullmatch(r"ESK-\d{4}-\d{6}", number)
    return page.url


def _act(page: Any, url: str, action: str, button: str | None = None, **fields: str) -> None:
    """Open the ticket, press the action's button, fill its form, send it."""
    page.goto(url)
    page.locator("#actions").get_by_role("link", name=action, exact=True).click()
    for label, value in fields.items():
        page.get_by_label(label.replace("_", " ")).fill(value)
    page.get_by_role("button", name=button or action, exact=True).click()
    page.wait_for_url(url)
    assert page.locator(".flash").count() == 1


def test_whole_path_in_separate_browsers(served: Any, browser: Any) -> None:
    base, world, _app = served
    pages: list[Any] = []
    with screenshots_on_failure("whole-path", pages):
        facilitator = _person(browser, base, world.facilitator_a.email, pages)
        url = _raise(facilitator, "Tidak ada guru bahasa Inggris")

        officer = _person(browser, base, world.officer_a.email, pages)
        officer.get_by_role("link", name=re.compile("Tidak ada guru")).click()
        assert officer.url == url
        _act(officer, url, "Assign")
        _act(officer, url, "Escalate", Reason="Butuh keputusan provinsi")

        province = _person(browser, base, world.province.email, pages)
        # The province's list shows the escalated tickets by default.
        assert province.locator("#tickets").get_by_text("Tidak ada guru").count() == 1
        _act(province, url, "Resolve", **{"Resolution: what was done": "Guru honorer dikirim"})

        _act(facilitator, url, "Reopen", Reason="Guru belum datang ke sekolah")
        _act(province, url, "Resolve", **{"Resolution: what was done": "Guru sudah mengajar"})

        facilitator.goto("/")
        waiting = facilitator.locator(".attention")
        assert waiting.get_by_text("Tidak ada guru").count() == 1
        _act(facilitator, url, "Verify")

        facilitator.goto(url)
        assert facilitator.locator("#ticket-state").inner_text() == "Verified (closed)"
        assert facilitator.locator("#actions").count() == 0
        timeline = facilitator.locator("#timeline > li")
        texts = [timeline.nth(i).inner_text() for i in range(timeline.count())]
        expected = [
            "Raised the ticket",
            "Assigned",
            "Escalated it to the province",
            "Resolved",
            "Reopened: not fixed",
            "Resolved",
            "Verified the fix",
        ]
        assert len(texts) == len(expected)
        for text, label in zip(texts, expected, strict=True):
            assert label in text
        joined = "\n".join(texts)
        for note in (
            "Butuh keputusan provinsi",
            "Guru honorer dikirim",
            "Guru belum datang ke sekolah",
            "Guru sudah mengajar",
        ):
            assert note in joined
        assert "WIB" in joined
        assert world.province.name in joined and world.officer_a.name in joined


def test_phone_width_raise_and_view(served: Any, browser: Any) -> None:
    base, world, _app = served
    pages: list[Any] = []
    with screenshots_on_failure("phone", pages):
        phone = _person(
            browser,
            base,
            world.facilitator_a.email,
            pages,
            viewport={"width": 360, "height": 640},
            is_mobile=True,
            has_touch=True,
        )
        url = _raise(phone, "Internet sekolah mati")
        assert phone.url == url
        for path in (url, "/", "/tickets/new", "/help", f"{url}/withdraw"):
            phone.goto(path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)
        phone.goto("/")
        assert phone.locator("#tickets").get_by_text("Internet sekolah mati").is_visible()
        # The header tells who is signed in, in which role and where.
        header = phone.locator("header").inner_text()
        assert world.facilitator_a.name in header and "Facilitator" in header
