"""Forms staff fill to manage premises: the premises itself, marking it let, an import file."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from ..models import Premises, PremisesStatus
from ..services.imports.premises import EXTENSIONS
from ..services.premises import management
from ..services.premises.management import PremisesValues, StaffFilter, StaffSort
from . import Form
from .places import ServiceProblemsMixin, address_fields, at_most, latitude_field, longitude_field
from .wishes import ShopTypeMixin, shop_type_choices

SURFACE_MAX = 2**31 - 1


class PremisesForm(ServiceProblemsMixin, Form):
    """A premises: where it is, its district and surface, its landlord's contact, notes."""

    address, postcode, city = address_fields(Premises)
    district = SelectField(
        _l("District"),
        validators=[InputRequired(_l("Choose a district."))],
        invalid_choice_message=_l("Choose a district from the list."),
    )
    latitude = latitude_field()
    longitude = longitude_field()
    surface_m2 = IntegerField(
        _l("Surface in m² (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=SURFACE_MAX, message=_l("Enter a whole number of square metres.")
            ),
        ],
        invalid_value_message=_l("Enter the surface as a whole number of square metres."),
    )
    reference = StringField(
        _l("Reference (optional)"), validators=[at_most(management.REFERENCE_MAX_LENGTH)]
    )
    landlord_name = StringField(
        _l("Landlord's name (optional)"),
        validators=[at_most(management.LANDLORD_NAME_MAX_LENGTH)],
    )
    landlord_email = StringField(
        _l("Landlord's e-mail address (optional)"),
        validators=[at_most(management.EMAIL_MAX_LENGTH)],
    )
    notes = TextAreaField(
        _l("Notes for staff (optional)"), validators=[at_most(management.NOTES_MAX_LENGTH)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.district.choices = [SelectChoice("", _l("Choose a district"))] + [
            SelectChoice(district.name, district.name) for district in management.districts()
        ]

    def values(self) -> PremisesValues:
        """The validated fields as values for the premises services."""
        return PremisesValues(
            **{name: self[name].data for name in management.TEXT_FIELDS},
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            surface_m2=self.surface_m2.data,
        )


class LetForm(ServiceProblemsMixin, ShopTypeMixin, Form):
    """Mark a premises as let: the shop type it was let to, and since when."""

    shop_type = SelectField(
        _l("Shop type it was let to"),
        validate_choice=False,
        validators=[InputRequired(_l("Choose a shop type from the list."))],
    )
    let_on = DateField(
        _l("Let on"),
        validators=[InputRequired(_l("Enter the date it was let."))],
        format="%Y-%m-%d",
        invalid_value_message=_l("Enter the date as year-month-day, such as 2024-03-01."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shop_type.choices = shop_type_choices(str(get_locale()))
        self.let_on.render_kw = {"max": management.latest_let_date().isoformat()}


class ActionForm(Form):
    """A button that changes a premises' status (withdraw, reopen): only its CSRF token."""


class ImportForm(Form):
    """A premises file to check, or to import."""

    file = FileField(
        _l("Premises file (CSV or GeoJSON)"),
        validators=[
            FileRequired(_l("Choose a file to send.")),
            FileAllowed(
                EXTENSIONS,
                _l("Send a CSV file (.csv) or a GeoJSON file (.geojson or .json)."),
            ),
        ],
    )
    create_districts = BooleanField(_l("Create the districts the file names that do not exist"))
    run = SubmitField(_l("Import"))
    check = SubmitField(_l("Check only"))


STATUS_LABELS = {
    PremisesStatus.VACANT: _l("Vacant"),
    PremisesStatus.LET: _l("Let"),
    PremisesStatus.WITHDRAWN: _l("Withdrawn"),
}


class StaffFilterForm(Form):
    """Search the premises by address, reference or postcode; narrow by status and district."""

    class Meta:
        csrf = False  # a GET form that changes nothing: its URL may be shared

    q = StringField(_l("Address, reference or postcode"), validators=[at_most(100)])
    status = SelectField(
        _l("Status"),
        default="",
        choices=[SelectChoice("", _l("Any status"))]
        + [SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()],
        invalid_choice_message=_l("Choose a status from the list."),
    )
    district = SelectField(
        _l("District"),
        id="filter-district",
        default="",
        invalid_choice_message=_l("Choose a district from the list."),
    )
    sort = SelectField(
        _l("Order"),
        default=StaffSort.ADDRESS.value,
        choices=[
            SelectChoice(StaffSort.ADDRESS.value, _l("By address")),
            SelectChoice(StaffSort.REFERENCE.value, _l("By reference")),
            SelectChoice(StaffSort.DISTRICT.value, _l("By district")),
            SelectChoice(StaffSort.UPDATED.value, _l("Recently changed first")),
        ],
        filters=[lambda value: value or StaffSort.ADDRESS.value],
        invalid_choice_message=_l("Choose an order from the list."),
    )

    def __init__(self, args: MultiDict, **kwargs) -> None:
        super().__init__(formdata=args, **kwargs)
        self.district.choices = [SelectChoice("", _l("All districts"))] + [
            SelectChoice(str(district.id), district.name) for district in management.districts()
        ]

    def filters(self) -> StaffFilter:
        """The validated choices as a filter for the staff list."""
        return StaffFilter(
            text=(self.q.data or "").strip() or None,
            status=PremisesStatus(self.status.data) if self.status.data else None,
            district_id=int(self.district.data) if self.district.data else None,
            sort=StaffSort(self.sort.data),
        )

    def url_args(self) -> dict[str, str]:
        """The chosen values as query arguments, leaving out "any" and the usual order."""
        return {
            field.name: field.data
            for field in self
            if field.data and field.data != field.default and field.name != "csrf_token"
        }
