"""The forms of the shop directory: its filters (a plain GET form) and the correction request."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SearchField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..services.shops.directory import (
    MESSAGE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SEARCH_MAX_LENGTH,
    ShopFilter,
)
from . import Form
from .accounts import valid_email
from .filters import MapFilterForm


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ShopFilterForm(MapFilterForm):
    """The map's filters (type, category, district) and a search on the shop's name."""

    q = SearchField(
        _l("Name"),
        id="filter-name",
        default="",
        filters=[_strip],
        validators=[
            Length(max=SEARCH_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )

    def shop_filter(self) -> ShopFilter:
        """The validated choices as a filter for the directory."""
        premises_filter = self.filters()
        return ShopFilter(
            shop_type=premises_filter.shop_type,
            group=premises_filter.group,
            district_id=premises_filter.district_id,
            search=self.q.data or None,
        )


class CorrectionForm(Form):
    """Ask the moderators to correct a shop's listing."""

    name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=NAME_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("Your e-mail address"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address.")), valid_email],
    )
    message = TextAreaField(
        _l("What should be corrected?"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Say what should be corrected.")),
            Length(
                min=10,
                max=MESSAGE_MAX_LENGTH,
                message=_l("Write between %(min)d and %(max)d characters."),
            ),
        ],
    )
