"""The open-data page (/data): every export described from one source, its licence, its links."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask, url_for
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import plain_properties, soup
from wishboard.extensions import db
from wishboard.services.open_data import EXPORTS, ODBL, export_field_names, export_for, osm_id

ENGLISH = {"Accept-Language": "en"}
FRENCH = {"Accept-Language": "fr"}
HOSTILE = '"><script>alert(1)</script>'


@pytest.fixture
def town(app: Flask) -> dict:
    """A premises with demand (and gaps), an area wish, a shop of ours and one from OSM."""
    jourdain = factories.make_district("Jourdain")
    busy = factories.make_premises(district=jourdain, latitude=48.8751, longitude=2.3893)
    factories.make_support(busy, code="shop=cheese")
    factories.make_support(busy, code="shop=bakery")
    factories.make_wish(premises=None, latitude=48.876, longitude=2.39)
    ours = factories.make_shop(name="Fromagerie du coin", reference="T-1", district=jourdain)
    osm = factories.make_shop(name="Boulangerie OSM", reference="osm:node/4242")
    db.session.commit()
    return {"jourdain": jourdain, "busy": busy, "ours": ours, "osm": osm}


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def _links(page: BeautifulSoup, key: str) -> dict[str, str]:
    """The download links of one export's section, by variant."""
    section = page.select_one(f"section#export-{key}")
    return {a["data-variant"]: a["href"] for a in section.select(".data-links a")}


@pytest.mark.parametrize(
    ("headers", "title", "licence_text"),
    [
        (ENGLISH, "Open data", "published under the Licence Ouverte / Open Licence 2.0"),
        (FRENCH, "Données ouvertes", "publiées sous Licence Ouverte / Open Licence 2.0"),
    ],
)
def test_every_export_is_described_with_its_fields_and_licence(
    client: FlaskClient, town: dict, headers: dict, title: str, licence_text: str
) -> None:
    response = client.get("/data", headers=headers)

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == title
    licence = page.select_one("#data-licence")
    assert licence_text in " ".join(licence.get_text().split())
    assert licence.select_one("a")["href"] == (
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
    osm = page.select_one("#osm-licence")
    assert ODBL.url in [a["href"] for a in osm.select("a")]
    assert "https://www.openstreetmap.org/copyright" in [a["href"] for a in osm.select("a")]
    assert "ETag" in page.select_one("#data-updates").get_text()
    assert [section["id"] for section in page.select("section.data-export")] == [
        f"export-{export.key}" for export in EXPORTS
    ]
    for export in EXPORTS:
        section = page.select_one(f"section#export-{export.key}")
        assert section.select_one("h2").get_text(strip=True) == str(export.title)
        names = [th.get_text(strip=True) for th in section.select(".data-fields tbody th")]
        assert names == [field.shown_name for field in export.fields]
        meanings = section.select(".data-fields tbody td")
        assert all(cell.get_text(strip=True) for cell in meanings)
        address = section.select_one("code.data-url").get_text()
        with client.application.test_request_context():
            assert address == url_for(export.endpoint, _external=True)
        licences = [a["href"] for a in section.select(".facts a")]
        expected = ["https://www.etalab.gouv.fr/licence-ouverte-open-licence/"]
        assert licences == (expected + [ODBL.url] if export.holds_osm_shops else expected)


def test_the_page_is_in_french_by_default(client: FlaskClient, town: dict) -> None:
    page = soup(client.get("/data"))

    assert page.select_one("html")["lang"] == "fr"
    demand = page.select_one("section#export-demand")
    assert demand.select_one("h2").get_text(strip=True) == "La demande, local par local"
    texts = [a.get_text(strip=True) for a in demand.select(".data-links a")]
    assert texts == ["CSV", "CSV pour un tableur (Excel, LibreOffice)"]


def test_the_licence_follows_the_settings(app: Flask, client: FlaskClient, town: dict) -> None:
    app.config["WISHBOARD_DATA_LICENCE"] = "CC BY 4.0 <b>"
    app.config["WISHBOARD_DATA_LICENCE_URL"] = "https://creativecommons.org/licenses/by/4.0/"

    page = soup(client.get("/data", headers=ENGLISH))

    link = page.select_one("#data-licence a")
    assert (link["href"], link.get_text()) == (
        "https://creativecommons.org/licenses/by/4.0/",
        "CC BY 4.0 <b>",  # the name is text, never markup
    )
    assert page.select("#data-licence b") == []


@pytest.mark.parametrize("headers", [ENGLISH, FRENCH])
def test_the_documented_fields_are_the_files_fields(
    client: FlaskClient, town: dict, headers: dict
) -> None:
    for export in EXPORTS:
        with client.application.test_request_context():
            url = url_for(export.endpoint)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        names = export_field_names(export.fields)
        assert len(set(names)) == len(names), f"{url} documents a field twice"
        if export.format == "CSV":
            header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
            assert header == names
        else:
            collection = response.get_json(force=True)
            assert collection["features"], f"{url} has no feature to check"
            assert plain_properties(collection) == set(names), url


@pytest.mark.parametrize("headers", [ENGLISH, FRENCH])
@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("/api/premises.geojson", "/premises/{id}"),
        ("/api/shops.geojson", "/shops/{id}"),
        ("/api/gaps.geojson", "/premises/{id}"),
    ],
)
def test_features_carry_their_id_and_an_absolute_url(
    client: FlaskClient, town: dict, headers: dict, url: str, page: str
) -> None:
    features = client.get(url, headers=headers).get_json(force=True)["features"]

    assert features
    for feature in features:
        assert isinstance(feature["id"], int)
        assert feature["properties"]["id"] == feature["id"]
        assert feature["properties"]["url"] == "http://localhost" + page.format(id=feature["id"])
        assert client.get(feature["properties"]["url"]).status_code == 200


