"""Filters of the list and the map: by shop type, group and district; by demand or newest."""

from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import Premises, PremisesStatus
from wishboard.services.premises.listing import (
    NO_FILTER,
    PremisesFilter,
    Sort,
    map_premises,
    vacant_premises,
)

ENGLISH = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true", **ENGLISH}


def supported(premises: Premises, **counts: int) -> Premises:
    """Give `premises` `count` supports for each shop type code (`shop__bakery=3`)."""
    for code, count in counts.items():
        for _ in range(count):
            factories.make_support(premises, code=code.replace("__", "="))
    return premises


@pytest.fixture
def town(app: Flask) -> dict:
    """Four vacant premises in two districts with known demand and dates, one let, one withdrawn.

    Demand: alpha 4 (bakery 3, cheese 1), beta 2 (café), gamma 2 (bakery, pharmacy), delta 0.
    Added: alpha first, then gamma, then beta and delta on the same day (delta has the larger id).
    """
    belleville = factories.make_district("Belleville")
    jourdain = factories.make_district("Jourdain")

    def premises(address: str, district, added: date, **overrides) -> Premises:
        return factories.make_premises(
            address=address,
            district=district,
            created_at=datetime(added.year, added.month, added.day),
            **overrides,
        )

    alpha = supported(
        premises("1 rue Alpha", belleville, date(2024, 1, 1)), shop__bakery=3, shop__cheese=1
    )
    beta = supported(premises("2 rue Beta", jourdain, date(2024, 3, 1)), amenity__cafe=2)
    gamma = supported(
        premises("3 rue Gamma", belleville, date(2024, 2, 1)),
        shop__bakery=1,
        amenity__pharmacy=1,
    )
    delta = premises("4 rue Delta", jourdain, date(2024, 3, 1))
    let = supported(
        premises(
            "5 rue Louée",
            belleville,
            date(2024, 4, 1),
            status=PremisesStatus.LET,
            let_shop_type=factories.shop_type("shop=books"),
            let_on=date(2024, 5, 1),
        ),
        shop__bakery=5,
    )
    withdrawn = supported(
        premises("6 rue Retirée", jourdain, date(2024, 4, 1), status=PremisesStatus.WITHDRAWN),
        shop__bakery=5,
        amenity__cafe=5,
    )
    db.session.commit()
    return {
        "belleville": belleville,
        "jourdain": jourdain,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "delta": delta,
        "let": let,
        "withdrawn": withdrawn,
    }


def listed(filters: PremisesFilter = NO_FILTER) -> list[str]:
    """Addresses of the vacant premises matching `filters`, in the list's order."""
    return [premises.address for premises in db.session.scalars(vacant_premises(filters))]


def on_map(filters: PremisesFilter = NO_FILTER) -> set[str]:
    return {row.address for row in map_premises(filters)}


# The services


def test_the_list_is_most_supported_first_ties_by_address(town: dict) -> None:
    assert listed() == ["1 rue Alpha", "2 rue Beta", "3 rue Gamma", "4 rue Delta"]


def test_newest_first_breaks_ties_by_the_later_id(town: dict) -> None:
    assert town["delta"].id > town["beta"].id

    assert listed(PremisesFilter(sort=Sort.NEWEST)) == [
        "4 rue Delta",
        "2 rue Beta",
        "3 rue Gamma",
        "1 rue Alpha",
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (PremisesFilter(shop_type="shop=bakery"), ["1 rue Alpha", "3 rue Gamma"]),
        (PremisesFilter(shop_type="amenity=cafe"), ["2 rue Beta"]),
        (PremisesFilter(shop_type="shop=books"), []),
        (PremisesFilter(group="food"), ["1 rue Alpha", "3 rue Gamma"]),
        (PremisesFilter(group="health_beauty"), ["3 rue Gamma"]),
        (PremisesFilter(group="cafes_restaurants"), ["2 rue Beta"]),
        (PremisesFilter(group="fashion"), []),
    ],
)
def test_a_type_or_a_group_keeps_the_premises_where_residents_support_it(
    town: dict, filters: PremisesFilter, expected: list[str]
) -> None:
    assert listed(filters) == expected


