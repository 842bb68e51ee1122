"""No 500 from any input: bounded integers, the known cases, and a Hypothesis drive of every
HTML route and form field as every role (bounded examples)."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing.converters import AnyConverter, NumberConverter

from tests.factories import login, make_user
from ticketing.extensions import db
from ticketing.models import Category, User
from ticketing.params import MAX_DB_INT, bounded_int, page_number
from ticketing.services import attachments
from ticketing.services import tickets as ticket_service

# --- the shared parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12), (" 7 ", 7), ("-3", -3), (5, 5), ("", None), (None, None), ("²", None),
        ("١٢", None), ("1_000", None), ("1e3", None), ("99999999999", None),
        (str(MAX_DB_INT), MAX_DB_INT), (str(MAX_DB_INT + 1), None), (True, None), ("0x10", None),
    ],
)  # fmt: skip
def test_bounded_int(value: Any, expected: int | None) -> None:
    assert bounded_int(value) == expected


def test_page_number() -> None:
    assert page_number(None) == 1 and page_number("0") == 1 and page_number("²") == 1
    assert page_number("99999999999999999999") == 1 and page_number("3") == 3
    assert page_number("500000") == 100_000


# --- the cases the probe found ----------------------------------------------------------------


def test_stale_action_form_with_a_huge_seen_event(client: Any, world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    for seen in ("99999999999", "²", "-99999999999999999999", "x"):
        response = client.post(
            f"/tickets/{ticket.id}/assign",
            data={"version": "0", "seen_event": seen, "assignee": str(world.officer_a.id)},
        )
        assert response.status_code == 409, seen


def test_category_parent_out_of_range_or_odd_digits(client: Any, world: Any) -> None:
    login(client, world.national)
    for parent in ("99999999999", "²", "-1", "0", "abc"):
        response = client.post(
            "/admin/categories", data={"parent": parent, "name_id": "Baru", "name_en": "New"}
        )
        assert response.status_code == 404, parent
    top = db.session.scalars(select(Category).where(Category.parent_id.is_(None))).first()
    ok = client.post(
        "/admin/categories", data={"parent": str(top.id), "name_id": "Sub", "name_en": "Sub"}
    )
    assert ok.status_code == 302


def test_download_name_carries_the_detected_extension(client: Any, world: Any) -> None:
    assert attachments.download_name("x.html", attachments.PDF) == "x.pdf"
    assert attachments.download_name("foto.JPEG", attachments.JPEG) == "foto.JPEG"
    assert attachments.download_name("laporan", attachments.PDF) == "laporan.pdf"
    assert attachments.download_name(".htaccess", attachments.PNG) == ".htaccess.png"
    ticket = world.raise_ticket()
    upload = attachments.Upload("x.html", attachments.PDF, b"%PDF-1.4 test")
    row = attachments.store(ticket, [upload], actor=world.facilitator_a)[0]
    db.session.commit()
    login(client, world.facilitator_a)
    response = client.get(f"/attachments/{row.id}")
    assert response.status_code == 200
    assert "filename=x.pdf" in response.headers["Content-Disposition"]
    assert response.mimetype == "application/pdf"
    response.close()


def test_only_national_administrators_manage_administrators(client: Any, world: Any) -> None:
    other_admin = make_user("admin2@x.id", "admin", "35", None)
    officer = world.officer_a
    db.session.commit()
    login(client, world.admin)  # administrator of province 35
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "admin2@x.id" not in listing and officer.email in listing
    assert client.get(f"/admin/users/{other_admin.id}").status_code == 404
    for action in ("link", "disable", "enable"):
        assert client.post(f"/admin/users/{other_admin.id}/{action}").status_code == 404
    # Neither a new administrator nor a promotion to one.
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="admin"' not in form
    created = client.post(
        "/admin/users/new",
        data={"email": "new@x.id", "name": "Baru", "role": "admin", "region": "35"},
    )
    assert created.status_code in (200, 400)
    assert db.session.scalar(select(User).where(User.email == "new@x.id")) is None
    client.post(f"/admin/users/{officer.id}", data={"name": "X", "role": "admin", "region": "35"})
    db.session.expire_all()
    assert db.session.get(User, officer.id).role == "district_pmo"
    client.post("/logout")
    # The national administrator can do all of it.
    login(client, world.national)
    assert client.get(f"/admin/users/{other_admin.id}").status_code == 200
    assert client.post(f"/admin/users/{other_admin.id}/link").status_code == 200
    created = client.post(
        "/admin/users/new",
        data={"email": "new@x.id", "name": "Baru", "role": "admin", "region": "35"},
    )
    assert created.status_code == 200
    assert db.session.scalar(select(User.role).where(User.email == "new@x.id")) == "admin"


# --- Hypothesis: every route, every form field, every role -----------------------------------

ROLES = ("anonymous", "facilitator_a", "officer_a", "province", "admin", "national")
QUERY_NAMES = (
    "page", "q", "sort", "dir", "state", "category", "school", "before", "district",
    "province", "from", "to", "cohort", "level", "tier", "status", "next", "overdue",
)  # fmt: skip
TRICKY = (
    "", "0", "-1", "1", "²", "١٢", "99999999999", "-99999999999999999999", "1e9", "NaN", " 7 ",
    "35", "35.01", "33", "2025-02-30", "2025-13-45", "9999-12-31", "0001-01-01", "x" * 300,
    "<script>alert(1)</script>", "' OR 1=1 --", "%", "_", "\\", "raised", "admin", "true",
    "https://evil.example", "//evil.example", "/\\evil", "csv", "xlsx", "academic",
)  # fmt: skip
# Integers a database cannot hold, and digits int() refuses: the usual road to a 500.
BAD_NUMBERS = st.sampled_from(
    ["99999999999", str(2**31), str(-(2**31) - 1), str(2**63), "²", "\uff11\uff12", "1_0", "٣"]
)
VALUES = st.one_of(
    BAD_NUMBERS,
    BAD_NUMBERS,
    st.sampled_from(TRICKY),
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
)


class _Forms(HTMLParser):
    """The forms of a page: action, method and field names."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", (a.get("method") or "get").lower(), set()))
        elif tag in ("input", "select", "textarea") and a.get("name") and self.forms:
            self.forms[-1][2].add(str(a["name"]))


