"""The GeoJSON of premises: structure, coordinate order, demand numbers, conditional requests,
the map's view (a bbox), its cells zoomed out, and the whole town streamed."""

import gzip
import json
from datetime import date

import brotli
import pytest
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import plain_properties
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.services.demand.counts import demand_by_premises, total_support

URL = "/api/premises.geojson"
CLUSTERS = "/api/premises/clusters.geojson"


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
    features = {feature["id"]: feature for feature in collection["features"]}
    assert all(feature["properties"]["id"] == id for id, feature in features.items())
    plain_properties(collection)
    return features


def _top(properties: dict) -> list[dict]:
    """The numbered `top1_…` to `top3_…` properties, as a list of the ones present."""
    ranked = [
        {name: properties[f"top{n}_{name}"] for name in ("code", "label", "count")}
        for n in (1, 2, 3)
    ]
    return [item for item in ranked if item["code"] is not None]


def test_features_are_points_with_longitude_first(client: FlaskClient, town: dict) -> None:
    feature = _features(client)[town["busy"].id]

    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.382, 48.871]}
    assert feature["id"] == town["busy"].id
    assert set(feature["properties"]) == {
        "id", "address", "district", "status", "total_support",
        "top1_code", "top1_label", "top1_count", "top2_code", "top2_label", "top2_count",
        "top3_code", "top3_label", "top3_count",
        "let_code", "let_label", "let_since", "let_asked", "url",
    }  # fmt: skip
    assert feature["properties"]["let_code"] is None
    assert feature["properties"]["address"] == "1 rue de Belleville"
    assert feature["properties"]["district"] == "Belleville"
    assert feature["properties"]["url"] == f"http://localhost/premises/{town['busy'].id}"


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

    let = _features(client, **{"Accept-Language": "en"})[town["let"].id]["properties"]

    assert (let["let_code"], let["let_label"], let["let_since"], let["let_asked"]) == (
        "shop=books",
        books.label("en"),
        "2024-05-01",
        2,
    )


def test_numbers_match_the_demand_service(client: FlaskClient, town: dict) -> None:
    features = _features(client, **{"Accept-Language": "en"})
    expected = demand_by_premises([town["busy"].id])[town["busy"].id]

    busy = features[town["busy"].id]["properties"]
    assert busy["total_support"] == total_support(expected) == 7
    assert _top(busy) == [
        {"code": item.shop_type.code, "label": item.shop_type.label_en, "count": item.count}
        for item in expected[:3]
    ]
    # Ties are broken by taxonomy order: the café comes before the bookshop.
    assert [item["code"] for item in _top(busy)] == ["shop=bakery", "shop=cheese", "amenity=cafe"]
    assert features[town["quiet"].id]["properties"]["total_support"] == 0
    assert _top(features[town["quiet"].id]["properties"]) == []


def test_labels_follow_the_language(client: FlaskClient, town: dict) -> None:
    bakery = factories.shop_type("shop=bakery")

    french = _features(client)[town["busy"].id]["properties"]["top1_label"]
    english = _features(client, **{"Accept-Language": "en"})[town["busy"].id]["properties"]

    assert french == bakery.label_fr
    assert english["top1_label"] == bakery.label_en


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


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "url",
    [
        URL,  # the whole town, streamed
        URL + "?bbox=2.3,48.8,2.5,48.9",  # the map's view, built in memory
        "/api/area-wishes.geojson",
        "/api/shops.geojson",
        "/api/gaps.geojson",
        CLUSTERS,
    ],
)
def test_last_modified_answers_304_until_the_data_changes(
    client: FlaskClient, town: dict, url: str, language: str
) -> None:
    headers = {"Accept-Language": language}
    first = client.get(url, headers=headers)
    modified = first.headers["Last-Modified"]
    assert first.last_modified is not None

    # The same version of the data is the same date, whoever asks.
    assert client.get(url, headers=headers).headers["Last-Modified"] == modified
    again = client.get(url, headers={**headers, "If-Modified-Since": modified})
    assert again.status_code == 304
    assert again.data == b""
    # If-None-Match wins: an ETag that does not match is answered in full.
    stale = client.get(
        url, headers={**headers, "If-Modified-Since": modified, "If-None-Match": 'W/"old"'}
    )
    assert stale.status_code == 200

    factories.make_support(town["quiet"])
    db.session.commit()
    changed = client.get(url, headers={**headers, "If-Modified-Since": modified})
    assert changed.status_code == 200
    assert changed.last_modified > first.last_modified


