"""Who may see and do what. Used by services (to enforce) and templates (to show buttons).

Scope always comes from the database row of the user, so a changed role or a disabled
account takes effect on the next request.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import current_app
from sqlalchemy import Select, false, or_, select

from ticketing.models import (
    ADMIN,
    DISTRICT_PMO,
    FACILITATOR,
    PROVINCE_PMO,
    School,
    SchoolAssignment,
    Ticket,
    User,
)
from ticketing.vocabulary import (
    EVENT_RULES,
    STATE_TIER,
    SYSTEM_EVENT_SETTINGS,
    SYSTEM_EVENTS,
    TIER_ROLE,
    Role,
    State,
)

CENTRAL_PMO = Role.CENTRAL_PMO
EXPERT = Role.EXPERT
COMMENT_ROLES = frozenset({FACILITATOR, DISTRICT_PMO, PROVINCE_PMO, CENTRAL_PMO, ADMIN})

# Who may fire what from which states: vocabulary.EVENT_RULES (the system: SYSTEM_EVENTS).
# A facilitator additionally must be the ticket's facilitator; PMO roles must be in scope.
_EVENT_RULES = EVENT_RULES
_SYSTEM_EVENTS = SYSTEM_EVENTS


class TicketScope(Protocol):
    """What the rules below read of a ticket: a Ticket, or a row of the list page
    (ticket_query.ListTicket, plain values with the same names)."""

    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def school_id(self) -> int: ...
    @property
    def district_code(self) -> str: ...
    @property
    def province_code(self) -> str: ...
    @property
    def facilitator_id(self) -> int: ...
    @property
    def province_holder_id(self) -> int | None: ...
    @property
    def referral_count(self) -> int: ...


def _is_user(user: Any) -> bool:
    return isinstance(user, User) and user.active


def assigned_school_ids(user: User) -> Select[int]:
    """The ids of the schools a facilitator supports."""
    return select(SchoolAssignment.school_id).where(SchoolAssignment.facilitator_id == user.id)


def visible_tickets(user: Any) -> Select[Ticket]:
    """Every ticket the user may see, as a query to refine; the start of every list."""
    query = select(Ticket)
    if not _is_user(user):
        return query.where(false())
    if user.role == FACILITATOR:
        return query.where(
            or_(Ticket.facilitator_id == user.id, Ticket.school_id.in_(assigned_school_ids(user)))
        )
    if user.role == DISTRICT_PMO:
        return query.where(Ticket.district_code == user.district_code)
    if user.role in (PROVINCE_PMO, ADMIN) and user.province_code is not None:
        return query.where(Ticket.province_code == user.province_code)
    if user.role == CENTRAL_PMO:
        # Every province's tickets that are or were referred to central (docs/decisions.md).
        return query.where(Ticket.referral_count > 0)
    if user.role == EXPERT:
        # Only the tickets the expert was consulted on.
        return query.where(Ticket.id.in_(consulted_ticket_ids(user)))
    if user.is_national:
        return query
    return query.where(false())


def can_view(user: Any, ticket: TicketScope) -> bool:
    """Whether the ticket is in the user's scope (the same rule as visible_tickets).

    Each role is named; a role not named here sees nothing.
    """
    if not _is_user(user):
        return False
    if user.role == FACILITATOR:
        if ticket.facilitator_id == user.id:
            return True
        return any(a.school_id == ticket.school_id for a in user.assignments)
    if user.role == DISTRICT_PMO:
        return bool(ticket.district_code == user.district_code)
    if user.role == PROVINCE_PMO:
        return user.province_code is not None and user.province_code == ticket.province_code
    if user.role == ADMIN:
        return user.is_national or user.province_code == ticket.province_code
    if user.role == CENTRAL_PMO:
        return (ticket.referral_count or 0) > 0
    if user.role == EXPERT:
        return _was_consulted(user, ticket)
    return False


def can_fire(user: Any, ticket: TicketScope, event: str) -> bool:
    """Whether this actor (None = the system) may fire ``event`` on the ticket now."""
    if user is None:
        setting = SYSTEM_EVENT_SETTINGS.get(event)
        if setting is not None and not current_app.config.get(setting):
            return False  # e.g. referring to central is automatic only if the nation says so
        return ticket.state in _SYSTEM_EVENTS.get(event, ())
    if not can_view(user, ticket):
        return False
    states = _EVENT_RULES.get(event, {}).get(user.role, ())
    if ticket.state not in states:
        return False
    if user.role == FACILITATOR:
        return bool(ticket.facilitator_id == user.id)
    if user.role == DISTRICT_PMO:
        return bool(ticket.district_code == user.district_code)
    if user.role == PROVINCE_PMO:
        return bool(ticket.province_code == user.province_code)
    # The central PMO has national scope; can_view already required a referral.
    return bool(user.role == CENTRAL_PMO)


def allowed_events(user: Any, ticket: Ticket) -> list[str]:
    """The events this user may fire on the ticket now, in workflow order (for buttons)."""
    return [name for name in _EVENT_RULES if can_fire(user, ticket, name)]


def can_raise(user: Any) -> bool:
    """Only facilitators raise tickets (for their own schools: can_raise_for)."""
    return _is_user(user) and user.role == FACILITATOR


# The roles with a dashboard (docs/dashboard.md); facilitators see their tickets' list.
DASHBOARD_ROLES = frozenset({DISTRICT_PMO, PROVINCE_PMO, CENTRAL_PMO, ADMIN})


def has_dashboards(user: Any) -> bool:
    """PMO officers and administrators have a dashboard (named; everyone else has none)."""
    return _is_user(user) and user.role in DASHBOARD_ROLES


def home_dashboard(user: Any) -> tuple[str, str | None] | None:
    """Where the dashboard link takes the user: (level, code), or None when they have none."""
    if not has_dashboards(user):
        return None
    if can_view_national_dashboard(user):
        return ("national", None)
    if user.role == DISTRICT_PMO and user.district_code:
        return ("district", user.district_code)
    if user.province_code and can_view_province_dashboard(user, user.province_code):
        return ("province", user.province_code)
    return None


def district_dashboard_instead(user: Any, province_code: str) -> str | None:
    """A district officer who opens their province's dashboard sees their district's."""
    if _is_user(user) and user.role == DISTRICT_PMO and user.province_code == province_code:
        return str(user.district_code)
    return None


def can_raise_for(user: Any, school: School) -> bool:
    """A facilitator may raise tickets only for the schools assigned to them."""
    if not can_raise(user) or not school.active:
        return False
    return any(a.school_id == school.id for a in user.assignments)


def can_comment(user: Any, ticket: Ticket) -> bool:
    """Everyone who works on a ticket may comment on it; experts answer their consultation."""
    return can_view(user, ticket) and user.role in COMMENT_ROLES


def can_edit_report(user: Any, ticket: Ticket) -> bool:
    """The ticket's facilitator may correct its report (title, description, category, school)
    while it is still raised: nobody has started on it yet. Everyone else, and every later
    state, is refused."""
    return (
        _is_user(user)
        and user.role == FACILITATOR
        and ticket.state == State.RAISED
        and ticket.facilitator_id == user.id
    )


def can_hand_over(user: Any, ticket: Ticket) -> bool:
    """Administrators in scope may hand a ticket to another facilitator."""
    return _is_user(user) and user.role == ADMIN and can_view(user, ticket) and ticket.is_open


def is_administrator(user: Any) -> bool:
    """An active administrator (of a province, or national)."""
    return _is_user(user) and user.role == ADMIN


def import_scope(user: Any, province_code: str | None = None) -> str | None:
    """The province an import is limited to: the administrator's, or the one given (CLI: None).

    Only administrators import; a national one (or the CLI) may name any province.
    """
    if user is None or (is_administrator(user) and user.is_national):
        return province_code
    if is_administrator(user):
        return str(user.province_code)
    raise PermissionError("only administrators import")


def can_browse_district(user: Any, district_code: str | None) -> bool:
    """Whether the user may pick the schools of a district in the ticket list's filter."""
    if not _is_user(user) or not district_code:
        return False
    if user.role in (FACILITATOR, DISTRICT_PMO):
        return bool(user.district_code == district_code)
    if user.role in (PROVINCE_PMO, ADMIN):
        return user.is_national or district_code.split(".")[0] == user.province_code
    return False


