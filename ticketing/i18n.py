"""Language and time-zone selection, and the words and formats the templates use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app, g, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup

from ticketing.clock import utcnow
from ticketing.models.region import ZONE_ABBREVIATIONS
from ticketing.vocabulary import (
    CONSULTATION_EVENT_LABELS,
    CONSULTATION_STATE_LABELS,
    EVENT_LABELS,
    REPORT_FIELD_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    TIER_LABELS,
)

DEFAULT_TIMEZONE = "Asia/Jakarta"

# The labels of states, tiers, roles and events are defined with the vocabulary.
__all__ = [
    "DEFAULT_TIMEZONE",
    "EVENT_LABELS",
    "ROLE_LABELS",
    "STATE_LABELS",
    "TIER_LABELS",
    "format_day",
    "format_when",
    "select_locale",
    "select_timezone",
    "template_filters",
    "template_globals",
    "user_timezone",
]


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in the session, else Indonesian."""
    languages = current_app.config["LANGUAGES"]
    if request and request.path.startswith("/api/") and request.blueprint != "api_reference":
        # API clients say what they read in Accept-Language; Indonesian otherwise.
        return str(request.accept_languages.best_match(languages, default="id"))
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def user_timezone(user: Any) -> str:
    """The zone of the user's province (Asia/Jakarta for national users)."""
    province = getattr(user, "province", None)
    return province.timezone if province is not None else DEFAULT_TIMEZONE


def select_timezone() -> str:
    """Flask-Babel's zone: the signed-in user's province."""
    if current_user and current_user.is_authenticated:
        return user_timezone(current_user)
    return DEFAULT_TIMEZONE


def format_when(moment: datetime | None, timezone: str | None = None) -> str:
    """'16 Januari 2023 pukul 09.00 WIB' (or 'at 09:00 WIB' in English), from naive UTC."""
    if moment is None:
        return ""
    zone_name = timezone or select_timezone()
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone_name))
    locale = str(get_locale() or "id")
    day = format_date(local.date(), "d MMMM y", locale=locale)
    if locale == "id":
        clock = format_time(local.time(), "HH.mm", locale=locale)
        joiner = "pukul"
    else:
        clock = format_time(local.time(), "HH:mm", locale=locale)
        joiner = "at"
    return f"{day} {joiner} {clock} {ZONE_ABBREVIATIONS.get(zone_name, zone_name)}"


def format_day(moment: datetime | None, timezone: str | None = None) -> str:
    """'16 Januari 2023' in the zone given (or the user's)."""
    if moment is None:
        return ""
    zone_name = timezone or select_timezone()
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone_name))
    return format_date(local.date(), "d MMMM y", locale=str(get_locale() or "id"))


def format_month(day: Any) -> str:
    """A month (its first day) as 'Mei 2026' in the interface language."""
    return format_date(day, "MMMM y", locale=str(get_locale() or "id"))


def format_longdate(day: Any) -> str:
    """A calendar day as '16 Januari 2023' in the interface language."""
    return format_date(day, "d MMMM y", locale=str(get_locale() or "id"))


def translations() -> Any:
    """The request's catalogue, looked up once per request.

    Flask-Babel finds it again on every gettext call (the locale, the domain and its cache,
    each through the request context: about ten context lookups a call, and a page makes a
    hundred calls). It is kept in Flask-Babel's own per-request namespace under the name that
    ``flask_babel.refresh()`` forgets, so a language changed during a request still applies.
    """
    if not g:
        return get_translations()  # no app context: Flask-Babel's null catalogue
    context = g.get("_flask_babel")
    found = getattr(context, "babel_translations", None)
    if found is None:
        found = get_translations()
        g._flask_babel.babel_translations = found  # made by get_translations()
    return found