def _fields_by_endpoint(app: Flask, pages: list[tuple[Any, str]]) -> dict[str, set[str]]:
    """Which fields each endpoint's forms send, read from the rendered pages."""
    adapter = app.url_map.bind("localhost")
    fields: dict[str, set[str]] = {}
    for client, path in pages:
        response = client.get(path)
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for action, method, names in parser.forms:
            target = urlsplit(action).path or urlsplit(path).path
            try:
                endpoint, _args = adapter.match(
                    target, method="POST" if method == "post" else "GET"
                )
            except (NotFound, MethodNotAllowed):
                continue
            fields.setdefault(endpoint, set()).update(names - {"csrf_token"})
    return fields


def _prepare(app: Flask, world: Any) -> dict[str, Any]:
    ticket = world.raise_ticket()
    ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    upload = attachments.Upload("bukti.pdf", attachments.PDF, b"%PDF-1.4 test")
    attachment = attachments.store(ticket, [upload], actor=world.facilitator_a)[0]
    db.session.commit()
    ids = {
        "ticket_id": [ticket.id],
        "attachment_id": [attachment.id],
        "user_id": [world.facilitator_a.id, world.officer_a.id, world.admin.id],
        "school_id": [world.school_a.id, world.school_c.id],
        "category_id": [world.category.id],
        "notification_id": [1],
        "day_off_id": [1],
        "session_id": [1],
    }
    strings = {
        "code": ["35", "35.01", "33", "xx"],
        "event": ["assign", "escalate", "resolve", "verify", "reopen", "withdraw", "comment"],
        "fmt": ["csv", "xlsx", "pdf"],
        "token": ["x", "a.b.c"],
        "key": ["x", "0" * 32],
        "filename": ["css/app.css"],
    }
    return {"ticket": ticket, "ids": ids, "strings": strings}


SIGNS_OUT = {
    "auth.logout", "account.device_session_end", "account.device_sessions_end_others",
    "account.password", "admin.user_disable", "admin.user_edit", "auth.login",
}  # fmt: skip