def test_etag_differs_between_languages(client: FlaskClient, town: dict) -> None:
    french = client.get(URL)
    english = client.get(URL, headers={"Accept-Language": "en"})

    assert french.headers["ETag"] != english.headers["ETag"]
    assert "Accept-Language" in french.headers["Vary"]


# The map's view: a bbox, the cells zoomed out, the whole town streamed -------------------------


@pytest.fixture
def spread(app) -> dict:
    """Premises across the town: three in the north-east (one with demand), two south-west."""
    north = [
        factories.make_premises(latitude=48.890 + n * 0.001, longitude=2.400 + n * 0.001)
        for n in range(3)
    ]
    south = [
        factories.make_premises(latitude=48.850 + n * 0.001, longitude=2.365) for n in range(2)
    ]
    for code in ("shop=bakery", "shop=cheese"):
        factories.make_support(north[0], code=code)
    factories.make_support(south[0], code="shop=books")
    factories.make_premises(status=PremisesStatus.WITHDRAWN, latitude=48.891, longitude=2.401)
    db.session.commit()
    return {"north": [p.id for p in north], "south": [p.id for p in south]}


def test_a_bbox_keeps_the_premises_inside_it(client: FlaskClient, spread: dict) -> None:
    inside = client.get(URL, query_string={"bbox": "2.39,48.88,2.41,48.90"})

    assert inside.status_code == 200
    assert inside.mimetype == "application/geo+json"
    features = inside.get_json(force=True)["features"]
    assert sorted(feature["properties"]["id"] for feature in features) == spread["north"]
    assert "ETag" in inside.headers


def test_a_bbox_goes_with_the_filters(client: FlaskClient, spread: dict) -> None:
    query = {"bbox": "2.39,48.88,2.41,48.90", "type": "shop=bakery"}
    features = client.get(URL, query_string=query).get_json(force=True)["features"]

    assert [feature["properties"]["id"] for feature in features] == spread["north"][:1]


@pytest.mark.parametrize(
    "bbox",
    [
        "2.39,48.88,2.41",
        "2.39,48.88,2.41,48.90,1",
        "a,48.88,2.41,48.90",
        "nan,48.88,2.41,48.90",
        "2.39,48.88,inf,48.90",
        "2.41,48.88,2.39,48.90",  # west after east
        "2.39,48.90,2.41,48.88",  # south after north
        "2.39,-91,2.41,48.90",
        "-181,48.88,2.41,48.90",
        "",
    ],
)
def test_a_bad_bbox_is_a_400_that_names_it(client: FlaskClient, spread: dict, bbox: str) -> None:
    for url in (URL, CLUSTERS, "/api/shops.geojson"):
        response = client.get(url, query_string={"bbox": bbox})

        assert response.status_code == 400, url
        answer = response.get_json()
        assert answer["status"] == 400
        assert set(answer["errors"]) == {"bbox"}
        assert "west,south,east,north" in answer["errors"]["bbox"][0]


def test_a_bad_bbox_and_a_bad_filter_are_named_together(client: FlaskClient, spread) -> None:
    response = client.get(URL, query_string={"bbox": "1,2", "district": "nowhere"})

    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"bbox", "district"}


def test_shops_take_a_bbox_with_their_filters(client: FlaskClient) -> None:
    near = factories.make_shop(name="Fromagerie", latitude=48.890, longitude=2.400)
    factories.make_shop(name="Boulangerie", latitude=48.850, longitude=2.365)
    db.session.commit()

    def ids(**query) -> list[int]:
        features = client.get("/api/shops.geojson", query_string=query).get_json(force=True)
        return [feature["properties"]["id"] for feature in features["features"]]

    assert ids(bbox="2.39,48.88,2.41,48.90") == [near.id]
    assert ids(bbox="2.39,48.88,2.41,48.90", q="boulang") == []
    assert len(ids()) == 2


def _cells(client: FlaskClient, **query) -> dict:
    response = client.get(CLUSTERS, query_string=query)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    return response.get_json(force=True)


