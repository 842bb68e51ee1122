"""All models, imported here so Alembic and the app see every table."""

from ticketing.models.api_token import ApiToken
from ticketing.models.audit import AdminLogEntry
from ticketing.models.category import ACADEMIC, NON_ACADEMIC, Category
from ticketing.models.consultation import Consultation, ConsultationEvent, ExpertField
from ticketing.models.link import (
    DUPLICATE,
    LINK_KINDS,
    RECURRENCE,
    RELATED,
    TicketLink,
)
from ticketing.models.notification import Notification, OutboxMessage
from ticketing.models.region import District, Province
from ticketing.models.rollup import (
    ALL_DAYS,
    ALL_TIME,
    OPEN_DIMS,
    WHOLE_MONTH,
    OpenRollup,
    SchoolRollup,
    SchoolVerifyRollup,
    TicketRollup,
    VerifyRollup,
)
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
from ticketing.models.worklist import ReplyTemplate, SavedView
from ticketing.vocabulary import FINAL_STATES, OPEN_STATES

__all__ = [
    "ACADEMIC",
    "ADMIN",
    "ALL_DAYS",
    "ALL_TIME",
    "DISTRICT_PMO",
    "DUPLICATE",
    "FACILITATOR",
    "FINAL_STATES",
    "LEVELS",
    "LINK_KINDS",
    "NON_ACADEMIC",
    "OPEN_DIMS",
    "OPEN_STATES",
    "PROVINCE_PMO",
    "RECURRENCE",
    "RELATED",
    "ROLES",
    "STATES",
    "WHOLE_MONTH",
    "AdminLogEntry",
    "ApiToken",
    "Attachment",
    "Category",
    "Comment",
    "Consultation",
    "ConsultationEvent",
    "DayOff",
    "District",
    "ExpertField",
    "FormStash",
    "Notification",
    "OpenRollup",
    "OutboxMessage",
    "Province",
    "ReplyTemplate",
    "SavedView",
    "School",
    "SchoolAssignment",
    "SchoolRollup",
    "SchoolVerifyRollup",
    "SlaPolicy",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketLink",
    "TicketRollup",
    "User",
    "UserSession",
    "VerifyRollup",
]
