"""Area wishes: gathered in grid cells for the public, counted within a radius for a premises."""

import math

import pytest

from tests import factories
from wishboard.extensions import db
from wishboard.models import WishStatus
from wishboard.services.demand.area import AreaCell, area_cells, area_demand_near
from wishboard.services.geometry import EARTH_RADIUS_M, METRES_PER_DEGREE, distance_m

BOUNDS = (48.845, 2.36, 48.903, 2.417)
SOUTH, WEST, NORTH, _ = BOUNDS
CELL_M = 200
CELL_LAT = CELL_M / METRES_PER_DEGREE
CELL_LON = CELL_LAT / math.cos(math.radians((SOUTH + NORTH) / 2))


def _in_cell(row: int, col: int, north: float = 0.5, east: float = 0.5) -> dict:
    """Coordinates of a point inside cell (row, col), `north` and `east` as fractions of it."""
    return {
        "latitude": SOUTH + (row + north) * CELL_LAT,
        "longitude": WEST + (col + east) * CELL_LON,
    }


def _area_wish(code: str, status: WishStatus = WishStatus.PUBLISHED, **position) -> None:
    factories.make_wish(
        premises=None, shop_type=factories.shop_type(code), status=status, **position
    )


def _summary(cell: AreaCell) -> list[tuple[str, int]]:
    return [(item.shop_type.code, item.count) for item in cell.demand]


def test_cells_gather_published_area_wishes_by_position(any_db_app) -> None:
    # Cell (3, 5): two bakeries at opposite corners, a café and a cheese shop (a tie).
    _area_wish("shop=bakery", **_in_cell(3, 5, north=0.1, east=0.1))
    _area_wish("shop=bakery", **_in_cell(3, 5, north=0.9, east=0.9))
    _area_wish("amenity=cafe", **_in_cell(3, 5))
    _area_wish("shop=cheese", **_in_cell(3, 5, north=0.2, east=0.7))
    # The neighbouring cells each hold one wish: a boundary does not leak.
    _area_wish("shop=books", **_in_cell(4, 5, north=0.05))
    _area_wish("shop=books", **_in_cell(3, 6, east=0.05))
    # South-west of the bounds (they may be changed): the grid goes on below zero.
    _area_wish("shop=greengrocer", **_in_cell(-1, -2, north=0.3, east=0.3))
    db.session.commit()

    cells = area_cells(CELL_M, BOUNDS)

    def corner(row: int, col: int) -> tuple[float, float]:
        return (SOUTH + row * CELL_LAT, WEST + col * CELL_LON)

    assert [cell.south_west for cell in cells] == [
        pytest.approx(corner(-1, -2)),
        pytest.approx(corner(3, 5)),
        pytest.approx(corner(3, 6)),
        pytest.approx(corner(4, 5)),
    ]
    busy = cells[1]
    assert busy.count == 4
    # Cheese comes before café at equal count: the taxonomy lists it first.
    assert _summary(busy) == [
        ("shop=bakery", 2),
        ("shop=cheese", 1),
        ("amenity=cafe", 1),
    ]
    assert busy.north_east == pytest.approx(corner(4, 6))
    assert busy.center == pytest.approx((SOUTH + 3.5 * CELL_LAT, WEST + 5.5 * CELL_LON))
    assert [cell.count for cell in cells] == [1, 4, 1, 1]
    assert cells[0].demand[0].shop_type.code == "shop=greengrocer"


def test_cells_are_about_the_size_asked(app) -> None:
    _area_wish("shop=bakery", **_in_cell(10, 10))
    db.session.commit()

    (cell,) = area_cells(CELL_M, BOUNDS)

    (south, west), (north, east) = cell.south_west, cell.north_east
    assert distance_m(south, west, north, west) == pytest.approx(CELL_M, rel=0.01)
    assert distance_m(south, west, south, east) == pytest.approx(CELL_M, rel=0.01)


