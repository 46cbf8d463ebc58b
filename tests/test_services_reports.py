"""The demand report of a known neighbourhood: counts, shares, ranks, distances, weeks."""

import math
from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests import factories
from wishboard.extensions import db
from wishboard.models import DemandCount, Premises, PremisesStatus, WishStatus
from wishboard.services.geometry import EARTH_RADIUS_M
from wishboard.services.reports.report import TREND_WEEKS, build_report, week_start

# A Thursday: its ISO week is 2024-W11, which starts on Monday 11 March.
NOW = datetime(2024, 3, 14, 12, 0)
LATITUDE, LONGITUDE = 48.8720, 2.3810


def north(metres: float) -> float:
    """The latitude `metres` due north of the premises (south when negative)."""
    return LATITUDE + math.degrees(metres / EARTH_RADIUS_M)


def supports(premises, code: str, *times: datetime, residents=None) -> None:
    """One support of `code` at `premises` per time, each by its own resident unless given."""
    for index, created_at in enumerate(times):
        resident = residents[index] if residents else None
        factories.make_support(premises, resident, code=code).created_at = created_at


@pytest.fixture
def neighbourhood(app):
    """A premises in Belleville with known demand, comments, shops, area wishes and neighbours."""
    premises = factories.make_premises(latitude=LATITUDE, longitude=LONGITUDE)
    alice = factories.make_user(display_name="Alice")
    others = [factories.make_user() for _ in range(3)]
    # Bakery 4 (one too old for the trend), café 2 (Alice again), books 1: 7 supports, 6 people.
    supports(
        premises,
        "shop=bakery",
        datetime(2024, 3, 11, 9, 0),  # Monday of the current week
        datetime(2024, 3, 10, 23, 59),  # the Sunday before: the previous week
        datetime(2024, 2, 20, 10, 0),
        datetime(2023, 12, 1, 10, 0),  # before the twelve weeks
        residents=[alice, *others],
    )
    supports(
        premises,
        "amenity=cafe",
        datetime(2024, 3, 13, 8, 0),
        datetime(2024, 1, 1, 0, 0),
        residents=[alice, None],
    )
    supports(premises, "shop=books", datetime(2023, 12, 25, 0, 0))  # the first week's Monday

    # Comments: two published ones with text; the others must not show.
    factories.make_wish(
        premises, alice, comment="Une boulangerie, enfin !", created_at=datetime(2024, 3, 1)
    )
    gone = factories.make_wish(
        premises,
        comment="Un café pour le quartier",
        shop_type=factories.shop_type("amenity=cafe"),
        created_at=datetime(2024, 3, 5),
    )
    gone.author = None  # the resident deleted their account
    factories.make_wish(premises, comment="Pas encore relu", status=WishStatus.PENDING)
    factories.make_wish(premises, comment="Refusé", status=WishStatus.REJECTED)
    factories.make_wish(premises, comment="", shop_type=factories.shop_type("shop=books"))
    factories.make_wish(premises, shop_type=factories.shop_type("shop=cheese"))

    # Open shops: two bakeries and a bookshop within 300 m; a café and a bakery beyond it.
    factories.make_shop(name="Au Bon Pain", latitude=north(120), longitude=LONGITUDE)
    factories.make_shop(name="Boulangerie du Parc", latitude=north(-250), longitude=LONGITUDE)
    factories.make_shop(name="Trop loin", latitude=north(320), longitude=LONGITUDE)
    factories.make_shop(
        name="Librairie",
        shop_type=factories.shop_type("shop=books"),
        latitude=north(50),
        longitude=LONGITUDE,
    )
    factories.make_shop(
        name="Café lointain",
        shop_type=factories.shop_type("amenity=cafe"),
        latitude=north(-400),
        longitude=LONGITUDE,
    )
    factories.make_shop(
        name="Pharmacie",
        shop_type=factories.shop_type("amenity=pharmacy"),
        latitude=north(10),
        longitude=LONGITUDE,
    )

    # Area wishes: greengrocer 2 and bakery 1 within the radius; one pending, one too far.
    greengrocer = factories.shop_type("shop=greengrocer")
    for metres, shop_type, status in [
        (100, greengrocer, WishStatus.PUBLISHED),
        (-200, greengrocer, WishStatus.PUBLISHED),
        (150, factories.shop_type(), WishStatus.PUBLISHED),
        (20, greengrocer, WishStatus.PENDING),
        (500, greengrocer, WishStatus.PUBLISHED),
    ]:
        factories.make_wish(
            None, shop_type=shop_type, status=status, latitude=north(metres), longitude=LONGITUDE
        )

    # The district: 10 (bakery 5), 7 (bakery 7), 0, and a let one with bakery 3 compare;
    # a withdrawn premises and one in another district do not.
    belleville = premises.district
    ahead = factories.make_premises(district=belleville)
    supports(ahead, "shop=bakery", *[NOW] * 5)
    supports(ahead, "amenity=cafe", *[NOW] * 5)
    tied = factories.make_premises(district=belleville)
    supports(tied, "shop=bakery", *[NOW] * 7)
    factories.make_premises(district=belleville)
    let = factories.make_premises(
        district=belleville,
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 1, 15),
    )
    supports(let, "shop=bakery", *[NOW] * 3)
    withdrawn = factories.make_premises(district=belleville, status=PremisesStatus.WITHDRAWN)
    supports(withdrawn, "shop=bakery", *[NOW] * 20)
    elsewhere = factories.make_premises(district=factories.make_district("Jourdain"))
    supports(elsewhere, "shop=bakery", *[NOW] * 30)
    db.session.commit()
    return premises


