"""Ticket views: thin, load through the user's scope, call the services, commit, respond."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ticketing import i18n, permissions, ticket_query
from ticketing.errors import ConflictError, InvalidInput
from ticketing.extensions import db
from ticketing.models import (
    ACADEMIC,
    Attachment,
    Category,
    School,
    Ticket,
    User,
)
from ticketing.params import bounded_int
from ticketing.services import attachments as attachment_service
from ticketing.services import consultations as consultation_service
from ticketing.services import links as link_service
from ticketing.services import reply_templates as template_service
from ticketing.services import saved_views as view_service
from ticketing.services import tickets as ticket_service
from ticketing.services import users as user_service
from ticketing.ticket_query import TicketQuery
from ticketing.tickets import bp, queries, worklist
from ticketing.tickets.consultation_forms import AnswerForm
from ticketing.tickets.forms import (
    ACTION_BUTTONS,
    ACTION_FORMS,
    ACTION_TITLES,
    CONFIRMATIONS,
    FILES_HELP,
    ActionForm,
    CommentForm,
    EditReportForm,
    RaiseForm,
)
from ticketing.tickets.link_forms import LinkForm, UnlinkForm, recurrence_answer
from ticketing.tickets.worklist_forms import DeleteForm, HolderForm, SavedViewForm, TakeForm

Rendered = tuple[str, int]


def _user() -> User:
    return current_user._get_current_object()


TAB_LABELS = (
    ("todo", _l("Needs action")),
    ("verify", _l("Awaiting the facilitator's verification")),
    ("done", _l("Closed")),
    ("all", _l("All")),
)
SORT_LABELS = (
    ("", _l("Newest first")),
    ("deadline", _l("Deadline (overdue first)")),
    ("age", _l("Age (oldest first)")),
    ("changed", _l("Last change")),
    ("school", _l("School")),
)


@bp.route("/")
def index() -> str:
    """The worklist: the role's work first, tabs with counts, filtered, searched, sorted."""
    user = _user()
    query = TicketQuery.from_args(request.args, user)
    size = current_app.config["PAGE_SIZE"]
    locale = _locale()
    result = ticket_query.list_page(user, query, size, locale)
    # The facilitator's to-do list sits above the plain, unfiltered first page.
    unfiltered = not query.filtered and query.before is None and query.page == 1
    waiting = queries.waiting_for_verification(user, size, locale) if unfiltered else []
    page = render_template(
        "tickets/index.html",
        page=result,
        filters=query,
        counts=ticket_query.tab_counts(user, query),
        tab_labels=i18n.labels(TAB_LABELS),
        sort_labels=i18n.labels(SORT_LABELS),
        waiting=waiting,
        waiting_limit=size,
        choices=queries.filter_choices(user, query),
        can_raise=permissions.can_raise(user),
        bulk_form=worklist.bulk_form_for(user, shown=True),
        bulk_result=worklist.pop_bulk_result(),
        takeable={t.id for t in result.rows if permissions.can_take(user, t)},
        saved_views=view_service.links_of(user),
        save_view_form=SavedViewForm(),
        view_delete_form=DeleteForm(),
    )
    _end_reading()
    return page


def _end_reading() -> None:
    """End a page's read-only transaction with a commit rather than the teardown's rollback.

    psycopg drops every prepared statement of the connection on a rollback, so the list's
    statements were never prepared (psycopg prepares one on its fifth run) and PostgreSQL
    parsed and planned them anew on every request. Nothing is expired: the request's objects
    (the signed-in user, read again by the response's hooks) stay as loaded."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return  # not only read after all: the teardown rolls it back, as for every page
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _raise_choices(form: RaiseForm | EditReportForm, user: User) -> None:
    """Schools: the facilitator's own active ones; categories: active, grouped by kind."""
    schools = sorted((a.school for a in user.assignments if a.school.active), key=lambda s: s.name)
    form.school.choices = [(s.id, f"{s.name} ({s.npsn})") for s in schools]
    locale = _locale()
    groups: dict[str, list[tuple[int, str]]] = {_("Academic"): [], _("Non-academic"): []}
    categories = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
    )
    for category in categories:
        group = _("Academic") if category.kind == ACADEMIC else _("Non-academic")
        label = category.label(locale)
        if category.parent is not None:
            label = f"{category.parent.label(locale)}: {label}"
        groups[group].append((category.id, label))
    form.category.choices = groups


