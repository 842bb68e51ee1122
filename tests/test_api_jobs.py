"""A script outside the app does a facilitator's, an officer's and a province's whole job.

Only HTTP and tokens: no import of the app's services after the world is built. The script
raises a ticket with evidence, the district officer finds it in their work list, assigns it,
comments and escalates it; the province finds it, resolves it with evidence; the facilitator
rejects the fix (reopen), the province resolves again, the facilitator verifies; everyone
reads and clears their notifications; the province reads its dashboard.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask

from tests.api_support import token_for
from tests.factories import World


class Script:
    """What an outside program does: HTTP calls with its token, JSON in and out."""

    def __init__(self, app: Flask, secret: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}

    def get(self, path: str) -> Any:
        answer = self.client.get(f"/api/v1{path}", headers=self.headers)
        assert answer.status_code == 200, (path, answer.get_json())
        return answer.get_json()

    def post(self, path: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        answer = self.client.post(f"/api/v1{path}", headers=headers, **kwargs)
        assert answer.status_code == expect, (path, answer.get_json())
        return answer.get_json()

    def fire(self, ticket_id: int, event: str, **fields: Any) -> Any:
        """Read the ticket, check the event is offered, fire it with the version seen."""
        ticket = self.get(f"/tickets/{ticket_id}")
        assert event in ticket["available_events"], (event, ticket["available_events"])
        return self.post(f"/tickets/{ticket_id}/events",
                         json={"event": event, "version": ticket["version"], **fields})  # fmt: skip


def _jpeg() -> bytes:
    """A real (tiny) photo: the server re-encodes every image it keeps."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), "green").save(out, "JPEG")
    return out.getvalue()


def test_whole_jobs_through_the_api(app: Flask, world: World) -> None:
    facilitator = Script(app, token_for(world.facilitator_a, "aplikasi lapangan"))
    officer = Script(app, token_for(world.officer_a, "sistem dinas"))
    province = Script(app, token_for(world.province, "portal provinsi"))

    # The facilitator: who am I, my schools, the categories, raise with a photo (retried).
    assert facilitator.get("/me")["role"] == "facilitator"
    school = facilitator.get("/schools")["items"][0]
    category = next(c for c in facilitator.get("/categories") if c["active"])
    form = {
        "school_id": str(school["id"]),
        "category_id": str(category["id"]),
        "title": "Tidak ada guru bahasa Inggris",
        "description": "Sejak Juli kosong.",
    }
    for expect in (201, 200):  # the second is a retry after a lost answer
        raised = facilitator.post(
            "/tickets", expect, headers={"Idempotency-Key": "fsp-a-2026-0001"},
            data={**form, "files": [(io.BytesIO(_jpeg()), "kelas.jpg")]},
            content_type="multipart/form-data",
        )  # fmt: skip
    ticket_id = raised["id"]
    assert raised["state"] == "raised"
    assert raised["timeline"][0]["attachments"][0]["content_type"] == "image/jpeg"

    # The district officer: notified, finds it in their work list, assigns it to themself.
    notes = officer.get("/notifications?unread=1")
    assert any(n["ticket_id"] == ticket_id and n["kind"] == "raised" for n in notes["items"])
    todo = officer.get("/tickets")  # the role's default tab: work waiting for the district
    assert ticket_id in [t["id"] for t in todo["items"]]
    me = officer.get("/me")
    officer.fire(ticket_id, "assign", assignee_id=me["id"])
    officer.post(f"/tickets/{ticket_id}/comments", 201,
                 json={"body": "Sudah kami hubungi, belum ada formasi guru."})  # fmt: skip
    escalated = officer.fire(ticket_id, "escalate", note="Butuh formasi dari provinsi.")
    assert escalated["state"] == "escalated"
    assert officer.post("/notifications/read-all")["count"] >= 1

    # The province: its list shows the escalated ticket; it resolves with a letter.
    assert ticket_id in [t["id"] for t in province.get("/tickets")["items"]]
    ticket = province.get(f"/tickets/{ticket_id}")
    resolved = province.post(
        f"/tickets/{ticket_id}/events",
        data={"event": "resolve", "version": str(ticket["version"]),
              "note": "Guru honorer ditugaskan mulai Senin.",
              "files": [(io.BytesIO(b"%PDF-1.4 surat"), "surat-tugas.pdf")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert resolved["state"] == "resolved" and resolved["resolved_tier"] == "province"

    # The facilitator: the fix did not happen; reopen goes back to the province.
    notes = facilitator.get("/notifications")
    assert any(n["kind"] == "resolved" for n in notes["items"])
    reopened = facilitator.fire(ticket_id, "reopen", note="Guru belum datang.")
    assert reopened["state"] == "escalated" and reopened["reopen_count"] == 1
    province.fire(ticket_id, "resolve", note="Guru sudah mengajar sejak Rabu.")
    verified = facilitator.fire(ticket_id, "verify")
    assert verified["state"] == "verified" and verified["available_events"] == []
    events = [e["event"] for e in verified["timeline"] if e["kind"] == "event"]
    assert events == ["raise", "assign", "escalate", "resolve", "reopen", "resolve", "verify"]
    unread = facilitator.get("/notifications?unread=1")["items"]
    for note in unread:
        assert facilitator.post(f"/notifications/{note['id']}/read")["read_at"] is not None

    # The province's figures: one ticket, verified, one reopen of two fixes.
    dashboard = province.get("/dashboard/provinces/35")
    assert dashboard["total"]["total"] == 1 and dashboard["total"]["reopen_rate"] == 0.5
    district = province.get("/dashboard/districts/35.01")
    assert district["total"]["total"] == 1
