"""Web forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.auth import Scope
from core.i18n import LANGUAGES
from marketplace.domain import (
    COMPANY_ROLE_LABELS,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    CertificationStandard,
)

COUNTRIES = [
    ("CN", _l("China")),
    ("HK", _l("Hong Kong, China")),
    ("TW", _l("Taiwan, China")),
    ("DE", _l("Germany")),
    ("JP", _l("Japan")),
    ("KR", _l("South Korea")),
    ("US", _l("United States")),
    ("VN", _l("Vietnam")),
    ("TH", _l("Thailand")),
    ("MY", _l("Malaysia")),
    ("SG", _l("Singapore")),
    ("GB", _l("United Kingdom")),
    ("FR", _l("France")),
    ("IT", _l("Italy")),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role_choices() -> list[tuple[str, object]]:
    return [(role.value, _l(label)) for role, label in COMPANY_ROLE_LABELS.items()]


def _language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    remember = BooleanField(_l("Keep me signed in"))


class SignupForm(FlaskForm):
    legal_name = StringField(_l("Company legal name"), validators=[DataRequired(), Length(2, 200)])
    country = SelectField(_l("Country or region"), choices=COUNTRIES, default="CN")
    registration_number = StringField(
        _l("Registration number"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("In China: the 18-character unified social credit code (统一社会信用代码)."),
    )
    province = StringField(_l("Province / state"), validators=[Length(max=100)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    roles = MultiCheckboxField(_l("Company roles"), choices=_role_choices(), default=["buyer"])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Your work email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)],
        description=_l("At least 8 characters."),
    )
    preferred_language = SelectField(_l("Language"), choices=_language_choices())


class CompanyForm(FlaskForm):
    legal_name = StringField(_l("Company legal name"), validators=[DataRequired(), Length(2, 200)])
    province = StringField(_l("Province / state"), validators=[Length(max=100)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    roles = MultiCheckboxField(_l("Company roles"), choices=_role_choices())


class CertificationForm(FlaskForm):
    standard = SelectField(
        _l("Standard"),
        choices=[(standard.value, standard.value) for standard in CertificationStandard],
    )
    certificate_number = StringField(_l("Certificate number"), validators=[Length(max=100)])
    issued_by = StringField(_l("Issued by"), validators=[Length(max=200)])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Email of the person to invite"), validators=[DataRequired(), Email(), Length(max=254)]
    )


class AcceptInvitationForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(), Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)],
    )
    preferred_language = SelectField(_l("Language"), choices=_language_choices())


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("For example: ERP integration"),
    )
    scope = RadioField(
        _l("Access"),
        choices=[(Scope.READ.value, _l("Read only")), (Scope.WRITE.value, _l("Read and write"))],
        default=Scope.READ.value,
    )


class AccountForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    preferred_language = SelectField(_l("Language"), choices=_language_choices())
    timezone = SelectField(_l("Time zone"), choices=[])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)],
    )


class VerificationForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Length(max=500)])