def _locale() -> str:
    return str(get_locale() or "id")


@bp.route("/tickets/new", methods=["GET", "POST"])
def new() -> Response | str | Rendered:
    """A facilitator raises a ticket for one of their schools."""
    user = _user()
    if not permissions.can_raise(user):
        abort(403)
    form = RaiseForm()
    _raise_choices(form, user)
    key = (form.idempotency_key.data or "").strip() if form.is_submitted() else ""
    repeated = ticket_service.by_idempotency_key(user, key) if key else None
    if repeated is not None:
        # A repeat (a doubled tap, an offline submission sent again): the first ticket, even
        # if the form would now be refused (the school was since handed to someone else).
        return _raised(user, repeated)
    if form.validate_on_submit():
        try:
            uploads = attachment_service.read_uploads(request.files.getlist(form.files.name))
            school = db.session.get(School, form.school.data)
            category = db.session.get(Category, form.category.data)
            if school is None or category is None:
                raise InvalidInput(_l("Choose a school and a category."))
            # A problem that may have come back: ask before raising (tickets/_recurrence.html).
            candidates = (
                link_service.recurrence_candidates(school, category, form.title.data or "")
                if permissions.can_raise_for(user, school)
                else []
            )
            answered, same_as = recurrence_answer(candidates)
            if candidates and not answered:
                db.session.rollback()
                return render_template("tickets/new.html", form=form, candidates=candidates)
            ticket = ticket_service.raise_ticket(
                user,
                school=school,
                category=category,
                title=form.title.data or "",
                description=form.description.data or "",
                files=uploads,
                idempotency_key=form.idempotency_key.data or None,
            )
            if same_as is not None:
                link_service.link(ticket, same_as, kind="recurrence", actor=user)
            db.session.commit()
        except InvalidInput as exc:
            db.session.rollback()
            _form_error(form, exc)
            _name_dropped(form)
            return render_template("tickets/new.html", form=form), 400
        return _raised(user, ticket)
    status = 400 if form.is_submitted() else 200
    if form.is_submitted():
        _name_dropped(form)
    return render_template("tickets/new.html", form=form), status


def _raised(user: User, ticket: Ticket) -> Response:
    """After a raise (or its repeat): the ticket's page, or, when it was since handed to
    another facilitator, the list with a word on where it went."""
    if not permissions.can_view(user, ticket):
        flash(_("This report was already received as ticket %(number)s; it is now with "
                "another facilitator.", number=ticket.number), "info")  # fmt: skip
        return redirect(url_for("tickets.index"))
    flash(_("Ticket %(number)s was raised.", number=ticket.number), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


def _name_dropped(form: Any) -> None:
    """A refused form cannot hand chosen files back: name them, to be chosen again."""
    if "files" in form and request.files:
        names = [
            attachment_service.clean_name(f.filename)
            for f in request.files.getlist("files")
            if f and f.filename
        ]
        form["files"].dropped = names


def _form_error(form: Any, exc: InvalidInput) -> None:
    """Show a service's complaint next to the field it names (or at the top)."""
    field_name = {"note": "note", "files": "files", "assignee": "assignee"}.get(
        str(exc.details.get("field")), ""
    )
    field = getattr(form, field_name, None) if field_name else None
    message = exc.text
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), message]
    else:
        form.form_errors.append(message)


