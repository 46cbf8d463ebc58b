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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import (
    District,
    NotificationKind,
    Premises,
    PremisesStatus,
    Role,
    ShopType,
    User,
    utcnow,
)
from wishboard.models.base import CONTROL_CHARACTERS, max_length
from wishboard.services import audit, editing
from wishboard.services.errors import DomainError
from wishboard.services.people import accounts, meetings, notifications
from wishboard.services.transactions import commit
from wishboard.settings import DEFAULT_MAP_BOUNDS

# The limits of the texts staff type, from the columns that hold them (notes are a text column).
REFERENCE_MAX_LENGTH = max_length(Premises.reference)
ADDRESS_MAX_LENGTH = max_length(Premises.address)
POSTCODE_MAX_LENGTH = max_length(Premises.postcode)
CITY_MAX_LENGTH = max_length(Premises.city)
LANDLORD_NAME_MAX_LENGTH = max_length(Premises.landlord_name)
EMAIL_MAX_LENGTH = max_length(Premises.landlord_email)
NOTES_MAX_LENGTH = 2000


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
    return editing.clean(
        values,
        TEXT_FIELDS,
        required=("address", "city", "district"),
        email="landlord_email",
        multiline=frozenset({"notes"}),
    )


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


@dataclass(frozen=True)
class _Check:
    """What a rule reads besides the value: the premises edited, the lookups, the town's bounds."""

    premises: Premises | None
    lookups: Lookups
    bounds: Sequence[float]


Rule = Callable[[Any, _Check], str | None]


def _required(message: LazyString) -> Rule:
    return lambda value, _check: str(message) if not value else None


def _at_most(limit: int, message: LazyString) -> Rule:
    return lambda value, _check: (
        message % {"max": limit} if value is not None and len(value) > limit else None
    )


def _known_district(name: str, check: _Check) -> str | None:
    if check.lookups.district(name) is None:
        return _("There is no district called “%(name)s”.", name=name)
    return None


def _free_reference(reference: str | None, check: _Check) -> str | None:
    if reference is None:
        return None
    owner = check.lookups.reference_owner(reference)
    if owner is not None and (check.premises is None or owner != check.premises.id):
        return _("Another premises already has the reference “%(reference)s”.", reference=reference)
    return None


def _latitude(latitude: Any, check: _Check) -> str | None:
    south, _west, north, _east = check.bounds
    if not editing.is_decimal(latitude):
        return _("Enter the latitude as a decimal number.")
    if not south <= latitude <= north:
        return _(
            "This latitude is outside the town: enter one between %(south)s and %(north)s.",
            south=south,
            north=north,
        )
    return None


def _longitude(longitude: Any, check: _Check) -> str | None:
    _south, west, _north, east = check.bounds
    if not editing.is_decimal(longitude):
        return _("Enter the longitude as a decimal number.")
    if not west <= longitude <= east:
        return _(
            "This longitude is outside the town: enter one between %(west)s and %(east)s.",
            west=west,
            east=east,
        )
    return None


def _surface(surface: Any, _check: _Check) -> str | None:
    if surface is not None and not (isinstance(surface, int) and 0 < surface < 2**31):
        return _("Enter the surface as a whole number of square metres.")
    return None


def _email(email: str | None, _check: _Check) -> str | None:
    return accounts.email_problem(email) if email is not None else None


# Each field's rules, in the order a form lists its problems: the first a value breaks is its
# problem. Every message is written once, here.
RULES: tuple[tuple[str, tuple[Rule, ...]], ...] = (
    (
        "address",
        (
            _required(_l("Enter the address.")),
            _at_most(ADDRESS_MAX_LENGTH, _l("An address has at most %(max)d characters.")),
        ),
    ),
    (
        "postcode",
        (_at_most(POSTCODE_MAX_LENGTH, _l("A postcode has at most %(max)d characters.")),),
    ),
    (
        "city",
        (
            _required(_l("Enter the town or city.")),
            _at_most(CITY_MAX_LENGTH, _l("A town name has at most %(max)d characters.")),
        ),
    ),
    ("district", (_required(_l("Choose a district.")), _known_district)),
    (
        "reference",
        (
            _at_most(REFERENCE_MAX_LENGTH, _l("A reference has at most %(max)d characters.")),
            _free_reference,
        ),
    ),
    ("latitude", (_latitude,)),
    ("longitude", (_longitude,)),
    ("surface_m2", (_surface,)),
    (
        "landlord_name",
        (_at_most(LANDLORD_NAME_MAX_LENGTH, _l("A name has at most %(max)d characters.")),),
    ),
    ("landlord_email", (_email,)),
    ("notes", (_at_most(NOTES_MAX_LENGTH, _l("Notes have at most %(max)d characters.")),)),
)


def problems(
    values: PremisesValues,
    premises: Premises | None = None,
    lookups: Lookups | None = None,
    bounds: Sequence[float] = DEFAULT_MAP_BOUNDS,
) -> list[PremisesError]:
    """Every rule of RULES that (cleaned) `values` break, for a new premises or for `premises`.

    A text holding a control character is refused first, alone: the other rules would look such
    texts up in the database. `bounds` are the town's (south, west, north, east).
    """
    found = [
        PremisesError(_("Remove the invisible control characters from this text."), name)
        for name in TEXT_FIELDS
        if getattr(values, name) and CONTROL_CHARACTERS.search(getattr(values, name))
    ]
    if found:
        return found
    check = _Check(premises, lookups or Lookups.from_database(), bounds)
    for name, rules in RULES:
        value = getattr(values, name)
        for rule in rules:
            message = rule(value, check)
            if message:
                found.append(PremisesError(message, name))
                break
    return found


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
        before[name] = editing.snapshot_value(old)
        after[name] = editing.snapshot_value(new)
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
    notifications.area_news([premises], NotificationKind.AREA_VACANT)
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
    apply_update(
        actor, premises, editing.changed_columns(premises, target_columns(values, lookups))
    )
    _commit()
    return premises


def _status_change(
    actor: User | None,
    premises: Premises,
    action: str,
    notify: Callable[[Premises], None] | None = None,
    **columns: Any,
) -> Premises:
    changes = editing.changed_columns(premises, columns)
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
    if notify is not None:
        notify(premises)
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
    # Newly let (not a correction of type or date): its supporters hear of it in their next
    # digest, the notifications written in this same transaction.
    newly_let = premises.status is not PremisesStatus.LET

    def tell(place: Premises) -> None:
        if newly_let:
            notifications.premises_let(place)
        # The holders of projects of this type interested in it: was it theirs?
        meetings.ask_if_theirs(place)

    return _status_change(
        actor,
        premises,
        "premises.let_by_link" if through_link else "premises.let",
        notify=tell,
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
