"""Accounts: create, authenticate, passwords, sessions."""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ticketing import field_rules, permissions
from ticketing.clock import utcnow
from ticketing.errors import InvalidInput, NotFound
from ticketing.extensions import db
from ticketing.models import (
    ROLES,
    District,
    Province,
    User,
)
from ticketing.models.user import new_session_token
from ticketing.vocabulary import ROLE_SCOPE, TIER_ROLE, Role, Scope, Tier
from ticketing.vocabulary import ROLE_WORDS as VOCAB_ROLE_WORDS

PASSWORD_MIN_LENGTH = 8
# A dummy hash so that unknown e-mails take as long as wrong passwords.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    """Validate an address and return it in lower case, or raise InvalidInput."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(_l("The e-mail address is not valid."), field="email") from exc


def check_password_strength(password: str) -> None:
    """At least 8 characters and not a commonly used password."""
    from ticketing.services.common_passwords import is_common

    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(_l("The password must have at least 8 characters."), field="password")
    if is_common(password):
        raise InvalidInput(
            _l("This password is too common; choose one that is harder to guess."), field="password"
        )


def set_password(user: User, password: str) -> None:
    """Hash and store a new password, ending every existing session."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every device session ends, open one-time links expire."""
    from ticketing.services import sessions

    user.session_token = new_session_token()
    if user.id is not None:
        sessions.revoke_all(user)


def set_locale(user: User, locale: str) -> None:
    """Remember the user's interface language."""
    if locale not in ("id", "en"):
        raise InvalidInput(_l("Unknown language."), field="locale")
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
        raise InvalidInput(_l("Unknown role %(role)s.", role=repr(role)), field="role")
    code = (region_code or "").strip() or None
    scope = ROLE_SCOPE[Role(role)]
    if scope == Scope.DISTRICT:
        district = db.session.get(District, code) if code else None
        if district is None:
            raise InvalidInput(_l("This role needs a valid district code."), field="region")
        return district.province_code, district.code
    if scope == Scope.NATIONAL:
        if code:
            raise InvalidInput(
                _l("This role works for the whole country: leave the region empty."),
                field="region",
            )
        return None, None
    if scope == Scope.PROVINCE or (scope == Scope.PROVINCE_OR_NATIONAL and code):
        province = db.session.get(Province, code) if code else None
        if province is None:
            raise InvalidInput(_l("This role needs a valid province code."), field="region")
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
    problem = field_rules.user_name(name)
    if problem is not None:
        raise InvalidInput(problem, field="name")
    exists = db.session.execute(select(User.id).where(User.email == email)).first()
    if exists:
        raise InvalidInput(_l("A user with this e-mail already exists."), field="email")
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


# --- Administration ---------------------------------------------------------------------------

# The words people write in the "peran" column: vocabulary.ROLE_WORDS.
ROLE_WORDS = VOCAB_ROLE_WORDS


def parse_role(word: str | None) -> str | None:
    """The internal role for a word such as 'Fasilitator' or 'pmo_kabupaten', or None."""
    key = " ".join((word or "").strip().lower().replace("_", " ").replace("-", " ").split())
    key = key.replace(" / ", "/")
    return ROLE_WORDS.get(key)


def _authorise(actor: User | None, province_code: str | None) -> None:
    """Refuse (as not found) anything outside the administrator's province; None = the CLI."""
    if actor is not None and not permissions.can_administer(actor, province_code):
        raise NotFound(_l("Not found."))


def _may_manage(actor: User | None, user: User) -> None:
    """Administrators' accounts are for national administrators only (404 for the others)."""
    from ticketing import permissions

    if actor is None or user.role != Role.ADMIN or actor.id == user.id:
        return  # (their own account: the rules of update_user and set_active apply)
    if not permissions.can_manage_administrators(actor):
        raise NotFound(_l("User not found."))


def _may_give_role(actor: User | None, role: str) -> None:
    """Only a national administrator makes someone an administrator."""
    from ticketing import permissions

    if (
        actor is not None
        and role == Role.ADMIN
        and not permissions.can_manage_administrators(actor)
    ):
        raise InvalidInput(
            _l("Only a national administrator can create administrators."), field="role"
        )