def test_cells_count_every_premises_of_the_map(client: FlaskClient, spread: dict) -> None:
    collection = _cells(client, zoom=12)

    counts = [feature["properties"]["count"] for feature in collection["features"]]
    assert sum(counts) == 5  # the withdrawn one is not on the map
    assert sum(f["properties"]["total_support"] for f in collection["features"]) == 3
    # Zoomed out, the two groups of premises are two cells, each at its premises' mean position.
    assert sorted(counts) == [2, 3]
    north = next(f for f in collection["features"] if f["properties"]["count"] == 3)
    assert north["geometry"]["coordinates"] == [2.401, 48.891]
    box = [north["properties"][edge] for edge in ("west", "south", "east", "north")]
    assert box == [2.4, 48.89, 2.402, 48.892]
    assert plain_properties(collection) == {
        "count", "total_support", "west", "south", "east", "north",
    }  # fmt: skip


def test_cells_in_a_bbox_count_the_premises_inside_it(client: FlaskClient, spread: dict) -> None:
    bbox = "2.39,48.88,2.41,48.90"
    collection = _cells(client, zoom=14, bbox=bbox)
    widened = ",".join(str(value) for value in collection["bbox"])
    inside = client.get(URL, query_string={"bbox": widened})

    # The box is widened to whole cells (at zoom 14, 90/2^14 degrees) and holds the one asked for.
    west, south, east, north = collection["bbox"]
    assert west <= 2.39 and south <= 48.88 and east >= 2.41 and north >= 48.90
    step = 90 / 2**14
    assert all(abs(value / step - round(value / step)) < 1e-6 for value in collection["bbox"])
    total = sum(feature["properties"]["count"] for feature in collection["features"])
    assert total == len(inside.get_json(force=True)["features"]) == len(spread["north"])


def test_cells_shrink_as_the_zoom_grows_and_follow_the_filters(
    client: FlaskClient, spread: dict
) -> None:
    assert len(_cells(client, zoom=12)["features"]) == 2
    assert len(_cells(client, zoom=18)["features"]) == 5
    bakeries = _cells(client, zoom=12, type="shop=bakery")["features"]
    assert [feature["properties"]["count"] for feature in bakeries] == [1]


@pytest.mark.parametrize("zoom", ["-1", "23", "a", "1.5", "", "٣"])
def test_a_bad_zoom_is_a_400_that_names_it(client: FlaskClient, zoom: str) -> None:
    response = client.get(CLUSTERS, query_string={"zoom": zoom})

    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"zoom"}


def test_cells_answer_304_until_the_data_changes(client: FlaskClient, spread: dict) -> None:
    query = {"zoom": 13, "bbox": "2.39,48.88,2.41,48.90"}
    first = client.get(CLUSTERS, query_string=query)
    etag = first.headers["ETag"]

    assert (
        client.get(CLUSTERS, query_string=query, headers={"If-None-Match": etag}).status_code == 304
    )
    factories.make_premises(latitude=48.895, longitude=2.405)
    db.session.commit()
    changed = client.get(CLUSTERS, query_string=query, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert sum(f["properties"]["count"] for f in changed.get_json(force=True)["features"]) == 4


def test_the_whole_town_is_streamed_as_valid_geojson(client: FlaskClient, app) -> None:
    ids = [factories.make_premises(latitude=48.86 + n * 1e-4).id for n in range(2500)]
    db.session.commit()

    response = client.get(URL)

    assert response.is_streamed
    assert "Content-Length" not in response.headers
    pieces = list(response.response)
    assert len(pieces) > 3  # written a batch at a time, not in one piece
    collection = json.loads(b"".join(pieces))
    assert [feature["properties"]["id"] for feature in collection["features"]] == ids
    # Sent again whole, from what was written, until the data changes.
    again = client.get(URL, headers={"Accept-Encoding": "gzip"})
    zipped = client.get(URL, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(again.data) == gzip.decompress(zipped.data) == b"".join(pieces)


def test_the_whole_town_is_kept_even_when_its_first_reader_leaves(client: FlaskClient) -> None:
    ids = [factories.make_premises(latitude=48.86 + n * 1e-4).id for n in range(2500)]
    db.session.commit()

    # Brotli sends each batch as it is written (the reader need not wait for the whole town).
    left = client.get(URL, headers={"Accept-Encoding": "br"}, buffered=False)
    pieces = iter(left.response)
    first = next(pieces)
    assert brotli.Decompressor().process(first).startswith(b'{"type":"FeatureCollection"')
    left.close()  # the reader goes away after the first piece

    # The town was finished and kept all the same: the next reader gets it whole at once.
    kept = client.get(URL, headers={"Accept-Encoding": "br"})
    assert int(kept.headers["Content-Length"]) == len(kept.data)  # whole, not streamed
    collection = json.loads(brotli.decompress(kept.data))
    assert [feature["properties"]["id"] for feature in collection["features"]] == ids
