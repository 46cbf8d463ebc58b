"""Premises management for staff: create, edit, withdraw, reopen and mark as let, each audited.

Each of these changes is one transaction that it commits: the change and its audit event. A refused
change raises PremisesError before anything is written; a race lost to another request saving the
same reference raises PremisesConflict, with nothing written. The import writes many premises in one
transaction of its own through the lower functions (`new_premises`, `apply_update`,
`record_created`), which write without committing.

The landlord contact is a name and an e-mail address. When an active landlord account uses that
address, the premises is linked to it (`landlord_id`); otherwise only the name and address are kept.
The link follows the address: change or clear the address and the link changes with it.

A premises lies in an existing district. Districts are created by the import (when asked to) or by
the demo data, never by the edit form, so that a typo does not make a new district.
"""

import enum
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import District, Premises, PremisesStatus, Role, ShopType, User, utcnow
from wishboard.models.base import CONTROL_CHARACTERS
from wishboard.services import audit
from wishboard.services.errors import DomainError
from wishboard.services.people import accounts
from wishboard.services.transactions import commit
from wishboard.settings import DEFAULT_MAP_BOUNDS

REFERENCE_MAX_LENGTH = 64
ADDRESS_MAX_LENGTH = 200
POSTCODE_MAX_LENGTH = 10
CITY_MAX_LENGTH = 80
DISTRICT_MAX_LENGTH = 80
LANDLORD_NAME_MAX_LENGTH = 120
EMAIL_MAX_LENGTH = accounts.EMAIL_MAX_LENGTH
NOTES_MAX_LENGTH = 2000
# About 10 cm: more digits are noise, and rounding makes a re-import compare equal.
COORDINATE_DIGITS = 6


class PremisesError(DomainError):
    """A premises change refused for a reason staff can fix; `field` names the culprit.

    `problems` lists every problem found at once (this one first), so that a form can show all.
    """


class PremisesConflict(PremisesError):
    """Another request saved the same reference at the same moment: nothing was saved."""


def _commit() -> None:
    commit(
        PremisesConflict(
            _(
                "Someone else saved a premises with the same reference at the same time."
                " Nothing was saved: please try again."
            )
        )
    )


def _refuse(problems: list[PremisesError]) -> None:
    """Raise the first problem, carrying all of them."""
    first = problems[0]
    first.problems = problems
    raise first


@dataclass(frozen=True)
class PremisesValues:
    """What staff (or an import file) say about a premises; `district` is a district's name."""

    address: str
    city: str
    district: str
    latitude: float
    longitude: float
    reference: str | None = None
    postcode: str | None = None
    surface_m2: int | None = None
    landlord_name: str | None = None
    landlord_email: str | None = None
    notes: str | None = None

    @classmethod
    def of(cls, premises: Premises) -> "PremisesValues":
        """The values a premises holds now (to fill an edit form, or to compare)."""
        return cls(
            address=premises.address,
            city=premises.city,
            district=premises.district.name,
            latitude=premises.latitude,
            longitude=premises.longitude,
            reference=premises.reference,
            postcode=premises.postcode,
            surface_m2=premises.surface_m2,
            landlord_name=premises.landlord_name,
            landlord_email=premises.landlord_email,
            notes=premises.notes,
        )


TEXT_FIELDS = (
    "reference",
    "address",
    "postcode",
    "city",
    "district",
    "landlord_name",
    "landlord_email",
    "notes",
)
MULTILINE_FIELDS = frozenset({"notes"})
# Tabs and every character str.splitlines() breaks a line at, except those refused as controls.
LINE_BREAKS = re.compile(r"[\t\n\r\x85\u2028\u2029]+")
# The columns an edit or an import may change, in the order the audit log shows them.
EDITABLE = (
    "reference",
    "address",
    "postcode",
    "city",
    "district_id",
    "latitude",
    "longitude",
    "surface_m2",
    "landlord_id",
    "landlord_name",
    "landlord_email",
    "notes",
)