def get_administered(actor: User, user_id: int) -> User:
    """Load an account through the administrator's scope; NotFound outside it."""
    user = db.session.execute(
        permissions.administered_users(actor).where(User.id == user_id)
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(_l("User not found."))
    return user


def _check_fields(role: str, fields: Sequence[int] | None) -> None:
    """Fields of expertise belong to experts only."""
    if fields and role != Role.EXPERT:
        raise InvalidInput(_l("Only experts have fields of expertise."), field="fields")


def admin_create_user(
    actor: User | None, *, email: str, name: str, role: str, region_code: str | None,
    fields: Sequence[int] | None = None,
) -> tuple[User, str]:  # fmt: skip
    """Create an account without a password; returns it and its one-time sign-in link.

    ``fields``: an expert's fields of expertise (category ids).
    """
    from ticketing.services import admin_log, tokens
    from ticketing.services.consultations import set_fields

    _may_give_role(actor, role)
    _check_fields(role, fields)
    province_code, _district = resolve_scope(role, region_code)
    if actor is not None and not permissions.can_administer(actor, province_code):
        raise InvalidInput(_l("You can only create accounts in your own province."), field="region")
    user = create_user(email=email, name=name, role=role, region_code=region_code)
    if fields:
        set_fields(user, fields)
    admin_log.record(
        actor,
        "user_create",
        target_type="user",
        target_id=user.id,
        province_code=user.province_code,
        after=admin_log.user_snapshot(user),
    )
    return user, tokens.queue_link(user, tokens.INVITE)


def update_user(
    actor: User | None, user: User, *, name: str, role: str, region_code: str | None,
    fields: Sequence[int] | None = None,
) -> User:  # fmt: skip
    """Change an account's name, role and scope (both old and new scope must be the actor's).

    ``fields``: an expert's fields of expertise (category ids), replacing the old ones; None
    keeps them. An account that stops being an expert loses its fields.
    """
    from ticketing.services import admin_log
    from ticketing.services.consultations import clear_fields, set_fields
    from ticketing.services.schools import drop_misplaced_assignments

    _authorise(actor, user.province_code)
    _may_manage(actor, user)
    _may_give_role(actor, role)
    _check_fields(role, fields)
    province_code, district_code = resolve_scope(role, region_code)
    if actor is not None and not permissions.can_administer(actor, province_code):
        raise InvalidInput(_l("You can only give scopes in your own province."), field="region")
    if actor is not None and actor.id == user.id and role != user.role:
        raise InvalidInput(_l("You cannot change your own role."), field="role")
    name = name.strip()
    problem = field_rules.user_name(name)
    if problem is not None:
        raise InvalidInput(problem, field="name")
    before = admin_log.user_snapshot(user)
    user.name, user.role = name, role
    user.province_code, user.district_code = province_code, district_code
    db.session.flush()
    if role != Role.EXPERT:
        clear_fields(user)
    elif fields is not None:
        set_fields(user, fields)
    after = admin_log.user_snapshot(user)
    # A facilitator supports schools of their own district only: a move to another district
    # or role must not leave them raising and reading tickets where they no longer work.
    removed = drop_misplaced_assignments(facilitator_id=user.id)
    if removed:
        after["schools_removed"] = sorted(npsn for _email, npsn in removed)
    if before != after:
        admin_log.record(
            actor, "user_update", target_type="user", target_id=user.id,
            province_code=user.province_code or before["province_code"],
            before=before, after=after,
        )  # fmt: skip
    db.session.flush()
    return user


def set_active(actor: User | None, user: User, active: bool) -> User:
    """Disable (ending every session at once) or enable an account."""
    from ticketing.services import admin_log

    _authorise(actor, user.province_code)
    _may_manage(actor, user)
    if actor is not None and actor.id == user.id and not active:
        raise InvalidInput(_l("You cannot disable your own account."))
    if user.active == active:
        return user
    before = admin_log.user_snapshot(user)
    user.active = active
    if not active:
        end_sessions(user)
        from ticketing.services import api_tokens

        api_tokens.revoke_all(user, actor)
    admin_log.record(
        actor, "user_enable" if active else "user_disable", target_type="user",
        target_id=user.id, province_code=user.province_code,
        before=before, after=admin_log.user_snapshot(user),
    )  # fmt: skip
    db.session.flush()
    return user


def send_link(actor: User | None, user: User) -> str:
    """A fresh sign-in link for an account (invitation if no password yet, else a reset)."""
    from ticketing.services import admin_log, tokens

    _authorise(actor, user.province_code)
    _may_manage(actor, user)
    if not user.active:
        raise InvalidInput(_l("The account is disabled; enable it first."))
    purpose = tokens.INVITE if not user.password_hash else tokens.RESET
    link = tokens.queue_link(user, purpose)
    admin_log.record(
        actor, "user_send_link", target_type="user", target_id=user.id,
        province_code=user.province_code, after={"purpose": purpose},
    )  # fmt: skip
    return link


def change_password(user: User, *, current: str, new: str) -> None:
    """A signed-in user changes their password; every other session ends."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise InvalidInput(_l("The current password is wrong."), field="current")
    set_password(user, new)


def request_reset(email: str) -> None:
    """Queue a reset link if an active account has this e-mail; silent either way."""
    from ticketing.services import tokens

    try:
        address = normalise_email(email)
    except InvalidInput:
        return
    user = db.session.execute(select(User).where(User.email == address)).scalar_one_or_none()
    if user is None or not user.active or not tokens.mail_configured():
        return
    tokens.queue_link(user, tokens.RESET)


def use_link(token: str, purpose: str, password: str) -> User:
    """Set the password through a one-time link; the link dies with the old password."""
    from ticketing.services import tokens

    user = tokens.read_token(token, purpose)
    set_password(user, password)
    return user


def active_officers(
    *, district_code: str | None = None, province_code: str | None = None, central: bool = False
) -> list[User]:
    """Active officers of a district, of a province, or of the central PMO (``central``)."""
    if central:
        scope = User.role == TIER_ROLE[Tier.CENTRAL]
    elif district_code is not None:
        scope = (User.role == TIER_ROLE[Tier.DISTRICT]) & (User.district_code == district_code)
    elif province_code is not None:
        scope = (User.role == TIER_ROLE[Tier.PROVINCE]) & (User.province_code == province_code)
    else:
        raise ValueError("give a district or a province")
    return list(
        db.session.scalars(select(User).where(scope, User.active.is_(True)).order_by(User.name))
    )
