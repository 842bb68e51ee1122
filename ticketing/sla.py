"""Working-day deadlines, the deadline hook, the SLA sweep, and SLA figures for dashboards.

Rules (docs/sla.md): a working day is Monday to Friday in the province's time zone, minus
Indonesia's national holidays (the ``holidays`` package) and the province's extra days off
(``DayOff``). A state that allows *n* working days ends at local midnight after the *n*-th
working day following the day the ticket entered it (the entry day itself does not count).
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date
from flask import Flask, current_app, has_app_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ticketing.clock import utcnow
from ticketing.errors import ServiceError
from ticketing.extensions import db
from ticketing.models import OPEN_STATES, Category, DayOff, Province, SlaPolicy, Ticket
from ticketing.services import tickets as ticket_service
from ticketing.vocabulary import (
    DEADLINE_STATES,
    DEFAULT_DEADLINE_DAYS,
    STATE_TIER,
    SYSTEM_EVENT_SETTINGS,
    SYSTEM_EVENTS,
    State,
    Tier,
    tier_states,
)
from ticketing.vocabulary import PMO_STATES as VOCAB_PMO_STATES

log = logging.getLogger(__name__)

# Working days allowed per state when no policy row says otherwise (LAPOR! uses 3 and 5):
# vocabulary.DEFAULT_DEADLINE_DAYS, like every other per-state rule.
DEFAULT_DAYS: dict[str, int] = {
    s: days for s, days in DEFAULT_DEADLINE_DAYS.items() if days is not None
}
SLA_STATES: tuple[str, ...] = DEADLINE_STATES
# States whose deadline belongs to a PMO (the resolved deadline is the facilitator's reminder).
PMO_STATES: tuple[str, ...] = VOCAB_PMO_STATES
# The sweep moves these up a tier when their deadline passes (SYSTEM_EVENTS["escalate"]).
DISTRICT_STATES: tuple[str, ...] = tier_states(Tier.DISTRICT)
UTC = ZoneInfo("UTC")
# Reminders wait for the working day to begin (local time), escalations do not.
REMIND_FROM_HOUR = 7


# --- Working-day arithmetic -------------------------------------------------------------


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """Indonesia's national holidays of one year (cached per process; they never change)."""
    return frozenset(holidays.country_holidays("ID", years=year).keys())


@lru_cache(maxsize=256)
def _weekdays_off(days_off: frozenset[date], first_year: int, last_year: int) -> tuple[date, ...]:
    """The days off falling Monday to Friday (the province's and the national holidays of the
    years), sorted: every overdue row of a list counts them, now by bisection."""
    off = set(days_off)
    for year in range(first_year, last_year + 1):
        off |= national_holidays(year)
    return tuple(sorted(day for day in off if day.weekday() < 5))


@dataclass(frozen=True)
class Calendar:
    """The working days of one province: its zone and its extra days off."""

    timezone: str = "Asia/Jakarta"
    days_off: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        """The province's time zone."""
        return ZoneInfo(self.timezone)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a national holiday, not a day off of the province."""
        return (
            day.weekday() < 5
            and day not in national_holidays(day.year)
            and day not in self.days_off
        )

    def local(self, moment_utc: datetime) -> datetime:
        """A naive UTC moment as an aware local time."""
        return moment_utc.replace(tzinfo=UTC).astimezone(self.zone)

    def to_utc(self, day: date) -> datetime:
        """Local midnight at the start of ``day``, as naive UTC."""
        local = datetime.combine(day, time(0), tzinfo=self.zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    def add_working_days(self, start_utc: datetime, n: int) -> datetime:
        """Deadline: local midnight after the n-th working day following the start's local day."""
        day = self.local(start_utc).date()
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return self.to_utc(day + timedelta(days=1))

    def last_working_day_before(self, moment_utc: datetime) -> date:
        """The local date of the last working day that ended at or before ``moment_utc``."""
        local = self.local(moment_utc)
        day = local.date() - timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def working_days_between(self, a_utc: datetime, b_utc: datetime) -> int:
        """How many working days begin (local midnight) in [a, b); 0 when b <= a."""
        if b_utc <= a_utc:
            return 0
        a_local, b_local = self.local(a_utc), self.local(b_utc)
        first = a_local.date()
        if a_local.timetz().replace(tzinfo=None) != time(0):
            first += timedelta(days=1)
        stop = b_local.date()  # exclusive, unless b is after the start of its own day
        if b_local.timetz().replace(tzinfo=None) != time(0):
            stop += timedelta(days=1)
        return self._count_working_days(first, stop)

    def _count_working_days(self, first: date, stop: date) -> int:
        """Working days in [first, stop), by arithmetic so old tickets stay cheap."""
        if stop <= first:
            return 0
        total = (stop - first).days
        weeks, rest = divmod(total, 7)
        weekdays = weeks * 5
        for i in range(rest):
            if (first + timedelta(days=weeks * 7 + i)).weekday() < 5:
                weekdays += 1
        off = _weekdays_off(self.days_off, first.year, stop.year)
        return weekdays - (bisect_left(off, stop) - bisect_left(off, first))


