"""Area wishes: shop types wished for around a spot of the town rather than at a premises.

The public never sees the point a person pinned: the map and the open data show area wishes
gathered in a fixed grid of cells, and a premises' report counts those within a radius of it.
Only published area wishes count.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from wishboard.extensions import db
from wishboard.models import ShopType, Wish, WishStatus
from wishboard.services.demand.counts import Demand
from wishboard.services.geometry import METRES_PER_DEGREE, box_around, distance_m, sql_floor


@dataclass(frozen=True)
class AreaCell:
    """One cell of the grid with the published area wishes inside it, ranked by shop type."""

    south_west: tuple[float, float]  # (latitude, longitude)
    north_east: tuple[float, float]
    center: tuple[float, float]
    count: int
    demand: list[Demand]


def _published_area_wishes():
    """The conditions that make a wish a published area wish."""
    return (Wish.premises_id.is_(None), Wish.status == WishStatus.PUBLISHED)


def _ranked(counts: Counter, shop_types: dict[int, ShopType]) -> list[Demand]:
    """Counts per shop type id as Demand, most first, ties in taxonomy order.

    `shop_types` must be in taxonomy order (see `_in_taxonomy_order`).
    """
    order = {shop_type_id: index for index, shop_type_id in enumerate(shop_types)}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))
    return [Demand(shop_types[shop_type_id], count) for shop_type_id, count in ranked]


def _in_taxonomy_order(shop_types: Iterable[ShopType]) -> dict[int, ShopType]:
    """Shop types by id, in taxonomy order."""
    return {t.id: t for t in sorted(shop_types, key=lambda shop_type: shop_type.position)}


def area_cells(cell_m: int, bounds: Sequence[float]) -> list[AreaCell]:
    """Published area wishes in square cells of about `cell_m` metres, south-west cells first.

    `bounds` are the town's (south, west, north, east): the grid starts at their south-west
    corner, and a degree of longitude is measured at their middle latitude.
    """
    south, west, north, _east = bounds
    cell_lat = cell_m / METRES_PER_DEGREE
    cell_lon = cell_lat / math.cos(math.radians((south + north) / 2))
    cells = (
        select(
            sql_floor((Wish.latitude - south) / cell_lat).label("cell_row"),
            sql_floor((Wish.longitude - west) / cell_lon).label("cell_col"),
            Wish.shop_type_id,
        )
        .where(*_published_area_wishes())
        .subquery()
    )
    query = select(cells.c.cell_row, cells.c.cell_col, cells.c.shop_type_id, func.count()).group_by(
        cells.c.cell_row, cells.c.cell_col, cells.c.shop_type_id
    )
    counts: dict[tuple[int, int], Counter] = {}
    for row, col, shop_type_id, number in db.session.execute(query):
        counts.setdefault((int(row), int(col)), Counter())[shop_type_id] = number
    # Each shop type loaded once, apart: one loaded with every row would cost more than the count.
    wanted = {shop_type_id for cell in counts.values() for shop_type_id in cell}
    shop_types = _in_taxonomy_order(
        db.session.scalars(select(ShopType).where(ShopType.id.in_(wanted)))
    )

    result = []
    for (row, col), cell in sorted(counts.items()):
        cell_south, cell_west = south + row * cell_lat, west + col * cell_lon
        result.append(
            AreaCell(
                south_west=(cell_south, cell_west),
                north_east=(cell_south + cell_lat, cell_west + cell_lon),
                center=(cell_south + cell_lat / 2, cell_west + cell_lon / 2),
                count=sum(cell.values()),
                demand=_ranked(cell, shop_types),
            )
        )
    return result


def area_demand_near(latitude: float, longitude: float, radius_m: float) -> list[Demand]:
    """Published area wishes within `radius_m` metres of a point, counted per shop type, ranked."""
    # A box a little larger than the circle lets the database use the coordinates alone; the
    # exact distance is then measured here, where the trigonometry is portable.
    box_lat, box_lon = box_around(latitude, radius_m)
    rows = db.session.execute(
        select(Wish.latitude, Wish.longitude, ShopType)
        .join(ShopType, ShopType.id == Wish.shop_type_id)
        .where(
            *_published_area_wishes(),
            Wish.latitude.between(latitude - box_lat, latitude + box_lat),
            Wish.longitude.between(longitude - box_lon, longitude + box_lon),
        )
    )
    counts: Counter = Counter()
    near: list[ShopType] = []
    for wish_lat, wish_lon, shop_type in rows:
        if distance_m(latitude, longitude, wish_lat, wish_lon) <= radius_m:
            counts[shop_type.id] += 1
            near.append(shop_type)
    return _ranked(counts, _in_taxonomy_order(set(near)))
