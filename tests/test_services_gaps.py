"""Gaps: wished types with no open shop of their type near, per premises, per district, mapped."""

import math
from datetime import date

import pytest
from flask import Flask

from tests import factories
from wishboard.extensions import db
from wishboard.models import Premises, PremisesStatus
from wishboard.services.demand.gaps import (
    coverage_for,
    district_gaps,
    gap_points,
    gaps_for,
    shops_near,
)
from wishboard.services.geometry import EARTH_RADIUS_M, distance_m
from wishboard.services.reports.report import build_report

LAT, LON = 48.8700, 2.3800


def north(metres: float, latitude: float = LAT) -> float:
    """The latitude `metres` north of `latitude` (along a meridian: the distance is exact)."""
    return latitude + math.degrees(metres / EARTH_RADIUS_M)


def supports(premises: Premises, code: str, number: int) -> None:
    for _ in range(number):
        factories.make_support(premises, code=code)


@pytest.fixture
def town(app: Flask) -> dict[str, Premises]:
    """The known town of `make_town`."""
    return make_town()


def make_town() -> dict[str, Premises]:
    """Belleville: P (bakery 3, café 2, books 1) and Q (cheese 2) vacant, R let; Jourdain: S.

    Shops near P: a bakery at 150 m, a bookshop at 299.5 m, a café at 300.5 m (just outside
    the 300 m radius). Near Q: nothing of its type. Near S: two bakeries.
    """
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")
    p = factories.make_premises(address="1 rue P", district=belleville, latitude=LAT, longitude=LON)
    q = factories.make_premises(
        address="2 rue Q", district=belleville, latitude=north(2000), longitude=LON
    )
    r = factories.make_premises(
        address="3 rue R",
        district=belleville,
        latitude=north(4000),
        longitude=LON,
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )
    s = factories.make_premises(
        address="4 rue S", district=jourdain, latitude=north(-3000), longitude=LON
    )
    supports(p, "shop=bakery", 3)
    supports(p, "amenity=cafe", 2)
    supports(p, "shop=books", 1)
    supports(q, "shop=cheese", 2)
    supports(r, "shop=bakery", 5)
    supports(s, "shop=bakery", 1)
    bakery, cafe, books = (
        factories.shop_type(c) for c in ("shop=bakery", "amenity=cafe", "shop=books")
    )
    factories.make_shop(
        name="Au Bon Pain",
        shop_type=bakery,
        district=belleville,
        latitude=north(150),
        longitude=LON,
    )
    factories.make_shop(
        name="Librairie", shop_type=books, district=belleville, latitude=north(299.5), longitude=LON
    )
    factories.make_shop(
        name="Le Café", shop_type=cafe, district=belleville, latitude=north(300.5), longitude=LON
    )
    for name, metres in (("Fournil", 50), ("Mie", -80)):
        factories.make_shop(
            name=name,
            shop_type=bakery,
            district=jourdain,
            latitude=north(metres, north(-3000)),
            longitude=LON,
        )
    # A shop with no district counts near places, but in no district's numbers.
    factories.make_shop(
        name="Sans quartier",
        shop_type=factories.shop_type("shop=cheese"),
        district=None,
        latitude=north(5000),
        longitude=LON,
    )
    db.session.commit()
    return {"p": p, "q": q, "r": r, "s": s}


def test_coverage_lists_every_wished_type_with_its_shops_near(town):
    coverage = coverage_for(town["p"])

    assert [(c.shop_type.code, c.supports, c.shops_near, c.is_gap) for c in coverage] == [
        ("shop=bakery", 3, 1, False),
        ("amenity=cafe", 2, 0, True),  # its café is 300.5 m away
        ("shop=books", 1, 1, False),  # its bookshop is 299.5 m away
    ]


def test_gaps_are_the_wished_types_without_a_shop_near(town):
    assert [g.shop_type.code for g in gaps_for(town["p"])] == ["amenity=cafe"]
    assert [g.shop_type.code for g in gaps_for(town["q"])] == ["shop=cheese"]
    assert gaps_for(town["s"]) == ()


def test_a_shop_exactly_at_the_radius_is_near(town):
    p = town["p"]
    cafe_lat = north(300.5)
    edge = distance_m(p.latitude, p.longitude, cafe_lat, LON)

    assert [g.shop_type.code for g in gaps_for(p, radius=edge)] == []
    assert [g.shop_type.code for g in gaps_for(p, radius=edge - 0.01)] == ["amenity=cafe"]


def test_a_smaller_radius_makes_more_gaps(town):
    assert [g.shop_type.code for g in gaps_for(town["p"], radius=100)] == [
        "shop=bakery",
        "amenity=cafe",
        "shop=books",
    ]


