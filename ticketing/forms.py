"""The base of every form: WTForms' own messages in the user's language, and the text of a
refused submission restored when the user is back on the form (see ticketing/stash.py)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import get_translations
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted


class _Translations:
    """WTForms' validator messages ("This field is required.") from our catalogue."""

    # The catalogue's raw strings: WTForms fills in %(max)d and the like itself (Flask-Babel's
    # gettext/ngettext would format them first, with only %(num)d known).
    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


TRANSLATIONS = _Translations()


class Form(FlaskForm):
    """FlaskForm with Indonesian validator messages and restored text after a refusal."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return TRANSLATIONS

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is _Auto and not _is_submitted():
                restored = g.get("restored_form")
                # Only into the form that was sent: another form on the page keeps its values.
                if restored is not None and any(
                    name in restored for name in form._fields if name != "csrf_token"
                ):
                    return restored
            return super().wrap_formdata(form, formdata)
