"""Which premises the public sees: the vacant ones in the list, vacant and let ones on the map.

Both can be narrowed by the same filters (a shop type or a group of types residents support there,
a district) and the list can be sorted by total demand or by newest.
"""

import enum
from dataclasses import dataclass

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import District, Premises, PremisesStatus, ShopType, ShopTypeGroup, Support

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
    # Correlated EXISTS on the (premises, shop type) index: no duplicate rows, no GROUP BY.
    supported = (
        select(Support.id)
        .join(ShopType, ShopType.id == Support.shop_type_id)
        .where(Support.premises_id == Premises.id)
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
    # One aggregate for the whole page, counted as services.demand counts (one row per Support).
    totals = (
        select(Support.premises_id, func.count(Support.id).label("total"))
        .group_by(Support.premises_id)
        .subquery()
    )
    return query.outerjoin(totals, totals.c.premises_id == Premises.id).order_by(
        func.coalesce(totals.c.total, 0).desc(), Premises.address, Premises.id
    )


def map_premises(filters: PremisesFilter = NO_FILTER) -> list[Row]:
    """id, address, district name, status, latitude and longitude of the premises on the map."""
    query = (
        select(
            Premises.id,
            Premises.address,
            District.name,
            Premises.status,
            Premises.latitude,
            Premises.longitude,
        )
        .join(District, District.id == Premises.district_id)
        .where(Premises.status.in_(MAP_STATUSES))
        .order_by(Premises.id)
    )
    return db.session.execute(_filtered(query, filters)).all()