def _rules(app: Flask) -> list[tuple[Any, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    # Routes that sign someone out go last, so that the rest of an example runs signed in.
    return sorted(out, key=lambda pair: pair[0].endpoint in SIGNS_OUT)


def _url(draw: Any, rule: Any, method: str, ctx: dict[str, Any]) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            values[name] = draw(st.sampled_from(sorted(converter.items)))
        elif isinstance(converter, NumberConverter):
            real = ctx["ids"].get(name, [1])
            values[name] = draw(
                st.one_of(st.sampled_from(real), st.integers(0, MAX_DB_INT)), label=name
            )
        else:
            known = ctx["strings"].get(name, ["x"])
            text = st.text(
                st.characters(
                    min_codepoint=33, max_codepoint=0x2FFF, blacklist_characters="/?#%\\"
                ),
                min_size=1,
                max_size=20,
            )
            values[name] = draw(st.one_of(st.sampled_from(known), text), label=name)
    return str(rule.map.bind("localhost").build(rule.endpoint, values, method=method))


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # report a failure at once, without shrinking
)
@given(data=st.data())
def _drive(data: Any, app: Flask, world: Any, ctx: dict[str, Any], errors: list[str]) -> None:
    # Everyone active again and signed in afresh: earlier examples may have disabled someone
    # or signed a client out.
    db.session.execute(update(User).values(active=True))
    db.session.commit()
    clients: dict[str, Any] = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        clients[role] = app.test_client()
        login(clients[role], getattr(world, role))
    ctx["example"] = ctx.get("example", 0) + 1
    for number, (rule, method) in enumerate(ctx["rules"]):
        # Each route meets every role in turn, one role per example.
        role = ROLES[(number + ctx["example"]) % len(ROLES)]
        url = _url(data.draw, rule, method, ctx)
        query = data.draw(
            st.dictionaries(st.sampled_from(QUERY_NAMES), VALUES, max_size=3), label="query"
        )
        form: dict[str, str] = {}
        if method == "POST":
            names = sorted(ctx["fields"].get(rule.endpoint, set()))
            form = {name: data.draw(VALUES, label=name) for name in names}
        client = clients[role]
        try:
            response = client.open(url, method=method, query_string=query, data=form)
        except Exception as exc:  # an unhandled exception reached the client
            errors.append(f"{role} {method} {url} {query} {form}: {exc!r}")
            continue
        if response.status_code >= 500:
            errors.append(f"{role} {method} {url} {query} {form}: {response.status_code}")
        response.close()
        db.session.rollback()
    assert not errors, errors[:5]


def test_no_input_gives_a_500(app: Flask, world: Any, caplog: Any) -> None:
    """Every HTML route and form field, as every role, with generated values: no 5xx and no
    unhandled exception in the log."""
    ctx = _prepare(app, world)
    pages = []
    for role in ("facilitator_a", "officer_a", "national"):
        client = app.test_client()
        login(client, getattr(world, role))
        ticket_id = ctx["ticket"].id
        for path in (
            "/", "/tickets/new", f"/tickets/{ticket_id}", "/notifications", "/sla-settings",
            "/account/password", "/account/sessions", "/admin/users/new",
            f"/admin/users/{world.facilitator_a.id}",
            f"/admin/users/{world.facilitator_a.id}/hand-over",
            "/admin/schools/new", f"/admin/schools/{world.school_a.id}", "/admin/categories",
            f"/admin/categories/{world.category.id}", "/admin/imports", "/admin/embedding/35",
            "/dashboard/province/35", f"/tickets/{ticket_id}/escalate",
            f"/tickets/{ticket_id}/resolve", f"/tickets/{ticket_id}/withdraw",
        ):  # fmt: skip
            pages.append((client, path))
    anonymous = app.test_client()
    pages += [(anonymous, "/login"), (anonymous, "/account/forgot")]
    ctx["fields"] = _fields_by_endpoint(app, pages)
    ctx["rules"] = _rules(app)
    assert len(ctx["fields"]) >= 15, sorted(ctx["fields"])
    errors: list[str] = []
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash becomes a 500 and an ERROR log line
    with caplog.at_level(logging.ERROR):
        _drive(app=app, world=world, ctx=ctx, errors=errors)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert not logged, [re.sub(r"\s+", " ", r.getMessage())[:300] for r in logged[:5]]
