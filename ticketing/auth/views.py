"""Sign in, sign out, choose the language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ticketing.auth import bp, limits
from ticketing.auth.access import public, require_login
from ticketing.auth.forms import LoginForm
from ticketing.extensions import db, limiter
from ticketing.models import User
from ticketing.services import sessions
from ticketing.services import users as user_service

bp.before_app_request(require_login)


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site after signing in."""
    # Browsers read a backslash as "/" and drop tabs and newlines: "/\\evil.example" and
    # "/\t/evil.example" lead to another host, so anything but a plain path is refused.
    if target and "\\" not in target and target.isprintable():
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("tickets.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.LOGIN_PER_ADDRESS, methods=["POST"], deduct_when=limits.failed)
@limiter.limit(
    limits.LOGIN_PER_ACCOUNT_AND_ADDRESS,
    methods=["POST"],
    key_func=limits.login_account_address_key,
    deduct_when=limits.failed,
)
@limiter.limit(
    limits.LOGIN_PER_ACCOUNT,
    methods=["POST"],
    key_func=limits.login_account_key,
    exempt_when=limits.is_known_address,
    deduct_when=limits.failed,
)
@public
def login() -> Response | str:
    """The sign-in form."""
    if current_user.is_authenticated:
        return redirect(url_for("tickets.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = user_service.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password, or the account is disabled."))
        else:
            sign_in(user, remember=bool(form.remember.data))
            db.session.commit()
            limits.remember_address(user.email)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _fresh_session() -> None:
    """Drop what the browser's session held (identity, CSRF secret) but language and kept text."""
    from ticketing.stash import SESSION_KEY as STASH

    # The language, and the text of a form sent after the session ended (ticketing/stash.py),
    # which is put back into that form once the person has signed in again.
    kept = {key: session[key] for key in ("lang", STASH) if session.get(key)}
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token of this request here
    session.update(kept)


def sign_in(user: User, *, remember: bool = False) -> None:
    """A new device session and a fresh browser session (new id, new CSRF secret)."""
    _fresh_session()
    sessions.start(user, user_agent=request.user_agent.string, ip_address=request.remote_addr or "")
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out of this device: its session ends (the account page ends the others)."""
    me = current_user._get_current_object()
    if me.device_session_id is not None:
        sessions.end(me, me.device_session_id)
    db.session.commit()
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
@public
def set_language(code: str) -> Response:
    """Switch the interface language (remembered on the account when signed in)."""
    if code in ("id", "en"):
        session["lang"] = code
        if current_user.is_authenticated:
            user_service.set_locale(current_user._get_current_object(), code)
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
