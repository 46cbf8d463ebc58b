"""Importing premises files: every row checked first, then all written or nothing."""

import json
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories
from tests.helpers import count
from wishboard.extensions import db
from wishboard.models import AuditEvent, District, Premises, PremisesStatus, Role
from wishboard.services.imports.premises import import_premises

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def town(app):
    """The two districts the test files name, and English messages."""
    factories.make_district("Belleville")
    factories.make_district("Jourdain")
    db.session.commit()
    with force_locale("en"):
        yield


def run(name: str, **options):
    """Import a file of tests/data, committing as the CLI and the web page do."""
    report = import_premises(None, (DATA / name).read_bytes(), name, **options)
    if report.ok and not options.get("dry_run"):
        db.session.commit()
    else:
        db.session.rollback()
    return report


def run_bytes(data: bytes, filename: str = "premises.csv", **options):
    report = import_premises(None, data, filename, **options)
    if report.ok and not options.get("dry_run"):
        db.session.commit()
    return report


def problems(report) -> list[str]:
    return [str(problem) for problem in report.problems]


def premises_by_reference() -> dict[str, Premises]:
    return {premises.reference: premises for premises in db.session.scalars(select(Premises))}


HEADER = "reference,address,city,district,latitude,longitude\n"


# Good files


def test_a_good_csv_file_creates_every_premises(app):
    report = run("premises_good.csv")

    assert report.ok and report.format == "csv"
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    found = premises_by_reference()
    assert set(found) == {"BEL-001", "BEL-002", "JOU-001"}
    first = found["BEL-001"]
    assert (first.address, first.postcode, first.city, first.district.name) == (
        "12 rue de Belleville",
        "75019",
        "Paris",
        "Belleville",
    )
    assert (first.latitude, first.longitude, first.surface_m2) == (48.8722, 2.381, 45)
    assert (first.landlord_name, first.landlord_email) == (
        "Marie Dupont",
        "marie.dupont@example.org",
    )
    assert first.status is PremisesStatus.VACANT
    assert found["BEL-002"].address == "3, rue Jouye-Rouve"  # a quoted comma
    assert found["BEL-002"].surface_m2 is None
    assert found["JOU-001"].notes == "Vitrine sur deux rues; accès livraison"


def test_the_import_is_audited_per_premises_and_as_a_whole(app):
    run("premises_good.csv")

    actions = [event.action for event in db.session.scalars(select(AuditEvent))]
    assert sorted(actions) == ["premises.created"] * 3 + ["premises.imported"]
    summary = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "premises.imported")
    ).one()
    assert summary.after == {
        "file": "premises_good.csv",
        "format": "csv",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "districts_created": [],
    }


def test_importing_the_same_file_twice_changes_nothing(app):
    run("premises_good.csv")
    stamps = {ref: p.updated_at for ref, p in premises_by_reference().items()}
    audit_events = count(AuditEvent)

    report = run("premises_good.csv")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert not report.changes
    assert {ref: p.updated_at for ref, p in premises_by_reference().items()} == stamps
    assert count(AuditEvent) == audit_events  # no event for an import that changed nothing


def test_a_changed_row_is_updated_and_audited_with_its_changes_only(app):
    run("premises_good.csv")
    text = (DATA / "premises_good.csv").read_text(encoding="utf-8")
    changed = text.replace("48.8722,2.3810,45", "48.8723,2.3810,50")

    report = run_bytes(changed.encode())

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "premises.updated")
    ).one()
    assert event.before == {"latitude": 48.8722, "surface_m2": 45}
    assert event.after == {"latitude": 48.8723, "surface_m2": 50}
    assert event.object_id == premises_by_reference()["BEL-001"].id


def test_a_column_left_out_keeps_the_value_an_empty_cell_clears_it(app):
    run("premises_good.csv")

    report = run_bytes(
        b"reference,address,city,district,latitude,longitude,notes\n"
        b"BEL-001,12 rue de Belleville,Paris,Belleville,48.8722,2.3810,\n"
    )

    assert (report.updated, report.unchanged) == (1, 0)
    premises = premises_by_reference()["BEL-001"]
    assert premises.notes is None
    assert (premises.surface_m2, premises.postcode) == (45, "75019")  # not in the file


