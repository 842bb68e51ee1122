"""Password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ticketing.forms import Form


class SetPasswordForm(Form):
    """A new password, typed twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("At least 8 characters; common passwords are refused."),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
    )


class ChangePasswordForm(SetPasswordForm):
    """The current password, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class ForgotForm(Form):
    """The e-mail address of the account."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class TokenForm(Form):
    """A new personal access token: its name and how long it lives."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("What the token is for, e.g. “province portal”."),
    )
    expires = SelectField(
        _l("Valid for"),
        choices=[
            ("30", _l("30 days")),
            ("90", _l("90 days")),
            ("365", _l("1 year")),
            ("0", _l("Until I revoke it")),
        ],
        default="90",
    )


class RevokeForm(Form):
    """A POST with only the CSRF token (revoke a token)."""
