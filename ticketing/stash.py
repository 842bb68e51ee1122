"""Nothing typed is lost: the text of a POST that cannot be accepted is kept and put back.

Three refusals happen before a view can re-render its form: the request is over the size
limit (413: Werkzeug will not parse it), the session has ended (sign in first), or the form's
CSRF token is no longer valid. For these the text fields of the POST (never passwords or
tokens, never files) are kept in ``form_stashes`` under a random token held in the browser's
session; the user is sent to the form's page (through the sign-in form when needed), where
``restore`` puts the text back into the form (``ticketing.forms.Form``) once, names the files
to choose again, and deletes the row.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import IO, Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, request, session, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import LimitedStream

from ticketing.auth.limits import may_keep_a_form
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import FormStash

SESSION_KEY = "form_stash"
KEEP_FOR = timedelta(days=2)
# Text kept of one form (characters); more is not a form a person typed.
MAX_TEXT = 100_000
# A request this many times over the limit is not read at all (its text is lost).
READ_AT_MOST = 3

REASONS = {
    "too_large": _l(
        "The files were too large together, so nothing was sent. Your text is kept below."
    ),
    "session": _l(
        "Your session had ended, so nothing was sent. Your text is kept below: "
        "check it and send it again."
    ),
    "csrf": _l(
        "The form had expired, so nothing was sent. Your text is kept below: "
        "check it and send it again."
    ),
}


def _kept_field(name: str) -> bool:
    lowered = name.lower()
    return lowered != "csrf_token" and "password" not in lowered and "token" not in lowered


def form_page() -> str:
    """The page that shows the form this POST came from (where the text goes back)."""
    rule = request.url_rule
    if rule is not None and rule.methods is not None and "GET" in rule.methods:
        return request.path
    if request.referrer:
        parts = urlsplit(request.referrer)
        if parts.netloc == request.host and parts.path.startswith("/"):
            return parts.path
    return url_for("tickets.index")


# Forms whose text is not kept: signing in (a password), signing out, the language switch.
NOT_KEPT = {"auth.login", "auth.logout", "auth.set_language"}


def keep(
    fields: list[tuple[str, str]], dropped: list[str], reason: str, message: str | None = None
) -> str | None:
    """Keep the text fields of this POST for the form's page; returns that page (or None)."""
    if request.endpoint in NOT_KEPT:
        return None
    kept = [(k, v) for k, v in fields if _kept_field(k) and isinstance(v, str)]
    if not any(v.strip() for _k, v in kept) or sum(len(v) for _k, v in kept) > MAX_TEXT:
        return None
    if not may_keep_a_form():
        return None
    page = form_page()
    now = utcnow()
    db.session.rollback()
    db.session.execute(delete(FormStash).where(FormStash.created_at < now - KEEP_FOR))
    old = session.get(SESSION_KEY)
    if old:
        db.session.execute(delete(FormStash).where(FormStash.token == old))
    token = secrets.token_urlsafe(24)
    data = json.dumps(
        {"fields": kept, "dropped": dropped[:20], "message": message}, ensure_ascii=False
    )
    db.session.add(FormStash(token=token, path=page[:500], data=data, reason=reason))
    db.session.commit()
    session[SESSION_KEY] = token
    return page


def keep_this_post(reason: str, message: str | None = None) -> str | None:
    """Keep the text of the current (parsed) POST; files chosen are named as dropped."""
    dropped = [f.filename for _k, f in request.files.items(multi=True) if f and f.filename]
    return keep(list(request.form.items(multi=True)), [str(n) for n in dropped], reason, message)


def restore() -> None:
    """before_request: on the form's page, put the kept text back (once) and say why."""
    g.pop("restored_form", None)
    g.pop("restored_dropped", None)
    token = session.get(SESSION_KEY)
    if not token or request.method != "GET" or request.endpoint in (None, "static"):
        return
    row = db.session.get(FormStash, token)
    if row is None:
        session.pop(SESSION_KEY, None)
        return
    if row.path != request.path:
        return
    data = json.loads(row.data)
    g.restored_form = MultiDict([(k, v) for k, v in data["fields"]])
    g.restored_dropped = data.get("dropped") or []
    db.session.delete(row)
    db.session.commit()
    session.pop(SESSION_KEY, None)
    # Flashed messages live in the session cookie: plain strings, not lazy ones.
    if data.get("message"):
        flash(str(data["message"]), "error")
    else:
        flash(str(REASONS.get(row.reason, REASONS["csrf"])), "error")
    if g.restored_dropped:
        names = ", ".join(g.restored_dropped)
        flash(str(_l("Please choose these files again: %(names)s.", names=names)), "error")


class _Counter:
    """A file that keeps only its size: the parts of an over-limit upload are not stored."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def seek(self, *_args: Any) -> int:
        return 0

    def read(self, *_args: Any) -> bytes:
        return b""

    def close(self) -> None:
        return None


def _counting_factory(*_args: Any, **_kwargs: Any) -> IO[bytes]:
    return _Counter()  # type: ignore[return-value]


def recover_oversized() -> tuple[list[tuple[str, str]], list[str]] | None:
    """The text fields and file names of a multipart POST that is over the size limit.

    The body is read (a browser shows a "connection reset" page when the server answers
    before reading what it sends) but files are only counted, not kept.
    """
    length = request.content_length
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if (
        request.method != "POST"
        or request.mimetype != "multipart/form-data"
        or length is None
        or length > READ_AT_MOST * limit
    ):
        return None
    parser = FormDataParser(
        stream_factory=_counting_factory,
        max_form_memory_size=MAX_TEXT * 4,
        max_content_length=None,
        max_form_parts=1000,
    )
    stream: Any = LimitedStream(request.environ["wsgi.input"], length)
    try:
        _stream, form, files = parser.parse(
            stream, request.mimetype, length, request.mimetype_params
        )
    except Exception:
        return None
    dropped = [f.filename for _k, f in files.items(multi=True) if f and f.filename]
    return list(form.items(multi=True)), [str(n) for n in dropped]
