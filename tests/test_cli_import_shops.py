"""`wishboard import-shops`: a CSV file or an OpenStreetMap extract from the command line."""

from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from tests import factories
from tests.helpers import count
from wishboard.cli import PROGRESS_FROM_ROWS
from wishboard.extensions import db
from wishboard.models import AuditEvent, Shop

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def town(app):
    factories.make_premises(district=factories.make_district("Belleville"))
    factories.make_district("Jourdain")
    db.session.commit()


def invoke(runner, *args: str):
    with force_locale("en"):
        return runner.invoke(args=["import-shops", *args])


def test_a_csv_file_is_imported_and_the_skipped_tag_listed_on_stderr(runner):
    result = invoke(runner, str(DATA / "shops.csv"))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "1 row skipped: its type is not one of ours.",
        "Shops imported: 5 created, 0 updated, 0 unchanged.",
    ]
    assert result.stderr.splitlines() == [
        "line 5: “Buttes” is not one of the town's districts, so it was not used.",
        "“shop=erotic” is not one of our shop types: 1 line skipped (8).",
    ]
    # The command commits: another session sees the shops.
    db.session.remove()
    assert count(Shop) == 5


def test_an_extract_with_bad_features_prints_them_all_and_writes_nothing(runner):
    result = invoke(runner, str(DATA / "shops_osm.geojson"))

    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert errors[:3] == [
        "feature 11: it has no name.",
        "feature 29: its position (48.86100, 2.44000) is outside the town's map.",
        "feature 30: “website”: “javascript:alert(document.cookie)” is not a web address"
        " (http or https).",
    ]
    assert "“amenity=bench” is not one of our shop types: 2 features skipped (9, 10)." in errors
    assert errors[-1] == "Error: 3 problems in the file: nothing was imported."
    assert result.stdout == ""
    db.session.remove()
    assert count(Shop) == 0 and count(AuditEvent) == 0


def test_skip_invalid_imports_the_good_features(runner):
    result = invoke(runner, "--skip-invalid", str(DATA / "shops_osm.geojson"))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "3 rows with a problem were left out.",
        "7 rows skipped: their type is not one of ours.",
        "Shops imported: 22 created, 0 updated, 0 unchanged.",
    ]
    assert "feature 11: it has no name." in result.stderr.splitlines()
    db.session.remove()
    assert count(Shop) == 22


def test_running_it_twice_changes_nothing(runner):
    assert invoke(runner, "--skip-invalid", str(DATA / "shops_osm.geojson")).exit_code == 0
    events = count(AuditEvent)

    result = invoke(runner, "--skip-invalid", str(DATA / "shops_osm.geojson"))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == ("Shops imported: 0 created, 0 updated, 22 unchanged.")
    assert count(AuditEvent) == events


def test_a_dry_run_writes_nothing(runner):
    result = invoke(runner, "--dry-run", "--skip-invalid", str(DATA / "shops_osm.geojson"))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Dry run, nothing written: 22 created, 0 updated, 0 unchanged."
    )
    db.session.remove()
    assert count(Shop) == 0 and count(AuditEvent) == 0


def test_a_dry_run_of_a_bad_file_fails_too(runner):
    result = invoke(runner, "--dry-run", str(DATA / "shops_osm.geojson"))

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: 3 problems in the file: nothing was imported."


def test_a_long_file_shows_its_progress_on_stderr_only(runner, tmp_path):
    lines = ["reference,name,shop_type,latitude,longitude"]
    lines += [f"T-{n},Boutique {n},shop=bakery,48.87,2.38" for n in range(PROGRESS_FROM_ROWS)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines), encoding="utf-8")

    result = invoke(runner, str(path))

    assert result.exit_code == 0, result.output
    assert "Checking" in result.stderr and "Writing" in result.stderr
    assert result.stdout.splitlines() == [
        f"Shops imported: {PROGRESS_FROM_ROWS} created, 0 updated, 0 unchanged."
    ]


def test_a_missing_file_is_refused_by_the_command(runner):
    result = invoke(runner, "no-such-file.csv")

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_a_reference_taken_while_importing_writes_nothing(runner, monkeypatch):
    real_commit = db.session.commit

    def lost_race():
        # What the database says when another writer committed one of the references first.
        monkeypatch.setattr(db.session, "commit", real_commit)
        raise IntegrityError("INSERT INTO shops", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(db.session, "commit", lost_race)

    result = invoke(runner, str(DATA / "shops.csv"))

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: The shops changed while importing; nothing was imported. Run it again."
    )
    db.session.remove()
    assert count(Shop) == 0 and count(AuditEvent) == 0