def test_a_semicolon_file_with_a_byte_order_mark_and_decimal_commas(app):
    report = run("premises_semicolon_bom.csv")

    assert report.ok, problems(report)
    found = premises_by_reference()
    assert (found["BEL-010"].latitude, found["BEL-010"].longitude) == (48.8705, 2.3801)
    assert found["BEL-010"].surface_m2 == 30
    assert found["JOU-010"].address == "7 rue du Jourdain; bâtiment B"


def test_a_good_geojson_file(app):
    report = run("premises_good.geojson")

    assert report.ok, problems(report)
    assert (report.format, report.created) == ("geojson", 2)
    found = premises_by_reference()
    assert (found["GEO-001"].latitude, found["GEO-001"].longitude) == (48.8722, 2.381)
    assert found["GEO-001"].postcode == "75019"  # a number in JSON
    assert found["GEO-002"].district.name == "Jourdain"


def test_the_landlord_account_with_the_address_is_linked(app):
    landlord = factories.make_user(role=Role.LANDLORD, email="owner@example.org")
    db.session.commit()

    run("premises_good.geojson")

    assert premises_by_reference()["GEO-001"].landlord_id == landlord.id


def test_the_import_never_changes_a_status(app):
    run("premises_good.csv")
    premises_by_reference()["BEL-001"].status = PremisesStatus.WITHDRAWN
    db.session.commit()

    report = run_bytes(
        (DATA / "premises_good.csv").read_text().replace("Ancienne mercerie", "Autre").encode()
    )

    assert report.updated == 1
    assert premises_by_reference()["BEL-001"].status is PremisesStatus.WITHDRAWN


# Dry run and districts


def test_a_dry_run_reports_and_writes_nothing(app):
    report = run("premises_good.csv", dry_run=True)

    assert report.ok and report.dry_run
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_unknown_districts_are_problems_unless_asked_to_create_them(app):
    data = (HEADER + "N-1,1 rue Neuve,Paris,Ménilmontant,48.8690,2.3890\n").encode()

    refused = run_bytes(data)
    assert problems(refused) == ["line 2: “district”: There is no district called “Ménilmontant”."]
    dry = run_bytes(data, create_districts=True, dry_run=True)
    assert dry.ok and dry.districts_created == ["Ménilmontant"]
    assert count(District) == 2

    report = run_bytes(data, create_districts=True)

    assert report.ok and report.created == 1
    assert premises_by_reference()["N-1"].district.name == "Ménilmontant"
    summary = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "premises.imported")
    ).one()
    assert summary.after["districts_created"] == ["Ménilmontant"]


# Bad files


def test_a_bad_file_reports_every_problem_with_its_line_and_writes_nothing(app):
    report = run("premises_bad.csv")

    assert problems(report) == [
        "line 3: “latitude”: “quarante-huit” is not a decimal number.",
        "line 4: “latitude”: This latitude is outside the town: enter one between 48.845"
        " and 48.903.",
        "line 5: “district”: There is no district called “Atlantide”.",
        "line 6: “address” is empty.",
        "line 7: “surface_m2”: Enter the surface as a whole number of square metres.",
        "line 8: “landlord_email”: Enter a valid e-mail address, such as name@example.org.",
        "line 9: the reference “BAD-001” is already on line 2.",
    ]
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_in_french_the_problems_quote_with_guillemets(app):
    with force_locale("fr"):
        report = run("premises_bad.csv")
        found = problems(report)

    assert "ligne 3 : « latitude » : « quarante-huit » n’est pas un nombre décimal." in [
        problem.replace("\u00a0", " ") for problem in found
    ]
    # Not one English quotation mark, and « … » hold non-breaking spaces.
    assert not any("“" in problem or "”" in problem for problem in found)
    assert "La colonne «\u00a0address\u00a0» est vide." in " ".join(found)


def test_a_duplicate_reference_in_the_file(app):
    report = run("premises_duplicate.csv")

    assert problems(report) == ["line 4: the reference “DUP-001” is already on line 2."]
    assert count(Premises) == 0


