"""Forms of the accounts pages: register, sign in, ask for and set a new password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..services.people import accounts
from . import Form
from .places import latitude_field, longitude_field


def valid_email(form: FlaskForm, field: EmailField) -> None:
    """Refuse an address that cannot be an account's, with the same words as the service."""
    problem = accounts.email_problem(accounts.normalize_email(field.data or ""))
    if problem:
        raise ValidationError(problem)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PasswordChoiceMixin:
    """A new password typed twice, checked against the strength rules for `account_email`."""

    def check_password(self, field: PasswordField, email: str | None) -> None:
        """Raise the strength problems of the chosen password, all in one message."""
        problems = accounts.password_problems(field.data or "", email)
        if problems:
            raise ValidationError(" ".join(problems))


class RegisterForm(PasswordChoiceMixin, Form):
    """Create a resident account."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address.")), valid_email],
    )
    display_name = StringField(
        _l("Display name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a display name.")),
            Length(
                max=accounts.DISPLAY_NAME_MAX_LENGTH,
                message=_l("Use at most %(max)d characters."),
            ),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password."))])
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Type the password a second time.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )
    role = SelectField(
        _l("I come to"),
        choices=[
            SelectChoice(
                "resident", _l("say which shops I miss, and support my neighbours' wishes")
            ),
            SelectChoice(
                "entrepreneur", _l("open a shop: find where it is wanted, and meet landlords")
            ),
        ],
        default="resident",
        validate_choice=True,
    )

    def validate_email(self, field: EmailField) -> None:
        """One account per address, whatever its case."""
        if not field.errors and accounts.email_taken(field.data):
            raise ValidationError(_l("An account already uses this e-mail address."))

    def validate_password(self, field: PasswordField) -> None:
        """Strong enough, and not the e-mail address."""
        self.check_password(field, self.email.data)


class LoginForm(Form):
    """Sign in with an e-mail address and a password."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address."))],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Stay signed in on this device"))
    next = HiddenField()


class ResetRequestForm(Form):
    """Ask for a link to choose a new password."""

    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address.")), valid_email],
    )


class ResetPasswordForm(PasswordChoiceMixin, Form):
    """Choose a new password; `account_email` is set by the view from the reset link."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Choose a password."))]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the password a second time.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )

    def __init__(self, account_email: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account_email = account_email

    def validate_password(self, field: PasswordField) -> None:
        """Strong enough, and not the account's e-mail address."""
        self.check_password(field, self.account_email)


class NotificationSettingsForm(Form):
    """Which e-mails a person wants about what became of their wishes."""

    let = BooleanField(_l("When a premises I supported is let"))
    published = BooleanField(_l("When my comment is published"))
    area = BooleanField(_l("News of the areas I follow: new empty premises, premises let"))
    confirm = BooleanField(
        _l("When a support I gave long ago needs confirming (unconfirmed, it stops counting)")
    )


class FollowDistrictForm(Form):
    """Follow the news of one district."""

    district = SelectField(
        _l("District"),
        coerce=str,
        validators=[DataRequired(_l("Choose a district from the list."))],
        invalid_choice_message=_l("Choose a district from the list."),
    )


class FollowSpotForm(Form):
    """Follow the news around a spot of the town: its position, and how far around it."""

    latitude = latitude_field()
    longitude = longitude_field()
    radius = SelectField(
        _l("Within"),
        coerce=int,
        choices=[
            SelectChoice(300, _l("300 m")),
            SelectChoice(500, _l("500 m")),
            SelectChoice(1000, _l("1 km")),
        ],
        default=500,
        invalid_choice_message=_l("Choose a distance from the list."),
    )
