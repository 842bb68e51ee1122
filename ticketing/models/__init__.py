"""All models, imported here so Alembic and the app see every table."""

from ticketing.models.audit import AdminLogEntry
from ticketing.models.category import ACADEMIC, NON_ACADEMIC, Category
from ticketing.models.link import (
    DUPLICATE,
    LINK_KINDS,
    RECURRENCE,
    RELATED,
    TicketLink,
)
from ticketing.models.notification import Notification, OutboxMessage
from ticketing.models.region import District, Province
from ticketing.models.school import LEVELS, School, SchoolAssignment
from ticketing.models.session import UserSession
from ticketing.models.sla import DayOff, SlaPolicy
from ticketing.models.stash import FormStash
from ticketing.models.ticket import (
    STATES,
    Attachment,
    Comment,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from ticketing.models.user import ADMIN, DISTRICT_PMO, FACILITATOR, PROVINCE_PMO, ROLES, User
from ticketing.vocabulary import FINAL_STATES, OPEN_STATES

__all__ = [
    "ACADEMIC",
    "ADMIN",
    "DISTRICT_PMO",
    "DUPLICATE",
    "FACILITATOR",
    "FINAL_STATES",
    "LEVELS",
    "LINK_KINDS",
    "NON_ACADEMIC",
    "OPEN_STATES",
    "PROVINCE_PMO",
    "RECURRENCE",
    "RELATED",
    "ROLES",
    "STATES",
    "AdminLogEntry",
    "Attachment",
    "Category",
    "Comment",
    "DayOff",
    "District",
    "FormStash",
    "Notification",
    "OutboxMessage",
    "Province",
    "School",
    "SchoolAssignment",
    "SlaPolicy",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketLink",
    "User",
    "UserSession",
]