def test_the_urls_follow_the_host_asked_for(client: FlaskClient, town: dict) -> None:
    url = "/api/shops.geojson"

    first = client.get(url, base_url="https://wishboard.example")
    other = client.get(url, base_url="http://other.example")

    assert first.get_json(force=True)["features"][0]["properties"]["url"].startswith(
        "https://wishboard.example/shops/"
    )
    assert other.get_json(force=True)["features"][0]["properties"]["url"].startswith(
        "http://other.example/shops/"
    )


def test_shops_from_openstreetmap_are_marked(client: FlaskClient, town: dict) -> None:
    features = client.get("/api/shops.geojson").get_json(force=True)["features"]

    marked = {
        feature["properties"]["name"]: feature["properties"]["osm_id"] for feature in features
    }
    assert marked == {"Fromagerie du coin": None, "Boulangerie OSM": "node/4242"}
    assert osm_id("osm:way/7") == "way/7"
    assert osm_id("P-osm:1") is None
    assert osm_id(None) is None


def test_the_example_links_keep_the_filters(client: FlaskClient, town: dict) -> None:
    district = str(town["jourdain"].id)
    response = client.get(
        "/data", query_string={"type": "shop=bakery", "district": district, "q": "Boulangerie"}
    )

    assert response.status_code == 200
    page = soup(response)
    premises = _links(page, "premises")["standard"]
    assert urlsplit(premises).path == "/api/premises.geojson"
    assert _query(premises) == {"type": ["shop=bakery"], "district": [district]}  # no q there
    shops = _links(page, "shops")["standard"]
    assert _query(shops) == {"type": ["shop=bakery"], "district": [district], "q": ["Boulangerie"]}
    # The files that take no filter hold the whole town, and say so.
    for key in ("area-wishes", "gaps"):
        assert _query(_links(page, key)["standard"]) == {}
        assert page.select_one(f"section#export-{key} p.muted")
    demand = _links(page, "demand")
    assert demand == {
        "standard": "/api/demand.csv",
        "spreadsheet": "/api/demand.csv?variant=spreadsheet",
    }
    # The form shows what was chosen.
    assert page.select_one("#filter-type option[selected]")["value"] == "shop=bakery"
    assert page.select_one("#filter-name")["value"] == "Boulangerie"


