"""Forms staff fill about the shops of the directory: a shop, a contact, and the lists' filters."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ..forms import Form
from ..forms.places import (
    ServiceProblemsMixin,
    address_fields,
    at_most,
    latitude_field,
    longitude_field,
)
from ..models import ContactOutcome, Presence, Shop
from ..services.shops import management, visibility
from ..services.shops.management import ShopFilter, ShopValues
from ..services.shops.visibility import LEVEL_LABELS, NO_DISTRICT, OUTCOME_LABELS, PRESENCE_LABELS


def _presence_field(label) -> SelectField:
    return SelectField(
        label,
        choices=[SelectChoice(value.value, text) for value, text in PRESENCE_LABELS.items()],
        default=Presence.UNKNOWN.value,
        invalid_choice_message=_l("Choose an answer from the list."),
    )


def _district_choices(first, none_choice: bool = False) -> list[SelectChoice]:
    choices = [SelectChoice("", first)]
    if none_choice:
        choices.append(SelectChoice(str(NO_DISTRICT), _l("No district")))
    return choices + [
        SelectChoice(str(district.id), district.name) for district in visibility.districts()
    ]


class ShopForm(ServiceProblemsMixin, Form):
    """A shop of the directory: its name, type, address, contacts and online presence."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter the shop's name.")),
            at_most(management.MAX_LENGTHS["name"]),
        ],
    )
    shop_type = SelectField(
        _l("Shop type"),
        validators=[InputRequired(_l("Choose a shop type from the list."))],
        invalid_choice_message=_l("Choose a shop type from the list."),
    )
    address, postcode, city = address_fields(Shop)
    district = SelectField(
        _l("District"),
        default="",
        invalid_choice_message=_l("Choose a district from the list."),
    )
    latitude = latitude_field()
    longitude = longitude_field()
    phone = StringField(
        _l("Phone (optional)"), validators=[at_most(management.MAX_LENGTHS["phone"])]
    )
    email = StringField(
        _l("E-mail address (optional)"), validators=[at_most(management.MAX_LENGTHS["email"])]
    )
    website = StringField(
        _l("Website (optional)"), validators=[at_most(management.MAX_LENGTHS["website"])]
    )
    social_url = StringField(
        _l("Social account (optional)"), validators=[at_most(management.MAX_LENGTHS["social_url"])]
    )
    opening_hours = StringField(
        _l("Opening hours (optional)"),
        validators=[at_most(management.MAX_LENGTHS["opening_hours"])],
    )
    has_website = _presence_field(_l("Has a website"))
    has_social = _presence_field(_l("Has a social account"))
    on_map_service = _presence_field(_l("Listed on a map service"))

    def __init__(self, *args, shop: Shop | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        locale = str(get_locale())
        self._types = {t.code: t for t in management.shop_types_for(shop)}
        self.shop_type.choices = [SelectChoice("", _l("Choose a shop type"))] + [
            SelectChoice(code, t.label(locale)) for code, t in self._types.items()
        ]
        self.district.choices = _district_choices(_l("No district"))

    @classmethod
    def of(cls, shop: Shop) -> "ShopForm":
        """The form filled with what `shop` holds now."""
        values = ShopValues.of(shop)
        form = cls(formdata=None, shop=shop, obj=values)
        form.shop_type.data = shop.shop_type.code
        form.district.data = str(shop.district_id) if shop.district_id is not None else ""
        for name in ("has_website", "has_social", "on_map_service"):
            form[name].data = getattr(shop, name).value
        return form

    def values(self) -> ShopValues:
        """The validated fields as values for the shop services."""
        return ShopValues(
            **{name: self[name].data for name in management.TEXT_FIELDS},
            shop_type=self._types.get(self.shop_type.data),
            district_id=int(self.district.data) if self.district.data else None,
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            has_website=Presence(self.has_website.data),
            has_social=Presence(self.has_social.data),
            on_map_service=Presence(self.on_map_service.data),
        )


class ContactForm(ServiceProblemsMixin, Form):
    """A contact with a shop about its online visibility: when, how it went, a note."""

    contacted_on = DateField(
        _l("Contacted on"),
        validators=[InputRequired(_l("Enter the day of the contact."))],
        format="%Y-%m-%d",
        invalid_value_message=_l("Enter the date as year-month-day, such as 2024-03-01."),
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[SelectChoice("", _l("Choose an outcome"))]
        + [SelectChoice(value.value, text) for value, text in OUTCOME_LABELS.items()],
        validators=[InputRequired(_l("Choose an outcome from the list."))],
        invalid_choice_message=_l("Choose an outcome from the list."),
    )
    note = TextAreaField(_l("Note (optional)"), validators=[at_most(visibility.NOTE_MAX_LENGTH)])

    def chosen_outcome(self) -> ContactOutcome:
        """The validated outcome."""
        return ContactOutcome(self.outcome.data)


class _GetForm(Form):
    """A GET form that changes nothing: no CSRF token, so that its URL may be shared."""

    class Meta:
        csrf = False

    def url_args(self) -> dict[str, str]:
        """The chosen values as query arguments, leaving out the defaults."""
        return {
            field.name: field.data
            for field in self
            if field.data and field.data != field.default and field.name != "csrf_token"
        }


def _level_field(default: str, everything) -> SelectField:
    return SelectField(
        _l("Online visibility"),
        id="filter-level",
        default=default,
        choices=[SelectChoice(level.value, text) for level, text in LEVEL_LABELS.items()]
        + [SelectChoice("all", everything)],
        invalid_choice_message=_l("Choose a level from the list."),
    )


class ShopFilterForm(_GetForm):
    """Search the shops by name, address or reference; narrow by district and visibility."""

    q = StringField(_l("Name, address or reference"), validators=[at_most(100)])
    district = SelectField(
        _l("District"),
        id="filter-district",
        default="",
        invalid_choice_message=_l("Choose a district from the list."),
    )
    level = _level_field("all", _l("Any level"))

    def __init__(self, args: MultiDict, **kwargs) -> None:
        super().__init__(formdata=args, **kwargs)
        self.district.choices = _district_choices(_l("All districts"))

    def filters(self) -> ShopFilter:
        """The validated choices as a filter for the staff list."""
        return ShopFilter(
            text=(self.q.data or "").strip() or None,
            district_id=int(self.district.data) if self.district.data else None,
            level=None if self.level.data == "all" else self.level.data,
        )


class VisibilityFilterForm(_GetForm):
    """Which shops to contact: a level (no online presence by default) and a district."""

    level = _level_field(visibility.Level.NONE.value, _l("Any level"))
    district = SelectField(
        _l("District"),
        id="filter-district",
        default="",
        invalid_choice_message=_l("Choose a district from the list."),
    )

    def __init__(self, args: MultiDict, **kwargs) -> None:
        super().__init__(formdata=args, **kwargs)
        self.district.choices = _district_choices(_l("All districts"), none_choice=True)

    def filters(self) -> visibility.VisibilityFilter:
        """The validated choices as a filter for the list and its CSV."""
        level = self.level.data or visibility.Level.NONE.value
        return visibility.VisibilityFilter(
            level=None if level == "all" else visibility.Level(level),
            district_id=int(self.district.data) if self.district.data else None,
        )