def _edit_choices(form: EditReportForm, user: User, ticket: Ticket) -> None:
    """The raise form's choices, plus the ticket's own school and category when they are no
    longer offered (kept unchanged, they stay valid)."""
    _raise_choices(form, user)
    if all(value != ticket.school_id for value, _label in form.school.choices):
        school = ticket.school
        form.school.choices = [(school.id, f"{school.name} ({school.npsn})"), *form.school.choices]
    groups: dict[str, list[tuple[int, str]]] = form.category.choices
    if all(value != ticket.category_id for items in groups.values() for value, _label in items):
        category = ticket.category
        group = _("Academic") if category.kind == ACADEMIC else _("Non-academic")
        groups[group] = [(category.id, category.label(_locale())), *groups[group]]


def _render_edit(ticket: Ticket, form: EditReportForm, *, changes: list[Any] | None = None,
                 prefilled: bool = False) -> str:  # fmt: skip
    return render_template(
        "tickets/edit.html",
        ticket=ticket,
        form=form,
        changes=changes,
        still_possible=permissions.can_edit_report(_user(), ticket),
        prefilled=prefilled,
    )


@bp.route("/tickets/<int:ticket_id>/edit", methods=["GET", "POST"])
def edit(ticket_id: int) -> Response | str | Rendered:
    """ "Ubah laporan": the facilitator corrects a ticket that is still raised."""
    user = _user()
    ticket = ticket_service.get_visible(user, ticket_id)
    form = EditReportForm(
        data={
            "school": ticket.school_id,
            "category": ticket.category_id,
            "title": ticket.title,
            "description": ticket.description,
            "version": str(ticket.version_id),
            "seen_event": str(queries.last_event_id(ticket)),
        }
    )
    _edit_choices(form, user, ticket)
    allowed = permissions.can_edit_report(user, ticket)
    if not form.is_submitted():
        if not allowed:
            abort(403)
        # Filled from the database (not a returned refusal): drafts.js may offer a draft.
        return _render_edit(ticket, form, prefilled=g.get("restored_form") is None)
    stale = form.version.data != str(ticket.version_id)
    if not allowed and not stale:
        abort(403)
    if not stale and not form.validate_on_submit():
        return _render_edit(ticket, form), 400
    try:
        if stale:
            raise ConflictError(_l("This ticket was changed by someone else; nothing was applied."))
        school = db.session.get(School, form.school.data)
        category = db.session.get(Category, form.category.data)
        if school is None or category is None:
            raise InvalidInput(_l("Choose a school and a category."))
        row = ticket_service.edit_report(
            ticket,
            actor=user,
            expected_version=int(form.version.data or 0),
            title=form.title.data or "",
            description=form.description.data or "",
            category=category,
            school=school,
        )
        db.session.commit()
    except ConflictError:
        db.session.rollback()
        return _edit_conflict(ticket_id, form)
    except InvalidInput as exc:
        db.session.rollback()
        _form_error(form, exc)
        ticket = ticket_service.get_visible(user, ticket_id)
        return _render_edit(ticket, form), 400
    if row is None:
        flash(_("Nothing was changed in ticket %(number)s.", number=ticket.number), "info")
    else:
        flash(_("Ticket %(number)s was corrected.", number=ticket.number), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _edit_conflict(ticket_id: int, form: EditReportForm) -> Rendered:
    """The ticket changed after the form was opened: show what changed, keep the text."""
    ticket = ticket_service.get_visible(_user(), ticket_id)
    seen = bounded_int(form.seen_event.data, 0, minimum=0)
    changes = [
        e
        for e in queries.timeline(ticket, after_event_id=seen, viewer=_user())
        if e.kind == "event"
    ]
    form.version.data = str(ticket.version_id)
    form.seen_event.data = str(queries.last_event_id(ticket))
    return _render_edit(ticket, form, changes=changes), 409


@bp.route("/tickets/<int:ticket_id>")
def show(ticket_id: int) -> str:
    """The ticket page: facts, timeline, files, and the actions this user may take now."""
    ticket = ticket_service.get_visible(_user(), ticket_id)
    return _render_show(ticket, CommentForm())


def _render_show(ticket: Ticket, comment_form: CommentForm) -> str:
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        timeline=queries.timeline(ticket, viewer=_user()),
        can_write_internal=permissions.can_write_internal(_user(), ticket),
        reply_templates=template_service.for_ticket(_user(), ticket),
        # Withdrawing is never the first (primary) button.
        actions=sorted(_actions(_user(), ticket), key=lambda e: e == "withdraw"),
        can_take=permissions.can_take(_user(), ticket),
        can_edit=permissions.can_edit_report(_user(), ticket),
        take_form=TakeForm(formdata=None, version=str(ticket.version_id)),
        holder_form=_holder_form(ticket),
        action_buttons=ACTION_BUTTONS,
        comment_form=comment_form,
        links=link_service.links_of(ticket),
        link_form=LinkForm(),
        unlink_form=UnlinkForm(),
        answer_form=AnswerForm(),
        files_help=FILES_HELP,
        consultations_of=consultation_service.of_ticket,
        experts_for=consultation_service.experts_for,
    )


