"""Administration views: thin; load through the administrator's scope, call one service."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from ticketing import permissions
from ticketing.admin import bp
from ticketing.admin.forms import (
    AssignmentForm,
    CategoryForm,
    EmbedForm,
    HandOverForm,
    ImportForm,
    RenameForm,
    SchoolForm,
    UserEditForm,
    UserForm,
)
from ticketing.auth import limits
from ticketing.errors import InvalidInput, NotFound
from ticketing.extensions import db, limiter
from ticketing.models import (
    ADMIN,
    AdminLogEntry,
    Category,
    Province,
    School,
    SchoolAssignment,
    User,
)
from ticketing.params import bounded_int, page_number
from ticketing.services import api_tokens, imports
from ticketing.services import consultations as consultation_service
from ticketing.services import dashboards as dashboard_service
from ticketing.services import schools as school_service
from ticketing.services import users as user_service

_SESSION_KEY = "admin_imports"


@bp.before_request
def _administrators_only() -> None:
    """Every page here is for administrators; others get 403."""
    if not current_user.is_authenticated:
        return  # the app-wide login rule has already answered
    user = current_user._get_current_object()
    if not permissions.can_administer(user, user.province_code):
        abort(403)


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _page() -> int:
    # Bounded: a huge page number would overflow the OFFSET (past the last page is a 404).
    return page_number(request.args.get("page"))


def _search(text: str) -> str:
    return "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"


@bp.route("/")
def index() -> str:
    """The administration home: what can be managed here."""
    return render_template("admin/index.html")


# --- Embedding the public dashboard ----------------------------------------------------------


@bp.route("/embedding")
def embedding() -> str:
    """The provinces in my scope and the sites allowed to frame their public dashboard."""
    me = _me()
    query = select(Province).order_by(Province.name)
    if not me.is_national:
        query = query.where(Province.code == me.province_code)
    return render_template("admin/embedding.html", provinces=db.session.scalars(query).all())


@bp.route("/embedding/<code>", methods=["GET", "POST"])
def embedding_edit(code: str) -> Response | str:
    """Change the sites allowed to frame one province's public dashboard."""
    province = db.session.get(Province, code[:2])
    if province is None or not permissions.can_publish_dashboard(_me(), province.code):
        abort(404)
    form = EmbedForm()
    if request.method == "GET":
        form.origins.data = "\n".join(province.embed_origin_list)
    if form.validate_on_submit():
        try:
            dashboard_service.set_embed_origins(_me(), province, form.origins.data or "")
        except InvalidInput as exc:
            form.origins.errors = [*form.origins.errors, str(exc.message)]
        else:
            db.session.commit()
            flash(_("The list of sites was saved."), "info")
            return redirect(url_for("admin.embedding"))
    return render_template("admin/embedding_edit.html", province=province, form=form)


# --- Users ------------------------------------------------------------------------------------


