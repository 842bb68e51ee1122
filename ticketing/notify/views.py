"""Notification list, mark as read, e-mail preference; SLA settings for administrators."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ticketing import permissions, sla
from ticketing.extensions import db
from ticketing.models import Category, Province
from ticketing.notify import bp
from ticketing.notify.forms import DayOffForm, EmailSettingsForm, EmptyForm, PolicyForm
from ticketing.params import page_number
from ticketing.services import notifications as notification_service
from ticketing.services import sla_settings


@bp.route("/notifications")
def index() -> str:
    """The signed-in user's notifications, newest first, with the e-mail setting."""
    # Bounded: a huge page number would overflow the OFFSET (past the last page is a 404).
    page = page_number(request.args.get("page"))
    pagination = db.paginate(
        notification_service.for_user(current_user),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
    )
    settings = EmailSettingsForm(
        email_notifications=current_user.email_notifications,
        email_digest=current_user.email_digest,
    )
    return render_template(
        "notify/index.html",
        pagination=pagination,
        settings=settings,
        action_form=EmptyForm(),
        groups=notification_service.unread_groups(current_user) if page == 1 else [],
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int) -> Response:
    """Mark one notification as read; optionally go on to its ticket."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    row = notification_service.mark_read(current_user, notification_id)
    db.session.commit()
    if request.form.get("open") and row.ticket_id is not None:
        return redirect(f"/tickets/{row.ticket_id}")
    return redirect(url_for("notify.index", page=page_number(request.args.get("page"))))


@bp.route("/notifications/read-all", methods=["POST"])
def mark_all_read() -> Response:
    """Mark every notification as read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = notification_service.mark_all_read(current_user)
    db.session.commit()
    flash(_("%(count)d notifications marked as read.", count=count), "success")
    return redirect(url_for("notify.index"))


@bp.route("/notifications/read-kind/<kind>", methods=["POST"])
def mark_kind_read(kind: str) -> Response:
    """Mark a whole group (every unread notification of one kind) as read."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = notification_service.mark_kind_read(current_user, kind[:40])
    db.session.commit()
    flash(_("%(count)d notifications marked as read.", count=count), "success")
    return redirect(url_for("notify.index"))


@bp.route("/notifications/settings", methods=["POST"])
def settings() -> Response:
    """Turn notification e-mails on or off."""
    form = EmailSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    notification_service.set_email_notifications(
        current_user, form.email_notifications.data, digest=form.email_digest.data
    )
    db.session.commit()
    if form.email_notifications.data:
        flash(_("You will receive notifications by e-mail."), "success")
    else:
        flash(_("E-mail notifications are off; you still see them here."), "success")
    return redirect(url_for("notify.index"))


def _province_for_settings() -> Province:
    code = request.args.get("province") or current_user.province_code
    if code is None:  # a national administrator without a choice yet
        code = db.session.scalars(select(Province.code).order_by(Province.code)).first()
    province = db.session.get(Province, code) if code else None
    if province is None:
        abort(404)
    if not permissions.can_administer(current_user, province.code):
        # Another province's settings are out of an administrator's scope: not found.
        abort(404 if permissions.is_administrator(current_user) else 403)
    return province


def _category_choices() -> list[tuple[int, Any]]:
    locale = str(current_user.locale or "id")
    rows = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(
        Category.kind, Category.position, Category.id))  # fmt: skip
    return [(0, _("All categories"))] + [(c.id, c.label(locale)) for c in rows]


@bp.route("/sla-settings", methods=["GET", "POST"])
def sla_settings_page() -> Any:
    """Deadlines and extra days off of a province (administrators)."""
    province = _province_for_settings()
    policy_form = PolicyForm(prefix="policy")
    policy_form.category_id.choices = _category_choices()
    day_form = DayOffForm(prefix="dayoff")
    if request.method == "POST":
        if "policy-state" in request.form and policy_form.validate_on_submit():
            sla_settings.set_policy(
                current_user,
                province.code,
                policy_form.state.data,
                policy_form.working_days.data,
                category_id=policy_form.category_id.data or None,
            )
            db.session.commit()
            flash(_("Deadline saved. It applies to tickets entering the state from now on."),
                  "success")  # fmt: skip
            return redirect(url_for("notify.sla_settings_page", province=province.code))
        if "dayoff-day" in request.form and day_form.validate_on_submit():
            assert day_form.day.data is not None
            sla_settings.add_day_off(current_user, province.code, day_form.day.data,
                                     day_form.name.data or "")  # fmt: skip
            db.session.commit()
            flash(_("Day off added."), "success")
            return redirect(url_for("notify.sla_settings_page", province=province.code))
    provinces = (
        list(db.session.scalars(select(Province).order_by(Province.code)))
        if current_user.is_national
        else []
    )
    return render_template(
        "notify/sla_settings.html",
        province=province,
        provinces=provinces,
        effective=sla_settings.effective_days(province.code),
        defaults=sla.DEFAULT_DAYS,
        policies=sla_settings.policies(province.code),
        days_off=sla_settings.days_off(province.code),
        policy_form=policy_form,
        day_form=day_form,
        action_form=EmptyForm(),
    ), (400 if request.method == "POST" else 200)


@bp.route("/sla-settings/days-off/<int:day_off_id>/delete", methods=["POST"])
def delete_day_off(day_off_id: int) -> Response:
    """Remove an extra day off."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    province = request.args.get("province")
    sla_settings.remove_day_off(current_user, day_off_id)
    db.session.commit()
    flash(_("Day off removed."), "success")
    return redirect(url_for("notify.sla_settings_page", province=province))
