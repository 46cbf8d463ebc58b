"""Property tests of the shop and premises import parsers: any input gives rows or problems.

Whatever bytes or JSON a file holds, reading it never raises: it gives rows, or problems that
say why not. And an import that finds a problem adds nothing to the session.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from tests.helpers import count
from wishboard.extensions import db
from wishboard.models import Premises, Shop
from wishboard.services.geometry import Grid, distance_m
from wishboard.services.imports import premises as premises_import
from wishboard.services.imports import shops as shops_import

# The `app` fixture is one database for all examples: each example rolls back what it did. A
# busy machine (CI) may be slow to generate nested JSON: that is no failure.
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
FIXTURE_SETTINGS = settings(max_examples=examples(40), deadline=None, suppress_health_check=HEALTH)
PARSER_SETTINGS = settings(max_examples=examples(100), deadline=None, suppress_health_check=HEALTH)
PARSERS = [shops_import.read, premises_import.read]
FILENAMES = st.sampled_from(["shops.csv", "shops.geojson", "shops.json", "data", ""])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**320)  # too large for a float
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
any_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
coordinates = st.floats(allow_nan=False, allow_infinity=False) | st.integers() | any_json
position = st.lists(coordinates, min_size=0, max_size=4)
geometry = (
    st.fixed_dictionaries({"type": st.just("Point"), "coordinates": position | any_json})
    | st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Polygon", "MultiPolygon", "LineString"]),
            "coordinates": st.lists(st.lists(position | any_json, max_size=5), max_size=3),
        }
    )
    | any_json
)
tag_values = st.sampled_from(["bakery", "cafe", "bench", "alcohol", "yes", ""]) | any_json
properties = st.fixed_dictionaries(
    {},
    optional={
        "@id": st.sampled_from(["node/1", "way/2", "relation/3", "node/x"]) | any_json,
        "shop": tag_values,
        "amenity": tag_values,
        "name": st.text(max_size=200) | any_json,
        "addr:street": st.text(max_size=30) | any_json,
        "addr:housenumber": any_json,
        "addr:suburb": any_json,
        "website": st.text(max_size=40) | any_json,
        "contact:facebook": st.text(max_size=40) | any_json,
        "phone": any_json,
        "email": any_json,
        "opening_hours": any_json,
        "tags": any_json,
        # The premises' properties.
        "reference": any_json,
        "address": any_json,
        "city": any_json,
        "district": any_json,
        "surface_m2": any_json,
        "landlord_email": any_json,
    },
)
feature = (
    st.fixed_dictionaries(
        {"type": st.just("Feature"), "properties": properties | any_json, "geometry": geometry},
        optional={"id": st.sampled_from(["node/1", "node/2", "way/3"]) | any_json},
    )
    | any_json
)
feature_collection = st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(feature, max_size=6)}
)
csv_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=15)
csv_text = st.builds(
    lambda header, rows, delimiter: "\n".join(delimiter.join(line) for line in [header, *rows]),
    st.lists(
        st.sampled_from(list(shops_import.COLUMNS) + ["surface_m2", "colour", ""]), max_size=8
    ),
    st.lists(st.lists(csv_cells, max_size=8), max_size=5),
    st.sampled_from([",", ";", "\t"]),
)


def _outcome(parser, data: bytes, filename: str) -> None:
    kind, rows, problems = parser(data, filename)
    assert kind in (None, "csv", "geojson")
    assert rows or problems
    assert all(str(problem) for problem in problems)


@pytest.mark.parametrize("parser", PARSERS)
@PARSER_SETTINGS
@given(data=st.binary(max_size=400), filename=FILENAMES)
def test_any_bytes_give_rows_or_problems(app, parser, data, filename):
    _outcome(parser, data, filename)


@pytest.mark.parametrize("parser", PARSERS)
@PARSER_SETTINGS
@given(document=any_json | feature_collection, filename=FILENAMES)
def test_any_json_gives_rows_or_problems(app, parser, document, filename):
    _outcome(parser, json.dumps(document).encode(), filename)


@pytest.mark.parametrize("parser", PARSERS)
@PARSER_SETTINGS
@given(text=csv_text)
def test_any_csv_gives_rows_or_problems(app, parser, text):
    _outcome(parser, text.encode(), "file.csv")


@pytest.mark.parametrize("parser", PARSERS)
def test_json_too_deep_or_with_too_many_digits_is_a_problem(app, parser):
    for data in (b"[" * 100_000, b"1" * 5_000, b'{"features": [' + b"9" * 5_000 + b"]}"):
        _outcome(parser, data, "file.json")


def _bad_feature() -> dict:
    """A bakery of the town without a name: a problem in any shops file."""
    return {
        "type": "Feature",
        "id": "node/999999",
        "properties": {"shop": "bakery"},
        "geometry": {"type": "Point", "coordinates": [2.38, 48.87]},
    }


def _good_feature(number: int) -> dict:
    return {
        "type": "Feature",
        "id": f"node/{number}",
        "properties": {"shop": "bakery", "name": f"Boulangerie {number}"},
        "geometry": {"type": "Point", "coordinates": [2.38, 48.87]},
    }


@FIXTURE_SETTINGS
@given(document=feature_collection, skip_invalid=st.booleans())
def test_any_shops_file_is_checked_without_raising(app, document, skip_invalid):
    try:
        report = shops_import.import_shops(
            None, json.dumps(document).encode(), "shops.geojson", skip_invalid=skip_invalid
        )
        if not report.ok:
            assert not db.session.new and not db.session.dirty
    finally:
        db.session.rollback()


@FIXTURE_SETTINGS
@given(
    features=st.lists(feature, max_size=4),
    good=st.lists(st.integers(min_value=1, max_value=10**6), max_size=4, unique=True),
)
def test_a_shops_file_with_a_problem_writes_nothing(app, features, good):
    document = {
        "type": "FeatureCollection",
        "features": [*(_good_feature(number) for number in good), *features, _bad_feature()],
    }
    try:
        report = shops_import.import_shops(None, json.dumps(document).encode(), "shops.geojson")
        assert not report.ok and report.problems
        assert not db.session.new and not db.session.dirty
        assert count(Shop) == 0
    finally:
        db.session.rollback()


@FIXTURE_SETTINGS
@given(document=feature_collection, create_districts=st.booleans())
def test_a_premises_file_with_a_problem_writes_nothing(app, document, create_districts):
    # A feature no premises file accepts: no reference, no address.
    document["features"].append(
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [2, 48]}}
    )
    try:
        report = premises_import.import_premises(
            None,
            json.dumps(document).encode(),
            "premises.geojson",
            create_districts=create_districts,
        )
        assert not report.ok
        assert not db.session.new and not db.session.dirty
        assert count(Premises) == 0
    finally:
        db.session.rollback()


town_points = st.tuples(
    st.floats(min_value=48.845, max_value=48.903), st.floats(min_value=2.360, max_value=2.417)
)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=st.lists(town_points, max_size=40), point=town_points)
def test_the_grid_finds_the_same_nearest_premises_as_measuring_them_all(points, point):
    grid = Grid([(*premises, index) for index, premises in enumerate(points)])

    found = grid.nearest(*point)

    if not points:
        assert found is None
        return
    distances = [distance_m(*point, *premises) for premises in points]
    assert distance_m(*point, found[0], found[1]) == pytest.approx(min(distances))
