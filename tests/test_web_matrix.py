"""Role x endpoint matrix: every route, anonymous, each role in scope and out of scope.

The ticket under test belongs to school A (district 35.01, province 35). In scope: its
facilitator, the officers of 35.01, the province PMO and administrator of 35, the national
administrator. Out of scope: another facilitator of the same district (not their school),
district 35.02, province 33. A refused POST must leave the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing.converters import NumberConverter

from tests.factories import World, login
from ticketing.clock import frozen_at, utcnow
from ticketing.extensions import db
from ticketing.models import (
    Attachment,
    Comment,
    Consultation,
    ConsultationEvent,
    Ticket,
    TicketEvent,
    TicketLink,
)
from ticketing.services import attachments, consultations, links, reply_templates, saved_views
from ticketing.services import tickets as ticket_service

ANON = "anonymous"
USERS = (
    "facilitator_a",
    "facilitator_a2",
    "facilitator_b",
    "facilitator_c",
    "officer_a",
    "officer_a2",
    "officer_b",
    "officer_c",
    "province",
    "province_c",
    "admin",
    "admin_c",
    "national",
    "central",
    "expert",
    "expert_c",
)
IN_SCOPE = {"facilitator_a", "officer_a", "officer_a2", "province", "admin", "national"}


def _ticket(world: World, state: str) -> Ticket:
    """A ticket of school A brought to ``state`` through the services."""
    ticket = world.raise_ticket()
    if state in ("assigned", "escalated", "resolved"):
        ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    if state in ("escalated", "referred", "resolved"):
        ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="berat")
    if state == "referred":
        ticket_service.fire(ticket, "refer_to_central", actor=world.province, note="nasional")
    if state == "resolved":
        ticket_service.fire(ticket, "resolve", actor=world.province, note="beres")
    db.session.flush()
    return ticket


def _with_file(world: World, state: str) -> dict[str, Any]:
    ticket = _ticket(world, state)
    upload = attachments.Upload("bukti.pdf", attachments.PDF, b"%PDF-1.4 test")
    row = attachments.store(ticket, [upload], actor=world.facilitator_a)[0]
    return {"ticket": ticket, "attachment_id": row.id}


@dataclass
class Case:
    """One endpoint and method: how to build its URL and data, and what each user gets."""

    name: str
    endpoint: str
    method: str
    path: Callable[[dict[str, Any]], str]
    state: str | None = "raised"
    data: Callable[[dict[str, Any], World], dict[str, Any]] | None = None
    allowed: dict[str, int] = field(default_factory=dict)  # users that succeed, and the code
    in_scope: int = 404  # other users in scope
    out_of_scope: int = 404
    anonymous: int = 302  # to the login page
    everyone: int | None = None  # the same code for every signed-in user
    files: bool = False
    prepare: Callable[[dict[str, Any], World], None] | None = None  # more data before the run


def _closed_earlier(ctx: dict[str, Any], world: World) -> None:
    """An earlier ticket of school A, verified: the one a recurrence links to."""
    with frozen_at(utcnow() - timedelta(days=10)):
        old = world.raise_ticket(title="Listrik padam")
        ticket_service.fire(old, "assign", actor=world.officer_a, assignee=world.officer_a)
        ticket_service.fire(old, "resolve", actor=world.officer_a, note="beres")
        ticket_service.fire(old, "verify", actor=world.facilitator_a)
    ctx["old"] = old


def _linked(ctx: dict[str, Any], world: World) -> None:
    _closed_earlier(ctx, world)
    ctx["link"] = links.link(ctx["ticket"], ctx["old"], kind="recurrence", actor=world.officer_a)


def _saved_view(ctx: dict[str, Any], world: World) -> None:
    ctx["view"] = saved_views.save(world.officer_a, "Milik saya", "tab=all&mine=1")


def _reply_template(ctx: dict[str, Any], world: World) -> None:
    ctx["template"] = reply_templates.create(world.admin, "35", title="Salam", body="Halo")


def _consulted(ctx: dict[str, Any], world: World) -> None:
    """The district officer asked the province's expert about the ticket."""
    [ctx["consultation"]] = consultations.ask(
        ctx["ticket"], actor=world.officer_a, experts=[world.expert], question="Mohon saran"
    )


