"""The ticket workflow: the one state machine, and the only writer of ``ticket.state``.

States and events follow DESIGN.md. Guards here hold domain rules only (a note is required,
the assignee is an officer of the ticket's district, a reopen goes back to the tier that
resolved); who the actor may be is decided in ``ticketing.permissions``.
"""

from __future__ import annotations

from typing import Any, cast

from flask_babel import lazy_gettext as _l
from statemachine import State, StateMachine
from statemachine.states import States

from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.vocabulary import (
    FINAL_STATES,
    INITIAL_STATE,
    NOTE_REQUIRED,
    STATE_TIER,
    TIER_ROLE,
    TIER_STATE,
    Tier,
)
from ticketing.vocabulary import State as S

# The machine's states, built from the vocabulary: id and stored value are the enum's value.
_STATES = States(
    {
        s.value: State(
            s.name.replace("_", " ").capitalize(),
            value=s.value,
            initial=s is INITIAL_STATE,
            final=s in FINAL_STATES,
        )
        for s in S
    }
)


# The refusal for each kind of note, born translatable (lazy).
NOTE_MISSING = {
    "reason": _l("A reason is required."),
    "resolution": _l("A resolution is required."),
    "guidance": _l("A guidance is required."),
    "note": _l("A note is required."),
}


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    return note or None


def _reopen_transitions() -> Any:
    """resolved -> the state where each tier holds a ticket, guarded by resolved_by_<tier>."""
    arrows: Any = None
    for tier in Tier:
        arrow = _STATES.resolved.to(
            getattr(_STATES, TIER_STATE[tier].value),
            cond=f"resolved_by_{tier.value}",
            validators="check_note",
        )
        arrows = arrow if arrows is None else arrows | arrow
    return arrows


class TicketWorkflow(StateMachine):
    """raised -> assigned -> (escalated -> (referred)) -> resolved -> verified.

    With reopen (back to the tier that resolved), withdraw, and the returns down a tier.
    """

    _ = _STATES

    assign = _.raised.to(_.assigned, validators="check_assignee")
    escalate = _.raised.to(_.escalated, validators="check_note") | _.assigned.to(
        _.escalated, validators="check_note"
    )
    resolve = (
        _.assigned.to(_.resolved, validators="check_note")
        | _.escalated.to(_.resolved, validators="check_note")
        | _.referred.to(_.resolved, validators="check_note")
    )
    return_to_district = _.escalated.to(_.assigned, validators=["check_note", "check_assignee"])
    refer_to_central = _.escalated.to(_.referred, validators="check_note")
    return_to_province = _.referred.to(_.escalated, validators="check_note")
    verify = _.resolved.to(_.verified)
    # A rejected fix goes back to the tier that resolved it (one guarded arrow per tier).
    reopen = _reopen_transitions()
    withdraw = _.raised.to(_.withdrawn, validators="check_note") | _.assigned.to(
        _.withdrawn, validators="check_note"
    )

    # The audit row the last transition wrote (files of a resolution hang on it).
    audit_row: Any = None

    # Guards and validators (domain rules only).

    def resolved_by_district(self) -> bool:
        """A reopened ticket returns to the district if the district resolved it."""
        return bool(self.model.resolved_tier == Tier.DISTRICT)

    def resolved_by_province(self) -> bool:
        """... and to the province if the province resolved it."""
        return bool(self.model.resolved_tier == Tier.PROVINCE)

    def resolved_by_central(self) -> bool:
        """... and to the central PMO if central resolved it."""
        return bool(self.model.resolved_tier == Tier.CENTRAL)

    def check_note(self, event: Any, note: str | None = None) -> None:
        """Events that change who works on a ticket must say why."""
        if _clean(note) is None:
            field = NOTE_REQUIRED.get(event.id, "note")
            raise InvalidInput(NOTE_MISSING[field], field="note")

    def check_assignee(self, event: Any, assignee: Any = None) -> None:
        """The assignee must be an active officer of the ticket's own district."""
        if assignee is None:
            if event.id == "return_to_district":
                return  # the district keeps its previous officer, if any
            raise InvalidInput(
                _l("Choose the officer who will handle this ticket."), field="assignee"
            )
        if (
            assignee.role != TIER_ROLE[Tier.DISTRICT]
            or assignee.district_code != self.model.district_code
            or not assignee.active
        ):
            raise InvalidInput(
                _l("The assignee must be an active officer of the ticket's district."),
                field="assignee",
            )

    # Effects on the ticket's domain data.

    def on_assign(self, assignee: Any = None) -> None:
        """Record who is responsible."""
        self.model.assignee = assignee

    def on_return_to_district(self, assignee: Any = None) -> None:
        """The province may name the officer who takes it back."""
        if assignee is not None:
            self.model.assignee = assignee

    def on_escalate(self) -> None:
        """Count escalations (the dashboard's 'share escalated')."""
        self.model.escalation_count = (self.model.escalation_count or 0) + 1

    def on_refer_to_central(self) -> None:
        """Count referrals (central sees tickets that are or were referred)."""
        self.model.referral_count = (self.model.referral_count or 0) + 1

    def on_resolve(self, source: State, note: str | None = None) -> None:
        """Remember what was done and which tier did it; a reopen returns there."""
        self.model.resolution = _clean(note)
        tier = STATE_TIER[S(source.value)]
        self.model.resolved_tier = None if tier is None else tier.value
        self.model.resolved_at = utcnow()

    def on_reopen(self) -> None:
        """A rejected fix: count it and clear the resolution time."""
        self.model.reopen_count = (self.model.reopen_count or 0) + 1
        self.model.resolved_at = None

    def on_enter_verified(self) -> None:
        """Closed for good."""
        self.model.closed_at = utcnow()

    def on_enter_withdrawn(self) -> None:
        """Closed by its facilitator before a fix."""
        self.model.closed_at = utcnow()

    def after_transition(
        self,
        event: Any,
        source: State,
        target: State,
        actor: Any = None,
        note: str | None = None,
        assignee: Any = None,
    ) -> None:
        """Append exactly one audit event for the change, in the same transaction."""
        now = utcnow()
        self.model.state_changed_at = now
        self.model.updated_at = now
        self.audit_row = self.model.append_event(
            event=event.id,
            from_state=source.value,
            to_state=target.value,
            actor=actor,
            note=_clean(note),
            assignee=assignee if event.id in ("assign", "return_to_district") else None,
            at=now,  # the same reading as state_changed_at (asof.py relies on it)
        )