@bp.route("/users")
def users() -> str:
    """Accounts in the administrator's scope, searchable by name or e-mail."""
    q = request.args.get("q", "").strip()
    query = permissions.administered_users(_me()).options(joinedload(User.district))
    if q:
        pattern = _search(q.lower())
        query = query.where(
            or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern))
        )
    pagination = db.paginate(
        query.order_by(User.name, User.id), page=_page(), per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template("admin/users.html", pagination=pagination, q=q)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> Response | str:
    """Create an account without a password; show the one-time link unless it was e-mailed."""
    form = UserForm()
    _roles_i_may_give(form)
    if not form.is_submitted() and not _me().is_national:
        form.region.data = _me().province_code
    if form.validate_on_submit():
        user, link = user_service.admin_create_user(
            _me(),
            email=form.email.data or "",
            name=form.name.data or "",
            role=form.role.data or "",
            region_code=form.region.data,
            fields=form.fields.data or None,
        )
        db.session.commit()
        return _show_link(user, link)
    return render_template("admin/user_new.html", form=form)


def _roles_i_may_give(form: UserForm | UserEditForm) -> None:
    """A province's administrator cannot make administrators: the choice is not offered."""
    if not permissions.can_manage_administrators(_me()):
        form.role.choices = [c for c in form.role.choices or [] if c[0] != ADMIN]


def _show_link(user: User, link: str) -> str:
    from ticketing.services.tokens import mail_configured

    if mail_configured():
        flash(_("An e-mail with a sign-in link was sent to %(email)s.", email=user.email), "info")
        link = ""
    return render_template("admin/link.html", user=user, link=link)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> Response | str:
    """One account: change name, role and scope; its schools and actions."""
    user = user_service.get_administered(_me(), user_id)
    form = UserEditForm(obj=user)
    _roles_i_may_give(form)
    if not form.is_submitted():
        form.region.data = user.district_code or user.province_code or ""
        form.fields.data = sorted(consultation_service.expert_field_ids(user))
    if form.validate_on_submit():
        user_service.update_user(
            _me(), user, name=form.name.data or "", role=form.role.data or "",
            region_code=form.region.data,
            fields=form.fields.data or [],
        )  # fmt: skip
        db.session.commit()
        flash(_("The account was saved."), "info")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    assignments = db.session.scalars(
        select(SchoolAssignment)
        .where(SchoolAssignment.facilitator_id == user.id)
        .options(joinedload(SchoolAssignment.school))
    ).all()
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        assignment_form=AssignmentForm(),
        assignments=assignments,
        open_tickets=len(school_service.open_tickets_of(user)),
        api_tokens=db.session.scalars(api_tokens.tokens_of(user)).all(),
    )


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
def token_revoke(user_id: int, token_id: int) -> Response:
    """Revoke an API token of an account in my scope (it stops working at once)."""
    user = user_service.get_administered(_me(), user_id)
    token = api_tokens.revoke(_me(), token_id)
    if token.user_id != user.id:
        abort(404)
    db.session.commit()
    flash(_("The token “%(name)s” was revoked.", name=token.name), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id, _anchor="api-tokens"))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
def user_disable(user_id: int) -> Response:
    """Disable an account: every session it has ends at once."""
    user = user_service.get_administered(_me(), user_id)
    user_service.set_active(_me(), user, False)
    db.session.commit()
    flash(_("%(name)s is disabled and signed out everywhere.", name=user.name), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
def user_enable(user_id: int) -> Response:
    """Enable a disabled account again."""
    user = user_service.get_administered(_me(), user_id)
    user_service.set_active(_me(), user, True)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=user.name), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/link", methods=["POST"])
@limiter.limit(limits.ADMIN_LINKS_PER_ADMIN, key_func=limits.current_account_key)
def user_link(user_id: int) -> str:
    """A fresh one-time link to set the password (e-mailed when mail is configured)."""
    user = user_service.get_administered(_me(), user_id)
    link = user_service.send_link(_me(), user)
    db.session.commit()
    return _show_link(user, link)


@bp.route("/users/<int:user_id>/assignments", methods=["POST"])
def assignment_add(user_id: int) -> Response:
    """Give a facilitator a school (by NPSN) in the administrator's scope."""
    user = user_service.get_administered(_me(), user_id)
    form = AssignmentForm()
    if form.validate_on_submit():
        npsn = school_service.normalise_npsn(form.npsn.data)
        school = db.session.execute(
            permissions.administered_schools(_me()).where(School.npsn == npsn)
        ).scalar_one_or_none()
        if school is None:
            flash(_("No school with NPSN %(npsn)s in your province.", npsn=npsn), "error")
        else:
            school_service.add_assignment(_me(), user, school)
            db.session.commit()
            flash(_("%(school)s was assigned.", school=school.name), "info")
    else:
        flash(_("Enter an NPSN of 8 characters."), "error")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/assignments/<int:school_id>/remove", methods=["POST"])
