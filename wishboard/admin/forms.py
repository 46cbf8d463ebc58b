"""Administrators' forms: finding accounts, changing a role, and editing the shop-type taxonomy."""

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, SearchField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..forms import Form
from ..models import Role, ShopType
from ..services.people.users import SEARCH_MAX_LENGTH, UserSearch
from ..services.taxonomy import (
    LABEL_MAX_LENGTH,
    active_groups,
    all_groups,
    code_problem,
)

ROLE_LABELS = {
    Role.RESIDENT: _l("Resident"),
    Role.LANDLORD: _l("Landlord"),
    Role.ENTREPRENEUR: _l("Project holder"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}
ACTIVE, DEACTIVATED = "active", "deactivated"


class UserSearchForm(Form):
    """Find accounts by words of their e-mail or name, by role and by state (empty: any)."""

    class Meta:
        csrf = False  # a GET form that changes nothing: its URL is meant to be shared

    q = SearchField(
        _l("E-mail or name contains"),
        id="search-q",
        default="",
        validators=[
            Length(max=SEARCH_MAX_LENGTH, message=_l("Search for at most %(max)d characters."))
        ],
    )
    role = SelectField(
        _l("Role"),
        id="search-role",
        default="",
        choices=[SelectChoice("", _l("Any role"))]
        + [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        invalid_choice_message=_l("Choose a role from the list."),
    )
    state = SelectField(
        _l("State"),
        id="search-state",
        default="",
        choices=[
            SelectChoice("", _l("Active or deactivated")),
            SelectChoice(ACTIVE, _l("Active")),
            SelectChoice(DEACTIVATED, _l("Deactivated")),
        ],
        invalid_choice_message=_l("Choose a state from the list."),
    )

    def __init__(self, args: MultiDict, **kwargs) -> None:
        super().__init__(formdata=args, **kwargs)

    def search(self) -> UserSearch:
        """The validated choices as a search for the users service."""
        return UserSearch(
            text=(self.q.data or "").strip(),
            role=Role(self.role.data) if self.role.data else None,
            active={ACTIVE: True, DEACTIVATED: False}.get(self.state.data),
        )

    def url_args(self) -> dict[str, str]:
        """The chosen values as query arguments, leaving out the empty ones."""
        return {field.name: field.data for field in self if field.data}


class RoleForm(Form):
    """The role to give an account; `next` is where a plain form returns to."""

    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[InputRequired(_l("Choose a role from the list."))],
        invalid_choice_message=_l("Choose a role from the list."),
    )
    next = HiddenField()


class ActionForm(Form):
    """A button that changes one thing (deactivate, reactivate): only its CSRF token and `next`."""

    next = HiddenField()


def _label_field(label) -> StringField:
    return StringField(
        label,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(_l("Enter a name.")),
            Length(max=LABEL_MAX_LENGTH, message=_l("A name has at most %(max)d characters.")),
        ],
    )


class RelabelForm(Form):
    """A shop type's name in French and in English."""

    label_fr = _label_field(_l("Name in French"))
    label_en = _label_field(_l("Name in English"))


class ShopTypeForm(RelabelForm):
    """A new shop type: its OpenStreetMap code, its names and its group."""

    code = StringField(
        _l("OpenStreetMap code"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        # Its length and shape: code_problem, the service's own rule, with its message.
        validators=[InputRequired(_l("Enter a code, such as shop=bakery."))],
    )
    group = SelectField(
        _l("Group"),
        validators=[InputRequired(_l("Choose a group from the list."))],
        invalid_choice_message=_l("Choose a group from the list."),
    )

    def __init__(self, locale: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.group.choices = [SelectChoice("", _l("Choose a group"))] + [
            SelectChoice(group.code, group.label(locale)) for group in all_groups()
        ]

    def validate_code(self, field: StringField) -> None:
        problem = code_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class MergeForm(Form):
    """The active shop type that takes over everything of the one being merged."""

    target = SelectField(
        _l("Merge into"),
        validators=[InputRequired(_l("Choose the shop type to merge into."))],
        invalid_choice_message=_l("Choose an active shop type from the list."),
    )
    confirm = BooleanField(
        _l("I understand that a merge cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm the merge."))],
    )

    def __init__(self, source: ShopType, locale: str, **kwargs) -> None:
        super().__init__(**kwargs)
        choices = [SelectChoice("", _l("Choose a shop type"))]
        for group in active_groups():
            label = group.label(locale)
            choices.extend(
                SelectChoice(
                    shop_type.code, f"{shop_type.label(locale)} ({shop_type.code})", optgroup=label
                )
                for shop_type in group.shop_types
                if shop_type.active and shop_type.id != source.id
            )
        self.target.choices = choices