def test_cells_leave_out_unpublished_and_premises_wishes(app) -> None:
    for status in (WishStatus.PENDING, WishStatus.REJECTED, WishStatus.HIDDEN):
        _area_wish("shop=bakery", status=status, **_in_cell(2, 2))
    factories.make_wish(factories.make_premises(**_in_cell(2, 2)))
    _area_wish("shop=cheese", **_in_cell(7, 7))
    db.session.commit()

    (cell,) = area_cells(CELL_M, BOUNDS)

    assert cell.south_west == pytest.approx((SOUTH + 7 * CELL_LAT, WEST + 7 * CELL_LON))
    assert _summary(cell) == [("shop=cheese", 1)]


def test_no_area_wish_no_cell(app) -> None:
    factories.make_wish()  # a wish on a premises
    db.session.commit()

    assert area_cells(CELL_M, BOUNDS) == []


def test_cells_are_read_in_a_bounded_number_of_queries(app, count_queries) -> None:
    _area_wish("shop=bakery", **_in_cell(0, 0))
    db.session.commit()
    with count_queries() as few:
        area_cells(CELL_M, BOUNDS)
    for n in range(1, 12):
        _area_wish("shop=bakery", **_in_cell(n, n))
        _area_wish("shop=cheese", **_in_cell(n, 2 * n))
    db.session.commit()

    with count_queries() as many:
        cells = area_cells(CELL_M, BOUNDS)

    assert len(cells) == 23
    assert many.count == few.count <= 2


# A point in the demo town, and points at exact distances from it.
HERE = (48.872, 2.381)


def _north(metres: float) -> dict:
    return {"latitude": HERE[0] + math.degrees(metres / EARTH_RADIUS_M), "longitude": HERE[1]}


def _east(metres: float) -> dict:
    """The point `metres` away due east along the same latitude, by the haversine formula."""
    half_angle = math.asin(
        math.sin(metres / (2 * EARTH_RADIUS_M)) / math.cos(math.radians(HERE[0]))
    )
    return {"latitude": HERE[0], "longitude": HERE[1] + math.degrees(2 * half_angle)}


def test_distance_is_the_great_circle_distance(app) -> None:
    assert distance_m(*HERE, *HERE) == 0
    north, east = _north(250), _east(290)
    assert distance_m(*HERE, north["latitude"], north["longitude"]) == pytest.approx(250, abs=0.01)
    assert distance_m(*HERE, east["latitude"], east["longitude"]) == pytest.approx(290, abs=0.01)
    # Paris (Notre-Dame) to London (Charing Cross): about 343.5 km.
    assert distance_m(48.853, 2.3499, 51.5073, -0.12755) == pytest.approx(343_500, rel=0.005)


def test_area_demand_near_counts_published_area_wishes_within_the_radius(app) -> None:
    south = {"latitude": HERE[0] - math.degrees(250 / EARTH_RADIUS_M), "longitude": HERE[1]}
    _area_wish("shop=bakery", **_north(250))
    _area_wish("shop=bakery", **south)
    _area_wish("shop=cheese", **_east(290))
    _area_wish("shop=books", **_north(350))  # outside
    _area_wish("shop=greengrocer", **_east(310))  # outside, though inside the bounding box
    _area_wish("amenity=cafe", status=WishStatus.PENDING, **_north(10))
    _area_wish("amenity=cafe", status=WishStatus.HIDDEN, **_north(20))
    factories.make_wish(factories.make_premises(latitude=HERE[0], longitude=HERE[1]))
    db.session.commit()

    demand = area_demand_near(*HERE, 300)

    assert [(item.shop_type.code, item.count) for item in demand] == [
        ("shop=bakery", 2),
        ("shop=cheese", 1),
    ]


def test_area_demand_near_follows_the_radius(app) -> None:
    _area_wish("shop=bakery", **_north(250))
    _area_wish("shop=books", **_north(350))
    db.session.commit()

    assert area_demand_near(*HERE, 200) == []
    assert [item.shop_type.code for item in area_demand_near(*HERE, 400)] == [
        "shop=bakery",
        "shop=books",
    ]
