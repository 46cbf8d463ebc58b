"""Shop management for staff: edit a shop of the directory (with its online presence), and handle
the corrections people ask for. Each change is audited.

Each change is one transaction that it commits: the change and its audit event. A refused change
raises ShopError (every problem in `problems`) before anything is changed.

Websites and social addresses are web addresses only: one typed without a scheme gets
"https://"; any scheme but http and https (`javascript:`, `data:`…) is refused.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import (
    CorrectionStatus,
    District,
    Presence,
    Shop,
    ShopCorrection,
    ShopType,
    User,
    utcnow,
)
from wishboard.models.base import max_length
from wishboard.services import audit, editing
from wishboard.services.errors import DomainError
from wishboard.services.people import accounts
from wishboard.services.shops import directory as shops
from wishboard.services.shops.visibility import SHOP, level_expression


class ShopError(DomainError):
    """A shop change refused for a reason staff can fix; `field` names the culprit.

    `problems` lists every problem found at once (this one first), so that a form can show all.
    """


@dataclass(frozen=True)
class ShopValues:
    """What staff say about a shop; `shop_type` is the chosen type, `district_id` None for none."""

    name: str
    shop_type: ShopType | None
    address: str
    city: str
    latitude: float
    longitude: float
    district_id: int | None = None
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    social_url: str | None = None
    opening_hours: str | None = None
    has_website: Presence = Presence.UNKNOWN
    has_social: Presence = Presence.UNKNOWN
    on_map_service: Presence = Presence.UNKNOWN

    @classmethod
    def of(cls, shop: Shop) -> "ShopValues":
        """The values a shop holds now (to fill the edit form, or to compare)."""
        return cls(**{field.name: getattr(shop, field.name) for field in fields(cls)})


TEXT_FIELDS = (
    "name",
    "address",
    "postcode",
    "city",
    "phone",
    "email",
    "website",
    "social_url",
    "opening_hours",
)
# The most characters each text holds: its column's length.
MAX_LENGTHS = {name: max_length(getattr(Shop, name)) for name in TEXT_FIELDS}
# The columns an edit changes, in the order the audit log shows them.
EDITABLE = (
    "name",
    "shop_type_id",
    "address",
    "postcode",
    "city",
    "district_id",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "social_url",
    "opening_hours",
    "has_website",
    "has_social",
    "on_map_service",
)


def web_address(text: str | None) -> str | None:
    """A web address as stored: "example.org" gets https://; None when empty.

    Raises ValueError for any scheme but http(s), or no usable host (services/shops.web_address).
    """
    text = (text or "").strip()
    if not text:
        return None
    address = shops.web_address(text)
    if address is None:
        raise ValueError(text)
    return address


def clean(values: ShopValues) -> ShopValues:
    """`values` stripped: empty texts become None, e-mail lower-cased, coordinates rounded."""
    return editing.clean(values, TEXT_FIELDS, required=("name", "address", "city"), email="email")


def problems(values: ShopValues, bounds: Sequence[float]) -> list[ShopError]:
    """Every rule that (cleaned) `values` break: fields, lengths, addresses, a place in `bounds`."""
    found: list[ShopError] = []
    required = {
        "name": _("Enter the shop's name."),
        "address": _("Enter the address."),
        "city": _("Enter the town or city."),
    }
    for name in TEXT_FIELDS:
        text = getattr(values, name)
        if not text and name in required:
            found.append(ShopError(required[name], name))
        elif text and len(text) > MAX_LENGTHS[name]:
            found.append(ShopError(_("At most %(max)d characters.", max=MAX_LENGTHS[name]), name))
    if values.shop_type is None:
        found.append(ShopError(_("Choose a shop type from the list."), "shop_type"))
    if values.email and len(values.email) <= MAX_LENGTHS["email"]:
        problem = accounts.email_problem(values.email)
        if problem:
            found.append(ShopError(problem, "email"))
    for name in ("website", "social_url"):
        text = getattr(values, name)
        if text and len(text) <= MAX_LENGTHS[name]:
            try:
                web_address(text)
            except ValueError:
                found.append(ShopError(_("Enter a web address such as https://example.org."), name))
    if values.district_id is not None and db.session.get(District, values.district_id) is None:
        found.append(ShopError(_("Choose a district from the list."), "district"))
    south, west, north, east = bounds
    for name, low, high in (("latitude", south, north), ("longitude", west, east)):
        number = getattr(values, name)
        if not editing.is_decimal(number):
            found.append(ShopError(_("Enter a decimal number."), name))
        elif not low <= number <= high:
            found.append(
                ShopError(
                    _(
                        "This position is outside the town: enter a number between %(low)s"
                        " and %(high)s.",
                        low=low,
                        high=high,
                    ),
                    name,
                )
            )
    return found


def _columns(values: ShopValues) -> dict[str, Any]:
    """The column values of checked `values`."""
    columns = {name: getattr(values, name) for name in EDITABLE if name not in ("shop_type_id",)}
    columns["shop_type_id"] = values.shop_type.id
    columns["website"] = web_address(values.website)
    columns["social_url"] = web_address(values.social_url)
    return {name: columns[name] for name in EDITABLE}


def _label(name: str, value: Any) -> tuple[str, Any]:
    """An audited column as people read it: the district by name, the shop type by code."""
    if name == "district_id":
        district = db.session.get(District, value) if value is not None else None
        return "district", district.name if district is not None else None
    if name == "shop_type_id":
        shop_type = db.session.get(ShopType, value) if value is not None else None
        return "shop_type", shop_type.code if shop_type is not None else None
    return name, editing.snapshot_value(value)


def update_shop(
    actor: User | None, shop: Shop, values: ShopValues, bounds: Sequence[float]
) -> dict[str, tuple[Any, Any]]:
    """Change `shop` to `values`, with a "shop.updated" event; {column: (old, new)} changed.

    Nothing changes (and nothing is recorded) when the values are those the shop holds already.
    Raises ShopError (carrying every problem) when a rule is broken. Commits the change.
    """
    values = clean(values)
    found = problems(values, bounds)
    if found:
        found[0].problems = found
        raise found[0]
    changes = {
        name: (getattr(shop, name), value)
        for name, value in _columns(values).items()
        if getattr(shop, name) != value
    }
    if not changes:
        return changes
    before, after = {}, {}
    for name, (old, new) in changes.items():
        setattr(shop, name, new)
        key, old_value = _label(name, old)
        before[key] = old_value
        after[key] = _label(name, new)[1]
    audit.record(actor, "shop.updated", SHOP, shop.id, before, after)
    db.session.commit()
    return changes


# Staff's list of shops


@dataclass(frozen=True)
class ShopFilter:
    """Which shops staff list: a text in the name, address or reference; a district; a level."""

    text: str | None = None
    district_id: int | None = None
    level: str | None = None


def staff_shops(selected: ShopFilter):
    """A select of the shops matching `selected`, by name, with their type and district loaded."""
    query = select(Shop).options(joinedload(Shop.shop_type), joinedload(Shop.district))
    if selected.text:
        pattern = f"%{_escape_like(selected.text.lower())}%"
        query = query.where(
            func.lower(Shop.name).like(pattern, escape="\\")
            | func.lower(Shop.address).like(pattern, escape="\\")
            | func.lower(func.coalesce(Shop.reference, "")).like(pattern, escape="\\")
        )
    if selected.district_id is not None:
        query = query.where(Shop.district_id == selected.district_id)
    if selected.level is not None:
        query = query.where(level_expression() == selected.level)
    return query.order_by(dictionary_order(Shop.name), Shop.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def shop_types_for(shop: Shop | None) -> list[ShopType]:
    """The types a shop may be given: every active type, and its own even if deactivated."""
    types = list(
        db.session.scalars(
            select(ShopType).where(ShopType.active).order_by(ShopType.position, ShopType.id)
        )
    )
    if shop is not None and shop.shop_type not in types:
        types.append(shop.shop_type)
    return types


# Corrections people ask for


class CorrectionError(DomainError):
    """A correction that cannot be handled (someone else already did)."""


HANDLED_ACTIONS = {
    CorrectionStatus.DONE: "shop.correction_done",
    CorrectionStatus.DISMISSED: "shop.correction_dismissed",
}


def open_corrections(page: int, page_size: int) -> Pagination:
    """One page of the open correction requests, oldest first, each with its shop loaded."""
    return db.paginate(
        select(ShopCorrection)
        .where(ShopCorrection.status == CorrectionStatus.OPEN)
        .options(joinedload(ShopCorrection.shop).joinedload(Shop.shop_type))
        .order_by(ShopCorrection.created_at, ShopCorrection.id),
        page=page,
        per_page=page_size,
        max_per_page=None,
        error_out=True,
    )


def open_correction_count() -> int:
    """How many correction requests wait for staff."""
    return db.session.scalar(
        select(func.count(ShopCorrection.id)).where(ShopCorrection.status == CorrectionStatus.OPEN)
    )


def handle_correction(
    actor: User | None, correction: ShopCorrection, status: CorrectionStatus
) -> None:
    """Mark an open correction done or dismissed, audited and committed.

    Raises CorrectionError when it is no longer open (two moderators at once: the first wins).
    """
    if status not in HANDLED_ACTIONS:
        raise ValueError(status)
    now = utcnow()
    # A conditional update, so that of two moderators deciding at once only one succeeds.
    result = db.session.execute(
        update(ShopCorrection)
        .where(
            ShopCorrection.id == correction.id,
            ShopCorrection.status == CorrectionStatus.OPEN,
        )
        .values(
            status=status,
            handled_by_id=actor.id if actor is not None else None,
            handled_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(correction)
        raise CorrectionError(_("This request was already handled by someone else."))
    db.session.refresh(correction)
    audit.record(
        actor,
        HANDLED_ACTIONS[status],
        SHOP,
        correction.shop_id,
        before={"correction_id": correction.id, "status": CorrectionStatus.OPEN.value},
        after={"correction_id": correction.id, "status": status.value},
    )
    db.session.commit()
