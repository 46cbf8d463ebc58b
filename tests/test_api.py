"""The GeoJSON of premises: structure, coordinate order, demand numbers, conditional requests."""

from datetime import date

import pytest
from flask.testing import FlaskClient

from tests import factories
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.services.demand.counts import demand_by_premises, total_support

URL = "/api/premises.geojson"


@pytest.fixture
def town(app) -> dict:
    """A vacant premises with varied demand, a quiet one, a let one and a withdrawn one."""
    busy = factories.make_premises(address="1 rue de Belleville", latitude=48.871, longitude=2.382)
    for code, count in [
        ("amenity=cafe", 1),
        ("shop=bakery", 3),
        ("shop=cheese", 2),
        ("shop=books", 1),
    ]:
        for _ in range(count):
            factories.make_support(busy, code=code)
    quiet = factories.make_premises(address="2 rue de Belleville")
    let = factories.make_premises(
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 5, 1),
    )
    gone = factories.make_premises(status=PremisesStatus.WITHDRAWN)
    db.session.commit()
    return {"busy": busy, "quiet": quiet, "let": let, "withdrawn": gone}


def _features(client: FlaskClient, **headers) -> dict[int, dict]:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = response.get_json(force=True)
    assert collection["type"] == "FeatureCollection"
    return {feature["properties"]["id"]: feature for feature in collection["features"]}


def test_features_are_points_with_longitude_first(client: FlaskClient, town: dict) -> None:
    feature = _features(client)[town["busy"].id]

    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.382, 48.871]}
    assert set(feature["properties"]) == {
        "id", "address", "district", "status", "total_support", "top", "let",
    }  # fmt: skip
    assert feature["properties"]["let"] is None
    assert feature["properties"]["address"] == "1 rue de Belleville"
    assert feature["properties"]["district"] == "Belleville"


def test_vacant_and_let_premises_are_shown_withdrawn_are_not(
    client: FlaskClient, town: dict
) -> None:
    features = _features(client)

    assert set(features) == {town["busy"].id, town["quiet"].id, town["let"].id}
    assert features[town["let"].id]["properties"]["status"] == "let"


def test_a_let_premises_says_what_opened_and_how_many_had_asked(
    client: FlaskClient, town: dict
) -> None:
    for _ in range(2):
        factories.make_support(town["let"], code="shop=books")
    db.session.commit()
    books = factories.shop_type("shop=books")

    let = _features(client, **{"Accept-Language": "en"})[town["let"].id]["properties"]["let"]

    assert let == {
        "code": "shop=books",
        "label": books.label("en"),
        "since": "2024-05-01",
        "asked": 2,
    }


def test_numbers_match_the_demand_service(client: FlaskClient, town: dict) -> None:
    features = _features(client, **{"Accept-Language": "en"})
    expected = demand_by_premises([town["busy"].id])[town["busy"].id]

    busy = features[town["busy"].id]["properties"]
    assert busy["total_support"] == total_support(expected) == 7
    assert busy["top"] == [
        {"code": item.shop_type.code, "label": item.shop_type.label_en, "count": item.count}
        for item in expected[:3]
    ]
    # Ties are broken by taxonomy order: the café comes before the bookshop.
    assert [item["code"] for item in busy["top"]] == ["shop=bakery", "shop=cheese", "amenity=cafe"]
    assert features[town["quiet"].id]["properties"]["total_support"] == 0
    assert features[town["quiet"].id]["properties"]["top"] == []


def test_labels_follow_the_language(client: FlaskClient, town: dict) -> None:
    bakery = factories.shop_type("shop=bakery")

    french = _features(client)[town["busy"].id]["properties"]["top"][0]["label"]
    english = _features(client, **{"Accept-Language": "en"})[town["busy"].id]["properties"]["top"]

    assert french == bakery.label_fr
    assert english[0]["label"] == bakery.label_en


def test_demand_is_read_in_a_bounded_number_of_queries(
    client: FlaskClient, town: dict, count_queries
) -> None:
    with count_queries() as few:
        client.get(URL)
    for _ in range(20):
        factories.make_support(factories.make_premises(), code="shop=cheese")
    db.session.commit()
    with count_queries() as many:
        client.get(URL)

    assert many.count == few.count


def test_etag_answers_304_until_the_data_changes(client: FlaskClient, town: dict) -> None:
    first = client.get(URL)
    etag = first.headers["ETag"]

    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""

    factories.make_support(town["quiet"])
    db.session.commit()
    changed = client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_etag_differs_between_languages(client: FlaskClient, town: dict) -> None:
    french = client.get(URL)
    english = client.get(URL, headers={"Accept-Language": "en"})

    assert french.headers["ETag"] != english.headers["ETag"]
    assert "Accept-Language" in french.headers["Vary"]