def test_the_links_hold_what_they_say(client: FlaskClient, town: dict) -> None:
    page = soup(client.get("/data", query_string={"q": "OSM"}))

    shops = client.get(_links(page, "shops")["standard"]).get_json(force=True)["features"]

    assert [feature["properties"]["name"] for feature in shops] == ["Boulangerie OSM"]


def test_a_hostile_search_is_text_in_the_page_and_the_links(
    client: FlaskClient, town: dict
) -> None:
    response = client.get("/data", query_string={"q": HOSTILE})

    assert response.status_code == 200  # a name may hold any text: it is searched, not refused
    page = soup(response)
    assert page.select("main script") == []
    assert page.select_one("#filter-name")["value"] == HOSTILE
    shops = _links(page, "shops")["standard"]
    assert _query(shops) == {"q": [HOSTILE]}
    assert "<script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"type": HOSTILE}, "filter-type"),
        ({"district": "1 OR 1=1"}, "filter-district"),
        ({"group": "<b>x</b>"}, "filter-group"),
        ({"q": "x" * 1000}, "filter-name"),
    ],
)
def test_a_filter_that_does_not_exist_is_a_400_naming_it(
    client: FlaskClient, town: dict, query: dict, field: str
) -> None:
    response = client.get("/data", query_string=query, headers=ENGLISH)

    assert response.status_code == 400
    page = soup(response)
    errors = page.select(".error-summary a")
    assert [a["href"] for a in errors] == [f"#{field}"]
    # The page still describes every export, its links without any filter.
    for export in EXPORTS:
        assert _query(_links(page, export.key)["standard"]) == {}
    assert page.select("main script") == []
    assert "<b>x</b>" not in response.get_data(as_text=True)


def test_the_map_list_shops_and_footer_link_here_with_their_filters(
    client: FlaskClient, town: dict
) -> None:
    district = str(town["jourdain"].id)
    chosen = {"type": ["shop=bakery"], "district": [district]}

    home = soup(client.get("/", query_string={"type": "shop=bakery", "district": district}))
    link = home.select_one("a#map-data-link")
    assert urlsplit(link["href"]).path == "/data"
    assert _query(link["href"]) == chosen

    listing = soup(
        client.get(
            "/premises",
            query_string={"type": "shop=bakery", "district": district, "sort": "newest"},
        )
    )
    assert _query(listing.select_one("a#list-data-link")["href"]) == chosen  # not the order

    shops = soup(client.get("/shops", query_string={"q": "Boul", "district": district}))
    assert _query(shops.select_one("a#shops-data-link")["href"]) == {
        "q": ["Boul"],
        "district": [district],
    }

    assert soup(client.get("/")).select_one("a#map-data-link")["href"] == "/data"
    footer = home.select_one("footer")
    assert "/data" in [a["href"] for a in footer.select("a")]


def test_the_list_link_follows_an_htmx_filter(client: FlaskClient, town: dict) -> None:
    response = client.get(
        "/premises", query_string={"type": "shop=cheese"}, headers={"HX-Request": "true"}
    )

    fragment = soup(response)
    assert "<html" not in response.get_data(as_text=True)
    assert _query(fragment.select_one("a#list-data-link")["href"]) == {"type": ["shop=cheese"]}


def test_the_page_is_cached_and_answers_304(client: FlaskClient, town: dict) -> None:
    first = client.get("/data", headers=ENGLISH)
    etag = first.headers["ETag"]

    again = client.get("/data", headers={**ENGLISH, "If-None-Match": etag})

    assert again.status_code == 304
    # Not under /api/: no CORS header on the site's own pages.
    assert "Access-Control-Allow-Origin" not in first.headers


def test_each_export_is_found_by_its_endpoint() -> None:
    for export in EXPORTS:
        assert export_for(export.endpoint) is export
    assert export_for("public.index") is None
    assert export_for(None) is None