def test_a_half_valid_file_writes_nothing(app):
    report = run("premises_half_valid.csv")

    assert [problem.number for problem in report.problems] == [4, 4]
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_a_file_in_another_encoding_is_one_clear_problem(app):
    report = run("premises_latin1.csv")

    assert problems(report) == [
        "The file is not in UTF-8: line 3 holds a character in another encoding. Save the file"
        " as UTF-8 (in a spreadsheet: “CSV UTF-8”) and try again."
    ]
    assert count(Premises) == 0


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # a spreadsheet (.xlsx)
    ],
)
def test_a_file_that_is_not_text_is_refused(app, data):
    report = run_bytes(data)

    assert problems(report) == ["This file is not a CSV or GeoJSON file of premises."]


def test_a_csv_file_without_the_columns(app):
    report = run_bytes(b"name;street\nBoulangerie;rue Piat\n")

    assert problems(report) == [
        "line 1: unknown column “name”; the columns are: reference, address, postcode, city,"
        " district, latitude, longitude, surface_m2, landlord_name, landlord_email, notes.",
        "line 1: unknown column “street”; the columns are: reference, address, postcode, city,"
        " district, latitude, longitude, surface_m2, landlord_name, landlord_email, notes.",
        "line 1: the required columns reference, address, city, district, latitude, longitude"
        " are missing.",
    ]


def test_rows_with_too_many_or_too_few_values(app):
    data = (
        HEADER
        + "R-1,1, rue Piat,Paris,Belleville,48.8722,2.3810\n"
        + "\n"
        + "R-2,2 rue Piat,Paris\n"
    ).encode()

    report = run_bytes(data)

    assert [(problem.number, problem.message[:30]) for problem in report.problems] == [
        (2, "7 values, but the first line n"),
        (4, "3 values, but the first line n"),  # the blank line 3 is skipped, still counted
    ]


def test_an_empty_file(app):
    assert problems(run_bytes(b"")) == ["The file is empty."]
    assert problems(run_bytes(b"\xef\xbb\xbf\n")) == ["The file is empty."]


def test_a_geojson_file_with_bad_geometries(app):
    report = run("premises_bad_geometry.geojson")

    bad_point = (
        "its geometry must be a Point with a longitude and a latitude, such as [2.3890, 48.8765]."
    )
    assert problems(report) == [
        f"feature 2: {bad_point}",
        f"feature 3: {bad_point}",
        f"feature 4: {bad_point}",
        "feature 5: “latitude”: This latitude is outside the town: enter one between 48.845"
        " and 48.903.",
        "feature 5: “longitude”: This longitude is outside the town: enter one between 2.36"
        " and 2.417.",
        f"feature 6: {bad_point}",
        "feature 7: this is not a GeoJSON Feature.",
    ]
    assert count(Premises) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"type": "FeatureCollection", "features": [', "not valid JSON (line 1, column"),
        (b'{"type": "Feature", "geometry": null}', "not a GeoJSON FeatureCollection"),
        (b"[1, 2, 3]", "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "no feature"),
    ],
)
def test_json_that_is_not_a_feature_collection(app, data, expected):
    report = run_bytes(data, "premises.geojson")

    [problem] = problems(report)
    assert expected in problem


def test_geojson_properties_must_be_plain_values(app):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [2.381, 48.8722]},
        "properties": {
            "reference": "P-1",
            "address": ["not", "text"],
            "city": "Paris",
            "district": "Belleville",
            "surface_m2": True,
        },
    }
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()

    report = run_bytes(data, "premises.json")

    assert problems(report) == [
        "feature 1: “address” must be text.",
        "feature 1: “surface_m2”: “True” is not a whole number of square metres.",
    ]


def test_a_large_file_goes_through_the_progress_callback(app):
    rows = "".join(
        f"BIG-{n},{n} rue Longue,Paris,Belleville,48.87{n:02d},2.38\n" for n in range(60)
    )
    seen: list[str] = []

    def progress(items, label):
        seen.append(label)
        return items

    report = run_bytes((HEADER + rows).encode(), progress=progress)

    assert report.created == 60
    assert seen == ["Checking", "Writing"]
    assert count(AuditEvent) == 61
