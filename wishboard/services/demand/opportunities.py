"""Opportunities: shop types × districts ranked by unmet demand, for people planning a shop.

The demand for a shop type at a vacant premises is its *supports* there (the counted ones, from
`demand_counts`) plus the *area wishes* for that type attached to it. An area wish (a published
wish pinned on a spot, not in a premises) is attached to the nearest vacant premises within the
radius (`WISHBOARD_AREA_RADIUS_M`); with none that near, it counts nowhere.
Districts have no outline, so a premises' district is the area wish's district.

That demand is *unmet* when no open shop of the type (every shop of the directory, as on /gaps)
stands within the radius of the premises; a premises with such a shop near contributes 0. So the
unmet demand of (type, district) is the sum of supports and attached area wishes of the type over
the district's vacant premises with no shop of the type within the radius. Distances are measured
as everywhere else (services/geometry.py, haversine), and a shop exactly at the radius is near.
Let and withdrawn premises never count: they carry no demand and attract no area wish.

Each (type, district) row also says its parts: every support on the district's vacant premises,
every area wish attached to them, and the distinct open shops of the type within the radius of
those premises. Rows are ranked by unmet demand, then all demand, then in taxonomy order, then by
district name. `opportunities` runs a fixed number of queries, whatever the size of the data.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from wishboard.collation import sort_key
from wishboard.extensions import db
from wishboard.models import (
    DemandCount,
    District,
    Premises,
    PremisesStatus,
    Shop,
    ShopProject,
    ShopType,
    ShopTypeGroup,
    Wish,
    WishStatus,
)
from wishboard.services.demand.counts import shop_types_by_id
from wishboard.services.geometry import Grid, box_around, distance_m
from wishboard.services.premises.listing import NO_FILTER, PremisesFilter
from wishboard.settings import Settings

# How many suitable premises a row lists; the others are counted ("and 3 more").
PREMISES_SHOWN = 5


@dataclass(frozen=True)
class SuitablePremises:
    """A vacant premises carrying demand for a row's shop type."""

    premises_id: int
    address: str
    surface_m2: int | None
    supports: int  # counted supports for the type here
    area_wishes: int  # area wishes for the type attached here
    shops_near: int  # open shops of the type within the radius

    @property
    def demand(self) -> int:
        """Supports and attached area wishes together."""
        return self.supports + self.area_wishes

    @property
    def unmet(self) -> int:
        """Its demand when no shop of the type is near, else 0."""
        return self.demand if self.shops_near == 0 else 0


@dataclass(frozen=True)
class Opportunity:
    """A shop type in a district with its demand, the open shops near it, and where to open."""

    shop_type: ShopType
    district_id: int
    district: str
    supports: int  # on the district's vacant premises
    area_wishes: int  # attached to the district's vacant premises
    shops_near: int  # distinct open shops of the type within the radius of those premises
    # Every premises carrying the demand, most supported first.
    premises: tuple[SuitablePremises, ...]

    @property
    def unmet(self) -> int:
        """The demand at the premises with no shop of the type within the radius."""
        return sum(place.unmet for place in self.premises)

    @property
    def demand(self) -> int:
        """Supports and area wishes together, met or not."""
        return self.supports + self.area_wishes


@dataclass(frozen=True)
class _Place:
    id: int
    address: str
    district_id: int
    latitude: float
    longitude: float
    surface_m2: int | None


def _type_ids(filters: PremisesFilter) -> set[int] | None:
    """The ids of the types that `filters` keeps, or None for every type (1 query, or none)."""
    if filters.shop_type is None and filters.group is None:
        return None
    query = select(ShopType.id).join(ShopTypeGroup, ShopTypeGroup.id == ShopType.group_id)
    if filters.shop_type is not None:
        query = query.where(ShopType.code == filters.shop_type)
    if filters.group is not None:
        query = query.where(ShopTypeGroup.code == filters.group)
    return set(db.session.scalars(query))


def _vacant_places() -> dict[int, _Place]:
    """Every vacant premises by id (all of them: an area wish may be nearest to any)."""
    rows = db.session.execute(
        select(
            Premises.id,
            Premises.address,
            Premises.district_id,
            Premises.latitude,
            Premises.longitude,
            Premises.surface_m2,
        ).where(Premises.status == PremisesStatus.VACANT)
    )
    return {row.id: _Place(*row) for row in rows}


def _supports(type_ids: set[int] | None) -> dict[tuple[int, int], int]:
    """Counted supports by (premises id, type id) at the vacant premises."""
    query = (
        select(DemandCount.premises_id, DemandCount.shop_type_id, DemandCount.supports)
        .join(Premises, Premises.id == DemandCount.premises_id)
        .where(Premises.status == PremisesStatus.VACANT, DemandCount.supports > 0)
    )
    if type_ids is not None:
        query = query.where(DemandCount.shop_type_id.in_(type_ids))
    return {(premises, kind): int(number) for premises, kind, number in db.session.execute(query)}


def _attached_area_wishes(
    places: dict[int, _Place], type_ids: set[int] | None, radius: float
) -> dict[tuple[int, int], int]:
    """Published area wishes by (premises id, type id): each on its nearest vacant premises."""
    query = select(Wish.latitude, Wish.longitude, Wish.shop_type_id).where(
        Wish.premises_id.is_(None), Wish.status == WishStatus.PUBLISHED
    )
    if type_ids is not None:
        query = query.where(Wish.shop_type_id.in_(type_ids))
    # Sorted by id so that two premises at the same distance always give the same one.
    grid = Grid(
        [(place.latitude, place.longitude, place.id) for place in sorted(places.values(), key=_id)]
    )
    attached: dict[tuple[int, int], int] = defaultdict(int)
    for latitude, longitude, type_id in db.session.execute(query):
        nearest = grid.nearest(latitude, longitude)
        if nearest is None:
            continue
        if distance_m(latitude, longitude, nearest[0], nearest[1]) <= radius:
            attached[(nearest[2], type_id)] += 1
    return attached


