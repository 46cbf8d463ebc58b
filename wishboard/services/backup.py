"""Backups of an SQLite database with SQLite's online backup API, and their restore.

A backup is a consistent copy taken while the site keeps running (readers and writers go on;
the copy is one snapshot). It is a single self-contained file: no write-ahead log beside it.
PostgreSQL has its own tools (`pg_dump`, `pg_restore`): both functions refuse it with a message
saying so.
"""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_babel import gettext as _
from sqlalchemy.engine import Engine

from wishboard.config import PROJECT_ROOT
from wishboard.services.errors import DomainError

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


class BackupError(DomainError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: its schema revision and how many rows each table has."""

    path: Path
    revision: str
    head: str
    rows: dict[str, int]

    @property
    def behind(self) -> bool:
        """True when the backup's schema is older than the code's (run `wishboard db upgrade`)."""
        return self.revision != self.head


def check_engine(engine: Engine) -> str:
    """The file of the app's SQLite database, or an error for any other database."""
    if engine.dialect.name != "sqlite":
        raise BackupError(
            _(
                "The database is %(dialect)s, not SQLite: back it up with pg_dump and restore it"
                " with pg_restore (see the README, section Backups).",
                dialect=engine.dialect.name,
            )
        )
    return engine.url.database or ":memory:"


def known_revisions() -> tuple[set[str], str]:
    """Every migration revision this code knows, and the newest one (the head)."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    return {script.revision for script in scripts.walk_revisions()}, scripts.get_current_head()


def row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """The number of rows in each table of an SQLite database, by table name."""
    tables = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall()
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for (name,) in tables
    }


def backup(engine: Engine, target: Path, force: bool = False) -> BackupInfo:
    """Copy the app's SQLite database to `target`, a new file unless `force`; returns its info.

    The copy is written beside `target` under a temporary name and renamed at the end, so an
    interrupted backup never leaves a half-written file under the name asked for.
    """
    check_engine(engine)
    target = Path(target)
    if target.exists() and not force:
        raise BackupError(
            _("%(path)s already exists: choose another name, or add --force.", path=target)
        )
    if target.is_dir():
        raise BackupError(_("%(path)s is a directory: give a file name.", path=target))
    if not target.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.", path=target.parent))
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # Readable by its owner only: it holds e-mail addresses and password hashes. SQLite takes
    # an empty file as an empty database and keeps its mode.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(partial)
        try:
            # In one step, one read transaction: in WAL mode the site's writers go on meanwhile,
            # whereas a copy in several steps starts again after each of their commits.
            raw.driver_connection.backup(copy)
            # One file that opens anywhere: the site's database is in WAL mode, the copy is not.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        raw.close()
    try:
        info = inspect_backup(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return BackupInfo(target, info.revision, info.head, info.rows)


def inspect_backup(source: Path) -> BackupInfo:
    """Check that `source` is a sound Wishboard database at a known revision; returns its info."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(_("%(path)s is not a file.", path=source))
    try:
        connection = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(
            _("%(path)s cannot be opened: %(error)s", path=source, error=error)
        ) from None
    try:
        try:
            if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(_("%(path)s is damaged: it cannot be restored.", path=source))
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            revisions = (
                []
                if found is None
                else connection.execute("SELECT version_num FROM alembic_version").fetchall()
            )
            rows = row_counts(connection)
        except sqlite3.DatabaseError:
            raise BackupError(_("%(path)s is not an SQLite database.", path=source)) from None
    finally:
        connection.close()
    if len(revisions) != 1:
        raise BackupError(
            _(
                "%(path)s is not a Wishboard database (it has no migration revision).",
                path=source,
            )
        )
    revision = revisions[0][0]
    known, head = known_revisions()
    if revision not in known:
        raise BackupError(
            _(
                "%(path)s has the revision %(revision)s, which this version of Wishboard does not"
                " know: restore it with the version that made it.",
                path=source,
                revision=revision,
            )
        )
    return BackupInfo(source, revision, head, rows)


def restore(engine: Engine, source: Path) -> BackupInfo:
    """Replace the app's SQLite database with the backup `source` (checked first); its info.

    Copied with the backup API into the live database, in one step: other connections see the
    old data or the new, never a mix. The data version is then set past any version the old
    database reached, so that no server's page cache takes the restored data for pages it built
    before.
    """
    check_engine(engine)
    info = inspect_backup(source)
    engine.dispose()
    raw = engine.raw_connection()
    try:
        live = raw.driver_connection
        before = _versions(live)
        backup_file = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
        try:
            backup_file.backup(live)
        finally:
            backup_file.close()
        restored = _versions(live)
        if restored is not None:
            # Both versions move past the old database's: restored data is new to every cache.
            old = before or (0, 0)
            live.execute(
                "UPDATE data_versions SET version = ?, private_version = ? WHERE id = 1",
                tuple(max(pair) + 1 for pair in zip(old, restored, strict=True)),
            )
            live.commit()
    finally:
        raw.close()
        engine.dispose()
    return info


def _versions(connection: sqlite3.Connection) -> tuple[int, int] | None:
    """The public and private data versions of a database, or None when it has none (yet)."""
    try:
        row = connection.execute(
            "SELECT version, private_version FROM data_versions WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else (row[0], row[1])
