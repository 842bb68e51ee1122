"""Accounts: create, authenticate, passwords, sessions."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ticketing.clock import utcnow
from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import (
    ADMIN,
    DISTRICT_PMO,
    FACILITATOR,
    PROVINCE_PMO,
    ROLES,
    District,
    Province,
    User,
)
from ticketing.models.user import new_session_token

PASSWORD_MIN_LENGTH = 8
# A dummy hash so that unknown e-mails take as long as wrong passwords.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    """Validate an address and return it in lower case, or raise InvalidInput."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput("The e-mail address is not valid.", field="email") from exc


def check_password_strength(password: str) -> None:
    """At least 8 characters and not a commonly used password."""
    from ticketing.services.common_passwords import is_common

    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput("The password must have at least 8 characters.", field="password")
    if is_common(password):
        raise InvalidInput(
            "This password is too common; choose one that is harder to guess.", field="password"
        )


def set_password(user: User, password: str) -> None:
    """Hash and store a new password, ending every existing session."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Rotate the session token: every signed-in browser of this user is signed out."""
    user.session_token = new_session_token()


def set_locale(user: User, locale: str) -> None:
    """Remember the user's interface language."""
    if locale not in ("id", "en"):
        raise InvalidInput("Unknown language.", field="locale")
    user.locale = locale


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def resolve_scope(role: str, region_code: str | None) -> tuple[str | None, str | None]:
    """Turn a role and a region code into (province_code, district_code), or raise."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    code = (region_code or "").strip() or None
    if role in (FACILITATOR, DISTRICT_PMO):
        district = db.session.get(District, code) if code else None
        if district is None:
            raise InvalidInput("This role needs a valid district code.", field="region")
        return district.province_code, district.code
    if role == PROVINCE_PMO or (role == ADMIN and code):
        province = db.session.get(Province, code) if code else None
        if province is None:
            raise InvalidInput("This role needs a valid province code.", field="region")
        return province.code, None
    return None, None


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    region_code: str | None,
    password: str | None = None,
    locale: str = "id",
) -> User:
    """Create an account; without a password the user sets one through a one-time link."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput("The name is required.", field="name")
    exists = db.session.execute(select(User.id).where(User.email == email)).first()
    if exists:
        raise InvalidInput("A user with this e-mail already exists.", field="email")
    province_code, district_code = resolve_scope(role, region_code)
    user = User(
        email=email,
        name=name,
        role=role,
        province_code=province_code,
        district_code=district_code,
        locale=locale,
    )
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user