def browses_province_districts(user: Any) -> bool:
    """Whether the ticket list offers the districts of the user's province as a filter."""
    return _is_user(user) and user.role in (PROVINCE_PMO, ADMIN) and user.province is not None


def can_administer(user: Any, province_code: str | None) -> bool:
    """Administrators manage their province; national administrators manage all."""
    if not _is_user(user) or user.role != ADMIN:
        return False
    return user.is_national or (province_code is not None and user.province_code == province_code)


def _admin_province_filter(user: Any, column: Any) -> Any:
    """The WHERE clause limiting an administrator to their province (None: no limit)."""
    if not _is_user(user) or user.role != ADMIN:
        return false()
    if user.is_national:
        return None
    return column == user.province_code


def administered_users(user: Any) -> Select[Any]:
    """The accounts an administrator may see and change: their province's, or all (national).

    Administrators are managed by national administrators only: a province's administrator
    neither sees nor changes another administrator (nor gets a sign-in link for one).
    """
    clause = _admin_province_filter(user, User.province_code)
    query = select(User)
    if clause is None:
        return query
    return query.where(clause, User.role != ADMIN)


def can_manage_administrators(user: Any) -> bool:
    """Only national administrators create, change and send links to administrators."""
    return _is_user(user) and user.role == ADMIN and bool(user.is_national)