def _consultation_path(action: str) -> Callable[[dict[str, Any]], str]:
    return lambda ctx: f"/consultations/{ctx['consultation'].id}/{action}"


def _action(event: str, state: str, allowed: dict[str, int], note: bool = True) -> list[Case]:
    def data(ctx: dict[str, Any], world: World) -> dict[str, Any]:
        values: dict[str, Any] = {"version": str(ctx["ticket"].version_id)}
        if note:
            values["note"] = "alasan"
        if event == "assign":
            values["assignee"] = str(world.officer_a.id)
        return values

    path = lambda ctx: f"/tickets/{ctx['ticket'].id}/{event}"  # noqa: E731
    get_allowed = {user: 200 for user in allowed}
    return [
        Case(f"{event}-get", "tickets.action", "GET", path, state, None, get_allowed, 403),
        Case(f"{event}-post", "tickets.action", "POST", path, state, data, allowed, 403),
    ]


CASES: list[Case] = [
    Case("index", "tickets.index", "GET", lambda ctx: "/", everyone=200),
    Case(
        "index-filtered", "tickets.index", "GET", lambda ctx: "/?state=&overdue=1&q=x", everyone=200
    ),
    Case(
        "new-get",
        "tickets.new",
        "GET",
        lambda ctx: "/tickets/new",
        None,
        None,
        {u: 200 for u in ("facilitator_a", "facilitator_a2", "facilitator_b", "facilitator_c")},
        403,
        403,
    ),
    Case(
        "new-post",
        "tickets.new",
        "POST",
        lambda ctx: "/tickets/new",
        None,
        lambda ctx, w: {
            "school": str(w.school_a.id),
            "category": str(w.category.id),
            "title": "Baru",
            "description": "Isi",
        },
        # Other facilitators may raise, but not for school A: the choice is refused (400).
        {"facilitator_a": 302, "facilitator_a2": 400, "facilitator_b": 400, "facilitator_c": 400},
        403,
        403,
    ),
    Case("show", "tickets.show", "GET", lambda ctx: f"/tickets/{ctx['ticket'].id}", in_scope=200),
    # "Ubah laporan": the ticket's facilitator, while it is raised; other viewers 403.
    Case(
        "edit-get",
        "tickets.edit",
        "GET",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/edit",
        allowed={"facilitator_a": 200},
        in_scope=403,
    ),
    Case(
        "edit-post",
        "tickets.edit",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/edit",
        data=lambda ctx, w: {
            "version": str(ctx["ticket"].version_id),
            "school": str(w.school_a.id),
            "category": str(w.category.id),
            "title": "Judul yang benar",
            "description": "Isi",
        },
        allowed={"facilitator_a": 302},
        in_scope=403,
    ),
    Case(
        "edit-post-assigned",
        "tickets.edit",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/edit",
        state="assigned",
        data=lambda ctx, w: {
            "version": str(ctx["ticket"].version_id),
            "school": str(w.school_a.id),
            "category": str(w.category.id),
            "title": "Judul yang benar",
            "description": "Isi",
        },
        in_scope=403,
    ),
    Case(
        "comment",
        "tickets.comment",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/comments",
        data=lambda ctx, w: {"body": "Catatan"},
        in_scope=302,
    ),
    Case(
        "attachment",
        "tickets.attachment",
        "GET",
        lambda ctx: f"/attachments/{ctx['attachment_id']}",
        in_scope=200,
        files=True,
    ),
    Case(
        "unknown-event",
        "tickets.action",
        "GET",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/fly",
        in_scope=404,
    ),
    *_action("assign", "raised", {"officer_a": 302, "officer_a2": 302}, note=False),
    *_action("escalate", "assigned", {"officer_a": 302, "officer_a2": 302}),
    *_action("resolve", "escalated", {"province": 302}),
    *_action("return_to_district", "escalated", {"province": 302}),
    # Experts: the holder asks; only the expert asked answers; the officer withdraws.
    Case(
        "consult",
        "tickets.consult",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/consultations",
        "assigned",
        lambda ctx, w: {"experts": str(w.expert.id), "question": "Mohon saran"},
        {"officer_a": 302, "officer_a2": 302},
        403,
    ),
    Case(
        "consultation-answer",
        "tickets.consultation_answer",
        "POST",
        _consultation_path("answer"),
        "assigned",
        lambda ctx, w: {"note": "Jawaban"},
        {"expert": 302},
        403,
        prepare=_consulted,
    ),
    Case(
        "consultation-withdraw",
        "tickets.consultation_withdraw",
        "POST",
        _consultation_path("withdraw"),
        "assigned",
        lambda ctx, w: {},
        {"officer_a": 302, "officer_a2": 302, "expert": 403},
        403,
        prepare=_consulted,
    ),
    # The central tier: the province refers, central resolves or returns (referred tickets).
    *_action("refer_to_central", "escalated", {"province": 302}),
    *_action("resolve", "referred", {"central": 302}),
    *_action("return_to_province", "referred", {"central": 302}),
    *_action("verify", "resolved", {"facilitator_a": 302}, note=False),
    *_action("reopen", "resolved", {"facilitator_a": 302}),
    *_action("withdraw", "assigned", {"facilitator_a": 302}),
    Case(
        "link-add",
        "tickets.link_add",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/links",
        data=lambda ctx, w: {"number": ctx["old"].number, "kind": "recurrence"},
        allowed={u: 302 for u in ("facilitator_a", "officer_a", "officer_a2", "province")},
        in_scope=403,
        prepare=_closed_earlier,
    ),
    Case(
        "link-remove",
        "tickets.link_remove",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/links/{ctx['link'].id}/delete",
        allowed={u: 302 for u in ("officer_a", "officer_a2", "province")},
        in_scope=403,
        prepare=_linked,
    ),
    # The worklist (issue 10).
    Case(
        "take-district",
        "tickets.take",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/take",
        "raised",
        lambda ctx, w: {"version": str(ctx["ticket"].version_id)},
        {"officer_a": 302, "officer_a2": 302},
        403,
    ),
    Case(
        # Only the province's officers hold escalated tickets; another province's: 404.
        "take-province",
        "tickets.take",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/take",
        "escalated",
        lambda ctx, w: {"version": str(ctx["ticket"].version_id)},
        {"province": 302},
        403,
    ),
    *_action("take_resolve", "raised", {"officer_a": 302, "officer_a2": 302}),
    Case(
        # Every PMO officer may send a bulk action (302 back to the list, results per ticket,
        # a ticket they may not change is reported, not changed); other roles: 403.
        "bulk",
        "tickets.bulk",
        "POST",
        lambda ctx: "/tickets/bulk",
        "assigned",
        lambda ctx, w: {
            "ticket": str(ctx["ticket"].id),
            f"v{ctx['ticket'].id}": str(ctx["ticket"].version_id),
            "event": "resolve",
            "note": "beres",
        },
        {
            u: 302
            for u in ("officer_a", "officer_a2", "officer_b", "officer_c", "province", "province_c")
        },
        403,
        403,
    ),
    Case(
        "holder",
        "tickets.holder",
        "POST",
        lambda ctx: f"/tickets/{ctx['ticket'].id}/holder",
        "escalated",
        lambda ctx, w: {"holder": str(w.province.id), "version": str(ctx["ticket"].version_id)},
        {"province": 302, "admin": 302, "national": 302},
        403,
    ),
    Case(
        "save-view",
        "tickets.save_view",
        "POST",
        lambda ctx: "/views",
        None,
        lambda ctx, w: {"name": "Terlambat", "query": "tab=todo&overdue=1"},
        everyone=302,
    ),
    Case(
        "delete-view",
        "tickets.delete_view",
        "POST",
        lambda ctx: f"/views/{ctx['view'].id}/delete",
        None,
        allowed={"officer_a": 302},
        prepare=_saved_view,
    ),
    Case(
        "reply-templates-get",
        "admin.reply_templates",
        "GET",
        lambda ctx: "/admin/templates",
        None,
        allowed={"admin": 200, "admin_c": 200, "national": 200},
        in_scope=403,
        out_of_scope=403,
    ),
    Case(
        "reply-templates-post",
        "admin.reply_templates",
        "POST",
        lambda ctx: "/admin/templates",
        None,
        lambda ctx, w: {"title": "Salam", "body": "Terima kasih atas laporannya."},
        {"admin": 302, "admin_c": 302, "national": 302},
        403,
        403,
    ),
    Case(
        "reply-template-edit",
        "admin.reply_template_edit",
        "POST",
        lambda ctx: f"/admin/templates/{ctx['template'].id}",
        None,
        lambda ctx, w: {"title": "Salam", "body": "Baru"},
        {"admin": 302, "national": 302, "admin_c": 404},
        403,
        403,
        prepare=_reply_template,
    ),
    Case(
        "reply-template-delete",
        "admin.reply_template_delete",
        "POST",
        lambda ctx: f"/admin/templates/{ctx['template'].id}/delete",
        None,
        None,
        {"admin": 302, "national": 302, "admin_c": 404},
        403,
        403,
        prepare=_reply_template,
    ),
    Case(
        "notifications-read-kind",
        "notify.mark_kind_read",
        "POST",
        lambda ctx: "/notifications/read-kind/raised",
        None,
        everyone=302,
    ),
    Case("help", "help.index", "GET", lambda ctx: "/help", None, anonymous=200, everyone=200),
    Case(
        "manifest",
        "pwa.manifest",
        "GET",
        lambda ctx: "/manifest.webmanifest",
        None,
        anonymous=200,
        everyone=200,
    ),
    Case(
        "service-worker",
        "pwa.service_worker",
        "GET",
        lambda ctx: "/sw.js",
        None,
        anonymous=200,
        everyone=200,
    ),
    Case("login-get", "auth.login", "GET", lambda ctx: "/login", None, anonymous=200, everyone=302),
    Case(
        "login-post",
        "auth.login",
        "POST",
        lambda ctx: "/login",
        None,
        lambda ctx, w: {"email": "nobody@x.id", "password": "wrong-password"},
        anonymous=200,
        everyone=302,
    ),
    Case(
        "language",
        "auth.set_language",
        "POST",
        lambda ctx: "/language/en",
        None,
        lambda ctx, w: {"next": "/"},
        anonymous=302,
        everyone=302,
    ),
    Case("logout", "auth.logout", "POST", lambda ctx: "/logout", None, everyone=302),
]

