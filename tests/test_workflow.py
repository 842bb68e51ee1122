"""The workflow alone, on plain objects, without a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from statemachine.exceptions import TransitionNotAllowed

from ticketing.errors import InvalidInput
from ticketing.workflow import EVENTS, TicketWorkflow, bind


@dataclass
class Officer:
    role: str = "district_pmo"
    district_code: str = "35.01"
    active: bool = True


@dataclass
class PlainTicket:
    district_code: str = "35.01"
    state: str | None = None
    assignee: Any = None
    resolution: str | None = None
    resolved_tier: str | None = None
    resolved_at: Any = None
    closed_at: Any = None
    reopen_count: int = 0
    escalation_count: int = 0
    referral_count: int = 0
    state_changed_at: Any = None
    updated_at: Any = None
    log: list[dict[str, Any]] = field(default_factory=list)

    def append_event(self, **row: Any) -> None:
        self.log.append(row)


def fire(ticket: PlainTicket, event: str, **data: Any) -> PlainTicket:
    bind(ticket).send(event, **data)
    return ticket


def test_states_and_events_are_exactly_the_design():
    assert [s.value for s in TicketWorkflow.states] == [
        "raised", "assigned", "escalated", "referred", "resolved", "verified", "withdrawn",
    ]  # fmt: skip
    assert set(EVENTS) == {
        "assign", "escalate", "resolve", "return_to_district", "verify", "reopen", "withdraw",
        "refer_to_central", "return_to_province",
    }  # fmt: skip
    finals = {s.value for s in TicketWorkflow.states if s.final}
    assert finals == {"verified", "withdrawn"}


def test_new_ticket_starts_raised_without_audit_row():
    ticket = PlainTicket()
    bind(ticket)
    assert ticket.state == "raised"
    assert ticket.log == []


# (start path, event, data, expected target)
ALLOWED = [
    ([], "assign", {"assignee": Officer()}, "assigned"),
    ([], "escalate", {"note": "x"}, "escalated"),
    ([], "withdraw", {"note": "x"}, "withdrawn"),
    (["assign"], "escalate", {"note": "x"}, "escalated"),
    (["assign"], "resolve", {"note": "fixed"}, "resolved"),
    (["assign"], "withdraw", {"note": "x"}, "withdrawn"),
    (["escalate"], "resolve", {"note": "fixed"}, "resolved"),
    (["escalate"], "return_to_district", {"note": "guidance"}, "assigned"),
    (["assign", "resolve"], "verify", {}, "verified"),
    (["assign", "resolve"], "reopen", {"note": "not fixed"}, "assigned"),
    (["escalate", "resolve"], "reopen", {"note": "not fixed"}, "escalated"),
    (["escalate"], "refer_to_central", {"note": "national policy"}, "referred"),
    (["escalate", "refer_to_central"], "resolve", {"note": "fixed"}, "resolved"),
    (["escalate", "refer_to_central"], "return_to_province", {"note": "guidance"}, "escalated"),
    (["escalate", "refer_to_central", "resolve"], "reopen", {"note": "no"}, "referred"),
]
DATA = {
    "assign": {"assignee": Officer()},
    "escalate": {"note": "n"},
    "resolve": {"note": "n"},
    "return_to_district": {"note": "n"},
    "refer_to_central": {"note": "n"},
    "return_to_province": {"note": "n"},
    "verify": {},
    "reopen": {"note": "n"},
    "withdraw": {"note": "n"},
}


def at(path: list[str]) -> PlainTicket:
    ticket = PlainTicket()
    bind(ticket)
    for event in path:
        fire(ticket, event, **DATA[event])
    return ticket


@pytest.mark.parametrize(("path", "event", "data", "target"), ALLOWED)
def test_allowed_transition_moves_and_audits_once(path, event, data, target):
    ticket = at(path)
    before = ticket.state
    count = len(ticket.log)
    fire(ticket, event, actor="someone", **data)
    assert ticket.state == target
    assert len(ticket.log) == count + 1
    row = ticket.log[-1]
    assert (row["event"], row["from_state"], row["to_state"], row["actor"]) == (
        event, before, target, "someone",
    )  # fmt: skip


STARTS = {
    "raised": [],
    "assigned": ["assign"],
    "escalated": ["escalate"],
    "referred": ["escalate", "refer_to_central"],
    "resolved": ["assign", "resolve"],
    "verified": ["assign", "resolve", "verify"],
    "withdrawn": ["withdraw"],
}
ALLOWED_PAIRS = {(STARTS_KEY, e) for STARTS_KEY in STARTS for e in EVENTS} & {
    (at(p).state, e) for p, e, _, _ in ALLOWED
}
FORBIDDEN = [(s, e) for s in STARTS for e in EVENTS if (s, e) not in ALLOWED_PAIRS]


@pytest.mark.parametrize(("state", "event"), FORBIDDEN)
def test_forbidden_transition_changes_nothing(state, event):
    ticket = at(STARTS[state])
    count = len(ticket.log)
    with pytest.raises(TransitionNotAllowed):
        fire(ticket, event, **DATA[event])
    assert ticket.state == state
    assert len(ticket.log) == count


@pytest.mark.parametrize(
    "event",
    [
        "escalate", "resolve", "return_to_district", "reopen", "withdraw", "refer_to_central",
        "return_to_province",
    ],
)  # fmt: skip
@pytest.mark.parametrize("note", [None, "", "   "])
def test_events_that_need_a_note_refuse_without_one(event, note):
    path = {"resolve": ["assign"], "return_to_district": ["escalate"],
            "reopen": ["assign", "resolve"], "refer_to_central": ["escalate"],
            "return_to_province": ["escalate", "refer_to_central"]}.get(event, [])  # fmt: skip
    ticket = at(path)
    state, count = ticket.state, len(ticket.log)
    with pytest.raises(InvalidInput):
        fire(ticket, event, note=note)
    assert (ticket.state, len(ticket.log)) == (state, count)


@pytest.mark.parametrize(
    "assignee",
    [None, Officer(district_code="35.02"), Officer(role="facilitator"), Officer(active=False)],
)
def test_assign_needs_an_active_officer_of_the_district(assignee):
    ticket = at([])
    with pytest.raises(InvalidInput):
        fire(ticket, "assign", assignee=assignee)
    assert ticket.state == "raised" and ticket.log == []


def test_reopen_returns_to_the_tier_that_resolved_and_counts():
    ticket = at(["assign", "escalate", "resolve"])
    assert ticket.resolved_tier == "province"
    fire(ticket, "reopen", note="still broken")
    assert (ticket.state, ticket.reopen_count) == ("escalated", 1)
    fire(ticket, "return_to_district", note="please handle")
    fire(ticket, "resolve", note="done now")
    assert ticket.resolved_tier == "district"
    fire(ticket, "reopen", note="still broken")
    assert (ticket.state, ticket.reopen_count) == ("assigned", 2)


def test_resolve_records_resolution_and_verify_closes():
    ticket = at(["assign"])
    fire(ticket, "resolve", note="  Guru baru sudah datang. ")
    assert ticket.resolution == "Guru baru sudah datang."
    assert ticket.resolved_at is not None and ticket.closed_at is None
    fire(ticket, "verify")
    assert ticket.state == "verified" and ticket.closed_at is not None


def test_escalations_are_counted():
    ticket = at([])
    fire(ticket, "escalate", note="a")
    fire(ticket, "return_to_district", note="b")
    fire(ticket, "escalate", note="c")
    assert ticket.escalation_count == 2


def test_the_central_tier_resolves_and_a_rejected_fix_comes_back_to_it():
    ticket = at(["assign", "escalate", "refer_to_central"])
    assert (ticket.state, ticket.referral_count) == ("referred", 1)
    fire(ticket, "resolve", note="Kebijakan nasional diterbitkan.")
    assert ticket.resolved_tier == "central"
    fire(ticket, "reopen", note="Belum berlaku di sekolah.")
    assert ticket.state == "referred"
    fire(ticket, "return_to_province", note="Provinsi menindaklanjuti dengan juknis.")
    assert ticket.state == "escalated"
    fire(ticket, "resolve", note="Juknis diterapkan.")
    assert ticket.resolved_tier == "province"
    assert [row["event"] for row in ticket.log][-4:] == [
        "resolve", "reopen", "return_to_province", "resolve",
    ]  # fmt: skip
