"""Importing shops: OSM tags mapped to our types, every skipped tag and bad row reported."""

import json
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, select

from tests import factories
from tests.helpers import count
from wishboard.extensions import db
from wishboard.models import AuditEvent, Premises, Presence, Shop, ShopType
from wishboard.services.imports.shops import import_shops, osm_aliases
from wishboard.services.shops.directory import web_address

DATA = Path(__file__).parent / "data"
OSM = "shops_osm.geojson"
# Features of the extract that are not shops of ours, by tag (numbers count features from 1).
UNMAPPED = [
    ("amenity=bench", (9, 10)),
    ("", (32,)),
    ("amenity=parking", (17,)),
    ("shop=car_repair", (27,)),
    ("shop=erotic", (8,)),
    ("shop=vacant", (16,)),
]
BAD_FEATURES = [
    "feature 11: it has no name.",
    "feature 29: its position (48.86100, 2.44000) is outside the town's map.",
    "feature 30: “website”: “javascript:alert(document.cookie)” is not a web address"
    " (http or https).",
]


@pytest.fixture(autouse=True)
def town(app):
    """Two districts, a premises in each, and English messages."""
    factories.make_premises(
        district=factories.make_district("Belleville"), latitude=48.8712, longitude=2.3800
    )
    factories.make_premises(
        district=factories.make_district("Jourdain"),
        latitude=48.8750,
        longitude=2.3895,
        city="Paris 20e",
    )
    db.session.commit()
    with force_locale("en"):
        yield


def run(data: bytes, filename: str, **options):
    """Import as the command does: commit when the report allows it, else roll back."""
    report = import_shops(None, data, filename, **options)
    if report.ok and not options.get("dry_run"):
        db.session.commit()
    else:
        db.session.rollback()
    return report


def run_file(name: str, **options):
    return run((DATA / name).read_bytes(), name, **options)


def osm_extract() -> dict:
    return json.loads((DATA / OSM).read_text(encoding="utf-8"))


def run_osm(document: dict, **options):
    return run(json.dumps(document).encode(), OSM, **options)


def shops() -> dict[str, Shop]:
    return {shop.reference: shop for shop in db.session.scalars(select(Shop))}


# The OpenStreetMap extract


def test_osm_tags_map_to_our_shop_types_through_the_codes_and_the_aliases():
    report = run_file(OSM, skip_invalid=True)

    assert report.ok and report.format == "geojson"
    assert (report.created, report.updated, report.unchanged) == (22, 0, 0)
    types = {reference: shop.shop_type.code for reference, shop in shops().items()}
    assert types["osm:node/1001"] == "shop=bakery"
    assert types["osm:node/1003"] == "amenity=cafe"
    assert types["osm:node/1004"] == "amenity=pharmacy"  # also tagged healthcare=pharmacy
    assert types["osm:node/1011"] == "craft=shoemaker"
    assert types["osm:node/1006"] == "shop=wine"  # shop=alcohol, through the alias table
    assert types["osm:node/1022"] == "shop=clothes"  # shop=boutique
    assert types["osm:relation/3001"] == "amenity=cinema"
    assert len(types) == 22


def test_every_unmapped_tag_is_reported_with_its_count_and_feature_numbers():
    report = run_file(OSM, skip_invalid=True)

    assert [(item.tag, item.numbers) for item in report.unmapped] == UNMAPPED
    assert report.skipped == 7
    assert str(report.unmapped[0]) == (
        "“amenity=bench” is not one of our shop types: 2 features skipped (9, 10)."
    )
    assert str(report.unmapped[1]) == (
        "1 feature has no shop, amenity or craft tag and was skipped (32)."
    )


def test_bad_features_are_reported_with_their_numbers_and_nothing_is_written():
    report = run_file(OSM)

    assert not report.ok
    assert [str(problem) for problem in report.problems] == BAD_FEATURES
    assert report.invalid_rows == 3
    # The skipped tags are reported too, and the counts say what the import would have done.
    assert [(item.tag, item.numbers) for item in report.unmapped] == UNMAPPED
    assert report.created == 22
    assert count(Shop) == 0 and count(AuditEvent) == 0


def test_skip_invalid_imports_the_good_features_and_still_lists_the_bad_ones():
    report = run_file(OSM, skip_invalid=True)

    assert [str(problem) for problem in report.problems] == BAD_FEATURES
    assert report.invalid_rows == 3 and report.rows == 32
    assert "osm:node/1010" not in shops() and "osm:node/1027" not in shops()


