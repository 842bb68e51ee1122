"""Schemathesis against the served OpenAPI document: every operation, both databases.

Cases come from the document (positive and negative data), are sent through the WSGI app
with the tokens of a facilitator and a district officer (and, for a share, the ids of real
tickets, files and notifications), and every answer must be no 5xx, have a documented
status and content type, and match its schema. The figures are printed (-s shows them).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import token_for
from tests.factories import World
from ticketing.extensions import db
from ticketing.services import attachments
from ticketing.services import tickets as ticket_service

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}


def _known_ids(world: World) -> dict[str, Any]:
    """Real objects for a share of the cases, so answers are not all 404."""
    ticket = world.raise_ticket()
    ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    upload = attachments.Upload("bukti.pdf", attachments.PDF, b"%PDF-1.4 test")
    row = attachments.store(ticket, [upload], actor=world.facilitator_a)[0]
    db.session.commit()
    from ticketing.models import Notification

    note = db.session.scalar(db.select(Notification.id).order_by(Notification.id))
    return {"ticket_id": ticket.id, "attachment_id": row.id, "notification_id": note or 1}


def test_every_operation_conforms(app: Flask, world: World, capsys: pytest.CaptureFixture) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    known = _known_ids(world)
    secrets = [token_for(world.facilitator_a), token_for(world.officer_a)]
    figures: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        figures["operations"] += 1
        params = {p.name for p in operation.path_parameters}
        fixed = {name: value for name, value in known.items() if name in params}
        if "code" in params:
            fixed["code"] = "35.01" if "district" in operation.path else "35"
        for mode, count in EXAMPLES.items():
            strategies = [operation.as_strategy(generation_mode=mode)]
            if fixed:
                strategies.append(
                    operation.as_strategy(generation_mode=mode, path_parameters=fixed)
                )

            @settings(
                max_examples=count * len(strategies),
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=st.one_of(strategies), which=st.integers(0, len(secrets) - 1))
            def run(case: Any, which: int) -> None:
                figures["cases"] += 1
                headers = {
                    "Authorization": f"Bearer {secrets[which]}",
                    "Accept-Encoding": "identity",
                }
                try:
                    response = case.call(headers=headers)
                    figures[f"status {response.status_code}"] += 1
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except Exception as exc:  # counted and reported below
                    failures.append(f"{case.operation.label}: {str(exc)[:600]}")
                db.session.rollback()

            run()
    with capsys.disabled():
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(figures.items()) if k[0] == "s")
        print(
            f"\nschemathesis ({db.engine.dialect.name}): {figures['operations']} operations, "
            f"{figures['cases']} cases, {len(failures)} failures; answers: {answers}"
        )
    assert figures["operations"] >= 16
    assert not failures, "\n\n".join(failures[:10])