@bp.route("/tickets/<int:ticket_id>/comments", methods=["POST"])
def comment(ticket_id: int) -> Response | Rendered:
    """Add a remark (with optional files) to a ticket the user can see."""
    user = _user()
    ticket = ticket_service.get_visible(user, ticket_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            uploads = attachment_service.read_uploads(request.files.getlist(form.files.name))
            row = ticket_service.add_comment(
                ticket,
                actor=user,
                body=form.body.data or "",
                files=uploads,
                internal=bool(form.internal.data),
            )
            db.session.commit()
        except InvalidInput as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(_("Your comment was added."), "info")
            return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor=f"c{row.id}"))
        ticket = ticket_service.get_visible(user, ticket_id)
    _name_dropped(form)
    return _render_show(ticket, form), 400


def _holder_form(ticket: Ticket) -> HolderForm | None:
    """The "give to a province officer" form, for those who may hand the ticket on."""
    if not permissions.can_give_to_holder(_user(), ticket):
        return None
    form = HolderForm(formdata=None, version=str(ticket.version_id))
    officers = user_service.active_officers(province_code=ticket.province_code)
    form.holder.choices = [(u.id, u.name) for u in officers if u.id != ticket.province_holder_id]
    return form if form.holder.choices else None


def _actions(user: User, ticket: Ticket) -> list[str]:
    """The buttons of the ticket page: the workflow's events, then the one-step shortcut."""
    actions = ticket_service.available_events(user, ticket)
    if permissions.can_take_and_resolve(user, ticket):
        actions.append("take_resolve")
    return actions


def _action_form(event: str, ticket: Ticket) -> ActionForm:
    """The form of one event, with its officer choices filled in for this ticket."""
    form = ACTION_FORMS[event]()
    assignee = getattr(form, "assignee", None)
    if assignee is not None:
        officers = [
            (u.id, u.name) for u in user_service.active_officers(district_code=ticket.district_code)
        ]
        if event == "return_to_district":
            officers = [(0, _("Keep the current officer")), *officers]
        assignee.choices = officers
        if not form.is_submitted():
            me = _user()
            if event == "assign" and any(uid == me.id for uid, _label in officers):
                assignee.data = me.id
            elif event == "return_to_district":
                assignee.data = 0
    return form


def _render_action(
    ticket: Ticket, event: str, form: ActionForm, *, changes: list[Any] | None = None
) -> str:
    return render_template(
        "tickets/action.html",
        ticket=ticket,
        event=event,
        form=form,
        title=ACTION_TITLES[event],
        button=ACTION_BUTTONS[event],
        changes=changes,
        still_possible=event in _actions(_user(), ticket),
    )


