"""The consultation workflow: requested -> answered (then follow-ups), or withdrawn.

Written like workflow.py: states from the vocabulary, domain rules only in guards, exactly one
audit row per event in ``after_transition``, no database import. It never touches the ticket.
"""

from __future__ import annotations

from typing import Any, cast

from flask_babel import lazy_gettext as _l
from statemachine import State, StateMachine
from statemachine.states import States

from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.vocabulary import ConsultationState as C

_STATES = States(
    {
        c.value: State(
            c.name.capitalize(),
            value=c.value,
            initial=c is C.REQUESTED,
            final=c is C.WITHDRAWN,
        )
        for c in C
    }
)


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    return note or None


class ConsultationWorkflow(StateMachine):
    """requested -> answered -> (follow-ups); requested -> withdrawn."""

    # An answered consultation stays open to the expert's follow-ups: it has no way out.
    validate_final_reachability = False

    _ = _STATES

    answer = _.requested.to(_.answered, validators="check_note")
    follow_up = _.answered.to.itself(validators="check_note")
    withdraw = _.requested.to(_.withdrawn)

    audit_row: Any = None

    def check_note(self, note: str | None = None) -> None:
        """An answer or a follow-up says something."""
        if _clean(note) is None:
            raise InvalidInput(_l("Write the answer."), field="note")

    def on_answer(self, note: str | None = None) -> None:
        """Keep the answer and when it came (the median answer time reads it)."""
        self.model.answer = _clean(note)
        self.model.answered_at = utcnow()
        self.model.due_at = None

    def on_enter_withdrawn(self) -> None:
        """No deadline any more."""
        self.model.due_at = None

    def after_transition(self, event: Any, source: State, target: State, actor: Any = None,
                         note: str | None = None) -> None:  # fmt: skip
        """Exactly one audit row per event, in the same transaction."""
        self.audit_row = self.model.append_event(
            event=event.id, from_state=source.value, to_state=target.value, actor=actor,
            note=_clean(note),
        )  # fmt: skip


EVENTS: tuple[str, ...] = tuple(e.id for e in cast(list[Any], ConsultationWorkflow.events))


def bind(consultation: Any) -> ConsultationWorkflow:
    """Build the machine around a consultation row."""
    return ConsultationWorkflow(model=consultation, state_field="state")