def administered_schools(user: Any) -> Select[Any]:
    """The schools an administrator may see and change: their province's, or all (national)."""
    clause = _admin_province_filter(user, School.province_code)
    query = select(School)
    return query if clause is None else query.where(clause)


def visible_admin_log(user: Any) -> Select[Any]:
    """The administrative log entries an administrator may read (same scope as above)."""
    from ticketing.models import AdminLogEntry

    clause = _admin_province_filter(user, AdminLogEntry.province_code)
    query = select(AdminLogEntry)
    return query if clause is None else query.where(clause)


def can_manage_categories(user: Any) -> bool:
    """Categories are shared by every province, so only national administrators change them."""
    return _is_user(user) and user.role == ADMIN and user.is_national


# Dashboards (reports.py, dashboard/). Facilitators have none: they see their tickets' list.


def can_view_national_dashboard(user: Any) -> bool:
    """National administrators and the central PMO see one row per province."""
    if not _is_user(user):
        return False
    return (user.role == ADMIN and user.is_national) or user.role == CENTRAL_PMO


def can_view_province_dashboard(user: Any, province_code: str) -> bool:
    """Province PMO and administrators of the province, and national administrators.

    The central PMO sees any province's (its figures count only the referred tickets).
    """
    if not _is_user(user):
        return False
    if user.role == CENTRAL_PMO:
        return True
    if user.role not in (PROVINCE_PMO, ADMIN):
        return False
    return user.is_national or user.province_code == province_code


def can_view_district_dashboard(user: Any, district_code: str) -> bool:
    """The district's officers, and everyone who sees the dashboard of its province."""
    if not _is_user(user):
        return False
    if user.role == DISTRICT_PMO:
        return bool(user.district_code == district_code)
    return can_view_province_dashboard(user, district_code[:2])


def can_publish_dashboard(user: Any, province_code: str) -> bool:
    """Administrators of the province (or national) switch its public dashboard on and off."""
    return can_administer(user, province_code)


def public_dashboard_tickets(province: Any) -> Select[tuple[Ticket]]:
    """The tickets behind a province's public, aggregate-only dashboard (none when off)."""
    if province is None or not province.public_dashboard:
        return select(Ticket).where(false())
    return select(Ticket).where(Ticket.province_code == province.code)


# The JSON API (ticketing/api/): a token acts as its user through the functions above.


def can_have_api_tokens(user: Any) -> bool:
    """Every active user of a known role may create personal access tokens."""
    return _is_user(user) and user.role in (
        FACILITATOR,
        DISTRICT_PMO,
        PROVINCE_PMO,
        CENTRAL_PMO,
        EXPERT,
        ADMIN,
    )


def can_revoke_token(user: Any, token: Any) -> bool:
    """A token's owner, or an administrator of the owner's province (or national)."""
    if not can_have_api_tokens(user):
        return False
    if token.user_id == user.id:
        return True
    owner = token.user
    return can_administer(user, owner.province_code) if user.role == ADMIN else False


def visible_schools(user: Any) -> Select[Any]:
    """The schools in a user's scope: their own (facilitator), district, province or all."""
    query = select(School)
    if not _is_user(user):
        return query.where(false())
    if user.role == FACILITATOR:
        return query.where(School.id.in_(assigned_school_ids(user)))
    if user.role == DISTRICT_PMO:
        return query.where(School.district_code == user.district_code)
    if user.role in (PROVINCE_PMO, ADMIN) and user.province_code is not None:
        return query.where(School.province_code == user.province_code)
    if user.is_national:
        return query
    return query.where(false())


