"""Shops' online visibility: a level computed from what staff know, the shops to contact, contacts.

The level of a shop reads its three kinds of online presence (a website, a social account, a
listing on a map service). A website or social address on record counts as "yes", whatever the
stored Presence says, since the listing itself links to it. Then:

- GOOD: at least two kinds of presence are "yes" (people can find the shop in more than one way);
- LOW: exactly one is "yes";
- NONE: none is "yes" and all three are known to be "no": the shops to contact first;
- UNKNOWN: none is "yes" and at least one is not known yet: someone should check.

`visibility_level(shop)` computes it in Python and `level_expression()` in SQL (to filter and count
in the database); the tests hold the two to the same answers for every combination.

`record_contact` writes the contact and its audit event in one transaction, which it commits.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import contains_eager

from wishboard.collation import dictionary_order, sort_key
from wishboard.extensions import db
from wishboard.models import (
    ContactOutcome,
    District,
    Presence,
    Shop,
    ShopContact,
    ShopType,
    User,
    utcnow,
)
from wishboard.services import audit
from wishboard.services.errors import DomainError

NOTE_MAX_LENGTH = 2000
SHOP = audit.SHOP


class Level(enum.StrEnum):
    """How visible a shop is online (see the module's docstring for the scale)."""

    NONE = "none"
    LOW = "low"
    GOOD = "good"
    UNKNOWN = "unknown"


LEVEL_LABELS = {
    Level.NONE: _l("No online presence"),
    Level.LOW: _l("Low"),
    Level.GOOD: _l("Good"),
    Level.UNKNOWN: _l("Not known"),
}
PRESENCE_LABELS = {
    Presence.YES: _l("Yes"),
    Presence.NO: _l("No"),
    Presence.UNKNOWN: _l("Not known"),
}
OUTCOME_LABELS = {
    ContactOutcome.HELPED: _l("Helped: now visible online, or getting there"),
    ContactOutcome.INTERESTED: _l("Interested"),
    ContactOutcome.NOT_INTERESTED: _l("Not interested"),
    ContactOutcome.NO_ANSWER: _l("No answer"),
}


def _effective(presence: Presence, url: str | None) -> Presence:
    """A presence with its address taken into account: an address on record means "yes"."""
    return Presence.YES if url and url.strip() else presence


def presences(shop: Shop) -> tuple[Presence, Presence, Presence]:
    """The shop's (website, social account, map service) presence, addresses taken into account."""
    return (
        _effective(shop.has_website, shop.website),
        _effective(shop.has_social, shop.social_url),
        shop.on_map_service,
    )


def level_of(website: Presence, social: Presence, map_service: Presence) -> Level:
    """The level of three effective presences."""
    found = (website, social, map_service)
    yes = found.count(Presence.YES)
    if yes >= 2:
        return Level.GOOD
    if yes == 1:
        return Level.LOW
    return Level.UNKNOWN if Presence.UNKNOWN in found else Level.NONE


def visibility_level(shop: Shop) -> Level:
    """How visible `shop` is online: NONE, LOW, GOOD or UNKNOWN (see the module's docstring)."""
    return level_of(*presences(shop))


def _has_text(column) -> ColumnElement[bool]:
    return and_(column.is_not(None), func.trim(column) != "")


def _presence_sql(column, url_column) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(is yes, is unknown) for one kind of presence, its address taken into account."""
    has_url = _has_text(url_column)
    return or_(column == Presence.YES, has_url), and_(column == Presence.UNKNOWN, ~has_url)


def level_expression() -> ColumnElement[str]:
    """The SQL twin of `visibility_level`: the level's value ("none", "low"…) for a Shop row."""
    website_yes, website_unknown = _presence_sql(Shop.has_website, Shop.website)
    social_yes, social_unknown = _presence_sql(Shop.has_social, Shop.social_url)
    map_yes = Shop.on_map_service == Presence.YES
    yes_count = sum(
        case((condition, 1), else_=0) for condition in (website_yes, social_yes, map_yes)
    )
    return case(
        (yes_count >= 2, Level.GOOD.value),
        (yes_count == 1, Level.LOW.value),
        (
            or_(website_unknown, social_unknown, Shop.on_map_service == Presence.UNKNOWN),
            Level.UNKNOWN.value,
        ),
        else_=Level.NONE.value,
    )


# The list of shops to contact


@dataclass(frozen=True)
class VisibilityFilter:
    """Which shops to list: one level (or all when None), one district (or all; 0 is "none")."""

    level: Level | None = Level.NONE
    district_id: int | None = None


NO_DISTRICT = 0  # the district filter's value for shops in no district


def _conditions(selected: VisibilityFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if selected.level is not None:
        conditions.append(level_expression() == selected.level.value)
    if selected.district_id == NO_DISTRICT:
        conditions.append(Shop.district_id.is_(None))
    elif selected.district_id is not None:
        conditions.append(Shop.district_id == selected.district_id)
    return conditions


def shops_to_contact(selected: VisibilityFilter) -> Select:
    """The shops matching `selected`, by district (shops in none last), then name.

    Each row is a Shop with its district and shop type loaded (ready for `db.paginate`).
    """
    return (
        select(Shop)
        .outerjoin(District, District.id == Shop.district_id)
        .join(ShopType, ShopType.id == Shop.shop_type_id)
        .options(contains_eager(Shop.district), contains_eager(Shop.shop_type))
        .where(*_conditions(selected))
        .order_by(
            District.name.is_(None),
            dictionary_order(District.name),
            dictionary_order(Shop.name),
            Shop.id,
        )
    )


@dataclass(frozen=True)
class DistrictLevels:
    """How many shops of one district (None: in no district) have each level."""

    district_id: int | None
    district_name: str | None
    counts: dict[Level, int]

    @property
    def total(self) -> int:
        """Every shop of the district."""
        return sum(self.counts.values())


def levels_by_district() -> list[DistrictLevels]:
    """For each district with shops, the number of shops at each level; one query."""
    level = level_expression().label("level")
    rows = db.session.execute(
        select(District.id, District.name, level, func.count(Shop.id))
        .select_from(Shop)
        .outerjoin(District, District.id == Shop.district_id)
        .group_by(District.id, District.name, level)
    )
    found: dict[int | None, DistrictLevels] = {}
    for district_id, name, value, count in rows:
        entry = found.setdefault(
            district_id, DistrictLevels(district_id, name, dict.fromkeys(Level, 0))
        )
        entry.counts[Level(value)] += count
    return sorted(
        found.values(),
        key=lambda entry: (entry.district_name is None, sort_key(entry.district_name or "")),
    )


def last_contacts(shop_ids: Sequence[int]) -> dict[int, ShopContact]:
    """The latest contact of each of these shops that was contacted (by day, then by entry)."""
    if not shop_ids:
        return {}
    ranked = (
        select(
            ShopContact.id,
            func.row_number()
            .over(
                partition_by=ShopContact.shop_id,
                order_by=(ShopContact.contacted_on.desc(), ShopContact.id.desc()),
            )
            .label("rank"),
        )
        .where(ShopContact.shop_id.in_(shop_ids))
        .subquery()
    )
    contacts = db.session.scalars(
        select(ShopContact).join(ranked, ranked.c.id == ShopContact.id).where(ranked.c.rank == 1)
    )
    return {contact.shop_id: contact for contact in contacts}


def contact_history(shop: Shop) -> list[ShopContact]:
    """Every contact with `shop`, newest first, with the staff member who made it."""
    return list(
        db.session.scalars(
            select(ShopContact)
            .where(ShopContact.shop_id == shop.id)
            .outerjoin(User, User.id == ShopContact.staff_id)
            .options(contains_eager(ShopContact.staff))
            .order_by(ShopContact.contacted_on.desc(), ShopContact.id.desc())
        )
    )


# Recording a contact


class ContactError(DomainError):
    """A contact refused for a reason staff can fix; `field` names the culprit."""


def record_contact(
    actor: User | None,
    shop: Shop,
    contacted_on: date,
    outcome: ContactOutcome,
    note: str = "",
) -> ShopContact:
    """Record that `actor` contacted `shop` on a day, with its outcome and a note; audited.

    Raises ContactError for a day in the future or a note that is too long. Commits the contact.
    """
    note = (note or "").strip()
    if contacted_on > utcnow().date():
        raise ContactError(_("The contact cannot be in the future."), "contacted_on")
    if len(note) > NOTE_MAX_LENGTH:
        raise ContactError(_("A note has at most %(max)d characters.", max=NOTE_MAX_LENGTH), "note")
    contact = ShopContact(
        shop=shop,
        contacted_on=contacted_on,
        outcome=ContactOutcome(outcome),
        note=note,
        staff_id=actor.id if actor is not None else None,
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        actor,
        "shop.contacted",
        SHOP,
        shop.id,
        before=None,
        after={
            "contacted_on": contacted_on.isoformat(),
            "outcome": contact.outcome.value,
            "note": note,
        },
    )
    db.session.commit()
    return contact


# The CSV export

CSV_HEADER = (
    "shop_id",
    "reference",
    "name",
    "shop_type_code",
    "address",
    "postcode",
    "city",
    "district",
    "phone",
    "email",
    "website",
    "social_url",
    "has_website",
    "has_social",
    "on_map_service",
    "visibility_level",
    "last_contacted_on",
    "last_contact_outcome",
    "last_contact_note",
)


def csv_rows(selected: VisibilityFilter) -> list[tuple]:
    """Every shop matching `selected` as rows following CSV_HEADER, in the list's order.

    Three queries whatever the number of shops: the shops, their last contacts, nothing else.
    """
    shops = list(db.session.scalars(shops_to_contact(selected)))
    latest = last_contacts([shop.id for shop in shops])
    rows = []
    for shop in shops:
        contact = latest.get(shop.id)
        rows.append(
            (
                shop.id,
                shop.reference,
                shop.name,
                shop.shop_type.code,
                shop.address,
                shop.postcode,
                shop.city,
                shop.district.name if shop.district is not None else None,
                shop.phone,
                shop.email,
                shop.website,
                shop.social_url,
                shop.has_website.value,
                shop.has_social.value,
                shop.on_map_service.value,
                visibility_level(shop).value,
                contact.contacted_on.isoformat() if contact is not None else None,
                contact.outcome.value if contact is not None else None,
                contact.note if contact is not None else None,
            )
        )
    return rows


def districts() -> list[District]:
    """Every district, by name (for the filters)."""
    return list(db.session.scalars(select(District).order_by(dictionary_order(District.name))))