def install_gettext(app: Any) -> None:
    """Templates' _(), gettext and ngettext from the request's catalogue (translations())."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda one, many, n: translations().ungettext(one, many, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, one, many, n: translations().unpgettext(context, one, many, n),
        newstyle=True,
    )


# Lazy labels resolved per process and language: the catalogue does not change while it runs.
_LABELS: dict[tuple[int, str, bool], Any] = {}


def labels(pairs: Any, *, markup: bool = True) -> list[tuple[Any, Any]]:
    """The (value, lazy label) pairs (or a dict's items) in the request's language.

    As Markup by default: a lazy label renders unescaped in a template, and so does this; plain
    strings with ``markup=False``. Looked up once per process and language, not per request.
    """
    locale = str(get_locale() or "id")
    key = (id(pairs), locale, markup)
    found = _LABELS.get(key)
    if found is None:
        items = pairs.items() if isinstance(pairs, dict) else pairs
        wrap = Markup if markup else str
        found = _LABELS[key] = [(value, wrap(str(label))) for value, label in items]
    return list(found)


def template_globals() -> dict[str, Any]:
    """Names every template can use."""
    return {
        "STATE_LABELS": STATE_LABELS,
        "EVENT_LABELS": EVENT_LABELS,
        "REPORT_FIELD_LABELS": REPORT_FIELD_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "TIER_LABELS": TIER_LABELS,
        "CONSULTATION_EVENT_LABELS": CONSULTATION_EVENT_LABELS,
        "CONSULTATION_STATE_LABELS": CONSULTATION_STATE_LABELS,
        "get_locale": get_locale,
        "list_text": ListText,
    }


def template_filters() -> dict[str, Any]:
    """Filters every template can use."""
    return {"when": format_when, "day": format_day, "longdate": format_longdate,
            "month": format_month}  # fmt: skip


@lru_cache(maxsize=8192)
def _day_text(day: date, locale: str) -> str:
    return format_date(day, "d MMMM y", locale=locale)


def local_day(moment: datetime, timezone: str) -> date:
    """The local date of a naive UTC moment in the zone."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


# A ticket id no real URL contains elsewhere: ListText.url puts the real id in its place.
_URL_ID = 987_654_321


class ListText:
    """The words of a ticket list's rows, looked up once per request rather than once per row.

    Babel and Flask-Babel cost about as much per call as a row's own work (the locale is
    parsed, the translations found through the request context); a list of 25 rows made
    hundreds of such calls.
    """

    def __init__(self) -> None:
        from flask_babel import ngettext

        gettext = translations().ugettext
        self.locale = str(get_locale() or "id")
        self.states = dict(labels(STATE_LABELS, markup=False))
        self.state_labels = labels(STATE_LABELS)  # the filter's options
        self.npsn, self.raised, self.officer = (
            gettext("NPSN"),
            gettext("raised"),
            gettext("officer"),
        )
        self.province_officer, self.take = gettext("province officer"), gettext("Take")
        self.deadline, self.verify_by = gettext("Deadline"), gettext("Verify by")
        self.overdue = gettext("overdue")
        self.reopened, self.auto = gettext("Reopened"), gettext("Escalated automatically")
        self._select = gettext("Select %(number)s")  # no variables: the pattern itself
        self._ngettext = ngettext
        self._late: dict[int, str] = {}
        self._calendars: dict[str, Any] = {}
        self._now = utcnow()
        self._urls: dict[str, tuple[str, str]] = {}
        # Ticket links from one url_for: the path with the id as its last part.
        self.show_prefix = self.url("tickets.show", 0)[:-1]

    def url(self, endpoint: str, ticket_id: int) -> str:
        """url_for(endpoint, ticket_id=...) from one url_for per endpoint and page."""
        if endpoint not in self._urls:
            from flask import url_for

            head, _sep, tail = url_for(endpoint, ticket_id=_URL_ID).partition(str(_URL_ID))
            self._urls[endpoint] = (head, tail)
        head, tail = self._urls[endpoint]
        return f"{head}{ticket_id}{tail}"

    def select(self, number: str) -> str:
        """'Select ESK-2026-000001' (a bulk-action checkbox's label)."""
        return str(self._select % {"number": number})

    def day(self, moment: datetime | None, timezone: str) -> str:
        """'16 Januari 2023' (cached per day and language)."""
        return "" if moment is None else _day_text(local_day(moment, timezone), self.locale)

    def date(self, day: date | None) -> str:
        """A local date as text (cached)."""
        return "" if day is None else _day_text(day, self.locale)

    def due(self, ticket: Any) -> tuple[int | None, str]:
        """A row's deadline: the working days it is overdue by (None: not overdue) and its
        last working day as text (sla.overdue_days, sla.deadline_day; one calendar a page)."""
        from ticketing import sla

        calendar = self._calendars.get(ticket.province_code)
        if calendar is None:
            calendar = self._calendars[ticket.province_code] = sla.calendar_for(
                ticket.province_code
            )
        late = sla.overdue_days(ticket, self._now, calendar)
        return late, self.date(sla.deadline_day(ticket, calendar))

    def overdue_by(self, days: int) -> str:
        """'overdue by 3 working days' (once per number)."""
        if days not in self._late:
            self._late[days] = self._ngettext(
                "overdue by %(num)d working day", "overdue by %(num)d working days", days
            )
        return self._late[days]
