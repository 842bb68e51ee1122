"""Role x route matrix of the JSON API: every route, a token of every user, in and out of scope.

Same world and tickets as tests/test_web_matrix.py. Without a token every non-public route
is a 401 problem (never a redirect). A refused write leaves the database as it was; a
refusal never shows the ticket's content. Fails when an API route has no entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.api_support import call, token_for
from tests.factories import World
from tests.test_web_matrix import IN_SCOPE, USERS, _ticket, _with_file, snapshot
from ticketing.extensions import db
from ticketing.models import Notification, Province

ANON = "anonymous"
FACILITATORS = ("facilitator_a", "facilitator_a2", "facilitator_b", "facilitator_c")


@dataclass
class Case:
    """One API route and method, its data, and what each user's token gets."""

    name: str
    endpoint: str
    method: str
    path: Callable[[dict[str, Any]], str]
    state: str | None = "raised"
    body: Callable[[dict[str, Any], World], dict[str, Any]] | None = None
    allowed: dict[str, int] = field(default_factory=dict)
    in_scope: int = 404
    out_of_scope: int = 404
    anonymous: int = 401
    everyone: int | None = None
    files: bool = False
    setup: Callable[[dict[str, Any], World], None] | None = None


def _event(event: str, state: str, allowed: tuple[str, ...], note: bool = True) -> Case:
    def body(ctx: dict[str, Any], world: World) -> dict[str, Any]:
        values: dict[str, Any] = {"event": event, "version": ctx["ticket"].version_id}
        if note:
            values["note"] = "alasan"
        if event == "assign":
            values["assignee_id"] = world.officer_a.id
        return values

    return Case(
        f"event-{event}",
        "api.fire",
        "POST",
        lambda ctx: f"/api/v1/tickets/{ctx['ticket'].id}/events",
        state,
        body,
        dict.fromkeys(allowed, 200),
        in_scope=403,
    )


def _notification(ctx: dict[str, Any], world: World) -> None:
    ctx["notification"] = db.session.scalar(
        select(Notification.id).where(Notification.user_id == world.officer_a.id)
    )


def _public(ctx: dict[str, Any], world: World) -> None:
    province = db.session.get(Province, "35")
    assert province is not None
    province.public_dashboard = True


def _raise(ctx: dict[str, Any], world: World) -> dict[str, Any]:
    return {
        "school_id": world.school_a.id,
        "category_id": world.category.id,
        "title": "Baru",
        "description": "Isi",
    }