# Endpoints the matrix does not drive, with the reason.
EXCLUDED: dict[str, str] = {
    "static": "public CSS/JS files, no data",
}
# Blueprints of other features: their owners' test files hold their role matrices; here
# test_anonymous_is_sent_to_login_everywhere still drives every one of their routes.
EXCLUDED_BLUEPRINTS: dict[str, str] = {
    "admin": "role matrix in tests/test_admin*.py (admin helper)",
    "dashboard": "role matrix in tests/test_dashboard*.py (dashboard helper)",
    "notify": "role matrix in tests/test_notif*.py (sla helper)",
    "account": "own-account pages, tested in tests/test_accounts*.py (admin helper)",
    "api": "role matrix in tests/test_api_matrix.py",
    "api_reference": "role matrix in tests/test_api_matrix.py (public document and page)",
}


def expected(case: Case, who: str) -> int:
    """The status code ``who`` must get for the case."""
    if who == ANON:
        return case.anonymous
    if case.everyone is not None:
        return case.everyone
    if who in case.allowed:
        return case.allowed[who]
    return case.in_scope if who in IN_SCOPE else case.out_of_scope


def snapshot() -> tuple[Any, ...]:
    """What a refused POST must not change."""
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    states = tuple(db.session.execute(select(Ticket.id, Ticket.state, Ticket.version_id)).all())
    consultations = tuple(db.session.execute(select(Consultation.id, Consultation.state)).all())
    return (states, count(TicketEvent), count(Comment), count(Attachment), count(TicketLink),
            consultations, count(ConsultationEvent))  # fmt: skip


