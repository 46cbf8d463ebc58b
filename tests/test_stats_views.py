"""The /stats and /gaps pages, the gap GeoJSON and the gaps on the premises page.

The pages must show the services' numbers, in tables under server-drawn charts.
"""

import json

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests import factories, test_services_gaps, test_services_stats
from tests.test_services_gaps import north
from wishboard.caching import forget_all
from wishboard.extensions import db
from wishboard.models import Premises
from wishboard.public.stats_views import gaps_layer
from wishboard.services.demand.gaps import district_gaps, gap_points
from wishboard.services.demand.stats import town_stats

EN = {"Accept-Language": "en"}


@pytest.fixture
def gap_town(app: Flask) -> dict[str, Premises]:
    """The gap services' known town (tests/test_services_gaps.py)."""
    return test_services_gaps.make_town()


@pytest.fixture
def stats_town(app: Flask) -> None:
    """The statistics service's known town (tests/test_services_stats.py)."""
    test_services_stats.make_town()


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def table(html: BeautifulSoup, selector: str) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in html.select(f"{selector} tbody tr")
    ]


def chart_values(html: BeautifulSoup, selector: str) -> list[str]:
    return [text.get_text() for text in html.select(f"{selector} svg .chart-value")]


# /stats ---------------------------------------------------------------------------------------


def test_the_stats_page_shows_the_services_numbers(client: FlaskClient, stats_town):
    html = soup(client.get("/stats", headers=EN))
    stats = town_stats()

    assert html.select_one("h1").get_text(strip=True) == "Statistics"
    assert (
        table(html, "#type-table")
        == [
            [
                t.shop_type.label_en,
                str(t.supports),
                str(t.premises),
                str(t.area_wishes),
                str(t.asked),
            ]
            for t in stats.by_type
        ]
        == [["Bakery", "5", "2", "0", "5"], ["Café", "2", "2", "2", "4"]]
    )
    assert table(html, "#group-table") == [
        [g.group.label_en, str(g.supports), str(g.area_wishes), str(g.asked)]
        for g in stats.by_group
    ]
    assert (
        table(html, "#district-table")
        == [[d.name, str(d.vacant), str(d.let), str(d.supports)] for d in stats.by_district]
        == [["Belleville", "1", "0", "4"], ["Jourdain", "0", "2", "3"]]
    )
    assert [row[1:] for row in table(html, "#months-table")] == [
        [str(m.wishes), str(m.supports)] for m in stats.months
    ]
    assert [
        row.select_one("time")["datetime"] for row in html.select("#months-table tbody tr")
    ] == [m.label for m in stats.months]
    assert table(html, "#let-table") == [["2 rue du Pain Jourdain", "Bakery", "Mar 1, 2024", "2"]]


def test_the_stats_charts_are_named_images_with_the_tables_numbers(client: FlaskClient, stats_town):
    html = soup(client.get("/stats", headers=EN))
    stats = town_stats()

    for chart in html.select("figure.chart svg"):
        assert chart["role"] == "img"
        title = chart.select_one("title")
        assert title.get_text(strip=True).startswith("Bar chart:")
        assert title["id"] in chart["aria-labelledby"].split()
    assert chart_values(html, "#type-chart") == [str(t.asked) for t in stats.by_type]
    assert chart_values(html, "#district-chart") == [str(d.supports) for d in stats.by_district]
    assert chart_values(html, "#wishes-chart") == [str(m.wishes) for m in stats.months]
    assert chart_values(html, "#supports-chart") == [str(m.supports) for m in stats.months]
    labels = [text.get_text() for text in html.select("#type-chart svg .chart-label")]
    assert labels == ["Bakery", "Café"]


def test_the_stats_page_of_an_empty_town(client: FlaskClient):
    html = soup(client.get("/stats", headers=EN))

    assert not html.select("svg")
    assert "No resident has asked for a shop yet." in html.get_text()


def test_the_stats_page_is_in_french_by_default(client: FlaskClient, stats_town):
    html = soup(client.get("/stats"))

    assert table(html, "#type-table")[0][0] == "Boulangerie"


# /gaps ----------------------------------------------------------------------------------------


def test_the_gaps_page_shows_each_districts_ranking(client: FlaskClient, gap_town):
    html = soup(client.get("/gaps", headers=EN))
    districts = district_gaps()

    sections = html.select("section.gap-district")
    assert [s.select_one("h3").get_text(strip=True) for s in sections] == [
        d.district for d in districts
    ]
    for section, district in zip(sections, districts, strict=True):
        rows = table(section, ".gap-table")
        assert rows == [
            [
                row.shop_type.label_en,
                str(row.wished),
                str(row.shops),
                "Gap" if row.shops == 0 else "No",
            ]
            for row in district.rows
        ]
        assert chart_values(section, "figure.chart") == [str(row.wished) for row in district.rows]
    belleville = table(sections[0], ".gap-table")
    assert belleville[0] == ["Cheese shop", "2", "0", "Gap"]
    # A gap is said in words, in the chart's labels too.
    labels = [t.get_text() for t in sections[0].select("svg .chart-label")]
    assert labels[0] == "Cheese shop · gap: no open shop"
    assert labels[1] == "Bakery · 1 open shop"