def test_a_district_keeps_its_own_premises(town: dict) -> None:
    jourdain = PremisesFilter(district_id=town["jourdain"].id)
    belleville = PremisesFilter(district_id=town["belleville"].id, sort=Sort.NEWEST)

    assert listed(jourdain) == ["2 rue Beta", "4 rue Delta"]
    assert listed(belleville) == ["3 rue Gamma", "1 rue Alpha"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"shop_type": "shop=bakery", "group": "health_beauty"}, ["3 rue Gamma"]),
        ({"shop_type": "shop=bakery", "group": "cafes_restaurants"}, []),
        ({"shop_type": "shop=bakery", "district": "belleville"}, ["1 rue Alpha", "3 rue Gamma"]),
        ({"group": "food", "district": "jourdain"}, []),
        ({"group": "cafes_restaurants", "district": "jourdain"}, ["2 rue Beta"]),
        (
            {"shop_type": "shop=bakery", "district": "belleville", "sort": Sort.NEWEST},
            ["3 rue Gamma", "1 rue Alpha"],
        ),
    ],
)
def test_filters_combine(town: dict, filters: dict, expected: list[str]) -> None:
    if "district" in filters:
        filters["district_id"] = town[filters.pop("district")].id

    assert listed(PremisesFilter(**filters)) == expected


def test_let_and_withdrawn_premises_are_never_in_the_list(town: dict) -> None:
    everything = [PremisesFilter(), PremisesFilter(shop_type="shop=bakery")]
    everything += [PremisesFilter(district_id=town[name].id) for name in ("belleville", "jourdain")]

    for filters in everything:
        assert not {"5 rue Louée", "6 rue Retirée"} & set(listed(filters))


def test_the_map_takes_the_same_filters_and_keeps_let_premises(town: dict) -> None:
    assert on_map(PremisesFilter(shop_type="shop=bakery")) == {
        "1 rue Alpha",
        "3 rue Gamma",
        "5 rue Louée",
    }
    assert on_map(PremisesFilter(group="cafes_restaurants")) == {"2 rue Beta"}
    assert on_map(PremisesFilter(district_id=town["jourdain"].id)) == {"2 rue Beta", "4 rue Delta"}
    assert "6 rue Retirée" not in on_map()


def test_narrows_says_whether_a_filter_leaves_premises_out() -> None:
    assert not PremisesFilter().narrows
    assert not PremisesFilter(sort=Sort.NEWEST).narrows
    assert PremisesFilter(district_id=1).narrows
    assert PremisesFilter(group="food").narrows


# The list page


def rows(page: BeautifulSoup) -> list[str]:
    return [link.get_text(strip=True) for link in page.select(".premises-table tbody th a")]


def test_plain_get_filters_and_keeps_the_chosen_values(client: FlaskClient, town: dict) -> None:
    district = town["belleville"].id
    response = client.get(
        f"/premises?type=shop%3Dbakery&group=&district={district}&sort=newest", headers=ENGLISH
    )

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("html")
    assert rows(page) == ["3 rue Gamma", "1 rue Alpha"]
    assert page.select_one("#results-title").get_text(strip=True) == (
        "2 vacant premises match these filters"
    )
    assert page.select_one("details.filters-disclosure").has_attr("open")
    form = page.select_one("details.filters-disclosure[open] > form#premises-filters")
    assert form["method"] == "get" and form["action"] == "/premises"
    assert form["data-hx-get"] == "/premises" and form["data-hx-target"] == "#premises-results"
    assert form["data-hx-push-url"] == "true"
    selected = {
        select["name"]: [option["value"] for option in select.select("option[selected]")]
        for select in form.select("select")
    }
    assert selected == {
        "type": ["shop=bakery"],
        "group": [""],
        "district": [str(district)],
        "sort": ["newest"],
    }
    for select in form.select("select"):
        assert form.select_one(f'label[for="{select["id"]}"]').get_text(strip=True)
    assert form.select_one('a[href="/premises"]').get_text(strip=True) == "Clear filters"


def test_shop_types_are_grouped_in_the_visitors_language(client: FlaskClient, town: dict) -> None:
    english = soup(client.get("/premises", headers=ENGLISH)).select_one("select#filter-type")
    french = soup(client.get("/premises")).select_one("select#filter-type")

    assert english.select_one("option").get("value") == ""
    food = english.select_one('optgroup[label="Food"]')
    assert food.select_one('option[value="shop=bakery"]').get_text() == "Bakery"
    assert french.select_one('optgroup[label="Alimentation"] option[value="shop=bakery"]')
    assert french.select_one('option[value="shop=bakery"]').get_text() == "Boulangerie"
    districts = soup(client.get("/premises")).select("select#filter-district option")
    assert [option.get_text() for option in districts[1:]] == ["Belleville", "Jourdain"]


def test_without_filters_the_heading_counts_every_vacant_premises(
    client: FlaskClient, town: dict
) -> None:
    page = soup(client.get("/premises?type=&group=&district=&sort=", headers=ENGLISH))

    assert page.select_one("#results-title").get_text(strip=True) == "4 vacant premises"
    # Folded when nothing is filtered: a phone shows the first premises on its first screen.
    assert not page.select_one("details.filters-disclosure").has_attr("open")
    assert rows(page) == ["1 rue Alpha", "2 rue Beta", "3 rue Gamma", "4 rue Delta"]