def test_references_come_from_the_id_the_at_id_or_the_older_type_and_id_layout():
    run_file(OSM, skip_invalid=True)

    found = shops()
    assert {"osm:node/1001", "osm:way/2001", "osm:relation/3001"} <= found.keys()
    # osmtogeojson's older layout: {"type": "node", "id": 1028, "tags": {...}}, no feature id.
    assert found["osm:node/1028"].name == "Fromagerie Beaufils"
    assert found["osm:node/1028"].email == "bonjour@fromagerie.example.fr"


def test_a_way_is_placed_at_its_centroid_and_a_relation_at_its_largest_part():
    run_file(OSM, skip_invalid=True)

    franprix, cinema = shops()["osm:way/2001"], shops()["osm:relation/3001"]
    assert franprix.latitude == pytest.approx(48.8760)
    assert franprix.longitude == pytest.approx(2.3840)
    assert cinema.latitude == pytest.approx(48.8845)
    assert cinema.longitude == pytest.approx(2.3700)


def test_addresses_contacts_and_links_are_read_from_the_tags():
    run_file(OSM, skip_invalid=True)
    found = shops()

    bakery = found["osm:node/1001"]
    assert (bakery.address, bakery.postcode, bakery.city) == (
        "88 Rue de Belleville",
        "75020",
        "Paris",
    )
    assert bakery.phone == "+33 1 43 66 12 34"
    assert bakery.opening_hours == "Tu-Su 07:00-20:00"
    # A website without a scheme gets https://; having one sets has_website.
    assert bakery.website == "https://www.boulangerie-pichard.fr"
    assert (bakery.has_website, bakery.has_social) == (Presence.YES, Presence.UNKNOWN)
    butcher = found["osm:node/1002"]
    assert butcher.phone == "+33 1 46 36 00 11"  # contact:phone
    assert butcher.website == "https://boucherie-cascades.fr/"  # contact:website
    # A bare account name becomes the address of its page.
    cafe = found["osm:node/1003"]
    assert cafe.social_url == "https://www.facebook.com/cafecherie"
    assert (cafe.has_website, cafe.has_social) == (Presence.UNKNOWN, Presence.YES)
    florist = found["osm:node/1016"]
    assert florist.social_url == "https://www.instagram.com/fleursdebelleville"
    assert found["osm:way/2002"].social_url == "https://www.instagram.com/montenlair/"
    # Several values in one tag: the first.
    assert found["osm:node/1024"].phone == "+33 1 43 58 22 10"
    # No address tags: an empty address, the nearest premises' city.
    laundry = found["osm:node/1020"]
    assert (laundry.address, laundry.city) == ("", "Paris 20e")


def test_the_district_is_the_named_one_else_the_nearest_premises_one():
    run_file(OSM, skip_invalid=True)
    found = shops()

    # addr:suburb=Jourdain, though the nearest premises is in Belleville.
    assert found["osm:node/1002"].district.name == "Jourdain"
    # No district tag: the nearest premises' district.
    assert found["osm:node/1001"].district.name == "Belleville"
    assert found["osm:node/1012"].district.name == "Jourdain"


def test_without_any_premises_a_shop_has_no_district():
    db.session.execute(delete(Premises))
    db.session.commit()

    run_file(OSM, skip_invalid=True)

    assert shops()["osm:node/1001"].district is None
    assert shops()["osm:node/1002"].district.name == "Jourdain"
    assert shops()["osm:node/1020"].city == ""


def test_importing_the_extract_again_changes_nothing():
    run_file(OSM, skip_invalid=True)
    events = count(AuditEvent)

    report = run_file(OSM, skip_invalid=True)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 22)
    assert count(AuditEvent) == events


def test_a_changed_feature_updates_its_shop_and_keeps_what_the_file_does_not_say():
    run_file(OSM, skip_invalid=True)
    laundry = shops()["osm:node/1020"]
    # What staff know and OSM does not: a phone, a district, the presence columns.
    laundry.phone = "+33 1 40 00 00 00"
    laundry.district = factories.make_district("Belleville")
    laundry.has_website = Presence.NO
    laundry.has_social = Presence.NO
    laundry.on_map_service = Presence.YES
    db.session.commit()
    document = osm_extract()
    properties = document["features"][21]["properties"]
    assert properties["@id"] == "node/1020"
    properties["name"] = "Lavomatic du Jourdain"

    report = run_osm(document, skip_invalid=True)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 21)
    laundry = shops()["osm:node/1020"]
    assert laundry.name == "Lavomatic du Jourdain"
    assert laundry.phone == "+33 1 40 00 00 00"
    assert laundry.district.name == "Belleville"
    assert (laundry.has_website, laundry.has_social, laundry.on_map_service) == (
        Presence.NO,
        Presence.NO,
        Presence.YES,
    )