def visible_districts(user: Any) -> Select[Any]:
    """The districts in a user's scope: their own, their province's, or all (national)."""
    from ticketing.models import District

    query = select(District)
    if not _is_user(user):
        return query.where(false())
    if user.role in (FACILITATOR, DISTRICT_PMO):
        return query.where(District.code == user.district_code)
    if user.role in (PROVINCE_PMO, ADMIN) and user.province_code is not None:
        return query.where(District.province_code == user.province_code)
    if user.is_national:
        return query
    return query.where(false())


# Links between tickets (services/links.py). Both tickets must be in the user's scope.
# recurrence: the new ticket's facilitator (when raising), the officers of its district and
# province; related/duplicate: the officers who work on both tickets. Removing a link is
# an officer's judgement only.
_LINK_ADDERS: dict[str, tuple[str, ...]] = {
    "recurrence": (FACILITATOR, DISTRICT_PMO, PROVINCE_PMO),
    "related": (DISTRICT_PMO, PROVINCE_PMO),
    "duplicate": (DISTRICT_PMO, PROVINCE_PMO),
}
_LINK_REMOVERS: dict[str, tuple[str, ...]] = {
    "recurrence": (DISTRICT_PMO, PROVINCE_PMO),
    "related": (DISTRICT_PMO, PROVINCE_PMO),
    "duplicate": (DISTRICT_PMO, PROVINCE_PMO),
}


def _works_on(user: Any, ticket: Ticket) -> bool:
    """The user is the ticket's facilitator or an officer of its district or province."""
    if user.role == FACILITATOR:
        return bool(ticket.facilitator_id == user.id)
    if user.role == DISTRICT_PMO:
        return bool(ticket.district_code == user.district_code)
    if user.role == PROVINCE_PMO:
        return bool(ticket.province_code == user.province_code)
    return False


def _may_link(rules: dict[str, tuple[str, ...]], user: Any, ticket: Ticket, other: Ticket,
              kind: str) -> bool:  # fmt: skip
    if not _is_user(user) or user.role not in rules.get(kind, ()):
        return False
    if not (can_view(user, ticket) and can_view(user, other)):
        return False
    if user.role == FACILITATOR:
        # Only the new ticket is the facilitator's own; the earlier one is their school's.
        return _works_on(user, ticket)
    return _works_on(user, ticket) and _works_on(user, other)


def can_link(user: Any, ticket: Ticket, other: Ticket, kind: str) -> bool:
    """Whether the user may link ``ticket`` to ``other`` as ``kind`` (deny by default)."""
    return _may_link(_LINK_ADDERS, user, ticket, other, kind)


def can_unlink(user: Any, ticket: Ticket, other: Ticket, kind: str) -> bool:
    """Whether the user may remove such a link (officers of both tickets only)."""
    return _may_link(_LINK_REMOVERS, user, ticket, other, kind)


def may_link_any(user: Any, ticket: Ticket) -> bool:
    """Whether the ticket page offers this user the form to add a link (for templates)."""
    if not _is_user(user) or not can_view(user, ticket):
        return False
    return user.role in (DISTRICT_PMO, PROVINCE_PMO) and _works_on(user, ticket)


def can_send_meeting_report(user: Any, province_code: str) -> bool:
    """Province PMO and administrators of the province send its meeting report by e-mail."""
    if not _is_user(user) or user.role not in (PROVINCE_PMO, ADMIN):
        return False
    return user.is_national or user.province_code == province_code


# The worklist (issue 10): taking tickets, the province holder, bulk actions, internal notes,
# reply templates. Each names the roles allowed and refuses the rest.

# Events a list may apply to many tickets at once (each through services.tickets.fire).
BULK_EVENTS = ("assign", "escalate", "resolve", "return_to_district")
_BULK_ROLES = (DISTRICT_PMO, PROVINCE_PMO)


def can_take(user: Any, ticket: TicketScope) -> bool:
    """ "Ambil": a district officer assigns a raised ticket of the district to themself; a
    province officer becomes the holder of an escalated ticket of the province."""
    if not _is_user(user):
        return False
    if user.role == DISTRICT_PMO:
        return can_fire(user, ticket, "assign")
    if user.role == PROVINCE_PMO:
        return (
            ticket.state == "escalated"
            and ticket.province_code == user.province_code
            and ticket.province_holder_id != user.id
        )
    return False