def _run(app: Flask, world: World, case: Case, who: str) -> None:
    ctx: dict[str, Any] = {}
    if case.files:
        ctx = _with_file(world, case.state or "raised")
    elif case.state is not None:
        ctx["ticket"] = _ticket(world, case.state)
    if case.prepare is not None:
        case.prepare(ctx, world)
    db.session.commit()
    client = app.test_client()
    if who != ANON:
        login(client, getattr(world, who))
    path = case.path(ctx)
    before = snapshot()
    if case.method == "GET":
        response = client.get(path)
    else:
        data = case.data(ctx, world) if case.data else {}
        response = client.post(path, data=data)
    code = expected(case, who)
    status = response.status_code
    if who == ANON and code == 302 and status == 303 and case.method == "POST":
        status = 302  # text kept for after signing in (ticketing/stash.py), same destination
    assert status == code, (case.name, who, response.status_code, code)
    if who == ANON and code == 302 and case.endpoint != "auth.set_language":
        assert "/login" in response.headers["Location"]
    if case.method == "POST" and code != 302:
        assert snapshot() == before, (case.name, who, "refused POST changed the database")
    if code in (403, 404) and "ticket" in ctx:
        # A refusal never shows the ticket's content.
        assert ctx["ticket"].title not in response.get_data(as_text=True)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(app: Flask, world: World, case: Case) -> None:
    for who in (ANON, *USERS):
        _run(app, world, case, who)


