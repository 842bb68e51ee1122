"""One set of field rules per record, used by its form and by its import alike.

Each rule returns the problem with a value (a lazy, translated message) or None. The admin
forms wrap them as WTForms validators; the services and the importer call them directly, so a
201-character school name is refused by both, with the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

SCHOOL_NAME_MAX = 200
USER_NAME_MAX = 120


def school_name(value: str | None) -> Any:
    """A school's name: required, at most 200 characters (nothing is cut)."""
    name = (value or "").strip()
    if not name:
        return _l("The school name (nama) is missing.")
    if len(name) > SCHOOL_NAME_MAX:
        return _l("The school name is longer than 200 characters.")
    return None


def user_name(value: str | None) -> Any:
    """A person's name: required, at most 120 characters (nothing is cut)."""
    name = (value or "").strip()
    if not name:
        return _l("The name (nama) is missing.")
    if len(name) > USER_NAME_MAX:
        return _l("The name is longer than 120 characters.")
    return None


class Rule:
    """A field rule as a WTForms validator."""

    def __init__(self, rule: Callable[[str | None], Any]) -> None:
        self.rule = rule

    def __call__(self, _form: Any, field: Any) -> None:
        problem = self.rule(field.data)
        if problem is not None:
            raise ValidationError(str(problem))
