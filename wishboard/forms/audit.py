"""The audit log's filters (a GET form, its values in the URL) and the names of its actions."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice, SelectField, StringField
from wtforms.widgets import DateInput

from ..services import audit
from . import Form

AUTOMATIC = "automatic"
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# What each recorded action means, for people; an action not listed shows its code.
ACTION_LABELS = {
    "wish.published": _l("Wish published"),
    "wish.rejected": _l("Wish rejected"),
    "wish.hidden": _l("Wish hidden"),
    "wish.unhidden": _l("Wish shown again"),
    "wish.auto_hidden": _l("Wish hidden after flags"),
    "premises.created": _l("Premises created"),
    "premises.updated": _l("Premises edited"),
    "premises.withdrawn": _l("Premises withdrawn"),
    "premises.let": _l("Premises let"),
    "premises.let_by_link": _l("Premises let, through the landlord's report link"),
    "premises.links_revoked": _l("Report links revoked"),
    "premises.reopened": _l("Premises reopened"),
    "premises.imported": _l("Premises imported"),
    "user.role_changed": _l("Role changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
    "account.deleted": _l("Account deleted"),
    "shop_type.created": _l("Shop type added"),
    "shop_type.relabelled": _l("Shop type renamed"),
    "shop_type.deactivated": _l("Shop type deactivated"),
    "shop_type.reactivated": _l("Shop type reactivated"),
    "shop_type.merged": _l("Shop type merged"),
    "shop.updated": _l("Shop edited"),
    "shop.contacted": _l("Shop contacted about its visibility"),
    "shop.correction_done": _l("Shop correction done"),
    "shop.correction_dismissed": _l("Shop correction dismissed"),
}


class DateField(StringField):
    """A day typed or picked as YYYY-MM-DD; `data` is a date, or None when left empty."""

    widget = DateInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        # Only this one shape: fromisoformat would also take "20250331" or "2025-W13-1".
        if not ISO_DAY.fullmatch(text):
            raise ValueError(_l("Enter a date such as 2025-03-31."))
        try:
            self.data = date.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("Enter a date such as 2025-03-31.")) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class AuditFilterForm(Form):
    """Narrow the log to one actor, one kind of action and a range of days (empty: any)."""

    class Meta:
        csrf = False  # a GET form that changes nothing: its URL is meant to be shared

    actor = SelectField(
        _l("Who"),
        id="filter-actor",
        default="",
        invalid_choice_message=_l("Choose someone from the list."),
    )
    action = SelectField(
        _l("What"),
        id="filter-action",
        default="",
        invalid_choice_message=_l("Choose a kind of action from the list."),
    )
    date_from = DateField(_l("From (day)"), id="filter-from")
    date_to = DateField(_l("To (day, included)"), id="filter-to")

    def __init__(self, args: MultiDict, **kwargs) -> None:
        super().__init__(formdata=args, **kwargs)
        self.actor.choices = [
            SelectChoice("", _l("Anyone")),
            SelectChoice(AUTOMATIC, _l("Automatic (the site itself)")),
        ] + [
            SelectChoice(str(person.id), f"{person.display_name} ({person.email})")
            for person in audit.actors()
        ]
        self.action.choices = [SelectChoice("", _l("Any action"))] + [
            SelectChoice(action, ACTION_LABELS.get(action, action)) for action in audit.actions()
        ]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.date_to.errors.append(_l("The end day comes before the start day."))
            return False
        return True

    def filters(self, timezone: str) -> audit.AuditFilter:
        """The validated choices as a filter for the audit service; days are `timezone`'s."""
        actor = self.actor.data
        return audit.AuditFilter(
            timezone=timezone,
            actor_id=int(actor) if actor and actor != AUTOMATIC else None,
            automatic=actor == AUTOMATIC,
            action=self.action.data or None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )

    def url_args(self) -> dict[str, str]:
        """The chosen values as query arguments, leaving out the empty ones."""
        values = {
            "actor": self.actor.data,
            "action": self.action.data,
            "date_from": self.date_from.data.isoformat() if self.date_from.data else "",
            "date_to": self.date_to.data.isoformat() if self.date_to.data else "",
        }
        return {name: value for name, value in values.items() if value}