def _load_calendar(province_code: str) -> Calendar:
    tz = db.session.execute(
        select(Province.timezone).where(Province.code == province_code)
    ).scalar_one_or_none()
    days = db.session.scalars(select(DayOff.day).where(DayOff.province_code == province_code))
    return Calendar(timezone=tz or "Asia/Jakarta", days_off=frozenset(days))


# Calendars change only when an administrator edits days off; every list row needs one.
# Kept per process for a minute (other workers see an edit within that minute).
CALENDAR_TTL_SECONDS = 60.0
_calendars: dict[tuple[str, str], tuple[float, Calendar]] = {}


def calendar_for(province_code: str) -> Calendar:
    """The province's calendar, cached per database and province for a minute."""
    if not has_app_context():
        return _load_calendar(province_code)
    key = (str(db.engine.url), province_code)
    cached = _calendars.get(key)
    now = monotonic()
    if cached is None or now - cached[0] > CALENDAR_TTL_SECONDS:
        cached = (now, _load_calendar(province_code))
        _calendars[key] = cached
    return cached[1]


def forget_calendars() -> None:
    """Drop cached calendars (after days off change)."""
    _calendars.clear()


def add_working_days(start_utc: datetime, n: int, province_code: str) -> datetime:
    """Deadline n working days after ``start_utc`` in the province, as naive UTC."""
    return calendar_for(province_code).add_working_days(start_utc, n)


def working_days_between(a_utc: datetime, b_utc: datetime, province_code: str) -> int:
    """Working days that began between two moments in the province (overdue by N days)."""
    return calendar_for(province_code).working_days_between(a_utc, b_utc)


# --- Policies -------------------------------------------------------------------------------


def deadline_days(province_code: str, category_id: int | None, state: str) -> int:
    """Working days for a state: category, else parent category, else province, else default.

    Within one sweep the answers are kept (two queries per escalation otherwise).
    """
    if state not in DEFAULT_DAYS:
        raise ValueError(f"no deadline for state {state!r}")
    kept = _sweep_deadlines.get()
    if kept is None:
        return _deadline_days(province_code, category_id, state)
    key = (province_code, category_id, state)
    if key not in kept:
        kept[key] = _deadline_days(province_code, category_id, state)
    return kept[key]


# The deadline days looked up during the current sweep (None outside a sweep).
_sweep_deadlines: ContextVar[dict[tuple[str, int | None, str], int] | None] = ContextVar(
    "sweep_deadlines", default=None
)


def _deadline_days(province_code: str, category_id: int | None, state: str) -> int:
    parent_id = None
    if category_id is not None:
        parent_id = db.session.execute(
            select(Category.parent_id).where(Category.id == category_id)
        ).scalar_one_or_none()
    wanted = [c for c in (category_id, parent_id) if c is not None]
    rows = db.session.execute(
        select(SlaPolicy.category_id, SlaPolicy.working_days).where(
            SlaPolicy.province_code == province_code,
            SlaPolicy.state == state,
            or_(SlaPolicy.category_id.is_(None), SlaPolicy.category_id.in_(wanted)),
        )
    ).all()
    return _choose_days({cat: days for cat, days in rows}, category_id, parent_id, state)