def can_take_and_resolve(user: Any, ticket: Ticket) -> bool:
    """A district officer may take a raised ticket and resolve it in one step."""
    return _is_user(user) and user.role == DISTRICT_PMO and can_fire(user, ticket, "assign")


def can_give_to_holder(user: Any, ticket: Ticket) -> bool:
    """Province officers (and administrators) of the province hand an escalated ticket to a
    colleague at the province tier."""
    if not _is_user(user) or user.role not in (PROVINCE_PMO, ADMIN):
        return False
    if ticket.state != "escalated":
        return False
    return bool(user.is_national or ticket.province_code == user.province_code)


def may_hold(officer: Any, ticket: Ticket) -> bool:
    """Who can be the province holder: an active province officer of the ticket's province."""
    return (
        _is_user(officer)
        and officer.role == PROVINCE_PMO
        and officer.province_code == ticket.province_code
    )


def can_bulk(user: Any) -> bool:
    """PMO officers act on many tickets of their list at once (still checked per ticket)."""
    return _is_user(user) and user.role in _BULK_ROLES


def can_see_internal(user: Any) -> bool:
    """Internal notes: PMO officers and administrators; never facilitators (nor anyone else)."""
    return _is_user(user) and user.role in (DISTRICT_PMO, PROVINCE_PMO, CENTRAL_PMO, ADMIN)


def can_write_internal(user: Any, ticket: Ticket) -> bool:
    """Whoever may read internal notes may add one to a ticket they see."""
    return can_see_internal(user) and can_view(user, ticket)


def can_use_reply_templates(user: Any) -> bool:
    """PMO officers reply with their province's templates."""
    return _is_user(user) and user.role in (DISTRICT_PMO, PROVINCE_PMO)


def can_manage_reply_templates(user: Any, province_code: str | None) -> bool:
    """A province's administrators (and national ones) keep its reply templates."""
    return can_administer(user, province_code)


# Consultations (services/consultations.py): the officer who holds a ticket asks experts.


def consulted_ticket_ids(user: Any) -> Select[Any]:
    """The ids of the tickets an expert was consulted on."""
    from ticketing.models import Consultation

    return select(Consultation.ticket_id).where(Consultation.expert_id == user.id)


def _was_consulted(user: Any, ticket: TicketScope) -> bool:
    from ticketing.extensions import db
    from ticketing.models import Consultation

    found = db.session.scalar(
        select(Consultation.id)
        .where(Consultation.expert_id == user.id, Consultation.ticket_id == ticket.id)
        .limit(1)
    )
    return found is not None


def holds(user: Any, ticket: Ticket) -> bool:
    """Whether the user is an officer of the tier that holds the ticket now, in scope."""
    if not _is_user(user) or not can_view(user, ticket):
        return False
    tier = STATE_TIER.get(State(ticket.state)) if ticket.state in set(State) else None
    if tier is None or user.role != TIER_ROLE[tier]:
        return False
    if user.role == DISTRICT_PMO:
        return bool(ticket.district_code == user.district_code)
    if user.role == PROVINCE_PMO:
        return bool(ticket.province_code == user.province_code)
    return bool(user.role == CENTRAL_PMO)


def can_consult(user: Any, ticket: Ticket) -> bool:
    """The officer who holds an open ticket may ask experts (deny by default)."""
    return holds(user, ticket)


def is_eligible_expert(expert: Any, ticket: Ticket, field_ids: set[int]) -> bool:
    """An active expert of the ticket's field (``field_ids``), national or of its province."""
    if not _is_user(expert) or expert.role != EXPERT:
        return False
    if expert.province_code is not None and expert.province_code != ticket.province_code:
        return False
    return ticket.category_id in field_ids or (
        ticket.category is not None and ticket.category.parent_id in field_ids
    )


def can_answer(user: Any, consultation: Any) -> bool:
    """Only the expert asked answers (and adds follow-ups)."""
    return _is_user(user) and user.role == EXPERT and consultation.expert_id == user.id


def can_withdraw_consultation(user: Any, consultation: Any) -> bool:
    """The officer who asked, or whoever holds the ticket now, may withdraw the question."""
    if not _is_user(user) or user.role not in (DISTRICT_PMO, PROVINCE_PMO, CENTRAL_PMO):
        return False
    return bool(consultation.asked_by_id == user.id) or holds(user, consultation.ticket)
