"""Forms a resident fills: a wish, an area wish, the deletion of their account."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    PasswordField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..models import COMMENT_MAX_LENGTH, ShopType
from ..services.taxonomy import active_groups, active_shop_type
from . import Form
from .reasons import ReasonMixin


def shop_type_choices(locale: str) -> dict:
    """The active shop types grouped for a `<select>`, after an empty first choice."""
    choices: dict = {None: [("", _l("Choose a shop type"))]}
    for group in active_groups():
        types = [(t.code, t.label(locale)) for t in group.shop_types if t.active]
        if types:
            choices[group.label(locale)] = types
    return choices


class ShopTypeMixin:
    """A shop type chosen by its code; `chosen_type` holds the ShopType once validated."""

    chosen_type: ShopType | None = None

    def validate_shop_type(self, field: SelectField) -> None:
        shop_type = active_shop_type(field.data)
        if shop_type is None:
            raise ValidationError(_l("Choose a shop type from the list."))
        self.chosen_type = shop_type


def shop_type_field() -> SelectField:
    # Checked against the database by ShopTypeMixin, with a message a resident understands.
    return SelectField(
        _l("Shop type"),
        validate_choice=False,
        validators=[InputRequired(_l("Choose a shop type from the list."))],
    )


def _comment_field() -> TextAreaField:
    return TextAreaField(
        _l("Comment (optional)"),
        validators=[
            Length(
                max=COMMENT_MAX_LENGTH,
                message=_l("A comment has at most %(max)d characters."),
            )
        ],
    )


class WishForm(ShopTypeMixin, Form):
    """The "I want here…" form: a shop type for a premises, and an optional comment."""

    shop_type = shop_type_field()
    comment = _comment_field()


class AreaWishForm(ShopTypeMixin, Form):
    """A shop type wished around a point of the town, and an optional comment."""

    # Whether the point lies in the town is the service's rule (wishes.make_area_wish).
    latitude = FloatField(
        _l("Latitude"),
        validators=[InputRequired(_l("Enter a latitude, such as 48.8765."))],
        invalid_value_message=_l("Enter a latitude as a decimal number, such as 48.8765."),
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[InputRequired(_l("Enter a longitude, such as 2.3890."))],
        invalid_value_message=_l("Enter a longitude as a decimal number, such as 2.3890."),
    )
    shop_type = shop_type_field()
    comment = _comment_field()


class ActionForm(Form):
    """A button that changes something (support, withdraw): only its CSRF token and way back."""

    next = HiddenField()


class DeleteAccountForm(Form):
    """Delete one's own account: the password again, and a box saying it cannot be undone."""

    password = PasswordField(
        _l("Your password"), validators=[DataRequired(_l("Enter your password."))]
    )
    understood = BooleanField(
        _l("I understand this cannot be undone"),
        validators=[DataRequired(_l("Tick this box to confirm."))],
    )


class FlagForm(ReasonMixin, Form):
    """Report a published comment to the moderators, with a reason."""

    next = HiddenField()
