"""Set a password through a one-time link, ask for a reset link, change the password."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from ticketing.account import bp
from ticketing.account.forms import ChangePasswordForm, ForgotForm, SetPasswordForm
from ticketing.auth import limits
from ticketing.auth.access import public
from ticketing.auth.views import sign_in
from ticketing.errors import InvalidInput
from ticketing.extensions import db, limiter
from ticketing.services import sessions, tokens
from ticketing.services import users as user_service


def _use_link(token: str, purpose: str) -> Response | tuple[str, int] | str:
    """The shared page behind both kinds of link."""
    try:
        user = tokens.read_token(token, purpose)
    except tokens.InvalidToken as exc:
        return render_template("account/link_invalid.html", expired=exc.expired), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user_service.use_link(token, purpose, form.password.data or "")
        except InvalidInput as exc:
            form.password.errors.append(exc.text)
        else:
            db.session.commit()
            flash(_("Your password is set. Please sign in."), "info")
            return redirect(url_for("auth.login"))
    return render_template("account/set_password.html", form=form, user=user, purpose=purpose)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@limiter.limit(limits.LINK_PER_ADDRESS, methods=["POST"])
@limiter.limit(limits.LINK_PER_TOKEN, methods=["POST"], key_func=limits.token_key)
@public
def welcome(token: str) -> Response | tuple[str, int] | str:
    """First sign-in: the new user chooses a password through the link they were given."""
    return _use_link(token, tokens.INVITE)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(limits.LINK_PER_ADDRESS, methods=["POST"])
@limiter.limit(limits.LINK_PER_TOKEN, methods=["POST"], key_func=limits.token_key)
@public
def reset(token: str) -> Response | tuple[str, int] | str:
    """Choose a new password through a reset link."""
    return _use_link(token, tokens.RESET)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
@limiter.limit(limits.FORGOT_PER_ACCOUNT, methods=["POST"], key_func=limits.forgot_account_key)
@public
def forgot() -> Response | str:
    """Ask for a reset link; the answer never says whether the address is known."""
    form = ForgotForm()
    if form.validate_on_submit():
        user_service.request_reset(form.email.data or "")
        db.session.commit()
        flash(
            _(
                "If an active account uses this address, a link to choose a new password is on"
                " its way. No e-mail? Ask your administrator for a link."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("account/forgot.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(
    limits.PASSWORD_CHANGE_PER_ACCOUNT,
    methods=["POST"],
    key_func=limits.current_account_key,
    deduct_when=limits.failed,
)
def password() -> Response | str:
    """Change my password; my other sessions end, this one continues."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            user_service.change_password(
                me, current=form.current.data or "", new=form.password.data or ""
            )
        except InvalidInput as exc:
            field = form.current if exc.details.get("field") == "current" else form.password
            field.errors = [*field.errors, exc.text]
        else:
            sign_in(me)  # every session ended: this browser gets a new one
            db.session.commit()
            flash(_("Your password was changed; your other sessions were signed out."), "info")
            return redirect(url_for("tickets.index"))
    return render_template("account/password.html", form=form)


@bp.route("/sessions")
def device_sessions() -> str:
    """Where I am signed in: each device, when it was last used; end one or all others."""
    me = current_user._get_current_object()
    rows = sessions.for_user(me)
    return render_template(
        "account/sessions.html",
        rows=[(row, sessions.describe_device(row.user_agent)) for row in rows],
        current_id=me.device_session_id,
    )


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
def device_session_end(session_id: int) -> Response:
    """End one of my sessions; ending this one signs this browser out."""
    me = current_user._get_current_object()
    sessions.revoke(me, session_id)
    db.session.commit()
    if session_id == me.device_session_id:
        logout_user()
        flash(_("You have signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("That device was signed out."), "info")
    return redirect(url_for("account.device_sessions"))


@bp.route("/sessions/end-others", methods=["POST"])
def device_sessions_end_others() -> Response:
    """Sign out every other device; this one stays signed in."""
    me = current_user._get_current_object()
    sessions.revoke_all(me, keep=me.device_session_id)
    db.session.commit()
    flash(_("Every other device was signed out."), "info")
    return redirect(url_for("account.device_sessions"))
