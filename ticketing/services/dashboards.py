"""Dashboard settings: a province's public, aggregate-only dashboard."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from ticketing import permissions
from ticketing.errors import InvalidInput, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Province, User
from ticketing.services import admin_log


def set_public_dashboard(actor: User, province: Province, enabled: bool) -> Province:
    """Switch the province's public dashboard on or off, and log the change."""
    if not permissions.can_publish_dashboard(actor, province.code):
        raise PermissionDenied(
            _l("Only an administrator of this province can publish its dashboard.")
        )
    before = bool(province.public_dashboard)
    if before != enabled:
        province.public_dashboard = enabled
        admin_log.record(
            actor,
            "dashboard.public_on" if enabled else "dashboard.public_off",
            target_type="province",
            target_id=province.code,
            province_code=province.code,
            before={"public_dashboard": before},
            after={"public_dashboard": enabled},
        )
    db.session.flush()
    return province


RECURRENCE_DAYS_MAX = 730


def set_recurrence_days(actor: User, province: Province, days: int) -> Province:
    """Set how many days after a close a new ticket may be the same problem; logged."""
    if not permissions.can_publish_dashboard(actor, province.code):
        raise PermissionDenied(_l("Only an administrator of this province can change this."))
    if not 1 <= days <= RECURRENCE_DAYS_MAX:
        raise InvalidInput(
            _l("Choose between 1 and %(max)d days.", max=RECURRENCE_DAYS_MAX), field="days"
        )
    before = province.recurrence_days
    if before != days:
        province.recurrence_days = days
        admin_log.record(
            actor,
            "dashboard.recurrence_days",
            target_type="province",
            target_id=province.code,
            province_code=province.code,
            before={"recurrence_days": before},
            after={"recurrence_days": days},
        )
    db.session.flush()
    return province


MAX_EMBED_ORIGINS = 10
# An origin: https, a host name, an optional port; nothing after it (no path, no wildcard).
_ORIGIN = re.compile(
    r"^https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:[0-9]{1,5})?$"
)


def parse_embed_origins(text: str) -> list[str]:
    """The origins in ``text`` (spaces, commas or lines between them), checked one by one."""
    origins: list[str] = []
    for raw in re.split(r"[\s,]+", text or ""):
        origin = raw.strip().lower().rstrip("/")
        if not origin:
            continue
        if not _ORIGIN.match(origin):
            raise InvalidInput(
                _l(
                    "%(origin)s is not a site address: write it as https://portal.example.go.id,"
                    " without a path.",
                    origin=raw[:100],
                )
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise InvalidInput(_l("At most %(n)d sites may embed the dashboard.", n=MAX_EMBED_ORIGINS))
    return origins


def set_embed_origins(actor: User, province: Province, text: str) -> Province:
    """Set the sites allowed to show the province's public dashboard in a frame, and log it."""
    if not permissions.can_publish_dashboard(actor, province.code):
        raise PermissionDenied(_l("Only an administrator of this province can change this."))
    before = province.embed_origins or ""
    after = " ".join(parse_embed_origins(text))
    if before != after:
        province.embed_origins = after
        admin_log.record(
            actor,
            "dashboard.embed_origins",
            target_type="province",
            target_id=province.code,
            province_code=province.code,
            before={"embed_origins": before},
            after={"embed_origins": after},
        )
    db.session.flush()
    return province
