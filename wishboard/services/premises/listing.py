"""Which premises the public sees: the vacant ones in the list, vacant and let ones on the map.

Both can be narrowed by the same filters (a shop type or a group of types residents support there,
a district) and the list can be sorted by total demand or by newest.
"""

import enum
from dataclasses import dataclass

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    District,
    Premises,
    PremisesStatus,
    ShopType,
    ShopTypeGroup,
    User,
)

# On the map: the premises still wished for, and those let (a result worth seeing).
MAP_STATUSES = (PremisesStatus.VACANT, PremisesStatus.LET)


class Sort(enum.StrEnum):
    """The orders of the list of premises."""

    DEMAND = "demand"  # most supported first, ties by address
    NEWEST = "newest"  # most recently added first


@dataclass(frozen=True)
class PremisesFilter:
    """What a visitor narrowed the premises to; None means any."""

    shop_type: str | None = None  # a ShopType code: at least one resident supports it there
    group: str | None = None  # a ShopTypeGroup code: a type of that group is supported there
    district_id: int | None = None
    sort: Sort = Sort.DEMAND

    @property
    def narrows(self) -> bool:
        """True when some premises may be left out (the order alone leaves none out)."""
        return any(value is not None for value in (self.shop_type, self.group, self.district_id))


NO_FILTER = PremisesFilter()


def _filtered(query: Select, filters: PremisesFilter) -> Select:
    """`query` (over Premises) narrowed to the premises matching `filters`."""
    # Correlated EXISTS on the demand counts' primary key: no duplicate rows, no GROUP BY.
    supported = (
        select(DemandCount.premises_id)
        .join(ShopType, ShopType.id == DemandCount.shop_type_id)
        .where(DemandCount.premises_id == Premises.id, DemandCount.supports > 0)
    )
    if filters.shop_type is not None:
        query = query.where(supported.where(ShopType.code == filters.shop_type).exists())
    if filters.group is not None:
        in_group = supported.join(ShopTypeGroup, ShopTypeGroup.id == ShopType.group_id)
        query = query.where(in_group.where(ShopTypeGroup.code == filters.group).exists())
    if filters.district_id is not None:
        query = query.where(Premises.district_id == filters.district_id)
    return query


def vacant_premises(filters: PremisesFilter = NO_FILTER) -> Select[tuple[Premises]]:
    """The vacant premises matching `filters`, with their district, in its order (to paginate)."""
    query = _filtered(
        select(Premises)
        .join(Premises.district)
        .options(contains_eager(Premises.district))
        .where(Premises.status == PremisesStatus.VACANT),
        filters,
    )
    if filters.sort is Sort.NEWEST:
        return query.order_by(Premises.created_at.desc(), Premises.id.desc())
    # Each premises' total from its few demand counts (a primary-key range): no aggregate of
    # the whole table, and counting the pages does not compute it at all.
    total = (
        select(func.coalesce(func.sum(DemandCount.supports), 0))
        .where(DemandCount.premises_id == Premises.id)
        .scalar_subquery()
    )
    return query.order_by(total.desc(), Premises.address, Premises.id)


def map_premises_ids(filters: PremisesFilter = NO_FILTER) -> Select[tuple[int]]:
    """The ids of the premises on the map matching `filters`, as a query to nest in another."""
    return _filtered(select(Premises.id).where(Premises.status.in_(MAP_STATUSES)), filters)


def map_premises(filters: PremisesFilter = NO_FILTER) -> list[Row]:
    """id, address, district name, status, position and let type of the premises on the map."""
    query = (
        select(
            Premises.id,
            Premises.address,
            District.name,
            Premises.status,
            Premises.latitude,
            Premises.longitude,
            Premises.let_shop_type_id,
            Premises.let_on,
        )
        .join(District, District.id == Premises.district_id)
        .where(Premises.status.in_(MAP_STATUSES))
        .order_by(Premises.id)
    )
    return db.session.execute(_filtered(query, filters)).all()


def landlord_premises(landlord: User) -> list[Premises]:
    """The premises linked to `landlord`'s account, with their district, by address."""
    return list(
        db.session.scalars(
            select(Premises)
            .options(joinedload(Premises.district))
            .where(Premises.landlord_id == landlord.id)
            .order_by(dictionary_order(Premises.address), Premises.id)
        )
    )