def test_a_website_in_the_file_sets_has_website_to_yes_on_an_existing_shop():
    run_file(OSM, skip_invalid=True)
    bakery = shops()["osm:node/1001"]
    bakery.has_website = Presence.NO  # a staff member's old knowledge
    db.session.commit()

    report = run_file(OSM, skip_invalid=True)

    assert report.updated == 1
    assert shops()["osm:node/1001"].has_website is Presence.YES


def test_a_dry_run_writes_nothing_and_says_what_it_would_do():
    report = run_file(OSM, dry_run=True, skip_invalid=True)

    assert report.ok and report.created == 22
    assert count(Shop) == 0 and count(AuditEvent) == 0


def test_an_import_records_one_audit_event_with_its_counts():
    run_file(OSM, skip_invalid=True)

    event = db.session.scalars(select(AuditEvent)).one()
    assert event.action == "shop.imported" and event.actor_id is None
    after = json.loads(event.after) if isinstance(event.after, str) else event.after
    assert after["created"] == 22 and after["skipped"] == 7 and after["invalid"] == 3


# CSV


def test_a_csv_file_is_imported_with_aliases_any_case_and_decimal_commas():
    report = run_file("shops.csv")

    assert report.ok and report.format == "csv"
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert [str(item) for item in report.unmapped] == [
        "“shop=erotic” is not one of our shop types: 1 line skipped (8)."
    ]
    assert [str(note) for note in report.notes] == [
        "line 5: “Buttes” is not one of the town's districts, so it was not used."
    ]
    found = shops()
    bakery = found["TOWN-001"]
    assert bakery.website == "https://ganachaud.example.fr"
    assert bakery.social_url == "https://www.instagram.com/ganachaud"
    assert (bakery.has_website, bakery.has_social) == (Presence.YES, Presence.YES)
    assert bakery.district.name == "Belleville"
    assert found["TOWN-002"].district.name == "Jourdain"  # "jourdain" in the file
    assert found["TOWN-003"].name == 'Café "Les Amis"'
    hardware = found["TOWN-004"]
    assert hardware.shop_type.code == "shop=hardware"  # "Shop=Hardware"
    assert (hardware.latitude, hardware.longitude) == (48.8772, 2.3818)
    # An empty city and an unknown district: the nearest premises' (in Jourdain).
    assert (hardware.city, hardware.district.name) == ("Paris 20e", "Jourdain")
    assert found["TOWN-005"].shop_type.code == "shop=wine"


HEADER = "reference,name,shop_type,latitude,longitude,website,email,postcode\n"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("T-1,,shop=bakery,48.87,2.38,,,", "line 2: “name” is empty."),
        ("T-1,A,,48.87,2.38,,,", "line 2: “shop_type” is empty."),
        ("T-1,A,shop=bakery,nord,2.38,,,", "line 2: “latitude”: “nord” is not a decimal number."),
        ("T-1,A,shop=bakery,,2.38,,,", "line 2: “latitude” is empty."),
        (
            "T-1,A,shop=bakery,45.76,4.83,,,",
            "line 2: its position (45.76000, 4.83000) is outside the town's map.",
        ),
        (
            "T-1,A,shop=bakery,48.87,2.38,ftp://a.example.fr,,",
            "line 2: “website”: “ftp://a.example.fr” is not a web address (http or https).",
        ),
        (
            "T-1,A,shop=bakery,48.87,2.38,,a.example.fr,",
            "line 2: “email”: “a.example.fr” is not an e-mail address.",
        ),
        (
            "T-1,A,shop=bakery,48.87,2.38,,,75019-PARIS",
            "line 2: “postcode” is too long (11 characters, at most 10).",
        ),
        (
            "T-1,A,shop=bakery,48.87,2.38,,",
            "line 2: 7 values, but the first line names 8 columns"
            " (is there a separator inside a value without quotes?).",
        ),
    ],
)
def test_each_bad_csv_row_is_reported_with_its_line_and_stops_the_import(line, problem):
    report = run(f"{HEADER}{line}\nT-2,B,shop=bakery,48.87,2.38,,,\n".encode(), "shops.csv")

    assert [str(found) for found in report.problems] == [problem]
    assert not report.ok and count(Shop) == 0


