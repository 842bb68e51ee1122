"""Send a province's monthly meeting report to its officers through the e-mail outbox."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from ticketing import meeting, permissions
from ticketing.errors import PermissionDenied
from ticketing.models import User
from ticketing.notifications import queue_email
from ticketing.services.users import active_officers

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def recipients(province_code: str) -> list[User]:
    """The province's active PMO officers."""
    return active_officers(province_code=province_code)


def render(report: meeting.Report, lang: str, link: str) -> tuple[str, str]:
    """Subject and plain-text body in ``lang`` ('id' or 'en')."""
    lang = "en" if lang == "en" else "id"
    month = f"{MONTHS[lang][report.month.month - 1]} {report.month.year}"
    names = meeting.FIGURE_HEADERS[lang]
    words = meeting.WORDS[lang]
    if lang == "id":
        subject = f"Laporan rapat PMO {report.province.name}: {month}"
        intro = f"Laporan bulanan eskalasi {report.province.name} untuk {month}."
    else:
        subject = f"PMO meeting report {report.province.name}: {month}"
        intro = f"The monthly escalation report of {report.province.name} for {month}."
    lines = [intro, ""]
    for name in meeting.FIGURES:
        change = report.total.change(name)
        lines.append(f"- {names[name]}: {report.total.now[name]} ({words['change']} "
                     f"{change:+d})")  # fmt: skip
    lines += ["", link, ""]
    return subject, "\n".join(lines)


def send(report: meeting.Report, *, actor: User, link: str) -> int:
    """Queue the report for every officer of the province; returns how many were queued."""
    if not permissions.can_send_meeting_report(actor, report.province.code):
        raise PermissionDenied(_l("You may not send this province's report."))
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    people = recipients(report.province.code)
    for user in people:
        subject, body = render(report, user.locale or "id", f"{base}{link}")
        queue_email(user, subject, body)
    return len(people)