def test_shops_near_are_nearest_first_with_exact_distances(town):
    s = town["s"]
    near = shops_near(s.latitude, s.longitude, [factories.shop_type().id], 300)

    found = [(shop.name, round(shop.distance_m, 1)) for shop in near[factories.shop_type().id]]
    assert found == [("Fournil", 50.0), ("Mie", 80.0)]
    assert shops_near(s.latitude, s.longitude, [], 300) == {}


def test_a_premises_nobody_wished_for_has_no_gap(app):
    premises = factories.make_premises()
    db.session.commit()

    assert coverage_for(premises) == ()


def test_district_gaps_rank_most_wished_and_least_present(town):
    districts = district_gaps()

    assert [d.district for d in districts] == ["Belleville", "Jourdain"]
    belleville, jourdain = districts
    # Vacant premises only: R (let) and its five bakery supporters are left out.
    assert [(g.shop_type.code, g.wished, g.shops) for g in belleville.rows] == [
        ("shop=cheese", 2, 0),  # 2 per (0 + 1)
        ("shop=bakery", 3, 1),  # 1.5
        ("amenity=cafe", 2, 1),  # 1.0
        ("shop=books", 1, 1),  # 0.5
    ]
    assert belleville.wished == 8
    assert [(g.shop_type.code, g.wished, g.shops) for g in jourdain.rows] == [("shop=bakery", 1, 2)]


def test_district_gaps_of_one_district(town):
    (jourdain,) = district_gaps(town["s"].district_id)

    assert jourdain.district == "Jourdain"
    assert district_gaps(factories.make_district("Vide").id) == ()


def test_gap_points_are_the_vacant_premises_with_a_gap(town):
    points = gap_points()

    assert [
        (point.address, point.district, [(d.shop_type.code, d.count) for d in point.gaps])
        for point in points
    ] == [
        ("1 rue P", "Belleville", [("amenity=cafe", 2)]),
        ("2 rue Q", "Belleville", [("shop=cheese", 2)]),
    ]
    assert (points[0].latitude, points[0].longitude) == (LAT, LON)


def test_gap_points_follow_the_radius(town):
    assert [p.address for p in gap_points(radius=40)] == ["1 rue P", "2 rue Q", "4 rue S"]
    assert [p.address for p in gap_points(radius=400)] == ["2 rue Q"]


def test_the_queries_do_not_grow_with_the_town(town, count_queries):
    def measured() -> tuple[int, int, int]:
        db.session.expire_all()
        with count_queries() as points:
            gap_points()
        with count_queries() as districts:
            district_gaps()
        premises = db.session.get(Premises, town["p"].id)
        with count_queries() as one:
            coverage_for(premises)
        return points.count, districts.count, one.count

    small = measured()
    district = factories.make_district("Crimée")
    for n in range(12):
        place = factories.make_premises(district=district, latitude=north(n * 40), longitude=LON)
        supports(place, ("shop=cheese", "shop=books", "amenity=cafe")[n % 3], 2)
        factories.make_shop(
            shop_type=factories.shop_type(),
            district=district,
            latitude=north(n * 35),
            longitude=LON,
        )
    supports(town["p"], "shop=greengrocer", 1)
    db.session.commit()

    assert measured() == small
    assert small == (4, 4, 3)


def test_the_demand_report_marks_every_gap_not_only_the_top_types(town):
    p = town["p"]
    supports(p, "craft=shoemaker", 1)  # a fourth type, past the top three, with no shop near
    db.session.commit()

    report = build_report(p)

    assert [c.shop_type.code for c in report.competition] == [
        "shop=bakery",
        "amenity=cafe",
        "shop=books",
    ]
    assert [(c.shop_type.code, c.supports, c.shops_near) for c in report.coverage] == [
        ("shop=bakery", 3, 1),
        ("amenity=cafe", 2, 0),
        ("shop=books", 1, 1),
        ("craft=shoemaker", 1, 0),
    ]
    assert [c.shop_type.code for c in report.gaps] == ["amenity=cafe", "craft=shoemaker"]
    # The premises page and the report agree.
    assert report.coverage == coverage_for(p)


def test_the_same_gaps_on_every_database(any_db_app: Flask):
    make_town()

    assert [[(g.shop_type.code, g.wished, g.shops) for g in d.rows] for d in district_gaps()] == [
        [
            ("shop=cheese", 2, 0),
            ("shop=bakery", 3, 1),
            ("amenity=cafe", 2, 1),
            ("shop=books", 1, 1),
        ],
        [("shop=bakery", 1, 2)],
    ]
    assert [p.address for p in gap_points()] == ["1 rue P", "2 rue Q"]
