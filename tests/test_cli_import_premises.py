"""`wishboard import-premises`: a file of premises from the command line."""

from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from tests import factories
from tests.helpers import count
from wishboard.cli import PROGRESS_FROM_ROWS
from wishboard.extensions import db
from wishboard.models import AuditEvent, Premises

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def town(app):
    factories.make_district("Belleville")
    factories.make_district("Jourdain")
    db.session.commit()


def invoke(runner, *args: str):
    with force_locale("en"):
        return runner.invoke(args=["import-premises", *args])


def test_a_good_file_is_imported(runner):
    result = invoke(runner, str(DATA / "premises_good.csv"))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Premises imported: 3 created, 0 updated, 0 unchanged."
    assert count(Premises) == 3
    # The command commits: another session sees the premises.
    db.session.remove()
    assert count(Premises) == 3


def test_running_it_twice_changes_nothing(runner):
    assert invoke(runner, str(DATA / "premises_good.geojson")).exit_code == 0
    events = count(AuditEvent)

    result = invoke(runner, str(DATA / "premises_good.geojson"))

    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 2 unchanged" in result.output
    assert count(AuditEvent) == events


def test_a_dry_run_writes_nothing(runner):
    result = invoke(runner, "--dry-run", str(DATA / "premises_good.csv"))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Dry run, nothing written: 3 created, 0 updated, 0 unchanged."
    db.session.remove()
    assert count(Premises) == 0 and count(AuditEvent) == 0


def test_a_bad_file_prints_every_problem_with_its_line_and_fails(runner):
    result = invoke(runner, str(DATA / "premises_bad.csv"))

    assert result.exit_code == 2
    lines = result.output.splitlines()
    numbered = [line for line in lines if line.startswith("line ")]
    assert [line.split(":")[0] for line in numbered] == [f"line {n}" for n in range(3, 10)]
    assert "line 5: “district”: There is no district called “Atlantide”." in lines
    assert lines[-1] == "Error: 7 problems in the file: nothing was imported."
    assert count(Premises) == 0


def test_a_dry_run_of_a_bad_file_fails_too(runner):
    result = invoke(runner, "--dry-run", str(DATA / "premises_duplicate.csv"))

    assert result.exit_code == 2
    assert "line 4: the reference “DUP-001” is already on line 2." in result.output.splitlines()


def test_a_file_in_another_encoding(runner):
    result = invoke(runner, str(DATA / "premises_latin1.csv"))

    assert result.exit_code == 2
    assert "not in UTF-8: line 3" in result.output
    assert "Traceback" not in result.output


def test_unknown_districts_can_be_created(runner, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(
        "reference,address,city,district,latitude,longitude\n"
        "N-1,1 rue Neuve,Paris,Ménilmontant,48.869,2.389\n",
        encoding="utf-8",
    )

    refused = invoke(runner, str(path))
    result = invoke(runner, "--create-districts", str(path))

    assert refused.exit_code == 2
    assert result.exit_code == 0, result.output
    assert "New districts: Ménilmontant." in result.output
    assert count(Premises) == 1


def test_a_missing_file_is_a_usage_error(runner, tmp_path):
    result = invoke(runner, str(tmp_path / "nowhere.csv"))

    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_large_file_shows_a_progress_bar(runner, tmp_path):
    path = tmp_path / "large.csv"
    rows = [
        f"BIG-{n},{n} rue Longue,Paris,Belleville,{48.85 + n / 100_000:.5f},2.38"
        for n in range(PROGRESS_FROM_ROWS)
    ]
    path.write_text(
        "reference,address,city,district,latitude,longitude\n" + "\n".join(rows),
        encoding="utf-8",
    )

    result = invoke(runner, str(path))

    assert result.exit_code == 0, result.output
    assert "Checking" in result.output and "Writing" in result.output
    assert count(Premises) == PROGRESS_FROM_ROWS


def test_a_small_file_shows_no_progress_bar(runner):
    result = invoke(runner, str(DATA / "premises_good.csv"))

    assert "Checking" not in result.output


def test_a_reference_taken_while_importing_writes_nothing(runner, monkeypatch):
    real_commit = db.session.commit

    def lost_race():
        # What the database says when another writer committed one of the references first.
        monkeypatch.setattr(db.session, "commit", real_commit)
        raise IntegrityError("INSERT INTO premises", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(db.session, "commit", lost_race)

    result = invoke(runner, str(DATA / "premises_good.csv"))

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: The premises changed while importing; nothing was imported. Run it again."
    )
    db.session.remove()
    assert count(Premises) == 0 and count(AuditEvent) == 0
