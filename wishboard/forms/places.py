"""What the staff forms about a place (a premises, a shop) share: its address and its position.

The fields are made by functions, called in each form's body, so that every form keeps its own
field order (WTForms orders fields by when they were made). Limits come from the model's columns.
"""

import math

from flask_babel import lazy_gettext as _l
from wtforms import FloatField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import TextInput

from ..models.base import max_length
from ..services.errors import DomainError


def at_most(limit: int) -> Length:
    """A text's length limit, with the message every staff form gives."""
    return Length(max=limit, message=_l("At most %(max)d characters."))


class DecimalField(FloatField):
    """A decimal number that may be typed with a comma, as French keyboards do (48,8765)."""

    # A text input: a number input drops "48,8765" in some browsers before the form is sent.
    widget = TextInput()

    def process_formdata(self, valuelist):
        """Read "48,8765" as 48.8765; anything else as FloatField does, but "nan" or "inf"."""
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".", 1)]
        super().process_formdata(valuelist)
        # float() reads "NaN" and "inf", which are no position (and would break the map).
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(self.invalid_value_message or _l("Enter a decimal number."))


class ServiceProblemsMixin:
    """Show a DomainError's problems beside their fields, or at the top of the form."""

    def add_problems(self, error: DomainError) -> None:
        """Add every problem of `error` to the field it names (or to the form's own errors)."""
        for problem in error.problems:
            target = self._fields.get(problem.field) if problem.field else None
            if target is None:
                self.form_errors.append(problem.message)
            elif problem.message not in target.errors:
                target.errors = [*target.errors, problem.message]


def address_fields(model) -> tuple[StringField, StringField, StringField]:
    """The address, postcode and town of a place, limited as `model`'s columns are."""
    return (
        StringField(
            _l("Address"),
            validators=[
                InputRequired(_l("Enter the address.")),
                at_most(max_length(model.address)),
            ],
        ),
        StringField(_l("Postcode (optional)"), validators=[at_most(max_length(model.postcode))]),
        StringField(
            _l("Town or city"),
            validators=[
                InputRequired(_l("Enter the town or city.")),
                at_most(max_length(model.city)),
            ],
        ),
    )


def latitude_field() -> DecimalField:
    """The latitude of a place, as a decimal number (a comma is accepted)."""
    return DecimalField(
        _l("Latitude"),
        validators=[InputRequired(_l("Enter a latitude, such as 48.8765."))],
        invalid_value_message=_l("Enter a latitude as a decimal number, such as 48.8765."),
    )


def longitude_field() -> DecimalField:
    """The longitude of a place, as a decimal number (a comma is accepted)."""
    return DecimalField(
        _l("Longitude"),
        validators=[InputRequired(_l("Enter a longitude, such as 2.3890."))],
        invalid_value_message=_l("Enter a longitude as a decimal number, such as 2.3890."),
    )
