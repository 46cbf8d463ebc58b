"""Which premises the public sees: the vacant ones in the list, vacant and let ones on the map.

Both can be narrowed by the same filters (a shop type or a group of types residents support there,
a district) and the list can be sorted by total demand or by newest.
"""

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

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
from wishboard.services.geometry import BBox, sql_floor, within

# On the map: the premises still wished for, and those let (a result worth seeing).
MAP_STATUSES = (PremisesStatus.VACANT, PremisesStatus.LET)
# The zooms at which the premises are counted by cells, and the one when none is asked for
# (the town map's widest).
CLUSTER_ZOOMS = range(0, 23)
DEFAULT_CLUSTER_ZOOM = 12
# A cell's side at zoom 0, in degrees: a quarter of a 256-pixel tile, so about 64 pixels of the
# map at every zoom (each zoom halves it).
CELL_DEGREES_AT_ZOOM_0 = 90.0


def cell_degrees(zoom: int) -> float:
    """The side of a cell of the map's grid at `zoom`, in degrees."""
    return CELL_DEGREES_AT_ZOOM_0 / 2**zoom


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
    bbox: BBox | None = None  # the part of the map in view (the map's pins, open data)

    @property
    def narrows(self) -> bool:
        """True when some premises may be left out (the order alone leaves none out)."""
        return any(
            value is not None for value in (self.shop_type, self.group, self.district_id, self.bbox)
        )


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
    if filters.bbox is not None:
        # A range on ix_premises_status_position (status, latitude, longitude).
        query = query.where(within(filters.bbox, Premises.latitude, Premises.longitude))
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


def map_premises(
    filters: PremisesFilter = NO_FILTER, after_id: int = 0, limit: int | None = None
) -> list[Row]:
    """id, address, district name, status, position and let type of the premises on the map.

    By id; `after_id` and `limit` read them a batch at a time (a keyset: each batch costs the
    same however far into the table it is).
    """
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
        .where(Premises.status.in_(MAP_STATUSES), Premises.id > after_id)
        .order_by(Premises.id)
        .limit(limit)
    )
    return db.session.execute(_filtered(query, filters)).all()


def map_premises_batches(filters: PremisesFilter = NO_FILTER, size: int = 1000) -> Iterator[list]:
    """The rows of `map_premises`, `size` at a time, for an answer written as it is read."""
    after_id = 0
    while True:
        batch = map_premises(filters, after_id=after_id, limit=size)
        if batch:
            yield batch
        if len(batch) < size:
            return
        after_id = batch[-1].id


@dataclass(frozen=True)
class MapCell:
    """The premises on the map inside one cell of a grid: how many, their support, where."""

    count: int
    total_support: int
    latitude: float  # the mean position of its premises: where they are, not the cell's middle
    longitude: float
    bounds: BBox  # the box around its premises, to zoom to


def map_cells(filters: PremisesFilter, cell_degrees: float) -> list[MapCell]:
    """The premises on the map matching `filters` gathered in square cells of `cell_degrees`.

    The grid starts at latitude and longitude 0, so a cell is the same whatever part of the map
    is asked for; the database does the counting (one GROUP BY), south-west cells first.
    """
    # Each premises' total from its demand counts, joined rather than asked premises by premises
    # (a subquery per premises took a second for 50,000 on PostgreSQL; the join, a merge along
    # the counts' primary key, a fifth of it). An alias: the filters' EXISTS has its own counts.
    counts = aliased(DemandCount)
    premises = _filtered(
        select(
            sql_floor(Premises.latitude / cell_degrees).label("cell_row"),
            sql_floor(Premises.longitude / cell_degrees).label("cell_col"),
            Premises.latitude,
            Premises.longitude,
            func.coalesce(func.sum(counts.supports), 0).label("support"),
        )
        .outerjoin(counts, counts.premises_id == Premises.id)
        .where(Premises.status.in_(MAP_STATUSES))
        .group_by(Premises.id, Premises.latitude, Premises.longitude),
        filters,
    ).subquery()
    row, col = premises.c.cell_row, premises.c.cell_col
    latitude, longitude = premises.c.latitude, premises.c.longitude
    query = (
        select(
            func.count(),
            func.sum(premises.c.support),
            func.avg(latitude),
            func.avg(longitude),
            func.min(longitude),
            func.min(latitude),
            func.max(longitude),
            func.max(latitude),
        )
        .group_by(row, col)
        .order_by(row, col)
    )
    return [
        MapCell(
            count=count,
            total_support=int(total or 0),
            latitude=float(mean_lat),
            longitude=float(mean_lon),
            bounds=BBox(*(float(value) for value in box)),
        )
        for count, total, mean_lat, mean_lon, *box in db.session.execute(query)
    ]


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
