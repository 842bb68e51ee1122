"""Dashboard settings: a province's public, aggregate-only dashboard."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ticketing import permissions
from ticketing.errors import PermissionDenied
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