def _blueprint(endpoint: str) -> str:
    return endpoint.split(".", 1)[0] if "." in endpoint else endpoint


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    covered = {(c.endpoint, c.method) for c in CASES}
    missing = []
    listed = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            key = (rule.endpoint, method)
            if key in covered:
                listed.append(f"{method} {rule.rule}")
            elif rule.endpoint in EXCLUDED or _blueprint(rule.endpoint) in EXCLUDED_BLUEPRINTS:
                continue
            else:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    print(f"matrix covers {len(listed)} route/method pairs:", *sorted(listed), sep="\n  ")
    assert not missing, f"routes missing from the matrix: {missing}"


def _sample_url(rule: Any, method: str) -> str:
    """Fill a rule's variables with harmless values (ids that do not exist)."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        kind = type(converter).__name__ if converter else ""
        if isinstance(converter, NumberConverter):  # int, float and subclasses
            values[name] = 999999
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]  # type: ignore[union-attr]
        else:
            values[name] = "x"
    adapter = rule.map.bind("localhost")
    return str(adapter.build(rule.endpoint, values, method=method))


def test_anonymous_is_sent_to_login_everywhere(app: Flask) -> None:
    """Every route of every blueprint: anonymous users reach only what is marked public."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        public = getattr(view, "is_public", False)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            path = _sample_url(rule, method)
            response = client.open(path, method=method)
            checked += 1
            if public:
                assert response.status_code < 500, (method, path)
            elif _blueprint(rule.endpoint) == "api":
                # The API never redirects: 401 as application/problem+json.
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.mimetype == "application/problem+json", (method, path)
            else:
                assert response.status_code == 302, (method, path, response.status_code)
                assert "/login" in response.headers["Location"], (method, path)
    assert checked >= len(CASES) // 2


def test_uploads_folder_is_not_static(app: Flask, world: World) -> None:
    ctx = _with_file(world, "raised")
    db.session.commit()
    row = db.session.get(Attachment, ctx["attachment_id"])
    client = app.test_client()
    login(client, world.facilitator_a)
    assert client.get(f"/static/{row.stored_name}").status_code == 404
    assert client.get(f"/static/../instance/uploads/{row.stored_name}").status_code == 404
    assert client.get(f"/attachments/{row.id}").data.startswith(b"%PDF")


def test_disabled_or_signed_out_user_loses_access(app: Flask, world: World) -> None:
    ticket = _ticket(world, "raised")
    db.session.commit()
    client = app.test_client()
    other = app.test_client()
    login(client, world.officer_a)
    login(other, world.officer_a)
    assert client.get(f"/tickets/{ticket.id}").status_code == 200
    client.post("/logout")
    # Signing out ends this browser's session only; the other device stays signed in
    # until it is signed out from the account page (tests/test_sessions.py).
    assert client.get(f"/tickets/{ticket.id}").status_code == 302
    assert other.get(f"/tickets/{ticket.id}").status_code == 200
    world.officer_a.active = False
    db.session.commit()
    assert other.get(f"/tickets/{ticket.id}").status_code == 302
