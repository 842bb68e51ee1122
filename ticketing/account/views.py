"""Set a password through a one-time link, ask for a reset link, change the password."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from ticketing.account import bp
from ticketing.account.forms import (
    ChangePasswordForm,
    ForgotForm,
    RevokeForm,
    SetPasswordForm,
    TokenForm,
)
from ticketing.auth import limits
from ticketing.auth.access import public
from ticketing.auth.views import sign_in
from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.extensions import db, limiter
from ticketing.services import api_tokens, sessions, tokens
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


@bp.route("/tokens", methods=["GET", "POST"])
def tokens_page() -> Response | str | tuple[str, int]:
    """My personal access tokens for the API: create (shown once), list, revoke."""
    me = current_user._get_current_object()
    form = TokenForm()
    secret = None
    status = 200
    if form.validate_on_submit():
        days = int(form.expires.data or 0) or None
        try:
            _token, secret = api_tokens.create(me, form.name.data or "", days)
        except InvalidInput as exc:
            form.name.errors = [*form.name.errors, exc.text]
            status = 400
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 400
    rows = db.session.scalars(api_tokens.tokens_of(me)).all()
    page = render_template(
        "account/tokens.html", form=form, secret=secret, tokens=rows, revoke_form=RevokeForm(),
        now=utcnow(),
    )  # fmt: skip
    if secret is not None:
        # The secret is in this page only: never cached, never in a flash message (cookie).
        response = make_response(page)
        response.headers["Cache-Control"] = "no-store"
        return response
    return page, status


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def token_revoke(token_id: int) -> Response:
    """Revoke one of my tokens: it stops working at once."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = api_tokens.revoke(current_user._get_current_object(), token_id)
    db.session.commit()
    flash(_("The token “%(name)s” was revoked.", name=token.name), "info")
    return redirect(url_for("account.tokens_page"))


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