# The class attribute is a list of events at run time (typed as a method in the stubs).
EVENTS: tuple[str, ...] = tuple(e.id for e in cast(list[Any], TicketWorkflow.events))


def bind(ticket: Any) -> TicketWorkflow:
    """Build the machine around a ticket row (the row holds the state; about 1-3 ms)."""
    return TicketWorkflow(model=ticket, state_field="state")


class _Seat:
    """The ticket a reused machine works on now: attribute reads and writes go to it.

    The machine keeps its model for life, so the seat is its model and the tickets take
    turns in it. It has no attributes of its own that the machine could take for callbacks
    (a Ticket has none either: tests/test_workflow.py checks both).
    """

    __slots__ = ("ticket",)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "ticket"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "ticket":
            object.__setattr__(self, name, value)
        else:
            setattr(self.ticket, name, value)


class _Idle:
    """Who sits in the seat before the first ticket (a state, so no initial entry runs)."""

    state = INITIAL_STATE.value


class Workflows:
    """One machine that fires events on many existing tickets in turn.

    Building a machine resolves its callbacks (1-3 ms, more than the transition itself);
    a batch of changes builds one. Only for tickets that already have a state (``bind``
    sets the first one). Not shared between threads: make one per call.
    """

    def __init__(self) -> None:
        self._seat = _Seat()
        self._seat.ticket = _Idle()
        self._machine = TicketWorkflow(model=self._seat, state_field="state")

    def on(self, ticket: Any) -> TicketWorkflow:
        """The machine, now working on ``ticket`` (its ``audit_row`` cleared)."""
        if ticket.state is None:
            raise ValueError("a new ticket gets its first state from bind()")
        self._seat.ticket = ticket
        self._machine.audit_row = None
        return self._machine
