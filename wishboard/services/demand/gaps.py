"""Gaps: the shop types residents wish for where no open shop of that type is near.

A wished type is a *gap* at a premises when residents support it there and no open shop of
that type (the directory, models/shop.py) stands within the radius (`WISHBOARD_AREA_RADIUS_M`).
Distances are measured like everywhere else (services/geometry.py `distance_m`, haversine), and a
shop exactly at the radius counts as near.

Per district, each shop type's *wished count* is the number of supports for it on the
district's vacant premises (the places still waiting for a tenant; area wishes carry no
district and are left out) and its *open shops* the directory's shops of that type in the
district. They are ranked "most wished and least present": by wished count per open shop plus
one (`wished / (shops + 1)`), then by wished count, then in taxonomy order.

Every function runs a fixed number of queries, whatever the number of premises, types or shops.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from wishboard.collation import sort_key
from wishboard.extensions import db
from wishboard.models import DemandCount, District, Premises, PremisesStatus, Shop, ShopType
from wishboard.services.demand.counts import Demand, demand_by_status, demand_for, shop_types_by_id
from wishboard.services.geometry import box_around, distance_m
from wishboard.settings import DEFAULT_AREA_RADIUS_M


@dataclass(frozen=True)
class NearShop:
    """An open shop of a wished type near a place, and how far it is (metres, exact)."""

    shop_id: int
    shop_type_id: int
    name: str
    address: str
    distance_m: float


@dataclass(frozen=True)
class Coverage:
    """One type wished for at a premises: how many support it, how many such shops are near."""

    shop_type: ShopType
    supports: int
    shops_near: int  # open shops of this type within the radius

    @property
    def is_gap(self) -> bool:
        """No open shop of the type within the radius."""
        return self.shops_near == 0


@dataclass(frozen=True)
class DistrictGap:
    """A shop type in a district: supports on its vacant premises against its open shops."""

    shop_type: ShopType
    wished: int
    shops: int

    @property
    def score(self) -> float:
        """Wished count per open shop plus one: the higher, the bigger the gap."""
        return self.wished / (self.shops + 1)


@dataclass(frozen=True)
class DistrictGaps:
    """A district's wished types, most wished and least present first."""

    district_id: int
    district: str
    rows: tuple[DistrictGap, ...]

    @property
    def wished(self) -> int:
        """Every support on the district's vacant premises."""
        return sum(row.wished for row in self.rows)


@dataclass(frozen=True)
class GapPoint:
    """A vacant premises with at least one gap: where the map's gap layer puts a marker."""

    premises_id: int
    address: str
    district: str
    latitude: float
    longitude: float
    gaps: tuple[Demand, ...]  # the gap types with their supports, most supported first


def shops_near(
    latitude: float, longitude: float, shop_type_ids: Iterable[int], radius: float
) -> dict[int, list[NearShop]]:
    """The open shops of these types within `radius` metres, by type id, nearest first (1 query)."""
    wanted = list(set(shop_type_ids))
    if not wanted:
        return {}
    box_lat, box_lon = box_around(latitude, radius)
    # The box lets the database use the coordinates; the exact distance is measured here.
    rows = db.session.execute(
        select(
            Shop.id, Shop.shop_type_id, Shop.name, Shop.address, Shop.latitude, Shop.longitude
        ).where(
            Shop.shop_type_id.in_(wanted),
            Shop.latitude.between(latitude - box_lat, latitude + box_lat),
            Shop.longitude.between(longitude - box_lon, longitude + box_lon),
        )
    ).all()
    near: dict[int, list[NearShop]] = defaultdict(list)
    for shop_id, type_id, name, address, shop_lat, shop_lon in rows:
        metres = distance_m(latitude, longitude, shop_lat, shop_lon)
        if metres <= radius:
            near[type_id].append(NearShop(shop_id, type_id, name, address, metres))
    for shops in near.values():
        shops.sort(key=lambda shop: (shop.distance_m, sort_key(shop.name)))
    return dict(near)


def coverage_for(
    premises: Premises, demand: list[Demand] | None = None, radius: float | None = None
) -> tuple[Coverage, ...]:
    """Every type wished for at `premises`, in demand order, with the open shops near it.

    Pass the premises' `demand` when the caller has it already (one query fewer).
    """
    radius = radius if radius is not None else DEFAULT_AREA_RADIUS_M
    demand = demand if demand is not None else demand_for(premises)
    near = shops_near(
        premises.latitude, premises.longitude, [item.shop_type.id for item in demand], radius
    )
    return tuple(
        Coverage(item.shop_type, item.count, len(near.get(item.shop_type.id, ())))
        for item in demand
    )


