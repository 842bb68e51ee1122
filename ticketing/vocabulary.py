"""The workflow's vocabulary, defined once: states, tiers, roles, and the tables that join them.

Everything that names a state, a tier or a role reads it from here: the state machine
(workflow.py), the CHECK constraints (models), who may fire what (permissions.py), deadlines
and the sweep (sla.py), dashboard figures (reports.py), exports, labels (i18n.py), e-mails and
the help page. tests/test_vocabulary.py fails when a member of an enum is missing from one of
the tables below or from one of those consumers, so a new state or role is a test failure,
not a user's surprise.

No database imports here: the module is imported by models and by plain-object tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l


class State(StrEnum):
    """Where a ticket is. The values are the strings stored in ``tickets.state``."""

    RAISED = "raised"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    REFERRED = "referred"  # referred by the province to the central PMO (pusat)
    RESOLVED = "resolved"
    VERIFIED = "verified"
    WITHDRAWN = "withdrawn"


class Tier(StrEnum):
    """A level of the PMO that works on tickets (``tickets.resolved_tier``)."""

    DISTRICT = "district"
    PROVINCE = "province"
    CENTRAL = "central"  # the national PMO (PMO Pusat)


class Role(StrEnum):
    """What a user is (``users.role``)."""

    FACILITATOR = "facilitator"
    DISTRICT_PMO = "district_pmo"
    PROVINCE_PMO = "province_pmo"
    CENTRAL_PMO = "central_pmo"
    ADMIN = "admin"
    EXPERT = "expert"  # Widyaprada and other resource persons (narasumber) a PMO consults


class Scope(StrEnum):
    """Which region columns a role's account carries (the users CHECK derives from it)."""

    DISTRICT = "district"  # a district and its province
    PROVINCE = "province"  # a province, no district
    PROVINCE_OR_NATIONAL = "province_or_national"  # a province, or nothing (the whole country)
    NATIONAL = "national"  # no region: the whole country


INITIAL_STATE = State.RAISED
FINAL_STATES: tuple[State, ...] = (State.VERIFIED, State.WITHDRAWN)
OPEN_STATES: tuple[State, ...] = tuple(s for s in State if s not in FINAL_STATES)

# Which tier works on a ticket in each state (None: the facilitator's turn, or closed).
STATE_TIER: dict[State, Tier | None] = {
    State.RAISED: Tier.DISTRICT,
    State.ASSIGNED: Tier.DISTRICT,
    State.ESCALATED: Tier.PROVINCE,
    State.REFERRED: Tier.CENTRAL,
    State.RESOLVED: None,
    State.VERIFIED: None,
    State.WITHDRAWN: None,
}
# Where a tier holds a ticket: a resolve from here records the tier, a reopen returns here.
TIER_STATE: dict[Tier, State] = {
    Tier.DISTRICT: State.ASSIGNED,
    Tier.PROVINCE: State.ESCALATED,
    Tier.CENTRAL: State.REFERRED,
}
# The officers of each tier.
TIER_ROLE: dict[Tier, Role] = {
    Tier.DISTRICT: Role.DISTRICT_PMO,
    Tier.PROVINCE: Role.PROVINCE_PMO,
    Tier.CENTRAL: Role.CENTRAL_PMO,
}
ROLE_TIER: dict[Role, Tier] = {role: tier for tier, role in TIER_ROLE.items()}

# The region columns each role carries.
ROLE_SCOPE: dict[Role, Scope] = {
    Role.FACILITATOR: Scope.DISTRICT,
    Role.DISTRICT_PMO: Scope.DISTRICT,
    Role.PROVINCE_PMO: Scope.PROVINCE,
    Role.CENTRAL_PMO: Scope.NATIONAL,
    Role.ADMIN: Scope.PROVINCE_OR_NATIONAL,
    Role.EXPERT: Scope.PROVINCE_OR_NATIONAL,
}

# The words people write for a role (the "peran" column of an import), Indonesian first.
ROLE_WORDS: dict[str, Role] = {
    "fasilitator": Role.FACILITATOR,
    "fasilitator sekolah penggerak": Role.FACILITATOR,
    "fsp": Role.FACILITATOR,
    "facilitator": Role.FACILITATOR,
    "pmo kabupaten": Role.DISTRICT_PMO,
    "pmo kota": Role.DISTRICT_PMO,
    "pmo kabupaten/kota": Role.DISTRICT_PMO,
    "pmo kab/kota": Role.DISTRICT_PMO,
    "pmo kabkota": Role.DISTRICT_PMO,
    "district pmo": Role.DISTRICT_PMO,
    "pmo provinsi": Role.PROVINCE_PMO,
    "province pmo": Role.PROVINCE_PMO,
    "pmo pusat": Role.CENTRAL_PMO,
    "pmo nasional": Role.CENTRAL_PMO,
    "central pmo": Role.CENTRAL_PMO,
    "admin": Role.ADMIN,
    "administrator": Role.ADMIN,
    "admin provinsi": Role.ADMIN,
    "widyaprada": Role.EXPERT,
    "narasumber": Role.EXPERT,
    "pakar": Role.EXPERT,
    "expert": Role.EXPERT,
}