def test_no_match_says_so_with_a_way_out(client: FlaskClient, town: dict) -> None:
    page = soup(client.get("/premises?group=fashion", headers=ENGLISH))

    assert page.select_one(".premises-table") is None
    results = page.select_one("#premises-results")
    assert "No vacant premises matches these filters." in results.get_text()
    assert results.select_one('a[href="/premises"]').get_text(strip=True) == "Clear filters"


def test_pagination_links_carry_the_filters(app: Flask, client: FlaskClient, town: dict) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 1
    district = town["belleville"].id

    first = soup(client.get(f"/premises?district={district}&sort=newest&type=", headers=ENGLISH))
    second_url = first.select_one('.pagination a[rel="next"]')["href"]
    second = soup(client.get(second_url, headers=ENGLISH))

    query = parse_qs(urlsplit(second_url).query)
    assert query == {"district": [str(district)], "sort": ["newest"], "page": ["2"]}
    assert first.select_one('.pagination a[rel="next"]')["data-hx-get"] == second_url
    assert rows(first) == ["3 rue Gamma"] and rows(second) == ["1 rue Alpha"]
    assert second.select_one("#results-title").get_text(strip=True) == (
        "2 vacant premises match these filters, page 2 of 2"
    )
    for link in second.select(".pagination a"):
        assert parse_qs(urlsplit(link["href"]).query)["district"] == [str(district)]
    assert client.get(f"/premises?district={district}&page=3").status_code == 404


def test_the_usual_order_stays_out_of_the_links(
    app: Flask, client: FlaskClient, town: dict
) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 2

    page = soup(client.get("/premises?sort=demand&type="))

    assert page.select_one('.pagination a[rel="next"]')["href"] == "/premises?page=2"


def test_htmx_get_returns_only_the_filtered_results(client: FlaskClient, town: dict) -> None:
    response = client.get(f"/premises?district={town['jourdain'].id}", headers=HTMX)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    page = soup(response)
    assert page.select_one("section#premises-results")
    assert page.select_one("form#premises-filters") is None
    assert rows(page) == ["2 rue Beta", "4 rue Delta"]
    assert "HX-Request" in response.headers["Vary"]