def gaps_for(
    premises: Premises, demand: list[Demand] | None = None, radius: float | None = None
) -> tuple[Coverage, ...]:
    """The types wished for at `premises` with no open shop of that type within the radius."""
    return tuple(item for item in coverage_for(premises, demand, radius) if item.is_gap)


def district_gaps(district_id: int | None = None) -> tuple[DistrictGaps, ...]:
    """Per district (by name), its wished types ranked most wished and least present (3 queries).

    Districts without any support on a vacant premises are left out; `district_id` keeps one.
    """
    wished_query = (
        select(Premises.district_id, DemandCount.shop_type_id, func.sum(DemandCount.supports))
        .join(Premises, Premises.id == DemandCount.premises_id)
        .where(Premises.status == PremisesStatus.VACANT, DemandCount.supports > 0)
        .group_by(Premises.district_id, DemandCount.shop_type_id)
    )
    shops_query = (
        select(Shop.district_id, Shop.shop_type_id, func.count())
        .where(Shop.district_id.is_not(None))
        .group_by(Shop.district_id, Shop.shop_type_id)
    )
    if district_id is not None:
        wished_query = wished_query.where(Premises.district_id == district_id)
        shops_query = shops_query.where(Shop.district_id == district_id)
    wished: dict[int, dict[int, int]] = defaultdict(dict)
    for where, type_id, supports in db.session.execute(wished_query):
        wished[where][type_id] = int(supports)
    if not wished:
        return ()
    shops: dict[tuple[int, int], int] = {
        (where, type_id): number for where, type_id, number in db.session.execute(shops_query)
    }
    names = {
        row.id: row.name
        for row in db.session.execute(
            select(District.id, District.name).where(District.id.in_(list(wished)))
        )
    }
    types = shop_types_by_id({type_id for counts in wished.values() for type_id in counts})
    result = []
    for where, counts in wished.items():
        rows = [
            DistrictGap(types[type_id], supports, shops.get((where, type_id), 0))
            for type_id, supports in counts.items()
        ]
        rows.sort(
            key=lambda row: (-row.score, -row.wished, row.shop_type.position, row.shop_type.id)
        )
        result.append(DistrictGaps(where, names[where], tuple(rows)))
    result.sort(key=lambda district: sort_key(district.district))
    return tuple(result)


def gap_points(radius: float | None = None) -> tuple[GapPoint, ...]:
    """Every vacant premises with a gap, with its gap types, for the map (4 queries).

    All shops of the wished types are read once and bucketed by type; each premises then
    measures only those of its own wished types inside a box around it.
    """
    radius = radius if radius is not None else DEFAULT_AREA_RADIUS_M
    by_premises: dict[int, list[Demand]] = defaultdict(list)
    for premises_id, item in demand_by_status([PremisesStatus.VACANT]):
        by_premises[premises_id].append(item)
    if not by_premises:
        return ()
    premises_rows = db.session.execute(
        select(Premises.id, Premises.address, District.name, Premises.latitude, Premises.longitude)
        .join(District, District.id == Premises.district_id)
        .where(Premises.status == PremisesStatus.VACANT)
        .order_by(Premises.id)
    ).all()
    type_ids = {item.shop_type.id for items in by_premises.values() for item in items}
    shops_by_type: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for type_id, shop_lat, shop_lon in db.session.execute(
        select(Shop.shop_type_id, Shop.latitude, Shop.longitude).where(
            Shop.shop_type_id.in_(type_ids)
        )
    ):
        shops_by_type[type_id].append((shop_lat, shop_lon))
    points = []
    for premises_id, address, district, latitude, longitude in premises_rows:
        demand = by_premises.get(premises_id)
        if not demand:
            continue
        box_lat, box_lon = box_around(latitude, radius)
        gaps = tuple(
            item
            for item in demand
            if not any(
                abs(shop_lat - latitude) <= box_lat
                and abs(shop_lon - longitude) <= box_lon
                and distance_m(latitude, longitude, shop_lat, shop_lon) <= radius
                for shop_lat, shop_lon in shops_by_type.get(item.shop_type.id, ())
            )
        )
        if gaps:
            points.append(GapPoint(premises_id, address, district, latitude, longitude, gaps))
    return tuple(points)