def clean(values: PremisesValues) -> PremisesValues:
    """`values` stripped: empty texts become None, e-mail lower-cased, coordinates rounded."""
    changes: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        text = getattr(values, name)
        if isinstance(text, str):
            if name not in MULTILINE_FIELDS:
                # A line break in an address would end up in an e-mail's Subject header (where
                # it is refused, or starts a new header) and split CSV rows and map popups.
                text = LINE_BREAKS.sub(" ", text)
            text = text.strip() or None
        changes[name] = text
    if changes["landlord_email"]:
        changes["landlord_email"] = changes["landlord_email"].lower()
    for name in ("latitude", "longitude"):
        number = getattr(values, name)
        if isinstance(number, float) and math.isfinite(number):
            changes[name] = round(number, COORDINATE_DIGITS)
    # Required texts stay strings, so that the checks below can call them missing.
    for name in ("address", "city", "district"):
        changes[name] = changes[name] or ""
    return replace(values, **changes)


@dataclass
class Lookups:
    """What the checks read from the database; the import fills it once for a whole file."""

    district: Callable[[str], District | None]
    # The id of the premises that holds a reference, if any.
    reference_owner: Callable[[str], int | None]
    landlord: Callable[[str], User | None]

    @classmethod
    def from_database(cls) -> "Lookups":
        """Lookups that query the database each time (one premises at a time)."""
        return cls(
            district=find_district,
            reference_owner=lambda reference: db.session.scalar(
                select(Premises.id).where(Premises.reference == reference)
            ),
            landlord=landlord_account,
        )


def find_district(name: str) -> District | None:
    """The district of this name, whatever its case."""
    return db.session.scalars(
        select(District).where(func.lower(District.name) == name.strip().lower())
    ).first()


def landlord_account(email: str) -> User | None:
    """The active landlord account using this e-mail address, if any."""
    return db.session.scalars(
        select(User).where(
            User.email == email.strip().lower(),
            User.role == Role.LANDLORD,
            User.active.is_(True),
        )
    ).first()


def _too_long(value: str | None, maximum: int) -> bool:
    return value is not None and len(value) > maximum


