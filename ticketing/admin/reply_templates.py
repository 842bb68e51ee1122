"""Reply templates ("jawaban siap pakai") of a province, kept by its administrators."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ticketing import permissions
from ticketing.admin import bp
from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.forms import Form
from ticketing.models import Province, User
from ticketing.models.worklist import TEMPLATE_TITLE_MAX
from ticketing.services import reply_templates as template_service
from ticketing.services.tickets import TEXT_MAX


class TemplateForm(Form):
    """A template's title and text."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TEMPLATE_TITLE_MAX)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=TEXT_MAX)])


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _province() -> Province:
    """The province whose templates are shown: the admin's own, or ?province= (national)."""
    user = _me()
    code = user.province_code or request.args.get("province", "35")
    province = db.session.get(Province, str(code)[:2])
    if province is None or not permissions.can_manage_reply_templates(user, province.code):
        abort(404)
    return province


@bp.route("/templates", methods=["GET", "POST"])
def reply_templates() -> Response | str | tuple[str, int]:
    """The province's templates, and a form to add one."""
    province = _province()
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template_service.create(
                _me(), province.code, title=form.title.data or "", body=form.body.data or ""
            )
            db.session.commit()
        except InvalidInput as exc:
            db.session.rollback()
            form.form_errors.append(exc.text)
        else:
            flash(_("The template was saved."), "info")
            return redirect(url_for("admin.reply_templates", province=province.code))
    rows = list(db.session.scalars(template_service.of_province(province.code)))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/reply_templates.html", province=province, rows=rows, form=form
    ), status


@bp.route("/templates/<int:template_id>", methods=["POST"])
def reply_template_edit(template_id: int) -> Response:
    """Change a template's title and text."""
    row = template_service.get(_me(), template_id)
    form = TemplateForm()
    if form.validate_on_submit():
        template_service.update(_me(), row, title=form.title.data or "", body=form.body.data or "")
        db.session.commit()
        flash(_("The template was saved."), "info")
    else:
        flash(_("Give the template a title and a text."), "error")
    return redirect(url_for("admin.reply_templates", province=row.province_code))


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
def reply_template_delete(template_id: int) -> Response:
    """Remove a template."""
    row = template_service.get(_me(), template_id)
    code = row.province_code
    form = Form()
    if not form.validate_on_submit():
        abort(400)
    template_service.delete(_me(), row)
    db.session.commit()
    flash(_("The template was removed."), "info")
    return redirect(url_for("admin.reply_templates", province=code))