def _id(place: _Place) -> int:
    return place.id


def _shops_near(
    places: dict[int, _Place], wanted: set[tuple[int, int]], radius: float
) -> dict[tuple[int, int], set[int]]:
    """The ids of the open shops of the type within `radius` of each (premises id, type id)."""
    type_ids = {type_id for _, type_id in wanted}
    if not type_ids:
        return {}
    by_type: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for shop_id, type_id, latitude, longitude in db.session.execute(
        select(Shop.id, Shop.shop_type_id, Shop.latitude, Shop.longitude).where(
            Shop.shop_type_id.in_(type_ids)
        )
    ):
        by_type[type_id].append((shop_id, latitude, longitude))
    near: dict[tuple[int, int], set[int]] = {}
    for premises_id, type_id in wanted:
        place = places[premises_id]
        box_lat, box_lon = box_around(place.latitude, radius)
        near[(premises_id, type_id)] = {
            shop_id
            for shop_id, latitude, longitude in by_type.get(type_id, ())
            if abs(latitude - place.latitude) <= box_lat
            and abs(longitude - place.longitude) <= box_lon
            and distance_m(place.latitude, place.longitude, latitude, longitude) <= radius
        }
    return near


def opportunities(
    settings: Settings, filters: PremisesFilter = NO_FILTER
) -> tuple[Opportunity, ...]:
    """Every (shop type, district) with demand on vacant premises, most unmet demand first.

    `filters` keeps a shop type (`shop_type`), a group of types (`group`) and a district
    (`district_id`); its order is ignored. At most 7 queries.
    """
    radius = settings.area_radius_m
    type_ids = _type_ids(filters)
    if type_ids is not None and not type_ids:
        return ()
    places = _vacant_places()
    if not places:
        return ()
    demand: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for key, number in _supports(type_ids).items():
        demand[key][0] = number
    for key, number in _attached_area_wishes(places, type_ids, radius).items():
        demand[key][1] = number
    if filters.district_id is not None:
        demand = {
            key: parts
            for key, parts in demand.items()
            if places[key[0]].district_id == filters.district_id
        }
    if not demand:
        return ()
    near = _shops_near(places, set(demand), radius)

    by_row: dict[tuple[int, int], list[SuitablePremises]] = defaultdict(list)
    for (premises_id, type_id), (supports, area_wishes) in demand.items():
        place = places[premises_id]
        by_row[(type_id, place.district_id)].append(
            SuitablePremises(
                premises_id,
                place.address,
                place.surface_m2,
                supports,
                area_wishes,
                len(near[(premises_id, type_id)]),
            )
        )
    types = shop_types_by_id({type_id for type_id, _ in by_row})
    names = dict(
        db.session.execute(
            select(District.id, District.name).where(
                District.id.in_({district_id for _, district_id in by_row})
            )
        ).all()
    )
    rows = []
    for (type_id, district_id), suitable in by_row.items():
        suitable.sort(key=lambda place: (-place.supports, -place.area_wishes, place.premises_id))
        rows.append(
            Opportunity(
                shop_type=types[type_id],
                district_id=district_id,
                district=names[district_id],
                supports=sum(place.supports for place in suitable),
                area_wishes=sum(place.area_wishes for place in suitable),
                shops_near=len(
                    set().union(*(near[(place.premises_id, type_id)] for place in suitable))
                ),
                premises=tuple(suitable),
            )
        )
    rows.sort(
        key=lambda row: (
            -row.unmet,
            -row.demand,
            row.shop_type.position,
            row.shop_type.id,
            sort_key(row.district),
            row.district_id,
        )
    )
    return tuple(rows)


def premises_for_project(project: ShopProject, settings: Settings) -> list[SuitablePremises]:
    """The vacant premises that suit `project`, best first (a fixed number of queries).

    Those that suit it: in one of its districts, of a surface it wants (an unknown surface
    suits). Ranked as the opportunities are: the demand for its shop type with no such shop open
    within the radius first, then all the demand for its type (supports there and the area
    wishes attached to it), then the closest surface to the middle of the range.
    """
    radius = settings.area_radius_m
    districts = {district.id for district in project.districts}
    places = _vacant_places()
    type_ids = {project.shop_type_id}
    supports = _supports(type_ids)
    attached = _attached_area_wishes(places, type_ids, radius)
    suiting = [
        place
        for place in places.values()
        if place.district_id in districts and project.fits_surface(place.surface_m2)
    ]
    wanted = {(place.id, project.shop_type_id) for place in suiting}
    near = _shops_near(places, wanted, radius)
    low, high = project.surface_min_m2, project.surface_max_m2
    middle = (low + high) / 2 if low and high else (low or high)

    def surface_gap(place: SuitablePremises) -> float:
        if middle is None or place.surface_m2 is None:
            return 0.0
        return abs(place.surface_m2 - middle)

    ranked = [
        SuitablePremises(
            place.id,
            place.address,
            place.surface_m2,
            supports.get((place.id, project.shop_type_id), 0),
            attached.get((place.id, project.shop_type_id), 0),
            len(near[(place.id, project.shop_type_id)]),
        )
        for place in suiting
    ]
    ranked.sort(
        key=lambda place: (-place.unmet, -place.demand, surface_gap(place), place.premises_id)
    )
    return ranked
