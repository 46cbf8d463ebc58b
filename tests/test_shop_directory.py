"""The public directory of open shops: the list and its filters, one shop, corrections, GeoJSON."""

import json

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import soup
from wishboard.caching import forget_all
from wishboard.extensions import db
from wishboard.models import CorrectionStatus, ShopCorrection

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    """English unless a test asks for another language (the default one is French)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def csrf_token(client: FlaskClient, url: str) -> str:
    return soup(client.get(url)).select_one("input[name=csrf_token]")["value"]


def card_names(page: BeautifulSoup) -> list[str]:
    return [link.get_text(strip=True) for link in page.select(".shop-card h3 a")]


@pytest.fixture
def town(app: Flask) -> dict:
    """Three shops: a bakery with every contact, a cheese shop elsewhere, a café with none."""
    north, south = factories.make_district("Nord"), factories.make_district("Sud")
    bakery = factories.make_shop(
        name="Boulangerie <b>Martin</b>",
        district=north,
        phone="01 42 00 00 00",
        email="martin@example.org",
        website="https://boulangerie-martin.example",
        social_url="javascript:alert(1)",
        opening_hours="Tu-Su 07:00-20:00",
    )
    cheese = factories.make_shop(
        name="Le Fromager", shop_type=factories.shop_type("shop=cheese"), district=south
    )
    cafe = factories.make_shop(
        name="Café du Coin", shop_type=factories.shop_type("amenity=cafe"), district=north
    )
    db.session.commit()
    return {"north": north, "south": south, "bakery": bakery, "cheese": cheese, "cafe": cafe}


# The list ------------------------------------------------------------------------------------


def test_the_list_shows_each_shop_with_its_contacts(client, town):
    page = soup(client.get("/shops"))

    assert page.select_one("h1").get_text(strip=True) == "Open shops"
    assert card_names(page) == ["Boulangerie <b>Martin</b>", "Café du Coin", "Le Fromager"]
    assert page.select_one(".shop-card b") is None  # a name is text, never markup
    bakery = page.select(".shop-card")[0]
    assert bakery.select_one(".shop-type").get_text() == "Bakery"
    assert "Nord" in bakery.select_one(".shop-meta").get_text()
    assert bakery.select_one("a[href^='tel:']")["href"] == "tel:0142000000"
    assert bakery.select_one("a[href^='mailto:']")["href"] == "mailto:martin@example.org"
    assert bakery.select_one("a.shop-link")["href"] == "https://boulangerie-martin.example"
    # A link that would run code is not a link at all.
    assert not bakery.select("a[href^='javascript']")
    assert len(bakery.select("a.shop-link")) == 1
    assert "Tu-Su 07:00-20:00" in bakery.get_text()
    cafe = page.select(".shop-card")[1]
    assert "No contact details known." in cafe.get_text()
    assert cafe.select_one(".shop-card h3 a")["href"] == f"/shops/{town['cafe'].id}"


def test_filters_narrow_the_list_and_keep_the_form_filled(client, town):
    by_type = soup(client.get("/shops?type=shop%3Dcheese"))
    assert card_names(by_type) == ["Le Fromager"]
    assert by_type.select_one("#filter-type option[selected]")["value"] == "shop=cheese"
    assert by_type.select_one("details.filters-disclosure").has_attr("open")

    by_district = soup(client.get(f"/shops?district={town['north'].id}"))
    assert card_names(by_district) == ["Boulangerie <b>Martin</b>", "Café du Coin"]
    assert "2 shops match these filters" in by_district.select_one("#shop-results h2").get_text()

    by_name = soup(client.get("/shops?q=FROMAGER"))
    assert card_names(by_name) == ["Le Fromager"]
    assert by_name.select_one("#filter-name")["value"] == "FROMAGER"

    food = factories.shop_type("shop=bakery").group.code
    by_group = soup(client.get(f"/shops?group={food}"))
    assert "Café du Coin" not in card_names(by_group)
    assert "Le Fromager" in card_names(by_group)

    nothing = soup(client.get("/shops?q=pharmacie"))
    assert card_names(nothing) == []
    assert "No open shop matches these filters." in nothing.select_one("#shop-results").get_text()


def test_a_bad_filter_is_a_400_with_the_error_linked_to_its_field(client, town):
    response = client.get("/shops?district=999999&type=shop%3Dnothing")
    assert response.status_code == 400
    page = soup(response)
    links = [a["href"] for a in page.select(".error-summary a")]
    assert "#filter-district" in links and "#filter-type" in links
    field = page.select_one("#filter-district")
    assert field["aria-invalid"] == "true"
    assert page.select_one("#" + field["aria-describedby"]).get_text(strip=True)
    assert card_names(page) == []


def test_a_search_too_long_is_refused(client, town):
    response = client.get("/shops?q=" + "a" * 101)
    assert response.status_code == 400
    assert soup(response).select_one("#filter-name")["aria-invalid"] == "true"


def test_htmx_gets_only_the_results_with_the_layer_url_to_follow(client, town):
    response = client.get(f"/shops?district={town['south'].id}", headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    results = soup(response).select_one("section#shop-results")
    assert results["data-map-layer"] == "shops"
    assert results["data-map-layer-url"] == f"/api/shops.geojson?district={town['south'].id}"
    assert card_names(soup(response)) == ["Le Fromager"]
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_the_list_is_paged(app: Flask, client: FlaskClient):
    app.config["WISHBOARD_PAGE_SIZE"] = 2
    for n in range(5):
        factories.make_shop(name=f"Boutique {n}")
    db.session.commit()

    first = soup(client.get("/shops"))
    assert card_names(first) == ["Boutique 0", "Boutique 1"]
    assert "5 open shops, page 1 of 3" in first.select_one("#shop-results h2").get_text()
    assert first.select_one(".pagination a[rel=next]")["href"] == "/shops?page=2"
    last = soup(client.get("/shops?page=3&q=boutique"))
    assert card_names(last) == ["Boutique 4"]
    assert client.get("/shops?page=4").status_code == 404
    assert client.get("/shops?page=0").status_code == 404


def test_an_empty_directory_says_so(client, app):
    page = soup(client.get("/shops"))
    assert "No shop is listed yet." in page.select_one("#shop-results").get_text()


def test_the_map_shows_the_shops_layer_alone_with_the_filters(client, town):
    page = soup(client.get(f"/shops?type=shop%3Dbakery&district={town['north'].id}"))
    container = page.select_one(".town-map")

    assert container["data-geojson-url"] == ""  # no premises on this map
    (layer,) = json.loads(container["data-layers"])
    assert layer["key"] == "shops"
    assert layer["shown"] is True
    assert layer["url"] == f"/api/shops.geojson?type=shop%3Dbakery&district={town['north'].id}"
    assert layer["label"] == "Open shops"
    assert page.select_one("script[src*='js/map.js']") is not None
    # The legend names the layer and draws its marker's shape, not only its colour.
    legend = page.select_one(".map-legend")
    assert legend.select_one("svg.legend-shape polygon")["points"] == "2,2 14,2 14,14 2,14"
    assert "Open shops" in legend.get_text()


def test_the_home_map_has_the_shops_layer_switched_off(client, app):
    page = soup(client.get("/"))
    (layer,) = json.loads(page.select_one(".town-map")["data-layers"])

    assert (layer["key"], layer["shown"], layer["url"]) == ("shops", False, "/api/shops.geojson")
    assert page.select_one(".town-map")["data-geojson-url"].startswith("/api/premises.geojson")


def test_the_main_navigation_links_to_the_shops(client, app):
    client.get("/language/en")
    page = soup(client.get("/"))
    assert page.select_one(".site-header nav a[href='/shops']").get_text() == "Shops"


def test_the_list_costs_the_same_queries_for_few_and_many_shops(
    app: Flask, client: FlaskClient, count_queries
):
    def cost() -> dict[str, int]:
        counts = {}
        for url in ("/shops", "/shops?q=a", "/api/shops.geojson", f"/shops/{first.id}"):
            forget_all(app)
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts[url] = queries.count
        return counts

    district = factories.make_district("Nord")
    first = factories.make_shop(district=district)
    db.session.commit()
    few = cost()
    for n in range(30):
        factories.make_shop(
            district=factories.make_district(f"Quartier {n % 4}"),
            shop_type=factories.shop_type("shop=cheese" if n % 2 else "amenity=cafe"),
        )
    db.session.commit()
    assert cost() == few


# One shop ------------------------------------------------------------------------------------


def test_one_shop_page(client, town):
    bakery = town["bakery"]
    page = soup(client.get(f"/shops/{bakery.id}"))

    assert page.select_one("h1").get_text() == "Boulangerie <b>Martin</b>"
    assert page.select_one("title").get_text().startswith("Boulangerie <b>Martin</b>")
    assert "Nord" in page.select_one(".facts").get_text()
    assert page.select_one("a[href^='tel:']")["href"] == "tel:0142000000"
    assert page.select_one(".position-map")["aria-label"] == (
        "Map showing where Boulangerie <b>Martin</b> is"
    )
    link = page.select_one(f"a[href='/shops/{bakery.id}/correction']")
    assert link.get_text() == "Ask for a correction"
    assert page.select_one(".breadcrumb a[href='/shops']") is not None


def test_an_unknown_shop_is_a_404(client, app):
    assert client.get("/shops/12345").status_code == 404
    assert client.get("/shops/12345/correction").status_code == 404
    assert client.get("/shops/99999999999").status_code == 404


# Correction requests -------------------------------------------------------------------------


def test_the_correction_form_has_labelled_fields(client, town):
    page = soup(client.get(f"/shops/{town['bakery'].id}/correction"))
    form = page.select_one("form[method=post]")

    assert form["action"] == f"/shops/{town['bakery'].id}/correction"
    for name in ("name", "email", "message"):
        field = form.select_one(f"[name={name}]")
        assert form.select_one(f"label[for={field['id']}]").get_text(strip=True)
    assert form.select_one("input[name=csrf_token]") is not None


def test_sending_a_correction_stores_it_for_the_moderators(client, town):
    bakery = town["bakery"]
    url = f"/shops/{bakery.id}/correction"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "name": "Jeanne Martin",
            "email": "Jeanne@Example.org",
            "message": "We are now closed on Mondays.",
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/shops/{bakery.id}"
    (correction,) = db.session.query(ShopCorrection).all()
    assert (correction.shop_id, correction.status) == (bakery.id, CorrectionStatus.OPEN)
    assert correction.requester_email == "jeanne@example.org"
    assert correction.message == "We are now closed on Mondays."
    notice = soup(client.get(response.headers["Location"])).select_one(".flashes")
    assert "sent to the moderators" in notice.get_text()


def test_a_bad_correction_is_a_422_with_errors_and_stores_nothing(client, town):
    url = f"/shops/{town['bakery'].id}/correction"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "name": "",
            "email": "not an address",
            "message": "short",
        },
    )

    assert response.status_code == 422
    page = soup(response)
    for field_id in ("name", "email", "message"):
        field = page.select_one(f"#{field_id}")
        assert field["aria-invalid"] == "true"
        assert page.select_one("#" + field["aria-describedby"]).get_text(strip=True)
    assert len(page.select(".error-summary li")) == 3
    assert page.select_one("#message").get_text().strip() == "short"
    assert db.session.query(ShopCorrection).count() == 0


def test_a_correction_without_the_csrf_token_is_refused(client, town):
    response = client.post(
        f"/shops/{town['bakery'].id}/correction",
        data={"name": "A", "email": "a@example.org", "message": "Please correct it."},
    )
    assert response.status_code == 400
    assert db.session.query(ShopCorrection).count() == 0


def test_htmx_sends_a_correction_in_place(client, town):
    url = f"/shops/{town['cafe'].id}/correction"
    token = csrf_token(client, url)
    data = {"csrf_token": token, "name": "Ali", "email": "ali@example.org", "message": "x"}

    bad = client.post(url, data=data, headers=HTMX)
    assert bad.status_code == 422
    assert "<html" not in bad.get_data(as_text=True)
    assert soup(bad).select_one("#correction #message")["aria-invalid"] == "true"

    data["message"] = "The café opens at 8 now."
    good = client.post(url, data=data, headers=HTMX)
    assert good.status_code == 200
    assert "<html" not in good.get_data(as_text=True)
    assert "sent to the moderators" in soup(good).select_one("#correction").get_text()
    assert db.session.query(ShopCorrection).count() == 1


# GeoJSON -------------------------------------------------------------------------------------


def test_geojson_has_the_layer_properties(client, town):
    response = client.get("/api/shops.geojson")

    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    features = {f["properties"]["name"]: f for f in response.get_json()["features"]}
    bakery = features["Boulangerie <b>Martin</b>"]
    assert bakery["geometry"] == {"type": "Point", "coordinates": [2.38, 48.885]}
    assert bakery["id"] == bakery["properties"]["id"] == town["bakery"].id
    assert bakery["properties"]["shop_type_label"] == "Bakery"
    assert bakery["properties"]["address"] == town["bakery"].address
    assert (bakery["properties"]["postcode"], bakery["properties"]["city"]) == ("75019", "Paris")
    assert bakery["properties"]["url"] == f"http://localhost/shops/{town['bakery'].id}"
    assert bakery["properties"]["shop_type"] == "shop=bakery"
    assert bakery["properties"]["district"] == "Nord"
    assert set(features) == {"Boulangerie <b>Martin</b>", "Le Fromager", "Café du Coin"}


def test_geojson_labels_follow_the_language(client, town):
    client.get("/language/en")
    features = client.get("/api/shops.geojson?type=shop%3Dbakery").get_json()["features"]
    assert features[0]["properties"]["shop_type_label"] == "Bakery"


def test_geojson_takes_the_list_filters(client, town):
    def titles(query: str) -> set[str]:
        response = client.get(f"/api/shops.geojson?{query}")
        assert response.status_code == 200
        return {f["properties"]["name"] for f in response.get_json()["features"]}

    assert titles(f"district={town['south'].id}") == {"Le Fromager"}
    assert titles("type=amenity%3Dcafe") == {"Café du Coin"}
    assert titles("q=martin") == {"Boulangerie <b>Martin</b>"}


@pytest.mark.parametrize("query", ["type=shop%3Dnothing", "group=nothing", "district=abc"])
def test_geojson_refuses_bad_filter_values_with_a_400_naming_them(client, town, query):
    response = client.get(f"/api/shops.geojson?{query}")
    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == [query.split("=")[0]]


def test_geojson_has_an_etag_and_changes_with_the_shops(client, town):
    first = client.get("/api/shops.geojson")
    etag = first.headers["ETag"]
    again = client.get("/api/shops.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304

    factories.make_shop(name="Nouvelle boutique")
    db.session.commit()
    changed = client.get("/api/shops.geojson", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert len(changed.get_json()["features"]) == 4


# The map-layer contract ------------------------------------------------------------------------


def test_a_map_layer_gives_map_js_its_data_and_texts(app):
    from wishboard.maps import MapLayer

    layer = MapLayer(key="gaps", url="/api/x.geojson", label="Gaps", colour="#123456")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        data = layer.as_data()
    assert data["key"] == "gaps" and data["shown"] is False and data["shape"] == "square"
    assert data["loaded"] == "Gaps: %(count)s shown on the map."
    assert data["failed"] and data["link"]
    assert data["title"] == "name" and data["lines"] == []
    assert layer.points == "2,2 14,2 14,14 2,14"
    with app.test_request_context(), pytest.raises(ValueError):
        MapLayer(key="k", url="/", label="K", colour="#000000", shape="circle").as_data()


def test_the_shops_page_offers_to_skip_the_map(client, town):
    page = soup(client.get("/shops"))
    skip = page.select_one(".map-section a[href='#shop-results']")
    assert skip is not None
    assert page.select_one("#shop-results") is not None