# Working days allowed in a state when no policy row says otherwise (None: no deadline).
# The resolved deadline is the facilitator's verification reminder, not a PMO deadline.
DEFAULT_DEADLINE_DAYS: dict[State, int | None] = {
    State.RAISED: 3,
    State.ASSIGNED: 5,
    State.ESCALATED: 10,
    State.REFERRED: 15,
    State.RESOLVED: 5,
    State.VERIFIED: None,
    State.WITHDRAWN: None,
}
DEADLINE_STATES: tuple[State, ...] = tuple(
    s for s, days in DEFAULT_DEADLINE_DAYS.items() if days is not None
)
# States whose deadline belongs to a PMO tier (missing one counts against SLA compliance).
PMO_STATES: tuple[State, ...] = tuple(s for s in State if STATE_TIER[s] is not None)


def tier_states(tier: Tier) -> tuple[State, ...]:
    """The states a tier works on."""
    return tuple(s for s in State if STATE_TIER[s] == tier)


# Who may fire each event, and from which states. A facilitator must also hold the ticket;
# PMO roles must have it in scope (permissions.py). The state machine has the last word.
EVENT_RULES: dict[str, dict[Role, tuple[State, ...]]] = {
    "assign": {Role.DISTRICT_PMO: (State.RAISED,)},
    "escalate": {Role.DISTRICT_PMO: (State.RAISED, State.ASSIGNED)},
    "resolve": {
        Role.DISTRICT_PMO: (State.ASSIGNED,),
        Role.PROVINCE_PMO: (State.ESCALATED,),
        Role.CENTRAL_PMO: (State.REFERRED,),
    },
    "return_to_district": {Role.PROVINCE_PMO: (State.ESCALATED,)},
    "refer_to_central": {Role.PROVINCE_PMO: (State.ESCALATED,)},
    "return_to_province": {Role.CENTRAL_PMO: (State.REFERRED,)},
    "verify": {Role.FACILITATOR: (State.RESOLVED,)},
    "reopen": {Role.FACILITATOR: (State.RESOLVED,)},
    "withdraw": {Role.FACILITATOR: (State.RAISED, State.ASSIGNED)},
}
# What the system (the SLA sweep, actor None) may fire: district tickets past their deadline
# are escalated; province tickets past theirs are referred to central only when the national
# setting SLA_AUTO_REFER_TO_CENTRAL is on (otherwise the province is reminded).
SYSTEM_EVENTS: dict[str, tuple[State, ...]] = {
    "escalate": tier_states(Tier.DISTRICT),
    "refer_to_central": tier_states(Tier.PROVINCE),
}
# System events allowed only while a national setting (app config key) is on.
SYSTEM_EVENT_SETTINGS: dict[str, str] = {"refer_to_central": "SLA_AUTO_REFER_TO_CENTRAL"}

# Events that need a written note, and the form field that carries it.
NOTE_REQUIRED: dict[str, str] = {
    "escalate": "reason",
    "resolve": "resolution",
    "return_to_district": "guidance",
    "refer_to_central": "reason",
    "return_to_province": "guidance",
    "reopen": "reason",
    "withdraw": "reason",
}


def roles_with(events: Iterable[str] | None = None) -> frozenset[Role]:
    """The roles that may fire any of ``events`` (all workflow events when None)."""
    names = EVENT_RULES if events is None else events
    return frozenset(role for name in names for role in EVENT_RULES.get(name, {}))


# --- Labels (lazy: rendered in the reader's language; Indonesian in the catalogue) -----------