def test_a_reference_repeated_in_the_file_is_a_problem():
    data = f"{HEADER}T-1,A,shop=bakery,48.87,2.38,,,\nT-1,B,shop=bakery,48.87,2.38,,,\n"

    report = run(data.encode(), "shops.csv")

    assert [str(found) for found in report.problems] == [
        "line 3: the reference “T-1” is already on line 2."
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "The file is empty."),
        (HEADER.encode(), "The file has no shop after its first line."),
        (
            b"name,shop_type,latitude,longitude,colour\n",
            "line 1: unknown column “colour”; the columns are: reference, name, shop_type,"
            " address, postcode, city, district, latitude, longitude, phone, email, website,"
            " social_url, opening_hours.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "This file is not a CSV or GeoJSON file of shops.",
        ),
        (
            "reference,name\nT-1,Boulangerie Hérault\n".encode("latin-1"),
            "The file is not in UTF-8: line 2 holds a character in another encoding."
            " Save the file as UTF-8 (in a spreadsheet: “CSV UTF-8”) and try again.",
        ),
        (b'{"type": "Feature"', "The file is not valid JSON (line 1, column 19)."),
        (b'{"type": "Feature"}', "The file is JSON, but not a GeoJSON FeatureCollection."),
        (b'{"type": "FeatureCollection", "features": []}', "The file has no feature."),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data, problem):
    report = run(data, "shops.csv")

    assert str(report.problems[0]) == problem
    assert not report.ok and count(Shop) == 0


def test_a_missing_required_column_is_named():
    report = run(b"reference,name,latitude\nT-1,A,48.87\n", "shops.csv")

    assert [str(found) for found in report.problems] == [
        "line 1: the required columns shop_type, longitude are missing."
    ]


def test_a_feature_without_a_usable_geometry_or_id_is_a_problem():
    document = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "node/1", "properties": {"shop": "bakery", "name": "A"}},
            {
                "type": "Feature",
                "properties": {"shop": "bakery", "name": "B"},
                "geometry": {"type": "Point", "coordinates": [2.38, 48.87]},
            },
            {
                "type": "Feature",
                "id": "node/3",
                "properties": {"shop": "bakery", "name": ["C"]},
                "geometry": {"type": "LineString", "coordinates": [[2.38, 48.87], [2.39, 48.88]]},
            },
        ],
    }

    report = run_osm(document)

    assert [str(found) for found in report.problems] == [
        "feature 1: its geometry must be a Point or a Polygon with longitudes and latitudes,"
        " such as [2.3890, 48.8765].",
        "feature 2: it has no OpenStreetMap id (such as “node/123”).",
        "feature 3: “name” must be text.",
        "feature 3: its geometry must be a Point or a Polygon with longitudes and latitudes,"
        " such as [2.3890, 48.8765].",
    ]


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("www.example.fr", "https://www.example.fr"),
        ("example.fr/boutique?x=1", "https://example.fr/boutique?x=1"),
        ("example.fr:8080/a", "https://example.fr:8080/a"),
        ("HTTP://Example.fr", "http://Example.fr"),
        ("https://boulangerie.example.fr/", "https://boulangerie.example.fr/"),
        ("javascript:alert(1)", None),
        ("JavaScript://example.fr/%0Aalert(1)", None),
        ("mailto:a@example.fr", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("ftp://example.fr", None),
        ("http:example.fr", None),
        ("https://", None),
        ("https://exa mple.fr", None),
        ("https://localhost", None),
        ("https://example.fr:port", None),
        ("nothing", None),
    ],
)
def test_web_addresses_get_https_and_other_schemes_are_refused(value, address):
    assert web_address(value) == address


def test_every_alias_points_to_a_shop_type_of_the_taxonomy():
    codes = {shop_type.code for shop_type in db.session.scalars(select(ShopType))}

    aliases = osm_aliases()

    assert aliases and set(aliases.values()) <= codes
    assert not set(aliases) & codes  # an alias never hides one of our own codes


def test_a_column_left_out_keeps_the_value_and_an_empty_cell_clears_it():
    run(
        b"reference,name,shop_type,latitude,longitude,phone,website,opening_hours\n"
        b"T-1,Boulangerie,shop=bakery,48.87,2.38,01 02 03 04 05,boulangerie.example.fr,Mo 8-12\n",
        "shops.csv",
    )

    report = run(
        b"reference,name,shop_type,latitude,longitude,phone,website\n"
        b"T-1,Boulangerie,shop=bakery,48.87,2.38,,\n",
        "shops.csv",
    )

    assert report.updated == 1
    shop = shops()["T-1"]
    assert (shop.phone, shop.website) == (None, None)
    assert shop.opening_hours == "Mo 8-12"
    assert shop.has_website is Presence.YES  # never lowered by an import


def test_line_breaks_and_control_characters_in_values_become_spaces():
    feature = {
        "type": "Feature",
        "id": "node/7",
        "properties": {"shop": "bakery", "name": "Boulangerie\n\x00 du\tCoin "},
        "geometry": {"type": "Point", "coordinates": [2.38, 48.87]},
    }

    run_osm({"type": "FeatureCollection", "features": [feature]})

    assert shops()["osm:node/7"].name == "Boulangerie du Coin"
