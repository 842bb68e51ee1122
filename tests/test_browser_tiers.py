"""Browser test, in Indonesian on a 360 px phone: the central tier and an expert on one ticket.

The district escalates, the province asks a Widyaprada, the expert answers, the province
refers the ticket to the central PMO, central resolves, the facilitator verifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.factories import PASSWORD, World
from tests.test_browser import browser, screenshots_on_failure, serve

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, imported for this module


@pytest.fixture
def served_id(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, World, Flask]]:
    """The app in Indonesian (every account's language) on a real local server."""
    with serve(sqlite_template, tmp_path, "id") as served_app:
        yield served_app


def _phone(browser: Any, base: str, email: str, pages: list[Any]) -> Any:
    """One person's phone (360 px wide), signed in through the Indonesian form."""
    context = browser.new_context(
        base_url=base, locale="id-ID", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    pages.append(page)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


def _act(page: Any, url: str, action: str, button: str | None = None, **fields: str) -> None:
    page.goto(url)
    page.locator("#actions").get_by_role("link", name=action, exact=True).click()
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name=button or action, exact=True).click()
    page.wait_for_url(url)
    assert page.locator(".flash").count() == 1


def test_expert_and_central_tier_on_a_phone_in_indonesian(served_id: Any, browser: Any) -> None:
    base, world, _app = served_id
    pages: list[Any] = []
    with screenshots_on_failure("tiers", pages):
        facilitator = _phone(browser, base, world.facilitator_a.email, pages)
        facilitator.get_by_role("link", name="Ajukan tiket").first.click()
        facilitator.get_by_label("Judul").fill("Tidak ada guru bahasa Inggris")
        facilitator.get_by_label("Deskripsi").fill("Sejak Juli tidak ada guru.")
        facilitator.get_by_role("button", name="Ajukan tiket").click()
        facilitator.wait_for_url(re.compile(r"/tickets/\d+$"))
        url = facilitator.url

        officer = _phone(browser, base, world.officer_a.email, pages)
        _act(officer, url, "Tugaskan")
        _act(officer, url, "Eskalasikan", Alasan="Butuh keputusan provinsi")

        province = _phone(browser, base, world.province.email, pages)
        province.goto(url)
        province.get_by_label(world.expert.name, exact=True).check()
        province.get_by_label("Pertanyaan untuk narasumber").fill("Bagaimana aturan guru honorer?")
        province.get_by_role("button", name="Tanyakan", exact=True).click()
        province.wait_for_url(re.compile(r"/tickets/\d+"))
        assert province.locator(".flash").count() == 1

        expert = _phone(browser, base, world.expert.email, pages)
        expert.goto(url)
        expert.get_by_label("Jawaban Anda").fill("Perlu kebijakan nasional.")
        expert.get_by_label("Berkas (opsional)").set_input_files(
            {"name": "juknis-honorer.pdf", "mimeType": "application/pdf",
             "buffer": b"%PDF-1.4\n" + b"0" * 500}
        )  # fmt: skip
        expert.get_by_role("button", name="Kirim jawaban").click()
        expert.wait_for_url(re.compile(r"/tickets/\d+"))
        assert "Sudah dijawab" in expert.locator("#consultations-card").inner_text()
        # The officer sees the answer's file on the timeline.
        province.goto(url)
        assert province.locator("#timeline a", has_text="juknis-honorer.pdf").count() == 1

        _act(province, url, "Rujuk ke pusat", Alasan="Perlu kebijakan nasional")
        central = _phone(browser, base, world.central.email, pages)
        _act(central, url, "Selesaikan", **{
            "Penyelesaian: apa yang telah dilakukan": "Surat edaran pusat terbit",
        })  # fmt: skip
        _act(facilitator, url, "Verifikasi")

        facilitator.goto(url)
        assert facilitator.locator("#ticket-state").inner_text() == "Terverifikasi (ditutup)"
        timeline = facilitator.locator("#timeline").inner_text()
        for text in ("Merujuk ke PMO Pusat", "Narasumber menjawab", "Surat edaran pusat terbit"):
            assert text in timeline
        # Nothing is wider than the phone.
        width = facilitator.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
