"""Forms moderators fill: a rejection with its reason, a decision on several items at once."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from ..services.demand.moderation import REASON_MAX_LENGTH, REASONS
from . import Form

OTHER = "other"


def reason_choices() -> list[SelectChoice]:
    """The listed reasons, then "another reason" for a typed one."""
    return [
        SelectChoice("", _l("Choose a reason")),
        *(SelectChoice(code, label) for code, label in REASONS.items()),
        SelectChoice(OTHER, _l("Another reason (type it)")),
    ]


class ReasonMixin:
    """A reason picked from the list, or typed."""

    # Checked by moderation.clean_reason, with a message that says what to do.
    reason = SelectField(_l("Reason"), choices=reason_choices, validate_choice=False)
    reason_text = StringField(
        _l("Other reason"),
        validators=[Length(max=REASON_MAX_LENGTH, message=_l("At most %(max)d characters."))],
    )


class RejectForm(ReasonMixin, Form):
    """Reject one wish; the form carries the wish's prefix so that ids stay unique on the page."""


class BulkDecisionForm(ReasonMixin, Form):
    """Publish or reject the selected wishes of the queue."""

    wish = SelectMultipleField(
        _l("Selected items"),
        coerce=int,
        validate_choice=False,
        validators=[DataRequired(_l("Select at least one item."))],
    )
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("publish", _l("Publish")), SelectChoice("reject", _l("Reject"))],
    )
