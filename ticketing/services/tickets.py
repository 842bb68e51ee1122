"""Raise tickets, fire workflow events, comment, hand over: the one path for every caller."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from statemachine.exceptions import TransitionNotAllowed

from ticketing import permissions, rollups
from ticketing.clock import utcnow
from ticketing.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from ticketing.extensions import db
from ticketing.models import (
    FACILITATOR,
    PROVINCE_PMO,
    Category,
    Comment,
    School,
    Ticket,
    TicketCounter,
    TicketEvent,
    User,
)
from ticketing.workflow import EVENTS, Workflows, bind

if TYPE_CHECKING:
    from ticketing.services.attachments import Upload

TITLE_MAX = 200
TEXT_MAX = 10_000


@dataclass(frozen=True)
class Change:
    """What a state change did, for hooks that react to it (deadlines, notifications)."""

    ticket: Ticket
    event: str
    from_state: str | None
    to_state: str
    actor: User | None
    # The audit row the change wrote (its note goes into the notifications), when known.
    audit_row: TicketEvent | None = None


def _after_changes(
    changes: Sequence[Change], befores: Sequence[rollups.Facts], *, deadlines: bool = True
) -> None:
    """The side effects of changes, inside their transaction, in this fixed order.

    1. the deadline of each new state (sla.track_deadlines; already done when not
       ``deadlines``: ``fire`` sets it before its flush, in the change's own UPDATE), because
    2. the notifications and e-mails (notifications.notify_changes) show it;
    3. the dashboard rollups move from the tickets' contributions ``befores`` the changes to
       their contributions now (after 1, which counts a missed deadline).

    Each step handles all the changes at once (a batch of the SLA sweep, or one change):
    one flush for the notifications, one upsert per rollup row.
    """
    from ticketing import notifications, sla

    if not changes:
        return
    if deadlines:
        sla.track_deadlines(changes)
    notifications.notify_changes(changes)
    after = rollups.summed(rollups.facts(change.ticket) for change in changes)
    rollups.apply(db.session, rollups.summed(befores), after)


def _required(field: str) -> Any:
    messages = {
        "title": _l("The title is required."),
        "description": _l("The description is required."),
        "comment": _l("The comment is required."),
    }
    return messages.get(field) or _l("The note is required.")


def _too_long(field: str, limit: int) -> Any:
    messages = {
        "title": _l("The title is longer than %(n)d characters.", n=limit),
        "description": _l("The description is longer than %(n)d characters.", n=limit),
        "comment": _l("The comment is longer than %(n)d characters.", n=limit),
    }
    return messages.get(field) or _l("The note is longer than %(n)d characters.", n=limit)


def _text(value: str | None, field: str, *, required: bool, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_required(field), field=field)
    if len(value) > limit:
        raise InvalidInput(_too_long(field, limit), field=field)
    return value


def next_ticket_number(year: int) -> str:
    """Hand out the next human number of the year, e.g. ESK-2026-000123 (race-safe)."""
    bump = (
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last_value=TicketCounter.last_value + 1)
        .returning(TicketCounter.last_value)
    )
    value = db.session.execute(bump).scalar()
    if value is None:
        # First ticket of the year; a concurrent first insert makes one of us retry the bump.
        try:
            with db.session.begin_nested():
                db.session.execute(insert(TicketCounter).values(year=year, last_value=1))
            value = 1
        except IntegrityError:
            value = db.session.execute(bump).scalar_one()
    return f"ESK-{year}-{value:06d}"


IDEMPOTENCY_KEY_MAX = 64


def by_idempotency_key(actor: User, key: str) -> Ticket | None:
    """The ticket ``actor`` raised with this key (whoever holds it now), if any."""
    return db.session.execute(
        select(Ticket).where(Ticket.raised_by_id == actor.id, Ticket.idempotency_key == key)
    ).scalar_one_or_none()


def raise_ticket(
    actor: User,
    *,
    school: School,
    category: Category,
    title: str,
    description: str,
    files: Sequence[Upload] = (),
    idempotency_key: str | None = None,
) -> Ticket:
    """A facilitator files a problem (with optional evidence); it goes to the school's district.

    ``idempotency_key`` (unique per raiser) makes a repeat safe: a second raise with the same
    key returns the ticket the first one made and changes nothing, also under a race and also
    after the ticket was handed over to another facilitator.
    """
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise InvalidInput(
                _l("The idempotency key is longer than %(n)d characters.", n=IDEMPOTENCY_KEY_MAX),
                field="idempotency_key",
            )
        existing = by_idempotency_key(actor, key)
        if existing is not None:
            return existing
    if not permissions.can_raise_for(actor, school):
        raise PermissionDenied(_l("You can raise tickets only for schools assigned to you."))
    if not category.active:
        raise InvalidInput(_l("This category is no longer in use."), field="category")
    title = _text(title, "title", required=True, limit=TITLE_MAX)
    description = _text(description, "description", required=True)
    now = utcnow()
    try:
        # A savepoint: a concurrent raise with the same key (PostgreSQL waits on the unique
        # index, then refuses ours) rolls back only this insert and its ticket number.
        with db.session.begin_nested():
            ticket = Ticket(
                number=next_ticket_number(now.year),
                school=school,
                district_code=school.district_code,
                province_code=school.province_code,
                category=category,
                facilitator=actor,
                raised_by=actor,
                title=title,
                description=description,
                created_at=now,
                updated_at=now,
                state_changed_at=now,
                idempotency_key=key,
            )
            bind(ticket)  # sets the initial state without an audit row; the service writes it
            db.session.add(ticket)
            row = ticket.append_event(
                event="raise", from_state=None, to_state=ticket.state, actor=actor, at=now
            )
            db.session.flush()
    except IntegrityError:
        existing = by_idempotency_key(actor, key) if key is not None else None
        if existing is None:
            raise
        return existing
    _store_files(ticket, files, actor=actor, event=row)
    _after_changes([Change(ticket, "raise", None, ticket.state, actor, row)], [{}])
    return ticket


def _store_files(ticket: Ticket, files: Sequence[Upload], **owner: Any) -> None:
    if files:
        from ticketing.services import attachments

        attachments.store(ticket, list(files), **owner)


def _conflict(ticket: Ticket, seen: int) -> ConflictError:
    return ConflictError(
        _l("This ticket was changed by someone else; nothing was applied."),
        ticket=ticket,
        expected_version=seen,
    )


def _locked(ticket: Ticket, expected_version: int | None) -> Ticket:
    """Reload the row under a lock (PostgreSQL) and check the version the user saw."""
    fresh, error = _locked_all([ticket], [expected_version])[0]
    if error is not None:
        raise error
    return fresh


def _locked_all(
    tickets: Sequence[Ticket], expected_versions: Sequence[int | None]
) -> list[tuple[Ticket, ConflictError | None]]:
    """Reload the rows under a lock (PostgreSQL), each with a conflict if its version moved.

    One SELECT for all, locking in id order (as the SLA sweep's batches do); with it the
    people and schools that the notifications and e-mails of a change read.
    """
    seen = [
        ticket.version_id if expected is None else expected
        for ticket, expected in zip(tickets, expected_versions, strict=True)
    ]
    query = (
        select(Ticket)
        .where(Ticket.id.in_([ticket.id for ticket in tickets]))
        .order_by(Ticket.id)
        .with_for_update(of=Ticket)
        .execution_options(populate_existing=True)
    )
    if len(tickets) > 1:
        # A batch loads them in two queries instead of one lazy load per ticket.
        query = query.options(
            selectinload(Ticket.facilitator),
            selectinload(Ticket.school),
            selectinload(Ticket.province),
        )
    fresh = {row.id: row for row in db.session.scalars(query)}
    out: list[tuple[Ticket, ConflictError | None]] = []
    for ticket, version in zip(tickets, seen, strict=True):
        row = fresh[ticket.id]
        # On SQLite the lock is a no-op; the version check in the UPDATE still catches a race.
        out.append((row, None if row.version_id == version else _conflict(row, version)))
    return out


def fire(
    ticket: Ticket,
    event: str,
    *,
    actor: User | None,
    expected_version: int | None = None,
    note: str | None = None,
    assignee: User | None = None,
    files: Sequence[Upload] = (),
) -> Ticket:
    """Fire a workflow event as ``actor`` (None = the system); one audit row is written.

    ``files`` (already validated evidence, e.g. of a resolution) hang on that audit row.
    """
    outcome = _fire_all(
        [ticket], event, actor=actor, expected_versions=[expected_version], notes=[note],
        assignee=assignee, files=files,
    )[0]  # fmt: skip
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


def fire_many(
    tickets: Sequence[Ticket],
    event: str,
    *,
    actor: User | None,
    notes: Sequence[str | None],
    assignee: User | None = None,
) -> list[Ticket | ServiceError]:
    """Fire one event on several tickets (one note each) in the caller's transaction.

    Exactly what ``fire`` does to each, with the side effects written once for all (the
    SLA sweep's batches). Returns, per ticket, the ticket or the error that refused it
    (nothing was written for that one); a conflict found at the flush raises for all.
    """
    return _fire_all(
        tickets, event, actor=actor, expected_versions=[None] * len(tickets), notes=notes,
        assignee=assignee, files=(),
    )  # fmt: skip


def _fire_all(
    tickets: Sequence[Ticket],
    event: str,
    *,
    actor: User | None,
    expected_versions: Sequence[int | None],
    notes: Sequence[str | None],
    assignee: User | None,
    files: Sequence[Upload],
) -> list[Ticket | ServiceError]:
    """The one path of ``fire`` and ``fire_many``: check, lock, transition each ticket, flush
    once, then the side effects of all the changes."""
    if event not in EVENTS:
        raise InvalidInput(_l("Unknown event %(event)s.", event=repr(event)), field="event")
    outcomes: list[Ticket | ServiceError] = []
    wanted: list[int] = []  # positions of the tickets the actor may see
    for i, ticket in enumerate(tickets):
        if actor is not None and not permissions.can_view(actor, ticket):
            outcomes.append(NotFound(_l("Ticket not found.")))
        else:
            outcomes.append(ticket)
            wanted.append(i)
    if not wanted:
        return outcomes
    locked = _locked_all([tickets[i] for i in wanted], [expected_versions[i] for i in wanted])
    from ticketing import sla

    # The changes are flushed together below, not one by one before each lazy load or
    # look-up of a deadline policy (which would also write each ticket twice).
    with db.session.no_autoflush:
        changes, befores = _transitions(
            wanted, locked, event, actor=actor, notes=notes, assignee=assignee, outcomes=outcomes
        )
        # The new deadlines go into the changes' own UPDATE (one write of each ticket row).
        sla.track_deadlines(changes, flushed=False)
    try:
        db.session.flush()
    except StaleDataError as exc:
        details = {"ticket": changes[0].ticket} if len(changes) == 1 else {}
        raise ConflictError(
            _l("This ticket was changed by someone else; nothing was applied."), **details
        ) from exc
    if files and actor is not None:
        for change in changes:
            _store_files(change.ticket, files, actor=actor, event=change.audit_row)
    _after_changes(changes, befores, deadlines=False)
    return outcomes


def _transitions(
    wanted: Sequence[int],
    locked: Sequence[tuple[Ticket, ConflictError | None]],
    event: str,
    *,
    actor: User | None,
    notes: Sequence[str | None],
    assignee: User | None,
    outcomes: list[Ticket | ServiceError],
) -> tuple[list[Change], list[rollups.Facts]]:
    """Run one machine on each locked ticket in turn: the changes, and each ticket's rollup
    contribution before its change. A refusal becomes that ticket's outcome."""
    machines = Workflows()
    changes: list[Change] = []
    befores: list[rollups.Facts] = []
    for i, (ticket, conflict) in zip(wanted, locked, strict=True):
        try:
            if conflict is not None:
                raise conflict
            if not permissions.can_fire(actor, ticket, event):
                raise PermissionDenied(_l("You may not do this to this ticket now."))
            from_state = ticket.state
            counted = rollups.facts(ticket)
            machine = machines.on(ticket)
            try:
                machine.send(event, actor=actor, note=notes[i], assignee=assignee)
            except TransitionNotAllowed as exc:
                from ticketing.i18n import EVENT_LABELS, STATE_LABELS

                raise InvalidTransition(
                    _l(
                        "“%(action)s” is not possible for a ticket that is “%(state)s”.",
                        action=EVENT_LABELS.get(event, event),
                        state=STATE_LABELS.get(from_state, from_state),
                    )
                ) from exc
        except ServiceError as exc:
            # Refused before the machine changed anything (guards and validators run first).
            outcomes[i] = exc
            continue
        outcomes[i] = ticket
        changes.append(Change(ticket, event, from_state, ticket.state, actor, machine.audit_row))
        befores.append(counted)
    return changes, befores


def take(ticket: Ticket, *, actor: User, expected_version: int | None = None) -> Ticket:
    """ "Ambil": assign a raised ticket to myself (district), or hold an escalated one (province).

    A district officer's take is the workflow's ``assign`` with the actor as the assignee, so
    it writes one audit row through ``fire``; a province officer's is ``give_to_holder``.
    """
    if not permissions.can_view(actor, ticket):
        raise NotFound(_l("Ticket not found."))
    if actor.role == PROVINCE_PMO:
        return give_to_holder(ticket, actor=actor, holder=actor, expected_version=expected_version)
    if not permissions.can_take(actor, ticket):
        raise PermissionDenied(_l("You may not do this to this ticket now."))
    return fire(ticket, "assign", actor=actor, expected_version=expected_version, assignee=actor)


def take_and_resolve(
    ticket: Ticket,
    *,
    actor: User,
    note: str | None,
    expected_version: int | None = None,
    files: Sequence[Upload] = (),
) -> Ticket:
    """A district officer takes a raised ticket and resolves it: two audit rows, one transaction.

    The caller commits once; a refused resolve (no note, say) rolls the assign back with it.
    """
    if not permissions.can_view(actor, ticket):
        raise NotFound(_l("Ticket not found."))
    if not permissions.can_take_and_resolve(actor, ticket):
        raise PermissionDenied(_l("You may not do this to this ticket now."))
    _text(note, "note", required=True)  # refuse before the first row is written
    ticket = fire(ticket, "assign", actor=actor, expected_version=expected_version, assignee=actor)
    return fire(ticket, "resolve", actor=actor, note=note, files=files)


def give_to_holder(
    ticket: Ticket,
    *,
    actor: User,
    holder: User,
    expected_version: int | None = None,
    note: str | None = None,
) -> Ticket:
    """Make ``holder`` the province officer holding an escalated ticket (one audit row).

    Not a state change: like a hand-over, the audit row keeps the state and names who held it
    before and after. The version check protects against two officers taking it at once.
    """
    if not permissions.can_view(actor, ticket):
        raise NotFound(_l("Ticket not found."))
    ticket = _locked(ticket, expected_version)
    allowed = (
        permissions.can_take(actor, ticket)
        if holder.id == actor.id
        else permissions.can_give_to_holder(actor, ticket)
    )
    if not allowed:
        raise PermissionDenied(_l("You may not do this to this ticket now."))
    if not permissions.may_hold(holder, ticket):
        raise InvalidInput(
            _l("The holder must be an active province officer of this province."),
            field="holder",
        )
    if holder.id == ticket.province_holder_id:
        raise InvalidInput(_l("This officer already holds the ticket."), field="holder")
    previous = ticket.province_holder
    ticket.province_holder = holder
    ticket.updated_at = utcnow()
    summary = f"{previous.name if previous else '-'} -> {holder.name}"
    extra = _text(note, "note", required=False)
    ticket.append_event(
        event="take" if holder.id == actor.id else "give",
        from_state=ticket.state,
        to_state=ticket.state,
        actor=actor,
        note=f"{summary}: {extra}" if extra else summary,
    )
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            _l("This ticket was changed by someone else; nothing was applied."), ticket=ticket
        ) from exc
    return ticket


def add_comment(
    ticket: Ticket,
    *,
    actor: User,
    body: str,
    files: Sequence[Upload] = (),
    internal: bool = False,
) -> Comment:
    """Anyone who can see the ticket may comment on it (with optional evidence files).

    An ``internal`` note is for PMO officers and administrators only: facilitators never
    see it (timeline, files, exports, notifications).
    """
    if not permissions.can_view(actor, ticket):
        raise NotFound(_l("Ticket not found."))
    if not permissions.can_comment(actor, ticket):
        raise PermissionDenied(
            _l("You may not comment on this ticket: experts answer through their consultation.")
        )
    if internal and not permissions.can_write_internal(actor, ticket):
        raise PermissionDenied(_l("You may not do this to this ticket now."))
    comment = Comment(
        ticket=ticket,
        author=actor,
        body=_text(body, "comment", required=True),
        internal=internal,
    )
    comment.created_at = utcnow()
    db.session.add(comment)
    db.session.flush()
    _store_files(ticket, files, actor=actor, comment=comment)
    return comment


def hand_over(ticket: Ticket, *, actor: User, facilitator: User, note: str | None = None) -> Ticket:
    """An administrator gives an open ticket to the school's current facilitator."""
    if not permissions.can_hand_over(actor, ticket):
        raise PermissionDenied(_l("Only an administrator of this province can hand tickets over."))
    if facilitator.role != FACILITATOR or not facilitator.active:
        raise InvalidInput(_l("The new holder must be an active facilitator."), field="facilitator")
    if not any(a.school_id == ticket.school_id for a in facilitator.assignments):
        raise InvalidInput(
            _l("The new facilitator must be assigned to the ticket's school."), field="facilitator"
        )
    if facilitator.id == ticket.facilitator_id:
        raise InvalidInput(_l("This facilitator already holds the ticket."), field="facilitator")
    previous = ticket.facilitator
    ticket.facilitator = facilitator
    ticket.updated_at = utcnow()
    # Not a state change: the audit row records who held it before and after.
    ticket.append_event(
        event="hand_over",
        from_state=ticket.state,
        to_state=ticket.state,
        actor=actor,
        note=_text(note, "note", required=False) or f"{previous.name} -> {facilitator.name}",
    )
    db.session.flush()
    return ticket


def edit_report(
    ticket: Ticket,
    *,
    actor: User,
    title: str,
    description: str,
    category: Category,
    school: School,
    expected_version: int | None = None,
) -> TicketEvent | None:
    """The facilitator corrects a raised ticket's title, description, category or school.

    Not a state change: one audit row ("edit", raised -> raised) records what changed, old
    and new (``report_changes`` reads it back); the version moves, so an action or another
    edit based on the old version is refused as a conflict. A school in another district
    moves the ticket there (a raised ticket belongs to its school's district). Returns the
    audit row, or None when nothing differed (then nothing is written).
    """
    if not permissions.can_view(actor, ticket):
        raise NotFound(_l("Ticket not found."))
    ticket = _locked(ticket, expected_version)
    if not permissions.can_edit_report(actor, ticket):
        raise PermissionDenied(
            _l("Only the ticket's facilitator may correct it, and only before the district "
               "takes it up.")
        )  # fmt: skip
    title = _text(title, "title", required=True, limit=TITLE_MAX)
    description = _text(description, "description", required=True)
    changes: dict[str, list[Any]] = {}
    if title != ticket.title:
        changes["title"] = [ticket.title, title]
    if description != ticket.description:
        changes["description"] = [ticket.description, description]
    if category.id != ticket.category_id:
        if not category.active:
            raise InvalidInput(_l("This category is no longer in use."), field="category")
        changes["category"] = [ticket.category_id, category.id]
    if school.id != ticket.school_id:
        if not permissions.can_raise_for(actor, school):
            raise InvalidInput(
                _l("Choose one of your own schools that is still active."), field="school"
            )
        changes["school"] = [ticket.school_id, school.id]
        if school.district_code != ticket.district_code:
            changes["district"] = [ticket.district_code, school.district_code]
    if not changes:
        return None
    counted = rollups.facts(ticket)
    ticket.title, ticket.description = title, description
    ticket.category = category
    if "school" in changes:
        ticket.school = school
        ticket.district = school.district
        ticket.province = school.province
    ticket.updated_at = utcnow()
    row = ticket.append_event(
        event="edit",
        from_state=ticket.state,
        to_state=ticket.state,
        actor=actor,
        note=json.dumps(changes, ensure_ascii=False),
    )
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            _l("This ticket was changed by someone else; nothing was applied."), ticket=ticket
        ) from exc
    _after_edit(ticket, changes, actor=actor, before=counted)
    return row


def _after_edit(
    ticket: Ticket, changes: dict[str, list[Any]], *, actor: User, before: rollups.Facts
) -> None:
    """The side effects of a correction, in the order of ``_after_changes``: the deadline
    (another category or province may set another one; the clock keeps running from the
    raise), the new district's officers, the rollups (category, district, province)."""
    from ticketing import notifications, sla

    if "category" in changes or "district" in changes:
        sla.refresh_deadline(ticket)
    if "district" in changes:
        notifications.notify_moved(ticket, actor=actor)
    rollups.apply(db.session, before, rollups.facts(ticket))


@dataclass(frozen=True)
class ReportChange:
    """One corrected part of a report, as the timeline shows it."""

    field: str
    old: str
    new: str


def report_changes(note: str | None, locale: str = "id") -> list[ReportChange]:
    """What an "edit" audit row changed, with schools, categories and districts named."""
    from ticketing.models import District

    try:
        changes = json.loads(note or "")
    except ValueError:
        return []
    if not isinstance(changes, dict):
        return []

    def name(field: str, value: Any) -> str:
        if field == "category":
            category = db.session.get(Category, value) if isinstance(value, int) else None
            return category.label(locale) if category is not None else str(value)
        if field == "school":
            school = db.session.get(School, value) if isinstance(value, int) else None
            return f"{school.name} ({school.npsn})" if school is not None else str(value)
        if field == "district":
            district = db.session.get(District, value)
            return f"{district.name} ({district.code})" if district is not None else str(value)
        return str(value)

    out = []
    for field in ("title", "description", "category", "school", "district"):
        pair = changes.get(field)
        if isinstance(pair, list) and len(pair) == 2:
            out.append(ReportChange(field, name(field, pair[0]), name(field, pair[1])))
    return out


def available_events(user: User | None, ticket: Ticket) -> list[str]:
    """Events the user may fire now: permitted and enabled by the workflow's guards."""
    if not ticket.is_open:
        return []
    enabled = {e.id for e in bind(ticket).allowed_events}
    return [name for name in permissions.allowed_events(user, ticket) if name in enabled]


def get_visible(user: User, ticket_id: int) -> Ticket:
    """Load a ticket through the user's scope; NotFound when outside it."""
    ticket = db.session.execute(
        permissions.visible_tickets(user).where(Ticket.id == ticket_id)
    ).scalar_one_or_none()
    if ticket is None:
        raise NotFound(_l("Ticket not found."))
    return ticket
