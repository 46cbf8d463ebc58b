"""The base of every form: CSRF (through Flask-WTF) and no control characters in any text."""

import functools

from babel import support
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from ..models.base import CONTROL_CHARACTERS

HIDDEN_FIELDS = ("CSRFTokenField", "HiddenField")


@functools.cache
def wtforms_messages(locale: str) -> support.Translations:
    """WTForms' catalogue for `locale`, read once per process: Flask-WTF reads it again for every
    request that makes a form (0.27 ms of a support tap, under cProfile)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """A form whose texts are checked for control characters before anything else reads them."""

    class Meta:
        def render_field(self, field, render_kw):
            """A hidden input is drawn without an id: no label points at it, and the forms of one
            page would repeat it (each has its CSRF token, several a `next`)."""
            if field.type in HIDDEN_FIELDS:
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)

        def get_translations(self, form):
            """WTForms' own messages ("This field is required.") in the reader's language."""
            return wtforms_messages(str(get_locale()))

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