def test_ranked_types_with_counts_and_shares(neighbourhood):
    report = build_report(neighbourhood, now=NOW)

    assert [(d.rank, d.shop_type.code, d.count) for d in report.demand] == [
        (1, "shop=bakery", 4),
        (2, "amenity=cafe", 2),
        (3, "shop=books", 1),
    ]
    assert [d.share for d in report.demand] == [4 / 7, 2 / 7, 1 / 7]
    assert [d.share_percent for d in report.demand] == [57.1, 28.6, 14.3]
    assert report.total_supports == 7
    # Alice supports two types; the anonymised support counts as one more person.
    assert report.supporters == 6
    assert [d.shop_type.code for d in report.top] == ["shop=bakery", "amenity=cafe", "shop=books"]


def test_published_comments_newest_first(neighbourhood):
    report = build_report(neighbourhood, now=NOW)

    assert [(c.author, c.shop_type.code, c.text, c.created_at) for c in report.comments] == [
        (None, "amenity=cafe", "Un café pour le quartier", datetime(2024, 3, 5)),
        ("Alice", "shop=bakery", "Une boulangerie, enfin !", datetime(2024, 3, 1)),
    ]
    assert report.comment_count == 2


def test_comments_are_limited_with_their_total(app, monkeypatch):
    monkeypatch.setattr("wishboard.services.reports.report.COMMENT_LIMIT", 3)
    premises = factories.make_premises()
    for day in range(1, 6):
        factories.make_wish(
            premises,
            comment=f"Commentaire {day}",
            shop_type=factories.make_shop_type(),
            created_at=datetime(2024, 3, day),
        )
    db.session.commit()

    report = build_report(premises, now=NOW)

    assert [c.text for c in report.comments] == ["Commentaire 5", "Commentaire 4", "Commentaire 3"]
    assert report.comment_count == 5


def test_trend_counts_supports_per_iso_week(neighbourhood):
    trend = build_report(neighbourhood, now=NOW).trend

    assert [t.code for t in trend.shop_types] == ["shop=bakery", "amenity=cafe", "shop=books"]
    assert len(trend.weeks) == TREND_WEEKS
    assert trend.weeks[0].start == date(2023, 12, 25)
    assert trend.weeks[-1].start == date(2024, 3, 11)
    assert [week.label for week in trend.weeks] == [
        "2023-W52",
        *(f"2024-W{number:02d}" for number in range(1, 12)),
    ]
    by_week = {week.label: (week.total, week.by_type) for week in trend.weeks}
    assert by_week == {
        "2023-W52": (1, (0, 0, 1)),
        "2024-W01": (1, (0, 1, 0)),
        "2024-W02": (0, (0, 0, 0)),
        "2024-W03": (0, (0, 0, 0)),
        "2024-W04": (0, (0, 0, 0)),
        "2024-W05": (0, (0, 0, 0)),
        "2024-W06": (0, (0, 0, 0)),
        "2024-W07": (0, (0, 0, 0)),
        "2024-W08": (1, (1, 0, 0)),
        "2024-W09": (0, (0, 0, 0)),
        "2024-W10": (1, (1, 0, 0)),
        "2024-W11": (2, (1, 1, 0)),
    }
    assert trend.highest == 2
    assert trend.total == 6  # the seventh support is older than the twelve weeks


def test_week_start_is_the_monday():
    assert week_start(date(2024, 3, 17)) == date(2024, 3, 11)
    assert week_start(date(2024, 3, 11)) == date(2024, 3, 11)
    assert week_start(date(2024, 1, 1)) == date(2024, 1, 1)


def test_area_wishes_within_the_radius(neighbourhood):
    report = build_report(neighbourhood, now=NOW)

    assert report.radius_m == 300
    assert [(d.shop_type.code, d.count) for d in report.area] == [
        ("shop=greengrocer", 2),
        ("shop=bakery", 1),
    ]


def test_competition_and_gaps_for_the_top_types(neighbourhood):
    report = build_report(neighbourhood, now=NOW)

    found = {
        c.shop_type.code: (c.count, [(s.name, s.distance_m) for s in c.shops], c.is_gap)
        for c in report.competition
    }
    assert found == {
        "shop=bakery": (4, [("Au Bon Pain", 120), ("Boulangerie du Parc", 250)], False),
        "amenity=cafe": (2, [], True),
        "shop=books": (1, [("Librairie", 50)], False),
    }
    assert [c.shop_type.code for c in report.competition] == [
        "shop=bakery",
        "amenity=cafe",
        "shop=books",
    ]


