"""`wishboard backup` and `wishboard restore`: an SQLite round trip, and what each refuses."""

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, func, select

from tests import factories
from wishboard import config, create_app
from wishboard.data import demo
from wishboard.extensions import db
from wishboard.models import DataVersion, DemandCount, Support
from wishboard.services import backup
from wishboard.settings import settings


def _file_app(url: str) -> Flask:
    # The commands speak the site's default language: English here, for the assertions.
    return create_app(
        {
            **vars(config.TestingConfig()),
            "SQLALCHEMY_DATABASE_URI": url,
            "BABEL_DEFAULT_LOCALE": "en",
        }
    )


@pytest.fixture(scope="module")
def demo_town_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the demo town, made once for the module's tests."""
    path = tmp_path_factory.mktemp("backup") / "demo.sqlite3"
    app = _file_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        demo.load_demo_town(settings())
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture
def file_app(demo_town_file: Path, tmp_path: Path) -> Flask:
    """An app on a copy of the migrated demo town's file, inside an application context."""
    live = tmp_path / "live.sqlite3"
    shutil.copyfile(demo_town_file, live)
    app = _file_app(f"sqlite:///{live}")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def counts() -> dict[str, int]:
    """Rows per table of the app's database, read through a fresh connection."""
    db.session.remove()
    raw = db.engine.raw_connection()
    try:
        return backup.row_counts(raw.driver_connection)
    finally:
        raw.close()


def demand_is_exact() -> bool:
    """The kept demand counts equal a fresh count of the supports."""
    kept = dict(
        db.session.execute(
            select(
                DemandCount.premises_id.concat("/").concat(DemandCount.shop_type_id),
                DemandCount.supports,
            )
        ).all()
    )
    fresh = dict(
        db.session.execute(
            select(
                Support.premises_id.concat("/").concat(Support.shop_type_id), func.count()
            ).group_by(Support.premises_id, Support.shop_type_id)
        ).all()
    )
    return kept == fresh


def test_backup_then_restore_gives_back_every_row(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    saved = counts()
    assert saved["supports"] > 0 and saved["users"] > 0 and saved["alembic_version"] == 1
    target = tmp_path / "saved.sqlite3"

    result = runner.invoke(args=["backup", str(target)])

    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert not list(tmp_path.glob("*.partial"))
    assert target.stat().st_mode & 0o077 == 0  # personal data: its owner's eyes only
    # One self-contained file, with the same rows.
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert backup.row_counts(copy) == saved
    copy.close()

    # Life goes on after the backup: supports withdrawn, a new resident.
    version_before = db.session.scalar(select(DataVersion.version))
    db.session.execute(delete(Support).where(Support.id.in_(select(Support.id).limit(5))))
    factories.make_user(email="after-backup@example.org")
    db.session.commit()
    assert counts() != saved

    result = runner.invoke(args=["restore", str(target), "--yes"])

    assert result.exit_code == 0, result.output
    assert counts() == saved
    assert demand_is_exact()
    # No page cached from the changed data can pass for the restored data.
    assert db.session.scalar(select(DataVersion.version)) > version_before


def test_backup_refuses_to_overwrite_without_force(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    target = tmp_path / "taken.sqlite3"
    target.write_bytes(b"something precious")

    refused = runner.invoke(args=["backup", str(target)])

    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert target.read_bytes() == b"something precious"

    forced = runner.invoke(args=["backup", str(target), "--force"])

    assert forced.exit_code == 0, forced.output
    assert backup.inspect_backup(target).rows == counts()


def test_restore_asks_before_replacing_the_data(file_app, tmp_path):
    runner = file_app.test_cli_runner()
    target = tmp_path / "saved.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    factories.make_user(email="kept@example.org")
    db.session.commit()
    now = counts()

    answered_no = runner.invoke(args=["restore", str(target)], input="n\n")

    assert answered_no.exit_code == 1
    assert "Continue?" in answered_no.output
    assert counts() == now

    answered_yes = runner.invoke(args=["restore", str(target)], input="y\n")

    assert answered_yes.exit_code == 0, answered_yes.output
    assert counts()["users"] == now["users"] - 1


def _not_a_database(path: Path) -> None:
    path.write_text("name,address\nBakery,1 rue de Belleville\n")


def _no_revision(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()


def _unknown_revision(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (_not_a_database, "not an SQLite database"),
        (_no_revision, "not a Wishboard database"),
        (_unknown_revision, "9999_from_the_future"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_known_wishboard_database(
    file_app, tmp_path, make_file, message
):
    source = tmp_path / "suspect.sqlite3"
    make_file(source)
    before = counts()

    result = file_app.test_cli_runner().invoke(args=["restore", str(source), "--yes"])

    assert result.exit_code == 2
    assert message in result.output
    assert counts() == before


def test_restore_of_a_missing_file_says_so(file_app, tmp_path):
    result = file_app.test_cli_runner().invoke(
        args=["restore", str(tmp_path / "nowhere.sqlite3"), "--yes"]
    )

    assert result.exit_code == 2
    assert "is not a file" in result.output


@pytest.mark.parametrize("command", [["backup"], ["restore", "--yes"]])
def test_postgresql_is_sent_to_pg_dump(tmp_path, command):
    # Nothing listens on port 1: the commands must refuse before connecting.
    app = create_app(
        {
            **vars(config.TestingConfig()),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody:x@127.0.0.1:1/none",
        }
    )
    path = tmp_path / "dump.sqlite3"
    if command[0] == "restore":
        path.write_bytes(b"")

    result = app.test_cli_runner().invoke(args=[command[0], str(path), *command[1:]])

    assert result.exit_code == 2
    assert "pg_dump" in result.output and "pg_restore" in result.output
    if command[0] == "backup":
        assert not path.exists()


def test_backup_runs_while_the_site_writes(file_app, tmp_path):
    database = db.engine.url.database
    before = counts()["outbox_messages"]
    stop = threading.Event()
    written = []

    def write() -> None:
        # Another process's connection, as a gunicorn worker's would be.
        connection = sqlite3.connect(database, timeout=5)
        try:
            while not stop.is_set():
                connection.execute(
                    "INSERT INTO outbox_messages (recipient, subject, body_text, kind, status,"
                    " attempts, next_attempt_at, created_at) VALUES ('a@example.org', 's', 'b',"
                    " 'notice', 'sent', 1, '2026-01-01', '2026-01-01')"
                )
                connection.commit()
                written.append(1)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        result = file_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.sqlite3")])
        during = len(written)
        while len(written) < during + 20:  # the writer was not stopped by the backup
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()

    assert result.exit_code == 0, result.output
    copied = backup.inspect_backup(tmp_path / "b.sqlite3").rows["outbox_messages"]
    assert before + 20 <= copied <= before + during
