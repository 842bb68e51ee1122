"""Role x predicate: every permission predicate, for every role, written out as a decision.

Each row of TABLE must name every ``Role`` member: a new role fails here until someone decides,
predicate by predicate, what it may do. A user whose role no predicate names gets nothing
(deny by default).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import World
from ticketing import permissions as p
from ticketing.extensions import db
from ticketing.models import Ticket, User
from ticketing.services import tickets as ticket_service
from ticketing.vocabulary import Role

F, D, P, A = Role.FACILITATOR, Role.DISTRICT_PMO, Role.PROVINCE_PMO, Role.ADMIN
C, E = Role.CENTRAL_PMO, Role.EXPERT

# The in-scope user of each role in the test world (school A: district 35.01, province 35).
ACTORS: dict[Role, str] = {
    F: "facilitator_a", D: "officer_a", P: "province", A: "admin", C: "central", E: "expert",
}  # fmt: skip


def _visible(user: Any, ticket: Ticket) -> bool:
    query = p.visible_tickets(user).where(Ticket.id == ticket.id)
    return db.session.scalars(query).first() is not None


def _imports(user: Any, _ticket: Ticket) -> bool:
    try:
        return p.import_scope(user) == "35"
    except PermissionError:
        return False


def _token_of(email: str) -> Any:
    owner = db.session.scalars(select(User).where(User.email == email)).one()
    return SimpleNamespace(user_id=owner.id, user=owner)


Predicate = Callable[[Any, Ticket], bool]
PREDICATES: dict[str, Predicate] = {
    "visible_tickets": _visible,
    "can_view": p.can_view,
    "can_comment": p.can_comment,
    "can_raise": lambda u, t: p.can_raise(u),
    "can_raise_for": lambda u, t: p.can_raise_for(u, t.school),
    "has_dashboards": lambda u, t: p.has_dashboards(u),
    "can_hand_over": p.can_hand_over,
    "can_edit_report": p.can_edit_report,
    "is_administrator": lambda u, t: p.is_administrator(u),
    "import_scope": _imports,
    "can_administer": lambda u, t: p.can_administer(u, "35"),
    "can_manage_categories": lambda u, t: p.can_manage_categories(u),
    "can_manage_administrators": lambda u, t: p.can_manage_administrators(u),
    "can_view_national_dashboard": lambda u, t: p.can_view_national_dashboard(u),
    "can_view_province_dashboard": lambda u, t: p.can_view_province_dashboard(u, "35"),
    "can_view_district_dashboard": lambda u, t: p.can_view_district_dashboard(u, "35.01"),
    "can_publish_dashboard": lambda u, t: p.can_publish_dashboard(u, "35"),
    "can_send_meeting_report": lambda u, t: p.can_send_meeting_report(u, "35"),
    "can_browse_district": lambda u, t: p.can_browse_district(u, "35.01"),
    "browses_province_districts": lambda u, t: p.browses_province_districts(u),
    "home_dashboard": lambda u, t: p.home_dashboard(u) is not None,
    # A recurrence link between two tickets of school A (the same row stands for both here).
    "can_link": lambda u, t: p.can_link(u, t, t, "recurrence"),
    "can_unlink": lambda u, t: p.can_unlink(u, t, t, "recurrence"),
    # The worklist (issue 10); the province holder on an escalated ticket: test_web_matrix.py.
    "may_hold": p.may_hold,
    "can_take": p.can_take,
    "can_take_and_resolve": p.can_take_and_resolve,
    "can_give_to_holder": p.can_give_to_holder,
    "can_bulk": lambda u, t: p.can_bulk(u),
    "can_see_internal": lambda u, t: p.can_see_internal(u),
    "can_write_internal": p.can_write_internal,
    "can_use_reply_templates": lambda u, t: p.can_use_reply_templates(u),
    "can_manage_reply_templates": lambda u, t: p.can_manage_reply_templates(u, "35"),
    "can_have_api_tokens": lambda u, t: p.can_have_api_tokens(u),
    # A token of another facilitator of the province (facilitator B, district 35.02).
    "can_revoke_token": lambda u, t: p.can_revoke_token(u, _token_of("fb@x.id")),
    "may_link_any": p.may_link_any,
    "can_consult": p.can_consult,
    "holds": p.holds,
}

# Decisions, on a raised ticket of school A. True: allowed.
TABLE: dict[str, dict[Role, bool]] = {
    "visible_tickets": {F: True, D: True, P: True, A: True, C: False, E: False},
    "can_view": {F: True, D: True, P: True, A: True, C: False, E: False},
    "can_comment": {F: True, D: True, P: True, A: True, C: False, E: False},
    "can_raise": {F: True, D: False, P: False, A: False, C: False, E: False},
    "can_raise_for": {F: True, D: False, P: False, A: False, C: False, E: False},
    "has_dashboards": {F: False, D: True, P: True, A: True, C: True, E: False},
    "can_hand_over": {F: False, D: False, P: False, A: True, C: False, E: False},
    # The ticket's own facilitator, while it is raised (later states: test_edit_report_states).
    "can_edit_report": {F: True, D: False, P: False, A: False, C: False, E: False},
    "is_administrator": {F: False, D: False, P: False, A: True, C: False, E: False},
    "import_scope": {F: False, D: False, P: False, A: True, C: False, E: False},
    "can_administer": {F: False, D: False, P: False, A: True, C: False, E: False},
    # National administrators only (tested below).
    "can_manage_categories": {F: False, D: False, P: False, A: False, C: False, E: False},
    "can_view_national_dashboard": {F: False, D: False, P: False, A: False, C: True, E: False},
    "can_view_province_dashboard": {F: False, D: False, P: True, A: True, C: True, E: False},
    "can_view_district_dashboard": {F: False, D: True, P: True, A: True, C: True, E: False},
    "can_publish_dashboard": {F: False, D: False, P: False, A: True, C: False, E: False},
    "can_send_meeting_report": {F: False, D: False, P: True, A: True, C: False, E: False},
    "can_browse_district": {F: True, D: True, P: True, A: True, C: False, E: False},
    "browses_province_districts": {F: False, D: False, P: True, A: True, C: False, E: False},
    "home_dashboard": {F: False, D: True, P: True, A: True, C: True, E: False},
    "can_link": {F: True, D: True, P: True, A: False, C: False, E: False},
    "can_unlink": {F: False, D: True, P: True, A: False, C: False, E: False},
    # National administrators only.
    "can_manage_administrators": {F: False, D: False, P: False, A: False, C: False, E: False},
    "may_link_any": {F: False, D: True, P: True, A: False, C: False, E: False},
    # The officer holding a raised ticket is the district's.
    "can_consult": {F: False, D: True, P: False, A: False, C: False, E: False},
    "holds": {F: False, D: True, P: False, A: False, C: False, E: False},
    "may_hold": {F: False, D: False, P: True, A: False, C: False, E: False},
    "can_take": {F: False, D: True, P: False, A: False, C: False, E: False},  # province: escalated
    "can_take_and_resolve": {F: False, D: True, P: False, A: False, C: False, E: False},
    # Escalated tickets only.
    "can_give_to_holder": {F: False, D: False, P: False, A: False, C: False, E: False},
    "can_bulk": {F: False, D: True, P: True, A: False, C: False, E: False},
    "can_see_internal": {F: False, D: True, P: True, A: True, C: True, E: False},
    # Central sees only referred tickets; this one is raised.
    "can_write_internal": {F: False, D: True, P: True, A: True, C: False, E: False},
    "can_use_reply_templates": {F: False, D: True, P: True, A: False, C: False, E: False},
    "can_manage_reply_templates": {F: False, D: False, P: False, A: True, C: False, E: False},
    # A token acts exactly as its user, through the same predicates: every role may have one.
    "can_have_api_tokens": {F: True, D: True, P: True, A: True, C: True, E: True},
    "can_revoke_token": {F: False, D: False, P: False, A: True, C: False, E: False},
}

# Which workflow events each role may fire on school A's ticket, per state.
EVENTS: dict[str, dict[Role, set[str]]] = {
    "raised": {F: {"withdraw"}, D: {"assign", "escalate"}, P: set(), A: set(), C: set(), E: set()},
    "assigned": {
        F: {"withdraw"},
        D: {"escalate", "resolve"},
        P: set(),
        A: set(),
        C: set(),
        E: set(),
    },
    "escalated": {
        F: set(),
        D: set(),
        P: {"resolve", "return_to_district", "refer_to_central"},
        A: set(),
        C: set(),
        E: set(),
    },
    "referred": {
        F: set(),
        D: set(),
        P: set(),
        A: set(),
        C: {"resolve", "return_to_province"},
        E: set(),
    },
    "resolved": {F: {"verify", "reopen"}, D: set(), P: set(), A: set(), C: set(), E: set()},
}


def test_every_predicate_is_in_the_table():
    assert set(PREDICATES) == set(TABLE)
    public = {
        name
        for name in dir(p)
        if (
            name.startswith(("can_", "has_", "is_", "may_", "browses_", "home_"))
            or name == "import_scope"
        )
        and callable(getattr(p, name))
    }
    public -= {"can_fire"}  # decided per state in EVENTS below
    # Decided per consultation or per expert in tests/test_consultations.py.
    public -= {"can_answer", "can_withdraw_consultation", "is_eligible_expert"}
    assert public <= set(TABLE), f"decide these for every role: {public - set(TABLE)}"


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_role_is_an_explicit_decision(name):
    assert set(TABLE[name]) == set(Role), f"{name}: decide for {set(Role) - set(TABLE[name])}"


@pytest.mark.parametrize("state", sorted(EVENTS))
def test_events_every_role_may_fire(state):
    assert set(EVENTS[state]) == set(Role)


def _ticket_in(world: World, state: str) -> Ticket:
    ticket = world.raise_ticket()
    if state != "raised":
        ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    if state in ("escalated", "referred", "resolved"):
        ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="berat")
    if state == "referred":
        ticket_service.fire(ticket, "refer_to_central", actor=world.province, note="nasional")
    if state == "resolved":
        ticket_service.fire(ticket, "resolve", actor=world.province, note="beres")
    db.session.flush()
    return ticket


def test_the_table(world):
    ticket = _ticket_in(world, "raised")
    users = world.users()
    wrong = []
    for name, decisions in TABLE.items():
        for role, allowed in decisions.items():
            if role not in ACTORS:
                continue  # a role without a user in this world (tested in its own module)
            got = bool(PREDICATES[name](users[ACTORS[role]], ticket))
            if got != allowed:
                wrong.append((name, role.value, got))
    assert wrong == []


def test_the_events(world):
    users = world.users()
    for state, per_role in EVENTS.items():
        ticket = _ticket_in(world, state)
        for role, events in per_role.items():
            if role in ACTORS:
                got = set(ticket_service.available_events(users[ACTORS[role]], ticket))
                assert got == events, (state, role)


def test_an_unknown_role_gets_nothing(world):
    """Deny by default: a role no predicate names (as a new role would be) is refused."""
    ticket = _ticket_in(world, "raised")
    ghost = User(email="ghost@x.id", name="Ghost", role="ghost", province_code="35",
                 district_code="35.01", active=True)  # fmt: skip
    ghost.assignments = []
    granted = [n for n, pred in PREDICATES.items() if pred(ghost, ticket)]
    assert granted == []
    assert p.allowed_events(ghost, ticket) == []


def test_the_national_administrator(world):
    ticket = _ticket_in(world, "raised")
    national = world.national
    assert p.can_view(national, ticket) and p.can_view_national_dashboard(national)
    assert p.can_manage_categories(national) and p.import_scope(national, "33") == "33"
    assert p.allowed_events(national, ticket) == []


def test_the_central_pmo_sees_what_was_ever_referred_in_every_province(world):
    """Decision (docs/decisions.md): central sees tickets that are or were referred, no others."""
    ticket = _ticket_in(world, "referred")
    other = world.raise_ticket(facilitator=world.facilitator_c, school=world.school_c)
    central = world.central
    assert p.can_view(central, ticket) and _visible(central, ticket)
    assert not p.can_view(central, other) and not _visible(central, other)
    ticket_service.fire(ticket, "return_to_province", actor=central, note="arahan")
    assert ticket.state == "escalated"
    assert p.can_view(central, ticket)  # was referred: still visible, read-only
    assert p.allowed_events(central, ticket) == []


@pytest.mark.parametrize("state", ["assigned", "escalated", "referred", "resolved"])
def test_edit_report_states(world, state):
    """A report is corrected only while raised: once anyone has started on it, nobody may."""
    ticket = _ticket_in(world, state)
    users = world.users()
    assert [r for r, name in ACTORS.items() if p.can_edit_report(users[name], ticket)] == []


def test_edit_report_is_for_the_tickets_own_facilitator(world):
    """Another facilitator of the same school sees the ticket but may not correct it; after a
    hand-over the new facilitator may, the old one no longer."""
    from tests.factories import assign

    ticket = _ticket_in(world, "raised")
    assign(world.facilitator_a2, world.school_a)
    assert p.can_view(world.facilitator_a2, ticket)
    assert not p.can_edit_report(world.facilitator_a2, ticket)
    ticket_service.hand_over(ticket, actor=world.admin, facilitator=world.facilitator_a2)
    assert p.can_edit_report(world.facilitator_a2, ticket)
    assert not p.can_edit_report(world.facilitator_a, ticket)
    assert not p.can_edit_report(None, ticket)