@bp.route("/tickets/<int:ticket_id>/<event>", methods=["GET", "POST"])
def action(ticket_id: int, event: str) -> Response | str | Rendered:
    """One workflow event: a form asking for exactly what the event needs, then fire it."""
    if event not in ACTION_FORMS:
        abort(404)
    user = _user()
    ticket = ticket_service.get_visible(user, ticket_id)
    form = _action_form(event, ticket)
    available = event in _actions(user, ticket)
    if not form.is_submitted():
        if not available:
            abort(403)
        form.version.data = str(ticket.version_id)
        form.seen_event.data = str(queries.last_event_id(ticket))
        return _render_action(ticket, event, form)
    stale = form.version.data != str(ticket.version_id)
    if not available and not stale:
        abort(403)
    if not stale and not form.validate_on_submit():
        _name_dropped(form)
        return _render_action(ticket, event, form), 400
    try:
        if stale:
            raise ConflictError(_l("This ticket was changed by someone else; nothing was applied."))
        uploads = []
        if "files" in form:
            uploads = attachment_service.read_uploads(request.files.getlist("files"))
        assignee = None
        if "assignee" in form and form["assignee"].data:
            assignee = db.session.get(User, form["assignee"].data)
        if event == "take_resolve":
            ticket_service.take_and_resolve(
                ticket,
                actor=user,
                expected_version=int(form.version.data or 0),
                note=form["note"].data,
                files=uploads,
            )
        else:
            ticket_service.fire(
                ticket,
                event,
                actor=user,
                expected_version=int(form.version.data or 0),
                note=form["note"].data if "note" in form else None,
                assignee=assignee,
                files=uploads,
            )
        db.session.commit()
    except ConflictError:
        db.session.rollback()
        return _conflict(ticket_id, event, form)
    except InvalidInput as exc:
        db.session.rollback()
        _form_error(form, exc)
        _name_dropped(form)
        ticket = ticket_service.get_visible(user, ticket_id)
        return _render_action(ticket, event, form), 400
    flash(_confirmation(ticket, event), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _confirmation(ticket: Ticket, event: str) -> str:
    """'Tiket ESK-2026-000123 ditugaskan kepada Indah Setiawan.' and the like."""
    officer = ticket.assignee.name if ticket.assignee is not None else _("no officer yet")
    tier = {
        "assigned": _("the district PMO"),
        "escalated": _("the province PMO"),
        "referred": _("the central PMO"),
    }.get(ticket.state, "")
    values = {"number": ticket.number, "officer": officer, "tier": tier}
    return str(CONFIRMATIONS[event]) % values


def _conflict(ticket_id: int, event: str, form: ActionForm) -> Rendered:
    """Someone changed the ticket first: show what changed, keep what the user typed."""
    ticket = ticket_service.get_visible(_user(), ticket_id)
    seen = bounded_int(form.seen_event.data, 0, minimum=0)
    changes = [
        e
        for e in queries.timeline(ticket, after_event_id=seen, viewer=_user())
        if e.kind == "event"
    ]
    _name_dropped(form)
    # The refreshed version lets the user resubmit on purpose after reading the changes.
    form.version.data = str(ticket.version_id)
    form.seen_event.data = str(queries.last_event_id(ticket))
    return _render_action(ticket, event, form, changes=changes), 409


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int) -> Response:
    """Send an evidence file, only to users who can see its ticket."""
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        abort(404)
    ticket_service.get_visible(_user(), row.ticket_id)
    if not attachment_service.may_download(_user(), row):
        abort(404)  # a file of an internal note, asked for by someone who may not read it
    path = attachment_service.path_of(row)
    if not path.is_file():
        abort(404)
    # Pictures (re-encoded by us) and PDFs open in the browser; other files download.
    inline = row.content_type in (attachment_service.JPEG, attachment_service.PNG,
                                  attachment_service.PDF)  # fmt: skip
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=not inline,
        # Cleaned again: rows stored before names were cleaned may hold CR/LF.
        download_name=attachment_service.download_name(row.original_name, row.content_type),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        # Shown inside our origin: no scripts, no forms, whatever the file holds.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