def assignment_remove(user_id: int, school_id: int) -> Response:
    """Take a school away from a facilitator."""
    user = user_service.get_administered(_me(), user_id)
    school = school_service.get_administered(_me(), school_id)
    school_service.remove_assignment(_me(), user, school)
    db.session.commit()
    flash(_("%(school)s is no longer assigned.", school=school.name), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/hand-over", methods=["GET", "POST"])
def hand_over(user_id: int) -> Response | str:
    """Hand a departing facilitator's open tickets to each school's current facilitator."""
    user = user_service.get_administered(_me(), user_id)
    form = HandOverForm()
    if form.validate_on_submit():
        report = school_service.hand_over_all(_me(), user, note=form.note.data)
        db.session.commit()
        return render_template("admin/hand_over_done.html", user=user, report=report)
    plan = [
        (t, school_service.current_facilitators(t.school_id, excluding=user.id))
        for t in school_service.open_tickets_of(user)
    ]
    return render_template("admin/hand_over.html", user=user, form=form, plan=plan)


# --- Schools ----------------------------------------------------------------------------------


@bp.route("/schools")
def schools() -> str:
    """Schools in the administrator's scope, searchable by NPSN or name."""
    q = request.args.get("q", "").strip()
    query = permissions.administered_schools(_me()).options(joinedload(School.district))
    if q:
        pattern = _search(q.lower())
        query = query.where(or_(School.npsn == q.upper(), func.lower(School.name).like(pattern)))
    pagination = db.paginate(
        query.order_by(School.district_code, School.name, School.id),
        page=_page(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template("admin/schools.html", pagination=pagination, q=q)


def _school_data(form: SchoolForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "level": form.level.data or "",
        "status": form.status.data or None,
        "cohort": form.cohort.data,
        "district_code": form.district_code.data or "",
    }


@bp.route("/schools/new", methods=["GET", "POST"])
def school_new() -> Response | str:
    """Add a school."""
    form = SchoolForm()
    if form.validate_on_submit():
        school = school_service.create_school(
            _me(), npsn=form.npsn.data or "", **_school_data(form)
        )
        db.session.commit()
        flash(_("The school was added."), "info")
        return redirect(url_for("admin.school_edit", school_id=school.id))
    return render_template("admin/school_form.html", form=form, school=None)


@bp.route("/schools/<int:school_id>", methods=["GET", "POST"])
def school_edit(school_id: int) -> Response | str:
    """Change a school's details."""
    school = school_service.get_administered(_me(), school_id)
    form = SchoolForm(obj=school)
    form.npsn.data = school.npsn
    if not form.is_submitted():
        form.status.data = school.status or ""
    if form.validate_on_submit():
        school_service.update_school(_me(), school, **_school_data(form))
        db.session.commit()
        flash(_("The school was saved."), "info")
        return redirect(url_for("admin.school_edit", school_id=school.id))
    facilitators = db.session.scalars(
        select(User)
        .join(SchoolAssignment, SchoolAssignment.facilitator_id == User.id)
        .where(SchoolAssignment.school_id == school.id)
    ).all()
    return render_template(
        "admin/school_form.html", form=form, school=school, facilitators=facilitators
    )


@bp.route("/schools/<int:school_id>/<any(activate, deactivate):action>", methods=["POST"])
def school_active(school_id: int, action: str) -> Response:
    """Deactivate a school (no new tickets) or bring it back."""
    school = school_service.get_administered(_me(), school_id)
    school_service.set_school_active(_me(), school, action == "activate")
    db.session.commit()
    flash(_("The school was saved."), "info")
    return redirect(url_for("admin.school_edit", school_id=school.id))


# --- Categories -------------------------------------------------------------------------------


@bp.route("/categories", methods=["GET", "POST"])
def categories() -> Response | str:
    """Categories and subcategories; only national administrators change them."""
    top = db.session.scalars(
        select(Category)
        .where(Category.parent_id.is_(None))
        .order_by(Category.kind, Category.position)
    ).all()
    form = CategoryForm()
    form.parent.choices = [
        ("academic", _("New academic category")),
        ("non_academic", _("New non-academic category")),
    ] + [(str(c.id), c.label(str(_me().locale))) for c in top]
    if form.validate_on_submit():
        choice = form.parent.data or ""
        parent_id = bounded_int(choice, minimum=1)
        parent = db.session.get(Category, parent_id) if parent_id is not None else None
        if choice not in ("academic", "non_academic") and (
            parent is None or parent.parent_id is not None
        ):
            raise NotFound(_l("Category not found."))
        school_service.add_category(
            _me(), name_id=form.name_id.data or "", name_en=form.name_en.data or "",
            kind=None if parent else choice, parent=parent,
        )  # fmt: skip
        db.session.commit()
        flash(_("The category was added."), "info")
        return redirect(url_for("admin.categories"))
    return render_template(
        "admin/categories.html",
        top=top,
        form=form,
        can_manage=permissions.can_manage_categories(_me()),
    )


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category_edit(category_id: int) -> Response | str:
    """Rename a category."""
    category = db.get_or_404(Category, category_id)
    form = RenameForm(obj=category)
    if form.validate_on_submit():
        school_service.rename_category(
            _me(), category, name_id=form.name_id.data or "", name_en=form.name_en.data or ""
        )
        db.session.commit()
        flash(_("The category was saved."), "info")
        return redirect(url_for("admin.categories"))
    return render_template("admin/category_edit.html", category=category, form=form)


@bp.route("/categories/<int:category_id>/<any(activate, deactivate):action>", methods=["POST"])
def category_active(category_id: int, action: str) -> Response:
    """Stop offering a category for new tickets, or bring it back."""
    category = db.get_or_404(Category, category_id)
    school_service.set_category_active(_me(), category, action == "activate")
    db.session.commit()
    flash(_("The category was saved."), "info")
    return redirect(url_for("admin.categories"))


# --- Imports ----------------------------------------------------------------------------------


def _import_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_abandoned_uploads() -> None:
    """Uploads never confirmed are removed after a day, so the folder does not grow forever."""
    limit = time.time() - 24 * 3600
    for stale in _import_folder().iterdir():
        if stale.is_file() and stale.stat().st_mtime < limit:
            stale.unlink(missing_ok=True)


def _pending(key: str) -> tuple[dict[str, str], Path]:
    """The upload this browser session made under ``key``; 404 for anyone else's."""
    entry = session.get(_SESSION_KEY, {}).get(key)
    if not entry:
        abort(404)
    path = _import_folder() / f"{key}.json"
    if not path.exists():
        abort(404)
    return entry, path


@bp.route("/imports", methods=["GET", "POST"])
def import_upload() -> Response | str:
    """Upload a file; it is kept aside and checked, nothing is written yet."""
    form = ImportForm()
    if form.validate_on_submit():
        _forget_abandoned_uploads()
        upload = form.file.data
        ext = Path(upload.filename or "").suffix.lower()
        key = secrets.token_urlsafe(16)
        raw = _import_folder() / f"{key}{ext}"
        upload.save(raw)
        try:
            # Parsed once, within the limits; preview and confirm read the staged rows.
            imports.stage(form.kind.data or "", raw, _import_folder() / f"{key}.json")
        finally:
            raw.unlink(missing_ok=True)
        pending = dict(session.get(_SESSION_KEY, {}))
        pending[key] = {"kind": form.kind.data, "ext": ext, "name": upload.filename or key}
        session[_SESSION_KEY] = pending
        return redirect(url_for("admin.import_preview", key=key))
    return render_template("admin/import_upload.html", form=form)


@bp.route("/imports/<key>")
def import_preview(key: str) -> str:
    """Every bad row with its line and reason, and what would change; confirm to write."""
    entry, path = _pending(key)
    kind, rows, problem = imports.load_staged(path)
    result = imports.validate_rows(kind, rows, problem, actor=_me())
    return render_template("admin/import_preview.html", entry=entry, key=key, result=result)


@bp.route("/imports/<key>/confirm", methods=["POST"])
def import_confirm(key: str) -> str:
    """Check the file again and write every valid row in one transaction."""
    entry, path = _pending(key)
    kind, rows, problem = imports.load_staged(path)
    result = imports.validate_rows(kind, rows, problem, actor=_me())
    if not result.file_error:
        imports.apply(result, actor=_me(), filename=entry["name"])
    db.session.commit()
    pending = dict(session.get(_SESSION_KEY, {}))
    pending.pop(key, None)
    session[_SESSION_KEY] = pending
    path.unlink(missing_ok=True)
    return render_template("admin/import_done.html", entry=entry, result=result)


# --- The log ----------------------------------------------------------------------------------


@bp.route("/log")
def log() -> str:
    """Every administrative change in the administrator's scope, newest first."""
    query = (
        permissions.visible_admin_log(_me())
        .options(joinedload(AdminLogEntry.actor))
        .order_by(AdminLogEntry.id.desc())
    )
    pagination = db.paginate(query, page=_page(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("admin/log.html", pagination=pagination)
