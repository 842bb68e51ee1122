"""Rate-limit keys: protect accounts without letting a stranger lock the owner out.

Sign-in attempts are counted (only when they fail) per address, per account *and* address,
and per account from anywhere. The last, looser limit does not apply to an address the owner
signed in from successfully in the last 30 days, so a stranger's failures elsewhere do not
lock the owner out of their usual address. The counters live in the limiter's storage
(RATELIMIT_STORAGE_URI: Redis in production), shared by every worker and host.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse as parse_limit
from werkzeug.wrappers import Response

from ticketing.extensions import limiter

KNOWN_FOR_SECONDS = 30 * 24 * 3600
log = logging.getLogger(__name__)

# The limits, in one place (Flask-Limiter notation).
LOGIN_PER_ADDRESS = "30 per minute;300 per hour"  # many accounts from one address
LOGIN_PER_ACCOUNT_AND_ADDRESS = "5 per minute;20 per hour"
LOGIN_PER_ACCOUNT = "50 per hour"  # from unknown addresses together
PASSWORD_CHANGE_PER_ACCOUNT = "5 per 15 minutes;20 per day"  # noqa: S105 - a limit
LINK_PER_TOKEN = "5 per hour"  # noqa: S105 - a limit
LINK_PER_ADDRESS = "10 per minute"
FORGOT_PER_ACCOUNT = "3 per hour"
ADMIN_LINKS_PER_ADMIN = "30 per hour"
# Refused forms whose text is kept (ticketing/stash.py): a person whose session ended keeps a
# few; a stranger posting without cookies must not fill the database.
FORM_STASHES_PER_ADDRESS = "60 per hour"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def submitted_email() -> str:
    """The address typed into a form, as the account key (lower case, bounded)."""
    return (request.form.get("email") or "").strip().lower()[:254]


def address() -> str:
    """The client's address (behind PROXY_FIX_X_FOR proxies: the forwarded one)."""
    return get_remote_address() or ""


def login_account_key() -> str:
    return "login-account:" + _digest(submitted_email())


def login_account_address_key() -> str:
    return "login-pair:" + _digest(submitted_email() + "|" + address())


def _known_key(email: str, where: str) -> str:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return f"{prefix}known-address:{_digest(email + '|' + where)}"


def remember_address(email: str) -> None:
    """After a successful sign-in: this address is the owner's for 30 days."""
    storage = _storage()
    if storage is not None:
        try:
            storage.incr(_known_key(email.strip().lower(), address()), KNOWN_FOR_SECONDS)
        except Exception:  # a storage outage must not stop a sign-in
            log.warning("could not record a known sign-in address", exc_info=True)


def is_known_address() -> bool:
    """exempt_when of the per-account limit: the owner's usual address is not locked out."""
    storage = _storage()
    if storage is None:
        return False
    try:
        return int(storage.get(_known_key(submitted_email(), address())) or 0) > 0
    except Exception:
        log.warning("could not read a known sign-in address", exc_info=True)
        return False


def _storage() -> Any:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    try:
        return limiter.storage
    except Exception:
        return None


def failed(response: Response) -> bool:
    """deduct_when: a sign-in or password form counts when it did not succeed (no redirect)."""
    return response.status_code != 302


def current_account_key() -> str:
    """The signed-in user (password change, links an administrator makes)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else "user:-"


def token_key() -> str:
    """A one-time link's token (hashed), whatever address the attempts come from."""
    token = str((request.view_args or {}).get("token", ""))
    return "link:" + _digest(token)


def forgot_account_key() -> str:
    return "forgot:" + _digest(submitted_email())


def may_keep_a_form() -> bool:
    """Count one kept form for this address; False once the address is over its limit."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    try:
        item = parse_limit(FORM_STASHES_PER_ADDRESS)
        return bool(limiter.limiter.hit(item, "form-stash", address()))
    except Exception:  # a storage outage must not lose the text of the person typing
        log.warning("could not count a kept form", exc_info=True)
        return True
