"""Open data: area wishes as GeoJSON cells, demand as CSV; structure, privacy, ETags."""

import csv
import io
import json
import math
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import plain_properties
from wishboard.extensions import db
from wishboard.maps import HEAT_GRADIENT, HEAT_LEGEND
from wishboard.models import PremisesStatus, WishStatus
from wishboard.services.demand.counts import demand_by_premises

AREA_URL = "/api/area-wishes.geojson"
CSV_URL = "/api/demand.csv"
# A pinned point, written with more decimals than any cell corner would have by chance.
PINNED = (48.871234, 2.381234)
SECRET_COMMENT = "Une boulangerie ici, rue de Tanger, au numéro 17"


def _area_wish(code: str = "shop=bakery", status=WishStatus.PUBLISHED, **overrides):
    return factories.make_wish(
        premises=None, shop_type=factories.shop_type(code), status=status, **overrides
    )


@pytest.fixture
def area(app) -> dict:
    """Three published area wishes at one spot, one further away, and some that must not show."""
    author = factories.make_user(display_name="Camille Secret", email="camille@example.org")
    latitude, longitude = PINNED
    _area_wish(author=author, comment=SECRET_COMMENT, latitude=latitude, longitude=longitude)
    _area_wish("shop=cheese", latitude=latitude + 0.0001, longitude=longitude)
    _area_wish("shop=bakery", latitude=latitude, longitude=longitude + 0.0001)
    _area_wish("shop=books", latitude=48.89, longitude=2.40)
    _area_wish("amenity=cafe", status=WishStatus.PENDING, latitude=48.88, longitude=2.37)
    factories.make_wish(factories.make_premises(latitude=48.86, longitude=2.41))
    db.session.commit()
    return {"author": author}