def problems(
    values: PremisesValues,
    premises: Premises | None = None,
    lookups: Lookups | None = None,
    bounds: Sequence[float] = DEFAULT_MAP_BOUNDS,
) -> list[PremisesError]:
    """Every rule that (cleaned) `values` break, for a new premises or for `premises`.

    Checks required fields, lengths, control characters, the position inside the town's bounds
    (south, west, north, east), the district, a reference no other premises holds, the surface
    and the e-mail address.
    """
    lookups = lookups or Lookups.from_database()
    south, west, north, east = bounds
    found: list[PremisesError] = []

    for name in TEXT_FIELDS:
        text = getattr(values, name)
        if text and CONTROL_CHARACTERS.search(text):
            found.append(
                PremisesError(_("Remove the invisible control characters from this text."), name)
            )
    if any(problem.field for problem in found):
        return found  # the other checks would look these texts up in the database

    if not values.address:
        found.append(PremisesError(_("Enter the address."), "address"))
    elif _too_long(values.address, ADDRESS_MAX_LENGTH):
        found.append(
            PremisesError(
                _("An address has at most %(max)d characters.", max=ADDRESS_MAX_LENGTH), "address"
            )
        )
    if _too_long(values.postcode, POSTCODE_MAX_LENGTH):
        found.append(
            PremisesError(
                _("A postcode has at most %(max)d characters.", max=POSTCODE_MAX_LENGTH),
                "postcode",
            )
        )
    if not values.city:
        found.append(PremisesError(_("Enter the town or city."), "city"))
    elif _too_long(values.city, CITY_MAX_LENGTH):
        found.append(
            PremisesError(
                _("A town name has at most %(max)d characters.", max=CITY_MAX_LENGTH), "city"
            )
        )

    if not values.district:
        found.append(PremisesError(_("Choose a district."), "district"))
    elif lookups.district(values.district) is None:
        found.append(
            PremisesError(
                _("There is no district called “%(name)s”.", name=values.district), "district"
            )
        )

    if values.reference is not None:
        if _too_long(values.reference, REFERENCE_MAX_LENGTH):
            found.append(
                PremisesError(
                    _("A reference has at most %(max)d characters.", max=REFERENCE_MAX_LENGTH),
                    "reference",
                )
            )
        else:
            owner = lookups.reference_owner(values.reference)
            if owner is not None and (premises is None or owner != premises.id):
                found.append(
                    PremisesError(
                        _(
                            "Another premises already has the reference “%(reference)s”.",
                            reference=values.reference,
                        ),
                        "reference",
                    )
                )

    latitude, longitude = values.latitude, values.longitude
    if not (isinstance(latitude, float | int) and math.isfinite(latitude)):
        found.append(PremisesError(_("Enter the latitude as a decimal number."), "latitude"))
    elif not south <= latitude <= north:
        found.append(
            PremisesError(
                _(
                    "This latitude is outside the town: enter one between %(south)s and %(north)s.",
                    south=south,
                    north=north,
                ),
                "latitude",
            )
        )
    if not (isinstance(longitude, float | int) and math.isfinite(longitude)):
        found.append(PremisesError(_("Enter the longitude as a decimal number."), "longitude"))
    elif not west <= longitude <= east:
        found.append(
            PremisesError(
                _(
                    "This longitude is outside the town: enter one between %(west)s and %(east)s.",
                    west=west,
                    east=east,
                ),
                "longitude",
            )
        )

    if values.surface_m2 is not None and not (
        isinstance(values.surface_m2, int) and 0 < values.surface_m2 < 2**31
    ):
        found.append(
            PremisesError(_("Enter the surface as a whole number of square metres."), "surface_m2")
        )

    if _too_long(values.landlord_name, LANDLORD_NAME_MAX_LENGTH):
        found.append(
            PremisesError(
                _("A name has at most %(max)d characters.", max=LANDLORD_NAME_MAX_LENGTH),
                "landlord_name",
            )
        )
    if values.landlord_email is not None:
        problem = accounts.email_problem(values.landlord_email)
        if problem:
            found.append(PremisesError(problem, "landlord_email"))

    if _too_long(values.notes, NOTES_MAX_LENGTH):
        found.append(
            PremisesError(
                _("Notes have at most %(max)d characters.", max=NOTES_MAX_LENGTH), "notes"
            )
        )
    return found


def snapshot_value(value: Any) -> Any:
    """A column's value as the audit log keeps it (JSON-ready)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _district_name(district_id: int | None) -> str | None:
    if district_id is None:
        return None
    district = db.session.get(District, district_id)
    return district.name if district is not None else None


def _audit_pair(changes: dict[str, tuple[Any, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The before and after of the audit log from {column: (old, new)}; districts by name."""
    before, after = {}, {}
    for name, (old, new) in changes.items():
        if name == "district_id":
            name, old, new = "district", _district_name(old), _district_name(new)
        before[name] = snapshot_value(old)
        after[name] = snapshot_value(new)
    return before, after


def target_columns(values: PremisesValues, lookups: Lookups) -> dict[str, Any]:
    """The column values of checked `values`: the district's id, the landlord account's id."""
    district = lookups.district(values.district)
    landlord = lookups.landlord(values.landlord_email) if values.landlord_email else None
    return {
        "reference": values.reference,
        "address": values.address,
        "postcode": values.postcode,
        "city": values.city,
        "district_id": district.id if district is not None else None,
        "latitude": values.latitude,
        "longitude": values.longitude,
        "surface_m2": values.surface_m2,
        "landlord_id": landlord.id if landlord is not None else None,
        "landlord_name": values.landlord_name,
        "landlord_email": values.landlord_email,
        "notes": values.notes,
    }


