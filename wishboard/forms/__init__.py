"""The base of every form: CSRF (through Flask-WTF) and no control characters in any text."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ..models.base import CONTROL_CHARACTERS


class Form(FlaskForm):
    """A form whose texts are checked for control characters before anything else reads them."""

    def validate(self, extra_validators=None) -> bool:
        tainted = [
            field
            for field in self
            if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data)
        ]
        if not tainted:
            return super().validate(extra_validators)
        # Stop here: the field validators may look the text up in the database.
        for field in tainted:
            field.errors = [_l("Remove the invisible control characters from this text.")]
        return False
