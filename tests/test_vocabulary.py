"""One vocabulary: every state, tier and role is handled by every consumer, or a test fails.

Adding a member to ``State``, ``Tier`` or ``Role`` in ticketing/vocabulary.py makes the tests
below name each place that still has to decide what it means there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import CheckConstraint

from ticketing import vocabulary as v
from ticketing.help import diagram
from ticketing.help.views import ROLE_HELP
from ticketing.models import SlaPolicy, Ticket, User
from ticketing.notifications import KIND_LABELS
from ticketing.vocabulary import Role, State, Tier
from ticketing.workflow import EVENTS, TicketWorkflow

ROOT = Path(__file__).resolve().parents[1]


def _check_text(table: Any, name: str) -> str:
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and constraint.name == f"ck_{table.name}_{name}":
            return str(constraint.sqltext)
    raise AssertionError(f"no CHECK named {name}")


def test_values_are_todays_strings():
    today = {"raised", "assigned", "escalated", "resolved", "verified", "withdrawn"}
    assert today <= {s.value for s in State}
    assert {"facilitator", "district_pmo", "province_pmo", "admin"} <= {r.value for r in Role}
    assert Role.DISTRICT_PMO == "district_pmo" and Tier.PROVINCE == "province"


@pytest.mark.parametrize("state", list(State))
def test_every_state_is_in_every_table(state):
    assert state in v.STATE_TIER
    assert state in v.DEFAULT_DEADLINE_DAYS
    assert state in v.STATE_LABELS
    # The machine has it, with the same id and stored value.
    assert getattr(TicketWorkflow, state.value).value == state.value
    if state in v.OPEN_STATES:
        assert state in v.STATE_SHORT_LABELS  # dashboard column
        assert v.DEFAULT_DEADLINE_DAYS[state] is not None  # an open ticket always has a deadline
    # The CHECK constraints name it.
    assert f"'{state.value}'" in _check_text(Ticket.__table__, "state")
    if v.DEFAULT_DEADLINE_DAYS[state] is not None:
        assert f"'{state.value}'" in _check_text(SlaPolicy.__table__, "state")


@pytest.mark.parametrize("tier", list(Tier))
def test_every_tier_holds_a_state_has_officers_and_a_way_back(tier):
    assert v.tier_states(tier), "a tier nobody's state belongs to"
    assert v.STATE_TIER[v.TIER_STATE[tier]] == tier
    assert tier in v.TIER_ROLE and tier in v.TIER_LABELS
    # A fix by this tier that the facilitator rejects goes back to it.
    reopen = [
        t for t in diagram.transitions() if t.event == "reopen" and t.target == v.TIER_STATE[tier]
    ]
    assert reopen and reopen[0].guard == f"resolved_by_{tier.value}"
    assert callable(getattr(TicketWorkflow, f"resolved_by_{tier.value}"))
    assert reopen[0].guard in diagram.GUARD_LABELS
    assert f"'{tier.value}'" in _check_text(Ticket.__table__, "resolved_tier")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_in_every_table(role):
    assert role in v.ROLE_SCOPE
    assert role in v.ROLE_LABELS
    assert ROLE_HELP.get(role), "the help page says nothing about this role"
    assert role in set(v.ROLE_WORDS.values()), "an import cannot name this role"
    assert f"'{role.value}'" in _check_text(User.__table__, "role")
    assert f"'{role.value}'" in _check_text(User.__table__, "scope_matches_role")


def test_event_rules_match_the_machine():
    """Every permitted (event, state) pair exists in the machine, and every event has a rule."""
    arrows = {(t.event, t.source) for t in diagram.transitions()}
    assert set(v.EVENT_RULES) == set(EVENTS)
    for event, per_role in v.EVENT_RULES.items():
        for role, states in per_role.items():
            assert isinstance(role, Role)
            for state in states:
                assert (event, state.value) in arrows, (event, role, state)
    for event, states in v.SYSTEM_EVENTS.items():
        for state in states:
            assert (event, state.value) in arrows
    # Every arrow is fired by somebody (a role or the system).
    fired = {
        (e, s.value) for e, rules in v.EVENT_RULES.items() for ss in rules.values() for s in ss
    }
    fired |= {(e, s.value) for e, ss in v.SYSTEM_EVENTS.items() for s in ss}
    assert arrows <= fired, arrows - fired


def test_every_event_has_a_label():
    for event in (*EVENTS, "raise", "hand_over"):
        assert event in v.EVENT_LABELS


def test_email_templates_know_every_kind():
    for lang in ("id", "en"):
        text = (ROOT / "templates" / "email" / f"notification.{lang}.txt").read_text()
        for kind in KIND_LABELS:
            assert len(re.findall(rf'^\s*"{kind}":', text, re.M)) == 2, (lang, kind)


def test_no_hand_written_vocabulary_lists_remain():
    """The old duplicated lists are gone: states and roles are spelled only in the vocabulary."""
    pattern = re.compile(r"""\(\s*["']raised["']\s*,\s*["']assigned["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "ticketing").rglob("*.py")
        if path.name != "vocabulary.py" and pattern.search(path.read_text())
    ]
    offenders += [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*")
        if path.is_file() and re.search(r'"raised": "(Diajukan|Raised)"', path.read_text())
    ]
    assert offenders == []


def test_every_event_has_a_form_a_title_and_a_button():
    from ticketing.tickets.forms import ACTION_BUTTONS, ACTION_FORMS, ACTION_TITLES, CONFIRMATIONS

    for event in EVENTS:
        assert event in ACTION_FORMS and event in ACTION_TITLES and event in ACTION_BUTTONS
        assert event in CONFIRMATIONS, f"{event}: no confirmation after the action"


def test_the_migration_writes_the_vocabulary_checks():
    """The CHECKs migration 11_tiers writes equal what the vocabulary generates today."""
    import importlib.util

    path = ROOT / "migrations" / "versions" / "11_tiers.py"
    spec = importlib.util.spec_from_file_location("tiers_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _check_text(Ticket.__table__, "state") == module.STATES_NEW
    assert _check_text(Ticket.__table__, "resolved_tier") == module.TIER_NEW
    assert _check_text(SlaPolicy.__table__, "state") == module.SLA_NEW
    # The roles were last changed by 11_experts.
    path = ROOT / "migrations" / "versions" / "11_experts.py"
    spec = importlib.util.spec_from_file_location("experts_migration", path)
    assert spec is not None and spec.loader is not None
    experts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(experts)
    assert _check_text(User.__table__, "role") == experts.ROLE_NEW
    assert _check_text(User.__table__, "scope_matches_role") == experts.SCOPE_NEW
    assert module.SCOPE_NEW == experts.SCOPE_OLD and module.ROLE_NEW == experts.ROLE_OLD