STATE_LABELS: dict[str, Any] = {
    State.RAISED: _l("Raised"),
    State.ASSIGNED: _l("Handled by the district PMO"),
    State.ESCALATED: _l("Escalated to the province PMO"),
    State.REFERRED: _l("Referred to the central PMO"),
    State.RESOLVED: _l("Resolved, awaiting verification"),
    State.VERIFIED: _l("Verified (closed)"),
    State.WITHDRAWN: _l("Withdrawn"),
}
# Column headers of the dashboard tables (open states only: the figures count open tickets).
STATE_SHORT_LABELS: dict[str, Any] = {
    State.RAISED: _l("Raised"),
    State.ASSIGNED: _l("Handled by the district"),
    State.ESCALATED: _l("At the province"),
    State.REFERRED: _l("At the central PMO"),
    State.RESOLVED: _l("Awaiting verification"),
}
TIER_LABELS: dict[str, Any] = {
    Tier.DISTRICT: _l("District"),
    Tier.PROVINCE: _l("Province"),
    Tier.CENTRAL: _l("Central PMO"),
}
ROLE_LABELS: dict[str, Any] = {
    Role.FACILITATOR: _l("Facilitator"),
    Role.DISTRICT_PMO: _l("District PMO"),
    Role.PROVINCE_PMO: _l("Province PMO"),
    Role.CENTRAL_PMO: _l("Central PMO"),
    Role.ADMIN: _l("Administrator"),
    Role.EXPERT: _l("Expert (Widyaprada, resource person)"),
}
# Audit events (workflow events plus the service's own: raise, hand_over).
EVENT_LABELS: dict[str, Any] = {
    "raise": _l("Raised the ticket"),
    "assign": _l("Assigned"),
    "escalate": _l("Escalated it to the province"),
    "resolve": _l("Resolved"),
    "return_to_district": _l("Returned to the district"),
    "refer_to_central": _l("Referred it to the central PMO"),
    "return_to_province": _l("Returned to the province"),
    "verify": _l("Verified the fix"),
    "reopen": _l("Reopened: not fixed"),
    "withdraw": _l("Withdrew the ticket"),
    "hand_over": _l("Handed to another facilitator"),
    # The facilitator corrected a raised ticket (services.tickets.edit_report); the note
    # holds what changed, shown with REPORT_FIELD_LABELS.
    "edit": _l("Corrected the report"),
    # The province holder (services.tickets.give_to_holder): the note names before -> after.
    "take": _l("Took the ticket at the province"),
    "give": _l("Handed the ticket to a province officer"),
    # Links (services/links.py): written on both tickets, the note is the other's number.
    "link_recurrence": _l("Linked as a recurrence (the same problem came back)"),
    "link_related": _l("Linked as related"),
    "link_duplicate": _l("Linked as a duplicate"),
    "unlink_recurrence": _l("Removed the recurrence link"),
    "unlink_related": _l("Removed the related link"),
    "unlink_duplicate": _l("Removed the duplicate link"),
}

# The parts of a report its facilitator may correct while it is raised (the timeline's words).
REPORT_FIELD_LABELS: dict[str, Any] = {
    "title": _l("Title"),
    "description": _l("Description"),
    "category": _l("Category"),
    "school": _l("School"),
    "district": _l("District"),
}


def sql_in(column: str, values: Iterable[str]) -> str:
    """``column IN ('a', 'b')`` for a CHECK constraint, from enum members."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def role_scope_check() -> str:
    """The users CHECK tying each role to the region columns it carries (from ROLE_SCOPE)."""
    rules = {
        Scope.DISTRICT: "district_code IS NOT NULL AND province_code IS NOT NULL",
        Scope.PROVINCE: "province_code IS NOT NULL AND district_code IS NULL",
        Scope.PROVINCE_OR_NATIONAL: "district_code IS NULL",
        Scope.NATIONAL: "province_code IS NULL AND district_code IS NULL",
    }
    parts = []
    for scope, condition in rules.items():
        roles = [r for r in Role if ROLE_SCOPE[r] == scope]
        if roles:
            parts.append(f"({sql_in('role', roles)} AND {condition})")
    return " OR ".join(parts)


# --- Consultations: a PMO officer asks experts; the ticket stays where it is ---------------


class ConsultationState(StrEnum):
    """Where a consultation is (``consultations.state``)."""

    REQUESTED = "requested"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"


CONSULTATION_OPEN_STATES: tuple[ConsultationState, ...] = (ConsultationState.REQUESTED,)
# Working days an expert has to answer (reminded once per working day afterwards).
CONSULTATION_DEADLINE_DAYS = 3
CONSULTATION_STATE_LABELS: dict[str, Any] = {
    ConsultationState.REQUESTED: _l("Waiting for the expert's answer"),
    ConsultationState.ANSWERED: _l("Answered"),
    ConsultationState.WITHDRAWN: _l("Withdrawn"),
}
CONSULTATION_EVENT_LABELS: dict[str, Any] = {
    "ask": _l("Asked an expert"),
    "answer": _l("The expert answered"),
    "follow_up": _l("The expert added a follow-up"),
    "withdraw": _l("Withdrew the question"),
}
