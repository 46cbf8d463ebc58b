"""The filters of the map and of the list of premises: plain GET forms, shareable as URLs."""

from dataclasses import replace

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice, SelectField

from ..collation import dictionary_order
from ..extensions import db
from ..models import District
from ..services.premises.listing import PremisesFilter, Sort
from ..services.taxonomy import active_groups
from . import Form


def _blank_is_default(value: str | None) -> str:
    """An empty order means the usual one, like the other fields' "any"."""
    return value or Sort.DEMAND.value


class MapFilterForm(Form):
    """Narrow the premises to a shop type, a group of types and a district (empty: any)."""

    class Meta:
        csrf = False  # a GET form that changes nothing: its URL is meant to be shared

    # The names are the URL's query arguments; the ids keep clear of the page's other ids.
    type = SelectField(
        _l("Shop type"),
        id="filter-type",
        default="",
        invalid_choice_message=_l("Choose a shop type from the list."),
    )
    group = SelectField(
        _l("Category"),
        id="filter-group",
        default="",
        invalid_choice_message=_l("Choose a category from the list."),
    )
    district = SelectField(
        _l("District"),
        id="filter-district",
        default="",
        invalid_choice_message=_l("Choose a district from the list."),
    )

    def __init__(self, args: MultiDict, **kwargs) -> None:
        super().__init__(formdata=args, **kwargs)
        locale = str(get_locale())
        type_choices = [SelectChoice("", _l("Any shop type"))]
        group_choices = [SelectChoice("", _l("Any category"))]
        for group in active_groups():
            label = group.label(locale)
            types = [shop_type for shop_type in group.shop_types if shop_type.active]
            if types:
                group_choices.append(SelectChoice(group.code, label))
            type_choices.extend(
                SelectChoice(shop_type.code, shop_type.label(locale), optgroup=label)
                for shop_type in types
            )
        self.type.choices = type_choices
        self.group.choices = group_choices
        self.district.choices = [SelectChoice("", _l("All districts"))] + [
            SelectChoice(str(district_id), name)
            for district_id, name in db.session.execute(
                select(District.id, District.name).order_by(dictionary_order(District.name))
            )
        ]

    def filters(self) -> PremisesFilter:
        """The validated choices as a filter for the premises services."""
        return PremisesFilter(
            shop_type=self.type.data or None,
            group=self.group.data or None,
            district_id=int(self.district.data) if self.district.data else None,
        )

    def url_args(self) -> dict[str, str]:
        """The chosen values as query arguments, leaving out "any" and the usual order."""
        return {
            field.name: field.data for field in self if field.data and field.data != field.default
        }


class PremisesFilterForm(MapFilterForm):
    """The map's filters and an order: most supported first, or newest first."""

    sort = SelectField(
        _l("Order"),
        id="filter-sort",
        default=Sort.DEMAND.value,
        choices=[
            SelectChoice(Sort.DEMAND.value, _l("Most wished for first")),
            SelectChoice(Sort.NEWEST.value, _l("Newest first")),
        ],
        filters=[_blank_is_default],
        invalid_choice_message=_l("Choose an order from the list."),
    )

    def filters(self) -> PremisesFilter:
        """The validated choices, with the order, as a filter for the premises services."""
        return replace(super().filters(), sort=Sort(self.sort.data))