BAD_VALUES = [
    ("type", "shop=unicorn", "Shop type: Choose a shop type from the list."),
    ("type", "bakery", "Shop type: Choose a shop type from the list."),
    ("group", "spaceships", "Category: Choose a category from the list."),
    ("district", "abc", "District: Choose a district from the list."),
    ("district", "999999", "District: Choose a district from the list."),
    ("district", "-1", "District: Choose a district from the list."),
    ("district", "9" * 30, "District: Choose a district from the list."),
    ("sort", "oldest", "Order: Choose an order from the list."),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_a_bad_value_is_a_400_with_the_error_on_the_page(
    client: FlaskClient, town: dict, name: str, value: str, message: str
) -> None:
    response = client.get("/premises", query_string={name: value}, headers=ENGLISH)

    assert response.status_code == 400
    page = soup(response)
    summary = page.select_one("#premises-results .error-summary[role=alert]")
    assert [item.get_text(strip=True) for item in summary.select("li")] == [message]
    assert summary.select_one("a")["href"] == f"#filter-{name}"
    field = page.select_one(f"#filter-{name}")
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"] == f"filter-{name}-error"
    assert page.select_one(f"#filter-{name}-error").get_text(strip=True) == message.split(": ")[1]
    assert page.select_one(".premises-table") is None
    assert page.select_one("details.filters-disclosure").has_attr("open")


def test_a_bad_value_from_htmx_is_a_400_fragment_with_the_error(
    client: FlaskClient, town: dict
) -> None:
    response = client.get("/premises?district=nope&type=shop%3Dbakery", headers=HTMX)

    assert response.status_code == 400
    assert "<html" not in response.get_data(as_text=True)
    summary = soup(response).select_one("section#premises-results .error-summary")
    assert [item.get_text(strip=True) for item in summary.select("li")] == [
        "District: Choose a district from the list."
    ]


def test_a_control_character_is_refused_like_any_unknown_value(
    client: FlaskClient, town: dict
) -> None:
    response = client.get("/premises", query_string={"type": "shop=bak\x00ery"})

    assert response.status_code == 400
    assert soup(response).select_one("#filter-type-error")


def _make_vacant(count: int, district) -> None:
    for _ in range(count):
        supported(factories.make_premises(district=district), shop__bakery=1, amenity__cafe=1)
    db.session.commit()


def test_filtered_list_runs_as_many_queries_for_30_premises_as_for_5(
    app: Flask, client: FlaskClient, count_queries
) -> None:
    app.config["WISHBOARD_PAGE_SIZE"] = 50
    district = factories.make_district("Belleville")
    _make_vacant(5, district)
    url = f"/premises?type=shop%3Dbakery&group=food&district={district.id}"

    with count_queries() as five:
        assert client.get(url).status_code == 200
    _make_vacant(25, district)
    with count_queries() as thirty:
        page = soup(client.get(url))

    assert len(rows(page)) == 30
    assert thirty.count == five.count
    with count_queries() as fragment:
        client.get(url, headers=HTMX)
    assert fragment.count == five.count


# The home page's map


def test_home_form_and_map_carry_the_filters(client: FlaskClient, town: dict) -> None:
    district = town["jourdain"].id
    response = client.get(f"/?type=amenity%3Dcafe&district={district}", headers=ENGLISH)

    assert response.status_code == 200
    page = soup(response)
    container = page.select_one("div.folium-map[data-geojson-url]")
    url = urlsplit(container["data-geojson-url"])
    assert url.path == "/api/premises.geojson"
    assert parse_qs(url.query) == {"type": ["amenity=cafe"], "district": [str(district)]}
    link = urlsplit(page.select_one("a#map-list-link")["href"])
    assert link.path == "/premises"
    assert parse_qs(link.query) == {"type": ["amenity=cafe"], "district": [str(district)]}
    form = page.select_one("form#map-filters")
    assert form["action"] == "/" and form["method"] == "get"
    assert [select["name"] for select in form.select("select")] == ["type", "group", "district"]
    assert form.select_one("#filter-type option[selected]")["value"] == "amenity=cafe"


def test_home_without_filters_links_to_the_plain_list(client: FlaskClient) -> None:
    page = soup(client.get("/?type=&group=&district="))

    assert page.select_one("div.folium-map")["data-geojson-url"] == "/api/premises.geojson"
    assert page.select_one("a#map-list-link")["href"] == "/premises"


def test_home_with_a_bad_filter_is_a_400_with_the_error(client: FlaskClient, town: dict) -> None:
    response = client.get("/?group=spaceships", headers=ENGLISH)

    assert response.status_code == 400
    page = soup(response)
    summary = page.select_one("form#map-filters .error-summary")
    assert [item.get_text(strip=True) for item in summary.select("li")] == [
        "Category: Choose a category from the list."
    ]
    assert page.select_one("div.folium-map")["data-geojson-url"] == "/api/premises.geojson"


# The GeoJSON


def geojson_ids(client: FlaskClient, query: str) -> set[int]:
    response = client.get(f"/api/premises.geojson?{query}")
    assert response.status_code == 200
    return {feature["properties"]["id"] for feature in response.get_json(force=True)["features"]}


def test_geojson_filters_by_type_group_and_district(client: FlaskClient, town: dict) -> None:
    ids = {name: town[name].id for name in ("alpha", "beta", "gamma", "delta", "let")}

    assert geojson_ids(client, "type=shop%3Dbakery") == {ids["alpha"], ids["gamma"], ids["let"]}
    assert geojson_ids(client, "group=health_beauty") == {ids["gamma"]}
    assert geojson_ids(client, f"district={town['jourdain'].id}") == {ids["beta"], ids["delta"]}
    assert geojson_ids(client, f"type=shop%3Dbakery&district={town['belleville'].id}&group=") == {
        ids["alpha"],
        ids["gamma"],
        ids["let"],
    }
    assert geojson_ids(client, "type=&group=&district=") == set(ids.values())


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES[:-1])
def test_geojson_bad_filter_is_a_400_in_json(
    client: FlaskClient, town: dict, name: str, value: str, message: str
) -> None:
    response = client.get("/api/premises.geojson", query_string={name: value}, headers=ENGLISH)

    assert response.status_code == 400
    assert response.get_json() == {
        "error": "Bad Request",
        "status": 400,
        "errors": {name: [message.split(": ")[1]]},
    }


def test_geojson_etag_differs_per_filter(client: FlaskClient, town: dict) -> None:
    everything = client.get("/api/premises.geojson")
    cafes = client.get("/api/premises.geojson?type=amenity%3Dcafe")

    assert everything.headers["ETag"] != cafes.headers["ETag"]
    again = client.get(
        "/api/premises.geojson?type=amenity%3Dcafe",
        headers={"If-None-Match": cafes.headers["ETag"]},
    )
    assert again.status_code == 304