PROVINCE_35 = {"province": 200, "admin": 200, "national": 200}
CASES: list[Case] = [
    Case("me", "api.me", "GET", lambda ctx: "/api/v1/me", None, everyone=200),
    Case("tickets", "api.tickets", "GET", lambda ctx: "/api/v1/tickets?state=", everyone=200),
    Case(
        "raise",
        "api.raise_ticket",
        "POST",
        lambda ctx: "/api/v1/tickets",
        None,
        _raise,
        {"facilitator_a": 201},
        in_scope=403,
        out_of_scope=403,
    ),
    Case(
        "ticket",
        "api.ticket",
        "GET",
        lambda ctx: f"/api/v1/tickets/{ctx['ticket'].id}",
        in_scope=200,
    ),
    _event("assign", "raised", ("officer_a", "officer_a2"), note=False),
    _event("escalate", "assigned", ("officer_a", "officer_a2")),
    _event("resolve", "escalated", ("province",)),
    _event("return_to_district", "escalated", ("province",)),
    _event("verify", "resolved", ("facilitator_a",), note=False),
    _event("reopen", "resolved", ("facilitator_a",)),
    _event("withdraw", "assigned", ("facilitator_a",)),
    Case(
        "comment",
        "api.comment",
        "POST",
        lambda ctx: f"/api/v1/tickets/{ctx['ticket'].id}/comments",
        body=lambda ctx, w: {"body": "Catatan"},
        in_scope=201,
    ),
    Case(
        "attachment",
        "api.attachment",
        "GET",
        lambda ctx: f"/api/v1/attachments/{ctx['attachment_id']}",
        in_scope=200,
        files=True,
    ),
    Case(
        "categories", "api.categories", "GET", lambda ctx: "/api/v1/categories", None, everyone=200
    ),
    Case("schools", "api.schools", "GET", lambda ctx: "/api/v1/schools", None, everyone=200),
    Case("districts", "api.districts", "GET", lambda ctx: "/api/v1/districts", None, everyone=200),
    Case(
        "notifications",
        "api.notifications",
        "GET",
        lambda ctx: "/api/v1/notifications",
        everyone=200,
    ),
    Case(
        "notification-read",
        "api.notification_read",
        "POST",
        lambda ctx: f"/api/v1/notifications/{ctx['notification']}/read",
        allowed={"officer_a": 200},
        in_scope=404,
        setup=_notification,
    ),
    Case(
        "notifications-read-all",
        "api.notifications_read_all",
        "POST",
        lambda ctx: "/api/v1/notifications/read-all",
        everyone=200,
    ),
    Case(
        "dashboard-national",
        "api.dashboard_national",
        "GET",
        lambda ctx: "/api/v1/dashboard/national",
        None,
        allowed={"national": 200, "central": 200},
        in_scope=403,
        out_of_scope=403,
    ),
    Case(
        "dashboard-province",
        "api.dashboard_province",
        "GET",
        lambda ctx: "/api/v1/dashboard/provinces/35",
        None,
        allowed={
            **PROVINCE_35,
            **dict.fromkeys(FACILITATORS, 403),
            "officer_a": 403,
            "officer_a2": 403,
            "officer_b": 403,
            "central": 200,  # the central PMO sees every province's dashboard
            "expert": 403,  # experts have no dashboards
            "expert_c": 403,
        },
    ),
    Case(
        "dashboard-district",
        "api.dashboard_district",
        "GET",
        lambda ctx: "/api/v1/dashboard/districts/35.01",
        None,
        allowed={
            **PROVINCE_35,
            "officer_a": 200,
            "officer_a2": 200,
            **dict.fromkeys(FACILITATORS, 403),
            "central": 200,
            "expert": 403,
            "expert_c": 403,
        },
    ),
    Case(
        "public",
        "api.public_province",
        "GET",
        lambda ctx: "/api/v1/public/provinces/35",
        None,
        anonymous=200,
        everyone=200,
        setup=_public,
    ),
    Case(
        "public-off",
        "api.public_province",
        "GET",
        lambda ctx: "/api/v1/public/provinces/35",
        None,
        anonymous=404,
        everyone=404,
    ),
    Case(
        "openapi",
        "api_reference.openapi_json",
        "GET",
        lambda ctx: "/api/v1/openapi.json",
        None,
        anonymous=200,
        everyone=200,
    ),
    Case(
        "reference",
        "api_reference.docs",
        "GET",
        lambda ctx: "/api/v1/docs",
        None,
        anonymous=200,
        everyone=200,
    ),
]


def expected(case: Case, who: str) -> int:
    """The status ``who`` must get."""
    if who == ANON:
        return case.anonymous
    if case.everyone is not None:
        return case.everyone
    if who in case.allowed:
        return case.allowed[who]
    return case.in_scope if who in IN_SCOPE else case.out_of_scope


def _run(app: Flask, world: World, case: Case, who: str, secret: str | None) -> None:
    ctx: dict[str, Any] = {}
    if case.files:
        ctx = _with_file(world, case.state or "raised")
    elif case.state is not None:
        ctx["ticket"] = _ticket(world, case.state)
    if case.setup is not None:
        case.setup(ctx, world)
    db.session.commit()
    client = app.test_client()
    before = snapshot()
    body = case.body(ctx, world) if case.body else None
    response = call(client, case.method, case.path(ctx), secret, json=body)
    code = expected(case, who)
    assert response.status_code == code, (
        case.name,
        who,
        response.status_code,
        code,
        response.get_data(as_text=True)[:300],
    )
    if code >= 400 and case.endpoint.startswith("api."):
        assert response.mimetype == "application/problem+json", (case.name, who)
        assert response.json is not None and response.json["status"] == code
    if case.method == "POST" and code >= 400:
        assert snapshot() == before, (case.name, who, "refused write changed the database")
    if code in (401, 403, 404) and "ticket" in ctx:
        assert ctx["ticket"].title not in response.get_data(as_text=True)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_api_matrix(app: Flask, world: World, case: Case) -> None:
    secrets = {who: token_for(getattr(world, who)) for who in USERS}
    _run(app, world, case, ANON, None)
    for who in USERS:
        _run(app, world, case, who, secrets[who])


def test_every_api_route_is_in_the_matrix(app: Flask) -> None:
    covered = {(c.endpoint, c.method) for c in CASES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] not in ("api", "api_reference"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, f"API routes missing from the matrix: {missing}"