def _collection(client: FlaskClient, **headers) -> dict:
    response = client.get(AREA_URL, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = response.get_json(force=True)
    assert collection["type"] == "FeatureCollection"
    return collection


def _keys(value) -> set[str]:
    """Every key of every object nested in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def _signed_area(ring: list[list[float]]) -> float:
    """The shoelace area of a ring: positive when it turns counter-clockwise."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def test_area_wishes_are_closed_counter_clockwise_polygons(client: FlaskClient, area) -> None:
    collection = _collection(client)
    features = collection["features"]

    assert len(features) == 2
    for feature in features:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Polygon"
        (ring,) = feature["geometry"]["coordinates"]
        assert len(ring) == 5
        assert ring[0] == ring[-1]
        assert _signed_area(ring) > 0
        for position in ring:
            assert all(len(repr(number).split(".")[1]) <= 6 for number in position)
    assert plain_properties(collection) == {
        "count",
        *(f"top{n}_{name}" for n in (1, 2, 3) for name in ("code", "label", "count")),
    }


def test_a_cell_holds_its_wishes_longitude_first(client: FlaskClient, area) -> None:
    features = _collection(client, **{"Accept-Language": "en"})["features"]
    latitude, longitude = PINNED

    def holds_pin(feature: dict) -> bool:
        (ring,) = feature["geometry"]["coordinates"]
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        return min(xs) <= longitude <= max(xs) and min(ys) <= latitude <= max(ys)

    (cell,) = [feature for feature in features if holds_pin(feature)]
    properties = cell["properties"]
    assert properties["count"] == 3
    names = [f"top{n}_{name}" for n in (1, 2, 3) for name in ("code", "label", "count")]
    assert [properties[name] for name in names] == [
        "shop=bakery", "Bakery", 2, "shop=cheese", "Cheese shop", 1, None, None, None,
    ]  # fmt: skip
    (ring,) = cell["geometry"]["coordinates"]
    center_lon, center_lat = (ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2
    # Within half a 200 m cell of the pin, and not the pin itself.
    assert abs(center_lat - latitude) * 111_320 <= 100
    assert abs(center_lon - longitude) * 111_320 * math.cos(math.radians(latitude)) <= 100
    assert (center_lat, center_lon) != PINNED


def test_no_person_or_exact_point_is_public(client: FlaskClient, area) -> None:
    response = client.get(AREA_URL)
    text = response.get_data(as_text=True)

    assert not _keys(response.get_json(force=True)) & {
        "author", "author_id", "comment", "email", "latitude", "longitude", "id",
    }  # fmt: skip
    for secret in ("Camille", "camille@example.org", "boulangerie ici", "48.871234", "2.381234"):
        assert secret not in text


def test_labels_follow_the_language(client: FlaskClient, area) -> None:
    bakery = factories.shop_type("shop=bakery")

    french = _collection(client)["features"]
    english = _collection(client, **{"Accept-Language": "en"})["features"]

    assert bakery.label_fr in {f["properties"]["top1_label"] for f in french}
    assert bakery.label_en in {f["properties"]["top1_label"] for f in english}


def test_cell_size_follows_the_setting(client: FlaskClient, app, area) -> None:
    app.config["WISHBOARD_AREA_CELL_M"] = 10_000

    (cell,) = _collection(client)["features"]

    assert cell["properties"]["count"] == 4


def test_no_area_wish_is_an_empty_collection(client: FlaskClient) -> None:
    assert _collection(client)["features"] == []


def test_area_etag_answers_304_until_a_wish_is_published(client: FlaskClient, area) -> None:
    first = client.get(AREA_URL)
    etag = first.headers["ETag"]
    assert {"Accept-Language", "Cookie"} <= set(first.headers["Vary"].replace(" ", "").split(","))

    again = client.get(AREA_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""

    # A wish awaiting review changes nothing public.
    _area_wish("shop=florist", status=WishStatus.PENDING, latitude=48.88, longitude=2.39)
    db.session.commit()
    assert client.get(AREA_URL, headers={"If-None-Match": etag}).status_code == 304

    _area_wish("shop=florist", latitude=48.88, longitude=2.39)
    db.session.commit()
    changed = client.get(AREA_URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


# --- demand.csv ------------------------------------------------------------------------------

HEADER = [
    "premises_id",
    "reference",
    "address",
    "district",
    "premises_status",
    "latitude",
    "longitude",
    "shop_type_code",
    "shop_type_label_fr",
    "shop_type_label_en",
    "supports",
]
TRICKY_ADDRESS = '=HYPERLINK("https://example.org/?leak","12 rue X")'


@pytest.fixture
def town(app) -> dict:
    """A busy vacant premises, a let one with text a spreadsheet could run, and ones not listed."""
    busy = factories.make_premises(
        reference="P-ÉGLISE",
        address="3 rue de l’Église « Chez Zoé »",
        district=factories.make_district("Belleville"),
        latitude=48.871,
        longitude=2.382,
    )
    for code, count in [("amenity=cafe", 1), ("shop=bakery", 3), ("shop=cheese", 1)]:
        for _ in range(count):
            factories.make_support(busy, code=code)
    tricky = factories.make_premises(
        reference="@SUM(A1)",
        address=TRICKY_ADDRESS,
        district=factories.make_district("+Villette"),
        latitude=48.88,
        longitude=-1.5,
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 5, 1),
    )
    factories.make_support(tricky, code="shop=books")
    factories.make_premises(address="5 rue Sans Vœu")  # no support: no row
    gone = factories.make_premises(status=PremisesStatus.WITHDRAWN)
    factories.make_support(gone)
    # Area wishes and wishes awaiting review are not supports.
    _area_wish(latitude=48.871, longitude=2.382)
    db.session.commit()
    return {"busy": busy, "tricky": tricky}


def _rows(client: FlaskClient, **headers) -> list[dict]:
    response = client.get(CSV_URL, headers=headers)
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == HEADER
    return list(reader)


def test_csv_is_a_utf8_attachment(client: FlaskClient, town) -> None:
    response = client.get(CSV_URL)

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="wishboard-demand.csv"'
    )
    assert response.data.startswith(b"premises_id,reference,")
    assert "3 rue de l’Église « Chez Zoé »".encode() in response.data


def test_csv_has_one_row_per_premises_and_shop_type(client: FlaskClient, town) -> None:
    busy, tricky = town["busy"], town["tricky"]
    common = {
        "premises_id": str(busy.id),
        "reference": "P-ÉGLISE",
        "address": "3 rue de l’Église « Chez Zoé »",
        "district": "Belleville",
        "premises_status": "vacant",
        "latitude": "48.871",
        "longitude": "2.382",
    }

    assert _rows(client) == [
        common
        | {
            "shop_type_code": "shop=bakery",
            "shop_type_label_fr": "Boulangerie",
            "shop_type_label_en": "Bakery",
            "supports": "3",
        },
        common
        | {
            "shop_type_code": "shop=cheese",
            "shop_type_label_fr": "Fromagerie",
            "shop_type_label_en": "Cheese shop",
            "supports": "1",
        },
        common
        | {
            "shop_type_code": "amenity=cafe",
            "shop_type_label_fr": "Café",
            "shop_type_label_en": "Café",
            "supports": "1",
        },
        {
            "premises_id": str(tricky.id),
            "reference": "'@SUM(A1)",
            "address": f"'{TRICKY_ADDRESS}",
            "district": "'+Villette",
            "premises_status": "let",
            "latitude": "48.88",
            # A number stays a number, minus sign and all.
            "longitude": "-1.5",
            "shop_type_code": "shop=books",
            "shop_type_label_fr": "Librairie",
            "shop_type_label_en": "Bookshop",
            "supports": "1",
        },
    ]


def test_csv_numbers_match_the_demand_service(client: FlaskClient, town) -> None:
    busy = town["busy"]
    expected = demand_by_premises([busy.id])[busy.id]

    rows = [row for row in _rows(client) if row["premises_id"] == str(busy.id)]

    assert [(row["shop_type_code"], int(row["supports"])) for row in rows] == [
        (item.shop_type.code, item.count) for item in expected
    ]


def test_csv_is_the_same_in_every_language(client: FlaskClient, town) -> None:
    french = client.get(CSV_URL)
    english = client.get(CSV_URL, headers={"Accept-Language": "en"})

    assert french.data == english.data
    assert french.headers["ETag"] == english.headers["ETag"]


def test_csv_is_read_in_a_bounded_number_of_queries(
    client: FlaskClient, town, count_queries
) -> None:
    with count_queries() as few:
        client.get(CSV_URL)
    for _ in range(15):
        factories.make_support(factories.make_premises(), code="shop=cheese")
    db.session.commit()
    with count_queries() as many:
        client.get(CSV_URL)

    assert many.count == few.count


def test_csv_etag_answers_304_until_the_demand_changes(client: FlaskClient, town) -> None:
    etag = client.get(CSV_URL).headers["ETag"]

    again = client.get(CSV_URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""

    factories.make_support(town["tricky"], code="shop=bakery")
    db.session.commit()
    changed = client.get(CSV_URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_csv_without_demand_is_a_header(client: FlaskClient) -> None:
    factories.make_premises()
    db.session.commit()

    assert client.get(CSV_URL).data.decode() == ",".join(HEADER) + "\r\n"


def test_home_page_map_draws_the_area_wishes_from_local_assets(client: FlaskClient) -> None:
    page = BeautifulSoup(client.get("/").data, "html.parser")

    container = page.select_one(".town-map")
    assert container["data-area-wishes-url"] == AREA_URL
    assert json.loads(container["data-labels"])["heat"]
    assert json.loads(container["data-heat-gradient"]) == {
        str(stop): colour for stop, colour in HEAT_GRADIENT.items()
    }
    assert page.select_one('script[src^="/static/vendor/leaflet.heat/leaflet-heat.js?v="]')
    assert page.select_one(".map-legend .legend-heat")["style"] == f"--heat: {HEAT_LEGEND}"
