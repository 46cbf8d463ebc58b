"""The shop project form: what, how big, where, when, and who may see it."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models import PITCH_MAX_LENGTH, ProjectHorizon, ProjectVisibility
from ..models.project import SURFACE_MAX_M2
from ..services.people.projects import ProjectValues
from ..services.premises.management import districts
from . import Form
from .wishes import ShopTypeMixin, shop_type_choices, shop_type_field

HORIZON_LABELS = {
    ProjectHorizon.SOON: _l("Within six months"),
    ProjectHorizon.YEAR: _l("In six to twelve months"),
    ProjectHorizon.LATER: _l("In more than a year"),
}
VISIBILITY_LABELS = {
    ProjectVisibility.PRIVATE: _l("Only me"),
    ProjectVisibility.LANDLORDS: _l("The landlords of premises that suit it (in their report)"),
    ProjectVisibility.PUBLIC: _l(
        "Everyone: the premises pages of its districts say a project of this type is looking"
    ),
}


def _surface(label) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=SURFACE_MAX_M2,
                message=_l("A surface is between 1 and %(max)d m²."),
            ),
        ],
    )


class CheckboxesField(SelectMultipleField):
    """Several choices, each a checkbox (the districts of a project)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ProjectForm(ShopTypeMixin, Form):
    """A shop project, new or changed."""

    shop_type = shop_type_field()
    surface_min_m2 = _surface(_l("Smallest surface (m², optional)"))
    surface_max_m2 = _surface(_l("Largest surface (m², optional)"))
    districts = CheckboxesField(
        _l("Districts where you are looking"),
        coerce=int,
        validators=[InputRequired(_l("Choose at least one district from the list."))],
    )
    horizon = SelectField(
        _l("Opening"),
        choices=[SelectChoice(horizon.value, label) for horizon, label in HORIZON_LABELS.items()],
    )
    pitch = TextAreaField(
        _l("Your project in a few words (optional)"),
        validators=[
            Length(max=PITCH_MAX_LENGTH, message=_l("A pitch has at most %(max)d characters."))
        ],
    )
    visibility = RadioField(
        _l("Who sees this project"),
        choices=[
            SelectChoice(visibility.value, label) for visibility, label in VISIBILITY_LABELS.items()
        ],
    )

    def __init__(self, locale: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shop_type.choices = shop_type_choices(locale)
        self.districts.choices = [
            SelectChoice(district.id, district.name) for district in districts()
        ]

    def values(self) -> ProjectValues:
        return ProjectValues(
            shop_type=self.chosen_type,
            surface_min_m2=self.surface_min_m2.data,
            surface_max_m2=self.surface_max_m2.data,
            district_ids=list(self.districts.data or []),
            horizon=ProjectHorizon(self.horizon.data),
            pitch=self.pitch.data or "",
            visibility=ProjectVisibility(self.visibility.data),
        )