def test_a_smaller_radius_leaves_farther_shops_out(neighbourhood):
    report = build_report(neighbourhood, now=NOW, radius_m=200)

    bakeries = report.competition[0]
    assert [(s.name, s.distance_m) for s in bakeries.shops] == [("Au Bon Pain", 120)]
    assert [(d.shop_type.code, d.count) for d in report.area] == [
        ("shop=bakery", 1),
        ("shop=greengrocer", 1),
    ]


def test_comparison_with_the_district(neighbourhood):
    comparison = build_report(neighbourhood, now=NOW).comparison

    assert comparison.district == "Belleville"
    # Vacant and let premises of Belleville: 10, 7 (tied), 7 (this one), 3 and 0.
    assert comparison.premises_count == 5
    assert comparison.rank == 2
    assert comparison.top_type.code == "shop=bakery"
    # 5 and 7 bakery supporters beat this one's 4; the let premises' 3 does not.
    assert comparison.ahead_for_top_type == 2


def test_the_tied_premises_shares_the_rank(neighbourhood):
    tied = db.session.scalars(
        select(Premises)
        .join(DemandCount, DemandCount.premises_id == Premises.id)
        .where(Premises.district_id == neighbourhood.district_id, DemandCount.supports == 7)
    ).one()

    comparison = build_report(tied, now=NOW).comparison

    assert (comparison.rank, comparison.premises_count) == (2, 5)
    assert comparison.ahead_for_top_type == 0  # its 7 bakery supporters are the most


def test_a_let_premises_says_how_many_had_asked(neighbourhood):
    neighbourhood.let_shop_type = factories.shop_type("shop=bakery")
    neighbourhood.let_on = date(2024, 3, 12)
    neighbourhood.status = PremisesStatus.LET
    db.session.commit()

    let = build_report(neighbourhood, now=NOW).let

    assert (let.shop_type.code, let.let_on, let.asked) == ("shop=bakery", date(2024, 3, 12), 4)


def test_a_let_to_an_unwished_type_counts_nobody(neighbourhood):
    neighbourhood.let_shop_type = factories.shop_type("shop=cheese")
    neighbourhood.let_on = date(2024, 3, 12)
    neighbourhood.status = PremisesStatus.LET
    db.session.commit()

    assert build_report(neighbourhood, now=NOW).let.asked == 0
    neighbourhood.status = PremisesStatus.VACANT
    assert build_report(neighbourhood, now=NOW).let is None


def test_a_premises_nobody_asked_for(app):
    premises = factories.make_premises(district=factories.make_district("Crimée"))
    other = factories.make_premises(district=premises.district)
    factories.make_support(other)
    db.session.commit()

    report = build_report(premises, now=NOW)

    assert report.demand == ()
    assert (report.total_supports, report.supporters, report.comment_count) == (0, 0, 0)
    assert report.competition == ()
    assert [week.total for week in report.trend.weeks] == [0] * TREND_WEEKS
    assert report.trend.shop_types == ()
    assert (report.comparison.rank, report.comparison.premises_count) == (2, 2)
    assert report.comparison.top_type is None
    assert report.comparison.ahead_for_top_type is None


def test_the_number_of_queries_does_not_grow_with_the_data(neighbourhood, count_queries):
    db.session.expire_all()
    with count_queries() as small:
        build_report(db.session.get(type(neighbourhood), neighbourhood.id), now=NOW)

    # Ten times more of everything the report reads.
    for n in range(30):
        factories.make_support(neighbourhood, code="shop=bakery").created_at = datetime(
            2024, 3, 1 + n % 10
        )
        factories.make_wish(
            neighbourhood, comment=f"Commentaire {n}", shop_type=factories.make_shop_type()
        )
        factories.make_shop(name=f"Boulangerie {n}", latitude=north(n * 5), longitude=LONGITUDE)
        other = factories.make_premises(district=neighbourhood.district)
        factories.make_support(other, code="shop=bakery")
    db.session.commit()
    db.session.expire_all()
    with count_queries() as large:
        report = build_report(db.session.get(type(neighbourhood), neighbourhood.id), now=NOW)

    assert report.demand[0].count == 34
    assert large.count == small.count
    assert small.count <= 12


def test_trend_and_comparison_on_every_database(any_db_app):
    premises = factories.make_premises(latitude=LATITUDE, longitude=LONGITUDE)
    supports(premises, "shop=bakery", datetime(2024, 3, 11, 0, 0), datetime(2024, 3, 10, 23, 59))
    supports(premises, "amenity=cafe", datetime(2024, 2, 29, 12, 0))
    rival = factories.make_premises(district=premises.district)
    supports(rival, "shop=bakery", *[NOW] * 3)
    db.session.commit()

    report = build_report(premises, now=NOW)

    by_week = {week.label: (week.total, week.by_type) for week in report.trend.weeks}
    assert by_week["2024-W11"] == (1, (1, 0))
    assert by_week["2024-W10"] == (1, (1, 0))
    assert by_week["2024-W09"] == (1, (0, 1))
    assert sum(total for total, _ in by_week.values()) == 3
    assert (report.comparison.rank, report.comparison.premises_count) == (1, 2)
    assert report.comparison.ahead_for_top_type == 1