def changed_columns(premises: Premises, columns: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{column: (now, then)} for the columns whose value would change."""
    return {
        name: (getattr(premises, name), value)
        for name, value in columns.items()
        if getattr(premises, name) != value
    }


def new_premises(columns: dict[str, Any]) -> Premises:
    """A vacant premises with checked `columns`, added to the session (no checks, no event)."""
    premises = Premises(**columns, status=PremisesStatus.VACANT)
    db.session.add(premises)
    return premises


def record_created(actor: User | None, premises: Premises, columns: dict[str, Any]) -> None:
    """Record "premises.created" for a flushed premises made from `columns`."""
    _before, after = _audit_pair(
        {name: (None, value) for name, value in columns.items() if value is not None}
    )
    audit.record(actor, "premises.created", audit.PREMISES, premises.id, before=None, after=after)


def apply_update(
    actor: User | None, premises: Premises, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Write `changes` ({column: (old, new)}) and their "premises.updated" event (no checks)."""
    if not changes:
        return
    for name, (_old, new) in changes.items():
        setattr(premises, name, new)
    before, after = _audit_pair(changes)
    audit.record(actor, "premises.updated", audit.PREMISES, premises.id, before, after)


def create_premises(
    actor: User | None, values: PremisesValues, bounds: Sequence[float] = DEFAULT_MAP_BOUNDS
) -> Premises:
    """A new vacant premises from `values`, with its audit event, committed.

    Raises PremisesError (carrying every problem in `problems`) when a rule is broken.
    """
    values = clean(values)
    lookups = Lookups.from_database()
    found = problems(values, None, lookups, bounds)
    if found:
        _refuse(found)
    columns = target_columns(values, lookups)
    premises = new_premises(columns)
    db.session.flush()  # the audit event names the new id
    record_created(actor, premises, columns)
    _commit()
    return premises


def update_premises(
    actor: User | None,
    premises: Premises,
    values: PremisesValues,
    bounds: Sequence[float] = DEFAULT_MAP_BOUNDS,
) -> Premises:
    """Change `premises` to `values`; only changed fields are written and audited, committed.

    Nothing changed: nothing is written and no event is recorded.
    Raises PremisesError (carrying every problem in `problems`) when a rule is broken.
    """
    values = clean(values)
    lookups = Lookups.from_database()
    found = problems(values, premises, lookups, bounds)
    if found:
        _refuse(found)
    apply_update(actor, premises, changed_columns(premises, target_columns(values, lookups)))
    _commit()
    return premises


def _status_change(actor: User | None, premises: Premises, action: str, **columns: Any) -> Premises:
    changes = changed_columns(premises, columns)
    if not changes:
        return premises  # marked let again with the same type and date: nothing to record
    for name, (_old, new) in changes.items():
        setattr(premises, name, new)
    before, after = _audit_pair(changes)
    if "let_shop_type_id" in changes:
        # The audit log names shop types by their code, which outlives ids across databases.
        before.pop("let_shop_type_id")
        after.pop("let_shop_type_id")
        old, new = changes["let_shop_type_id"]
        before["let_shop_type"] = _shop_type_code(old)
        after["let_shop_type"] = _shop_type_code(new)
    audit.record(actor, action, audit.PREMISES, premises.id, before, after)
    _commit()
    return premises


def _shop_type_code(shop_type_id: int | None) -> str | None:
    if shop_type_id is None:
        return None
    shop_type = db.session.get(ShopType, shop_type_id)
    return shop_type.code if shop_type is not None else None


def withdraw_premises(actor: User | None, premises: Premises) -> Premises:
    """Take a vacant or let premises off the map and the lists; it keeps its wishes.

    Records "premises.withdrawn", committed. An already withdrawn one is refused.
    """
    if premises.status is PremisesStatus.WITHDRAWN:
        raise PremisesError(_("This premises is already withdrawn."))
    return _status_change(actor, premises, "premises.withdrawn", status=PremisesStatus.WITHDRAWN)


def reopen_premises(actor: User | None, premises: Premises) -> Premises:
    """Make a withdrawn or let premises vacant again, forgetting what it was let to.

    Records "premises.reopened", committed. A vacant one is refused.
    """
    if premises.status is PremisesStatus.VACANT:
        raise PremisesError(_("This premises is already vacant."))
    return _status_change(
        actor,
        premises,
        "premises.reopened",
        status=PremisesStatus.VACANT,
        let_shop_type_id=None,
        let_on=None,
    )


def latest_let_date() -> date:
    """The latest date a premises may be marked let on: today, wherever the town is."""
    # Dates are typed in local time; a day of slack keeps "today" valid east of UTC.
    return utcnow().date() + timedelta(days=1)


def mark_let(
    actor: User | None,
    premises: Premises,
    shop_type: ShopType | None,
    let_on: date | None,
    through_link: bool = False,
) -> Premises:
    """Record that `premises` was let to a `shop_type` on `let_on`: it stops taking wishes.

    Staff and landlords use it, a landlord without an account through the signed report link
    (`through_link`, with no actor). A let premises may be marked again to correct its type or
    date. Records "premises.let" ("premises.let_by_link"), committed. Refused for a
    withdrawn premises, an unknown or retired shop type, or a date missing or in the future.
    """
    found = []
    if premises.status is PremisesStatus.WITHDRAWN:
        found.append(PremisesError(_("A withdrawn premises cannot be marked as let.")))
    if shop_type is None or not shop_type.active:
        found.append(PremisesError(_("Choose a shop type from the list."), "shop_type"))
    if let_on is None:
        found.append(PremisesError(_("Enter the date it was let."), "let_on"))
    elif let_on > latest_let_date():
        found.append(PremisesError(_("Enter a date that is not in the future."), "let_on"))
    if found:
        _refuse(found)
    return _status_change(
        actor,
        premises,
        "premises.let_by_link" if through_link else "premises.let",
        status=PremisesStatus.LET,
        let_shop_type_id=shop_type.id,
        let_on=let_on,
    )


# The list of premises for staff


class StaffSort(enum.StrEnum):
    """The orders of the staff list of premises."""

    ADDRESS = "address"
    REFERENCE = "reference"
    DISTRICT = "district"
    UPDATED = "updated"  # most recently changed first


@dataclass(frozen=True)
class StaffFilter:
    """What staff narrowed the premises to; None means any."""

    text: str | None = None  # part of the address, reference or postcode
    status: PremisesStatus | None = None
    district_id: int | None = None
    sort: StaffSort = StaffSort.ADDRESS


def staff_premises(filters: StaffFilter) -> Select[tuple[Premises]]:
    """Every premises matching `filters`, whatever its status, with its district, in order."""
    query = select(Premises).join(Premises.district).options(contains_eager(Premises.district))
    if filters.text:
        text = filters.text.strip()
        query = query.where(
            Premises.address.icontains(text, autoescape=True)
            | Premises.reference.icontains(text, autoescape=True)
            | Premises.postcode.icontains(text, autoescape=True)
        )
    if filters.status is not None:
        query = query.where(Premises.status == filters.status)
    if filters.district_id is not None:
        query = query.where(Premises.district_id == filters.district_id)
    orders = {
        StaffSort.ADDRESS: (dictionary_order(Premises.address), Premises.id),
        StaffSort.REFERENCE: (Premises.reference.is_(None), Premises.reference, Premises.id),
        StaffSort.DISTRICT: (
            dictionary_order(District.name),
            dictionary_order(Premises.address),
            Premises.id,
        ),
        StaffSort.UPDATED: (Premises.updated_at.desc(), Premises.id.desc()),
    }
    return query.order_by(*orders[filters.sort])


def districts() -> list[District]:
    """Every district, by name."""
    return list(db.session.scalars(select(District).order_by(dictionary_order(District.name))))
