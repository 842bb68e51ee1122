"""Administration forms."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from ticketing import field_rules
from ticketing.field_rules import Rule
from ticketing.forms import Form
from ticketing.i18n import ROLE_LABELS
from ticketing.models import LEVELS


def _field_choices() -> list[tuple[int, str]]:
    from ticketing.reports import category_labels

    labels = category_labels(str(get_locale() or "id"))
    return sorted(((int(k), v) for k, v in labels.items()), key=lambda kv: kv[1])


def _role_choices() -> list[tuple[str, str]]:
    return [(role, str(label)) for role, label in ROLE_LABELS.items()]


class UserForm(Form):
    """A new account: no password, the user sets it through a one-time link."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Rule(field_rules.user_name)])
    role = SelectField(_l("Role"), choices=[])
    region = StringField(
        _l("Region code"),
        validators=[Optional(), Length(max=5)],
        description=_l(
            "District (e.g. 52.01) or province (e.g. 52); empty for a national administrator."
        ),
    )
    fields = SelectMultipleField(
        _l("Fields of expertise (experts only)"), coerce=int, validators=[Optional()]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()
        self.fields.choices = _field_choices()


class UserEditForm(Form):
    """Change an account's name, role and scope (and an expert's fields of expertise)."""

    name = StringField(_l("Name"), validators=[Rule(field_rules.user_name)])
    role = SelectField(_l("Role"), choices=[])
    region = StringField(_l("Region code"), validators=[Optional(), Length(max=5)])
    fields = SelectMultipleField(
        _l("Fields of expertise (experts only)"), coerce=int, validators=[Optional()]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()
        self.fields.choices = _field_choices()


class SchoolForm(Form):
    """A school's details."""

    npsn = StringField(_l("NPSN"), validators=[DataRequired(), Length(min=8, max=8)])
    name = StringField(_l("Name"), validators=[Rule(field_rules.school_name)])
    level = SelectField(_l("Level"), choices=[(level, level) for level in LEVELS])
    status = SelectField(
        _l("Status"), choices=[("", "-"), ("negeri", _l("Public")), ("swasta", _l("Private"))]
    )
    cohort = IntegerField(_l("Cohort"), validators=[Optional(), NumberRange(min=1, max=99)])
    district_code = StringField(_l("District code"), validators=[DataRequired(), Length(max=5)])


class AssignmentForm(Form):
    """Give the facilitator a school by its NPSN."""

    npsn = StringField(_l("NPSN"), validators=[DataRequired(), Length(min=8, max=8)])


class HandOverForm(Form):
    """Hand every open ticket to the school's current facilitator."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class CategoryForm(Form):
    """A new category or subcategory."""

    parent = SelectField(_l("Under"), choices=[], validate_choice=False)
    name_id = StringField(_l("Name (Indonesian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])


class RenameForm(Form):
    """New names for a category."""

    name_id = StringField(_l("Name (Indonesian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])


class ImportForm(Form):
    """Upload a CSV or XLSX file."""

    kind = SelectField(
        _l("What the file contains"),
        choices=[
            ("schools", _l("Schools (npsn, nama, jenjang, status, kode kabupaten/kota, angkatan)")),
            ("users", _l("Users (nama, email, peran, kode wilayah, bidang keahlian)")),
            ("assignments", _l("Assignments of facilitators to schools (email, npsn)")),
        ],
    )
    file = FileField(
        _l("File (CSV or XLSX)"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files."))],
    )


class EmbedForm(Form):
    """The sites allowed to show the province's public dashboard in a frame."""

    origins = TextAreaField(
        _l("Sites that may embed the public dashboard"),
        validators=[Length(max=1000)],
        description=_l(
            "One address per line, such as https://portal.example.go.id. Leave empty to let"
            " no other site show the dashboard."
        ),
    )
