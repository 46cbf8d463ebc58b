"""The town's statistics: demand by type, group and district, over time, and premises let."""

from datetime import date, datetime

import pytest
from flask import Flask

from tests import factories
from wishboard.extensions import db
from wishboard.models import Premises, PremisesStatus, WishStatus
from wishboard.services.demand.stats import MONTHS_SHOWN, town_stats

NOW = datetime(2024, 4, 15, 12, 0)


def support_on(premises: Premises, code: str, when: datetime) -> None:
    factories.make_support(premises, code=code).created_at = when


@pytest.fixture
def town(app: Flask) -> None:
    """The known town of `make_town`."""
    make_town()


def make_town() -> None:
    """Belleville: P1 vacant, P4 withdrawn; Jourdain: P2 let to a bakery, P3 let to a bookshop.

    Supports: P1 bakery ×3 (January, February ×2) and café ×1 (February); P2 bakery ×2
    (January); P3 café ×1 (March); P4 bakery ×4 (not public: never counted). Area wishes: café
    ×2 published (March), one pending. One published wish with a comment at P1 (February).
    """
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")
    p1 = factories.make_premises(district=belleville)
    p2 = factories.make_premises(
        address="2 rue du Pain",
        district=jourdain,
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=bakery"),
        let_on=date(2024, 3, 1),
    )
    p3 = factories.make_premises(
        district=jourdain,
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 20),
    )
    p4 = factories.make_premises(district=belleville, status=PremisesStatus.WITHDRAWN)
    for when in (datetime(2024, 1, 10), datetime(2024, 2, 5), datetime(2024, 2, 20)):
        support_on(p1, "shop=bakery", when)
    support_on(p1, "amenity=cafe", datetime(2024, 2, 21))
    for day in (15, 16):
        support_on(p2, "shop=bakery", datetime(2024, 1, day))
    support_on(p3, "amenity=cafe", datetime(2024, 3, 2))
    for _ in range(4):
        support_on(p4, "shop=bakery", datetime(2024, 1, 3))
    cafe = factories.shop_type("amenity=cafe")
    for status in (WishStatus.PUBLISHED, WishStatus.PUBLISHED, WishStatus.PENDING):
        factories.make_wish(
            None,
            shop_type=cafe,
            latitude=48.87,
            longitude=2.38,
            status=status,
            created_at=datetime(2024, 3, 5),
        )
    factories.make_wish(p1, comment="Du pain !", created_at=datetime(2024, 2, 5))
    db.session.commit()


def test_demand_by_type_adds_supports_and_area_wishes(town):
    stats = town_stats(NOW)

    assert [
        (t.shop_type.code, t.supports, t.premises, t.area_wishes, t.asked) for t in stats.by_type
    ] == [
        ("shop=bakery", 5, 2, 0, 5),
        ("amenity=cafe", 2, 2, 2, 4),
    ]
    assert (stats.supports, stats.area_wishes) == (7, 2)


def test_demand_by_group(town):
    groups = [(g.group.code, g.supports, g.area_wishes, g.asked) for g in town_stats(NOW).by_group]

    assert groups == [("food", 5, 0, 5), ("cafes_restaurants", 2, 2, 4)]


def test_demand_by_district_counts_the_public_premises(town):
    districts = [(d.name, d.vacant, d.let, d.supports) for d in town_stats(NOW).by_district]

    # The withdrawn premises of Belleville and its four supports are not public.
    assert districts == [("Belleville", 1, 0, 4), ("Jourdain", 0, 2, 3)]


def test_wishes_and_supports_per_month(town):
    months = [(m.label, m.wishes, m.supports) for m in town_stats(NOW).months]

    assert months == [
        ("2024-01", 0, 3),
        ("2024-02", 1, 3),
        ("2024-03", 2, 1),
        ("2024-04", 0, 0),  # the current month, even without any
    ]
    stats = town_stats(NOW)
    assert sum(m.supports for m in stats.months) == stats.supports


def test_the_months_are_the_latest_ones(town):
    months = town_stats(datetime(2026, 6, 1)).months

    assert len(months) == MONTHS_SHOWN
    assert (months[0].month, months[-1].month) == (date(2024, 7, 1), date(2026, 6, 1))


def test_premises_let_thanks_to_the_board(town):
    stats = town_stats(NOW)

    assert stats.let_total == 2
    # The bookshop opened where residents had asked only for a café: not thanks to the board.
    assert [
        (t.address, t.district, t.shop_type.code, t.let_on, t.asked) for t in stats.let_thanks
    ] == [("2 rue du Pain", "Jourdain", "shop=bakery", date(2024, 3, 1), 2)]


def test_an_empty_town(app):
    stats = town_stats(NOW)

    assert (stats.by_type, stats.by_group, stats.by_district, stats.months) == ((), (), (), ())
    assert (stats.let_total, stats.let_thanks, stats.supports) == (0, (), 0)


def test_the_queries_do_not_grow_with_the_town(town, count_queries):
    db.session.expire_all()
    with count_queries() as small:
        town_stats(NOW)
    district = factories.make_district("Crimée")
    for n in range(10):
        place = factories.make_premises(district=district)
        support_on(
            place,
            ("shop=cheese", "shop=books", "amenity=pharmacy")[n % 3],
            datetime(2023, n + 1, 2),
        )
    db.session.commit()
    db.session.expire_all()
    with count_queries() as larger:
        town_stats(NOW)

    assert larger.count == small.count == 10


def test_the_same_numbers_on_every_database(any_db_app: Flask):
    make_town()

    stats = town_stats(NOW)

    assert [(t.shop_type.code, t.supports, t.premises, t.area_wishes) for t in stats.by_type] == [
        ("shop=bakery", 5, 2, 0),
        ("amenity=cafe", 2, 2, 2),
    ]
    assert [(d.name, d.vacant, d.let, d.supports) for d in stats.by_district] == [
        ("Belleville", 1, 0, 4),
        ("Jourdain", 0, 2, 3),
    ]
    assert [(m.label, m.wishes, m.supports) for m in stats.months][:3] == [
        ("2024-01", 0, 3),
        ("2024-02", 1, 3),
        ("2024-03", 2, 1),
    ]
    assert [t.asked for t in stats.let_thanks] == [2]