def _choose_days(found: dict[int | None, int], category_id: int | None, parent_id: int | None,
                 state: str) -> int:  # fmt: skip
    """The rule of deadline_days over the province's policies for the state (by category)."""
    for key in (category_id, parent_id):
        if key is not None and key in found:
            return int(found[key])
    if None in found:
        return int(found[None])
    return DEFAULT_DAYS[state]


class DeadlineDays:
    """deadline_days for many (province, category, state) keys: every category's parent in
    one query, each province's policies in one more (reports over thousands of tickets)."""

    def __init__(self) -> None:
        self.parents: dict[int, int | None] | None = None
        self.policies: dict[str, dict[str, dict[int | None, int]]] = {}

    def __call__(self, province_code: str, category_id: int | None, state: str) -> int:
        """The working days for ``state``, as deadline_days answers."""
        if state not in DEFAULT_DAYS:
            raise ValueError(f"no deadline for state {state!r}")
        if self.parents is None:
            self.parents = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
        if province_code not in self.policies:
            policies: dict[str, dict[int | None, int]] = {}
            rows = db.session.execute(
                select(SlaPolicy.state, SlaPolicy.category_id, SlaPolicy.working_days).where(
                    SlaPolicy.province_code == province_code
                )
            )
            for policy_state, category, days in rows:
                policies.setdefault(policy_state, {})[category] = days
            self.policies[province_code] = policies
        parent_id = self.parents.get(category_id) if category_id is not None else None
        found = self.policies[province_code].get(state, {})
        return _choose_days(found, category_id, parent_id, state)


def deadline_for(ticket: Ticket, state: str, start_utc: datetime) -> datetime:
    """When the ticket's time in ``state`` runs out, if it entered the state at ``start_utc``."""
    days = deadline_days(ticket.province_code, ticket.category_id, state)
    return add_working_days(start_utc, days, ticket.province_code)


def _set_quietly(ticket: Ticket, **values: Any) -> None:
    """Update bookkeeping columns without bumping the ticket's version (no false conflicts)."""
    _set_quietly_all([(ticket, values)])


def _set_quietly_all(changes: Sequence[tuple[Ticket, dict[str, Any]]]) -> None:
    """``_set_quietly`` for several tickets: one executemany UPDATE per set of columns."""
    # Core statements, no session synchronisation: the values are set on the objects just
    # below. (The ORM's default evaluated the criteria against every object in the session:
    # quadratic in a sweep batch.)
    table = Ticket.__table__
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ticket, values in changes:
        rows = by_columns.setdefault(tuple(sorted(values)), [])
        rows.append({"ticket_id": ticket.id, **values})
        for name, value in values.items():
            set_committed_value(ticket, name, value)
    for rows in by_columns.values():
        # The SET clause is made from the other keys of the rows.
        db.session.execute(update(table).where(table.c.id == bindparam("ticket_id")), rows)


def track_deadline(change: ticket_service.Change) -> None:
    """Store the new state's deadline; count a PMO deadline that was missed on the way out."""
    track_deadlines([change])


def track_deadlines(changes: Sequence[ticket_service.Change], *, flushed: bool = True) -> None:
    """``track_deadline`` for several changes, written with one UPDATE.

    Not yet ``flushed`` (the changes' own UPDATE is still to come): the values are set on
    the tickets and go into that UPDATE, which bumps the version once either way; a ticket
    row is then written once per change, not twice (every write of its state and deadline
    touches all the indexes of the tickets table).
    """
    quiet: list[tuple[Ticket, dict[str, Any]]] = []
    for change in changes:
        ticket, now = change.ticket, utcnow()
        values: dict[str, Any] = {}
        old_due = ticket.due_at
        if change.from_state in PMO_STATES and old_due is not None and old_due < now:
            values["sla_breaches"] = (ticket.sla_breaches or 0) + 1
        if change.to_state in SLA_STATES:
            values["due_at"] = deadline_for(ticket, change.to_state, now)
        else:
            values["due_at"] = None
        values["last_reminded_at"] = None
        quiet.append((ticket, values))
    if flushed:
        _set_quietly_all(quiet)
        return
    for ticket, values in quiet:
        for name, value in values.items():
            setattr(ticket, name, value)


