"""The Indonesian catalogue: every string of the source is translated, and the pages use it.

A new ``_()`` without an Indonesian msgstr fails here with the list of missing strings; to fix:
``make translations``, fill the new msgstr in ticketing/translations/id/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.factories import login
from ticketing.extensions import db
from ticketing.services import tickets as ticket_service

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "ticketing" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The keywords of `pybabel extract -k _l -k lazy_gettext` (ngettext is a default already).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="id")


def _extracted() -> dict[tuple[str | None, str], list[str]]:
    """Every message of the source, extracted as babel.cfg says, with where it is used."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> None:
    """The .mo files are not committed: compile the Indonesian one when missing or stale."""
    if MO.exists() and MO.stat().st_mtime >= PO.stat().st_mtime:
        return
    catalog = _catalog()
    with MO.open("wb") as f:
        write_mo(f, catalog)


def test_every_source_string_has_an_indonesian_translation() -> None:
    extracted = _extracted()
    assert len(extracted) > 100, "extraction found almost nothing: check babel.cfg"
    catalog = _catalog()
    missing = []
    for (context, msgid), where in sorted(extracted.items(), key=lambda i: i[1][0]):
        message = catalog.get(msgid, context)
        string = None if message is None else message.string
        strings = tuple(string) if isinstance(string, (tuple, list)) else (string,)
        if message is None or message.fuzzy or not all(strings):
            missing.append(f"{where[0]}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} string(s) without an Indonesian translation "
        "(run `make translations` and fill messages.po):\n" + "\n".join(missing)
    )


def test_translations_keep_the_placeholders() -> None:
    catalog = _catalog()
    problems = [
        f"{message.id!r}: {error}"
        for message, errors in catalog.check()
        for error in errors
        if message.string
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.indonesian
def test_login_page_is_indonesian_by_default_and_english_on_request(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "Masuk" in page and "Kata sandi" in page
    assert '<html lang="id">' in page

    assert client.post("/language/en", data={"next": "/login"}).status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "Password" in page
    assert "Masuk" not in page


@pytest.mark.indonesian
def test_ticket_list_shows_indonesian_state_labels(client, world) -> None:
    ticket = world.raise_ticket()
    ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="Butuh anggaran")
    db.session.commit()
    login(client, world.officer_a)

    page = client.get("/?tab=all").get_data(as_text=True)
    assert ticket.number in page
    assert "Dieskalasi ke PMO Provinsi" in page
    assert "Keluar" in page and "Tiket" in page

    assert client.post("/language/en", data={"next": "/"}).status_code == 302
    page = client.get("/?tab=all").get_data(as_text=True)
    assert "Escalated to the province PMO" in page
    assert "Sign out" in page
    assert "Dieskalasi ke PMO Provinsi" not in page