def test_the_gaps_page_maps_the_gaps_layer(client: FlaskClient, gap_town):
    html = soup(client.get("/gaps", headers=EN))

    container = html.select_one("[data-map-var]")
    layers = {layer["key"]: layer for layer in json.loads(container["data-layers"])}
    assert layers["gaps"]["url"] == "/api/gaps.geojson"
    assert layers["gaps"]["shown"] is True
    assert layers["gaps"]["shape"] == "triangle"
    assert layers["shops"]["shown"] is False
    assert container["data-geojson-url"] == ""  # no premises pins on this map


def test_the_gaps_page_without_any_wish(client: FlaskClient):
    html = soup(client.get("/gaps", headers=EN))

    assert not html.select("section.gap-district")
    assert "No resident has wished for a shop in an empty premises yet." in html.get_text()


def test_the_gap_geojson_has_the_services_points(client: FlaskClient, gap_town):
    response = client.get("/api/gaps.geojson", headers=EN)

    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    features = response.get_json()["features"]
    points = gap_points()
    assert [f["id"] for f in features] == [p.premises_id for p in points]
    assert [f["properties"]["id"] for f in features] == [p.premises_id for p in points]
    first = features[0]
    assert first["geometry"] == {"type": "Point", "coordinates": [2.38, 48.87]}
    properties = first["properties"]
    assert (properties["address"], properties["district"]) == ("1 rue P", "Belleville")
    assert properties["url"] == f"http://localhost/premises/{points[0].premises_id}"
    assert properties["gap_count"] == 1
    assert (properties["gap1_code"], properties["gap1_label"], properties["gap1_count"]) == (
        "amenity=cafe",
        "Café",
        2,
    )
    assert properties["gap2_code"] is None
    # Data only: the sentences for people are the map's (its layer's popup lines).
    assert not any("Gap" in str(value) for value in properties.values())


def test_the_gap_layer_words_its_popup_in_the_language_of_the_page(client: FlaskClient, app):
    with app.test_request_context(headers=EN):
        lines = gaps_layer(shown=True).as_data()["lines"]

    assert lines[0] == {"text": "%(district)s", "plural": None, "count": None, "ranked": None}
    assert lines[1] == {
        "text": "Gap: %(label)s, asked for by %(count)s resident, none open within 300 m",
        "plural": "Gap: %(label)s, asked for by %(count)s residents, none open within 300 m",
        "count": "count",
        "ranked": "gap",
    }


def test_the_gap_geojson_answers_304_until_a_shop_opens(client: FlaskClient, gap_town):
    etag = client.get("/api/gaps.geojson").headers["ETag"]

    assert client.get("/api/gaps.geojson", headers={"If-None-Match": etag}).status_code == 304
    factories.make_shop(
        shop_type=factories.shop_type("amenity=cafe"),
        latitude=north(10),
        longitude=gap_town["p"].longitude,
    )
    db.session.commit()
    fresh = client.get("/api/gaps.geojson", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert [f["properties"]["address"] for f in fresh.get_json()["features"]] == ["2 rue Q"]


# The premises page and the navigation ---------------------------------------------------------


def test_the_premises_page_marks_its_gaps_in_words(client: FlaskClient, gap_town):
    html = soup(client.get(f"/premises/{gap_town['p'].id}", headers=EN))

    items = [li.get_text(" ", strip=True) for li in html.select(".gap-list li")]
    assert items == [
        "Bakery: 1 open shop within 300 m.",
        "Gap: no Café open within 300 m.",
        "Bookshop: 1 open shop within 300 m.",
    ]
    assert html.select_one(".gap-list .coverage-gap strong").get_text() == "Gap:"


def test_the_premises_panel_for_htmx_marks_its_gaps_too(client: FlaskClient, gap_town):
    response = client.get(f"/premises/{gap_town['q'].id}", headers={**EN, "HX-Request": "true"})

    html = soup(response)
    assert not html.select("html")
    assert [li.get_text(" ", strip=True) for li in html.select(".gap-list li")] == [
        "Gap: no Cheese shop open within 300 m."
    ]


def test_a_premises_without_wishes_lists_no_shops(client: FlaskClient):
    premises = factories.make_premises()
    db.session.commit()

    assert not soup(client.get(f"/premises/{premises.id}")).select(".gap-list")


def test_every_page_links_to_the_stats_and_the_gaps(client: FlaskClient):
    html = soup(client.get("/", headers=EN))

    links = {a.get_text(strip=True): a["href"] for a in html.select(".footer-nav a")}
    assert links == {
        "Statistics": "/stats",
        "Gaps: the shops residents miss": "/gaps",
        "Opportunities: where a new shop is wanted": "/opportunities",
        "Open data": "/data",
    }


# Bounded queries ------------------------------------------------------------------------------


def test_the_pages_cost_the_same_queries_in_a_larger_town(
    client: FlaskClient, gap_town, count_queries
):
    def measured() -> dict[str, int]:
        counts = {}
        for url in ("/stats", "/gaps", "/api/gaps.geojson"):
            forget_all(client.application)
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts[url] = queries.count
        return counts

    small = measured()
    district = factories.make_district("Crimée")
    for n in range(15):
        place = factories.make_premises(district=district, latitude=north(n * 40))
        factories.make_support(place, code=("shop=cheese", "shop=books", "amenity=cafe")[n % 3])
        factories.make_shop(district=district, latitude=north(n * 35))
    db.session.commit()

    assert measured() == small