def refresh_deadline(ticket: Ticket) -> None:
    """The current state's deadline again, counted from when the ticket entered the state.

    After a correction of a raised ticket (its category or its district's province may set
    other deadlines): the clock does not restart and no deadline is counted as missed.
    """
    if ticket.state in SLA_STATES and ticket.state_changed_at is not None:
        _set_quietly(ticket, due_at=deadline_for(ticket, ticket.state, ticket.state_changed_at))


# --- Queries for lists and dashboards -------------------------------------------------------


def overdue_filter(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition: the ticket is open and past its current deadline (uses the state index)."""
    return and_(Ticket.state.in_(OPEN_STATES), Ticket.due_at < (now or utcnow()))


def pmo_overdue_filter(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition: past a PMO deadline (raised, assigned, escalated), not the verify reminder."""
    return and_(Ticket.state.in_(PMO_STATES), Ticket.due_at < (now or utcnow()))


def within_deadline_condition(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition: the ticket never missed a PMO deadline and is not past one now."""
    return and_(Ticket.sla_breaches == 0, ~pmo_overdue_filter(now))


def compliance_columns(now: datetime | None = None) -> tuple[Any, Any, Any]:
    """(tickets, handled within deadline, overdue now) aggregates for a grouped SELECT."""
    now = now or utcnow()
    within = func.sum(case((within_deadline_condition(now), 1), else_=0))
    overdue = func.sum(case((overdue_filter(now), 1), else_=0))
    return func.count(Ticket.id), within, overdue


def compliance_share(total: int | None, within: int | None) -> float | None:
    """Share of tickets handled within their deadlines (None when there are no tickets)."""
    if not total:
        return None
    return float(within or 0) / float(total)


def overdue_days(
    ticket: Any, now: datetime | None = None, calendar: Calendar | None = None
) -> int | None:
    """None when not overdue; else the working days that began since the deadline passed.

    ``calendar``: the province's, when the caller has it already (a list's rows)."""
    due = getattr(ticket, "due_at", None)
    if due is None or ticket.state not in OPEN_STATES:
        return None
    now = now or utcnow()
    if due >= now:
        return None
    return (calendar or calendar_for(ticket.province_code)).working_days_between(due, now)


def deadline_day(ticket: Any, calendar: Calendar | None = None) -> date | None:
    """The last working day of the ticket's current deadline, in the province's zone."""
    if getattr(ticket, "due_at", None) is None:
        return None
    return (calendar or calendar_for(ticket.province_code)).last_working_day_before(ticket.due_at)


def format_deadline(ticket: Any) -> str:
    """The deadline as a local date ('12 Maret 2025'), in the current language."""
    day = deadline_day(ticket)
    if day is None:
        return ""
    return format_date(day, "d MMMM y", locale=str(get_locale() or "id"))


def init_app(app: Flask) -> None:
    """Expose the deadline helpers to templates: overdue_days(t), deadline_day(t), t|deadline."""
    app.jinja_env.globals.update(overdue_days=overdue_days, deadline_day=deadline_day)
    app.jinja_env.filters["deadline"] = format_deadline


# --- The sweep ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did."""

    escalated: int = 0
    overdue_reminders: int = 0
    verify_reminders: int = 0
    consultation_reminders: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (
            f"escalated {self.escalated}, province overdue reminders {self.overdue_reminders},"
            f" verification reminders {self.verify_reminders},"
            f" consultation reminders {self.consultation_reminders}, skipped {self.skipped}"
        )


def _candidates(condition: ColumnElement[bool], after_id: int, batch_size: int) -> list[Ticket]:
    """The next batch by id, locked; rows another sweeper holds are skipped (PostgreSQL)."""
    query = (
        select(Ticket)
        .where(condition, Ticket.id > after_id)
        .order_by(Ticket.id)
        .limit(batch_size)
        # The facilitators (notified of every escalation, reminded to verify) in one query.
        .options(selectinload(Ticket.facilitator))
        .execution_options(populate_existing=True)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return list(db.session.scalars(query))


def _batches(condition: ColumnElement[bool], batch_size: int) -> Iterable[list[Ticket]]:
    """Locked batches of matching tickets; the caller commits after each."""
    last_id = 0
    while True:
        batch = _candidates(condition, last_id, batch_size)
        if not batch:
            return
        last_id = batch[-1].id
        yield batch


def escalation_note(ticket: Ticket, now: datetime) -> str:
    """The audit note of an automatic move up a tier, in the system's language."""
    cal = calendar_for(ticket.province_code)
    days = deadline_days(ticket.province_code, ticket.category_id, ticket.state)
    assert ticket.due_at is not None
    last_day = cal.last_working_day_before(ticket.due_at)
    return _escalation_note(
        STATE_TIER.get(State(ticket.state)) == Tier.PROVINCE,
        days,
        last_day,
        cal.timezone,
        str(get_locale() or "id"),
        current_app.config["BABEL_DEFAULT_LOCALE"],
    )


@lru_cache(maxsize=4096)
def _escalation_note(
    to_central: bool, days: int, last_day: date, timezone: str, day_locale: str, locale: str
) -> str:
    """The note from what it says (a sweep writes thousands of the same few notes).

    ``day_locale`` is the current locale (the day's format follows it), ``locale`` the
    system's language of the note's text.
    """
    from ticketing.i18n import format_day

    cal = Calendar(timezone=timezone)
    day = format_day(cal.to_utc(last_day) + timedelta(hours=12), timezone)
    with force_locale(locale):
        if to_central:
            return _(
                "Automatically referred to the central PMO: the province deadline of"
                " %(days)d working days passed at the end of %(day)s.",
                days=days,
                day=day,
            )
        return _(
            "Automatically escalated: the district deadline of %(days)d working days"
            " passed at the end of %(day)s.",
            days=days,
            day=day,
        )


def auto_moves() -> dict[str, tuple[str, ...]]:
    """The events the sweep fires on tickets past their deadline, and from which states.

    District tickets are always escalated; province tickets are referred to central only
    when the national setting SLA_AUTO_REFER_TO_CENTRAL says so (else the province is
    reminded). Central tickets are only ever reminded.
    """
    return {
        event: states
        for event, states in SYSTEM_EVENTS.items()
        if event not in SYSTEM_EVENT_SETTINGS
        or current_app.config.get(SYSTEM_EVENT_SETTINGS[event])
    }


def reminded_states() -> tuple[str, ...]:
    """PMO states past their deadline whose officers are reminded (not moved up a tier)."""
    moved = {s for states in auto_moves().values() for s in states}
    return tuple(s for s in PMO_STATES if s not in moved)


def _escalate_overdue(now: datetime, batch_size: int, result: SweepResult) -> None:
    for event, states in auto_moves().items():
        condition = and_(Ticket.state.in_(states), Ticket.due_at < now)
        for batch in _batches(condition, batch_size):
            # Re-check after locking: another sweeper or a user may have moved them.
            due = [
                t for t in batch if t.state in states and t.due_at is not None and t.due_at < now
            ]
            result.skipped += len(batch) - len(due)
            notes = [escalation_note(ticket, now) for ticket in due]
            try:
                # One batch of changes: the same transitions, audit rows, notifications and
                # rollups as one by one, each side effect written once for the batch.
                outcomes = ticket_service.fire_many(due, event, actor=None, notes=notes)
            except ServiceError as exc:
                db.session.rollback()
                log.warning("sla sweep: a batch to %s was not applied: %s", event, exc.message)
                result.skipped += len(due)
                continue
            for ticket, outcome in zip(due, outcomes, strict=True):
                if isinstance(outcome, ServiceError):
                    log.warning(
                        "sla sweep: could not %s %s: %s", event, ticket.number, outcome.message
                    )
                    result.skipped += 1
                else:
                    result.escalated += 1
            db.session.commit()


def _remind_overdue_province(now: datetime, batch_size: int, result: SweepResult) -> None:
    """Remind the officers of a tier that is not moved up (province, central) once a day."""
    from ticketing import notifications

    states = reminded_states()
    # Coarse SQL filter (at most about daily); the local-day check below is exact.
    condition = and_(
        Ticket.state.in_(states),
        Ticket.due_at < now,
        or_(Ticket.last_reminded_at.is_(None), Ticket.last_reminded_at < now - timedelta(hours=12)),
    )
    for batch in _batches(condition, batch_size):
        due = []
        for ticket in batch:
            cal = calendar_for(ticket.province_code)
            local_now = cal.local(now)
            today = local_now.date()
            if ticket.state not in states or ticket.due_at is None or ticket.due_at >= now:
                continue
            if not cal.is_working_day(today) or local_now.hour < REMIND_FROM_HOUR:
                continue  # reminders go out in office hours on working days
            last = ticket.last_reminded_at
            if last is not None and cal.local(last).date() >= today:
                continue
            due.append(ticket)
        notifications.notify_overdue_all(due, now)
        _set_quietly_all([(ticket, {"last_reminded_at": now}) for ticket in due])
        result.overdue_reminders += len(due)
        db.session.commit()


def _remind_verification(now: datetime, batch_size: int, result: SweepResult) -> None:
    from ticketing import notifications

    condition = and_(
        Ticket.state == State.RESOLVED,
        Ticket.due_at < now,
        or_(Ticket.last_reminded_at.is_(None), Ticket.last_reminded_at < now - timedelta(days=1)),
    )
    for batch in _batches(condition, batch_size):
        due = []
        for ticket in batch:
            if ticket.state != State.RESOLVED or ticket.due_at is None or ticket.due_at >= now:
                continue
            local_now = calendar_for(ticket.province_code).local(now)
            if local_now.hour < REMIND_FROM_HOUR:
                continue
            days = deadline_days(ticket.province_code, ticket.category_id, State.RESOLVED)
            last = ticket.last_reminded_at
            # Repeat every N working days after the previous reminder; never close by itself.
            if last is not None and working_days_between(last, now, ticket.province_code) < days:
                continue
            due.append(ticket)
        notifications.notify_verify_reminders(due, now)
        _set_quietly_all([(ticket, {"last_reminded_at": now}) for ticket in due])
        result.verify_reminders += len(due)
        db.session.commit()


def sweep(now: datetime | None = None, batch_size: int = 1000) -> SweepResult:
    """Escalate district tickets past their deadline, remind the province and facilitators.

    Idempotent, commits once per batch, and safe to run on several hosts at once.
    """
    now = now or utcnow()
    result = SweepResult()
    token = _sweep_deadlines.set({})
    try:
        _escalate_overdue(now, batch_size, result)
        _remind_overdue_province(now, batch_size, result)
        _remind_verification(now, batch_size, result)
        _remind_consultations(now, batch_size, result)
    finally:
        _sweep_deadlines.reset(token)
    return result


def _remind_consultations(now: datetime, batch_size: int, result: SweepResult) -> None:
    """Experts whose answer is past due are reminded once per local working day."""
    from ticketing import notifications
    from ticketing.models import Consultation
    from ticketing.vocabulary import ConsultationState

    last_id = 0
    while True:
        batch = list(db.session.scalars(
            select(Consultation)
            .where(Consultation.state == ConsultationState.REQUESTED, Consultation.due_at < now,
                   Consultation.id > last_id)
            .order_by(Consultation.id)
            .limit(batch_size)
        ))  # fmt: skip
        if not batch:
            return
        last_id = batch[-1].id
        for consultation in batch:
            ticket = consultation.ticket
            cal = calendar_for(ticket.province_code)
            local_now = cal.local(now)
            if not cal.is_working_day(local_now.date()) or local_now.hour < REMIND_FROM_HOUR:
                continue
            last = consultation.last_reminded_at
            if last is not None and cal.local(last).date() >= local_now.date():
                continue
            notifications.notify(
                [consultation.expert], ticket, "consultation_overdue", actor=None, now=now
            )
            consultation.last_reminded_at = now
            result.consultation_reminders += 1
        db.session.commit()
