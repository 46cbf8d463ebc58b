"""Importing premises from a CSV or GeoJSON file: check every row, then write all or nothing.

The file is read as every import reads one (`reading.py`: UTF-8, CSV or GeoJSON, problems with
their line or feature number). CSV columns:

    reference,address,postcode,city,district,latitude,longitude,surface_m2,
    landlord_name,landlord_email,notes

`reference`, `address`, `city`, `district`, `latitude` and `longitude` are required; the others
may be left out. GeoJSON: a FeatureCollection of Point features whose `properties` carry the same
names (the position comes from the geometry; other properties are ignored).

Premises are matched by `reference`: a new reference creates a vacant premises, a known one is
updated where it differs, an identical one is left untouched (so importing a file twice changes
nothing). A column left out of the file leaves that field as it is; an empty cell clears it. The
import never changes a premises' status. Lines are counted from the header (line 1); features
from 1.

Every created or updated premises gets its own "premises.created" / "premises.updated" audit
event, and the import as a whole one "premises.imported" event with its counts; an import that
changes nothing records nothing. A file with a problem writes nothing; a good one is written in one
transaction, which the import commits (premises management's functions write into it uncommitted).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import District, NotificationKind, Premises, Role, User
from wishboard.services import audit, editing
from wishboard.services.imports import reading
from wishboard.services.imports.reading import ImportConflict, Place, Problem, Row, column_label
from wishboard.services.people import notifications
from wishboard.services.premises import management
from wishboard.services.premises.management import Lookups, PremisesValues
from wishboard.services.progress import Progress, track
from wishboard.services.transactions import commit
from wishboard.settings import DEFAULT_MAP_BOUNDS

COLUMNS = (
    "reference",
    "address",
    "postcode",
    "city",
    "district",
    "latitude",
    "longitude",
    "surface_m2",
    "landlord_name",
    "landlord_email",
    "notes",
)
REQUIRED = ("reference", "address", "city", "district", "latitude", "longitude")
# Every column but the position, which GeoJSON carries in its geometry.
PROPERTIES = tuple(name for name in COLUMNS if name not in ("latitude", "longitude"))
EXTENSIONS = ("csv", "geojson", "json")


@dataclass
class PremisesImportReport(reading.ImportReport):
    """What a premises import did, or would do, and the districts it made (or would make)."""

    districts_created: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """True when the import writes (or would write) something."""
        return bool(self.created or self.updated or self.districts_created)

    def details(self) -> list[str]:
        if not self.districts_created:
            return []
        return [_("New districts: %(names)s.", names=", ".join(self.districts_created))]


# Reading the file


def read(data: bytes, filename: str = "") -> tuple[str | None, list[Row], list[Problem]]:
    """The format and rows of a file, or why it cannot be read."""
    text = reading.decode(data, _("This file is not a CSV or GeoJSON file of premises."))
    if isinstance(text, Problem):
        return None, [], [text]
    kind = reading.detect_format(filename, text)
    if kind == "csv":
        return kind, *reading.read_csv(text, COLUMNS, REQUIRED)
    return kind, *read_geojson(text)


def read_geojson(text: str) -> tuple[list[Row], list[Problem]]:
    """The features of a GeoJSON text as rows (position from the geometry), or its problems."""
    features, problems = reading.geojson_features(text)
    rows = []
    for found in features:
        position = reading.position(found.feature.get("geometry"))
        if position is None:
            problems.append(
                Problem(
                    _(
                        "its geometry must be a Point with a longitude and a latitude,"
                        " such as [2.3890, 48.8765]."
                    ),
                    Place.FEATURE,
                    found.number,
                )
            )
            continue
        cells = {name: found.properties[name] for name in PROPERTIES if name in found.properties}
        cells["longitude"], cells["latitude"] = position
        rows.append(Row(Place.FEATURE, found.number, cells))
    return rows, problems


# From cells to values


def to_values(row: Row, existing: Premises | None) -> tuple[PremisesValues, dict[str, str]]:
    """The cleaned values of a row, and {column: problem} for the cells that cannot be read.

    Columns left out of the file keep `existing`'s values. A cell that cannot be read gets a
    stand-in value (empty, or not a number), so that the other columns can still be checked.
    """
    base = PremisesValues.of(existing) if existing is not None else None
    cells, found, values = row.cells, {}, {}
    for name in COLUMNS:
        if name not in cells:
            values[name] = getattr(base, name) if base is not None else None
            continue
        raw = cells[name]
        try:
            if reading.is_empty(raw):
                value = None
            elif name in ("latitude", "longitude"):
                value = reading.decimal(raw)
            elif name == "surface_m2":
                value = reading.whole(raw)
            else:
                value = reading.text(raw)
        except (TypeError, ValueError):
            value = math.nan if name in ("latitude", "longitude") else None
            if name in ("latitude", "longitude"):
                found[name] = _(
                    "%(column)s: “%(value)s” is not a decimal number.",
                    column=column_label(name),
                    value=raw,
                )
            elif name == "surface_m2":
                found[name] = _(
                    "%(column)s: “%(value)s” is not a whole number of square metres.",
                    column=column_label(name),
                    value=raw,
                )
            else:
                found[name] = _("%(column)s must be text.", column=column_label(name))
        else:
            if value is None and name in REQUIRED:
                found[name] = _("%(column)s is empty.", column=column_label(name))
        if value is None and name in ("latitude", "longitude"):
            value = math.nan
        values[name] = value
    return management.clean(PremisesValues(**values)), found


# Checking and writing


@dataclass
class _Planned:
    """A valid row and what importing it does."""

    row: Row
    values: PremisesValues
    existing: Premises | None
    changed: bool


class _Districts:
    """The town's districts by name (any case); new ones only when asked to create them."""

    def __init__(self, create: bool) -> None:
        self.known = {
            district.name.lower(): district for district in db.session.scalars(select(District))
        }
        self.create = create
        self.new: dict[str, District] = {}

    def find(self, name: str) -> District | None:
        key = name.strip().lower()
        district = self.known.get(key) or self.new.get(key)
        if district is None and self.create and name.strip():
            # Not in the session yet: it is added only if the whole file is imported.
            district = self.new[key] = District(name=name.strip())
        return district


def _landlords() -> dict[str, User]:
    """The active landlord accounts by e-mail address."""
    query = select(User).where(User.role == Role.LANDLORD, User.active.is_(True))
    return {user.email: user for user in db.session.scalars(query)}


def import_premises(
    actor: User | None,
    data: bytes,
    filename: str = "",
    *,
    bounds: Sequence[float] = DEFAULT_MAP_BOUNDS,
    dry_run: bool = False,
    create_districts: bool = False,
    progress: Progress | None = None,
) -> PremisesImportReport:
    """Check every row of a premises file; with no problem (and no dry run), upsert them all.

    Returns the report: counts, and every problem with its line or feature number. With any
    problem, or with `dry_run`, nothing is written. Otherwise the whole file is written in one
    transaction, committed here; ImportConflict when another change took a reference meanwhile.
    `create_districts` makes districts the file names but the town lacks (else a problem).
    `bounds` are the town's (south, west, north, east): every premises lies inside.
    """
    kind, rows, problems = read(data, filename)
    report = PremisesImportReport(format=kind, dry_run=dry_run, problems=problems)
    if kind is None or (problems and not rows):
        return report
    unreadable_rows = {problem.number for problem in problems if problem.place is not Place.FILE}
    report.rows = len(rows) + len(unreadable_rows)

    references = {reading.text_or_none(row.cells.get("reference")) for row in rows} - {None}
    existing = reading.existing_by_reference(
        Premises, sorted(references), joinedload(Premises.district)
    )
    districts = _Districts(create_districts)
    landlords = _landlords()
    lookups = Lookups(
        district=districts.find,
        reference_owner=lambda reference: existing[reference].id if reference in existing else None,
        landlord=lambda email: landlords.get(email),
    )

    planned: list[_Planned] = []
    seen: dict[str, int] = {}
    for row in track(progress, rows, _("Checking")):
        reference = reading.text_or_none(row.cells.get("reference"))
        current = existing.get(reference) if reference else None
        values, unreadable = to_values(row, current)
        messages = []
        if reference in seen:
            messages.append(reading.duplicate(reference, row.place, seen[reference]))
        elif reference:
            seen[reference] = row.number
        messages.extend(unreadable.values())
        messages.extend(
            _(
                "%(column)s: %(message)s",
                column=column_label(problem.field),
                message=problem.message,
            )
            if problem.field
            else problem.message
            for problem in management.problems(values, current, lookups, bounds)
            if problem.field not in unreadable
        )
        problems.extend(Problem(message, row.place, row.number) for message in messages)
        if messages:
            continue
        changed = current is None or bool(
            editing.changed_columns(current, management.target_columns(values, lookups))
        )
        planned.append(_Planned(row, values, current, changed))

    report.problems = reading.in_order(problems)
    if report.problems:
        return report
    report.created = sum(plan.existing is None for plan in planned)
    report.updated = sum(plan.existing is not None and plan.changed for plan in planned)
    report.unchanged = len(planned) - report.created - report.updated
    report.districts_created = sorted(district.name for district in districts.new.values())
    if dry_run or not report.changes:
        return report
    _write(actor, planned, districts, lookups, report, filename, progress)
    commit(
        ImportConflict(
            _("The premises changed while importing; nothing was imported. Run it again.")
        )
    )
    return report


def _write(
    actor: User | None,
    planned: list[_Planned],
    districts: _Districts,
    lookups: Lookups,
    report: PremisesImportReport,
    filename: str,
    progress: Progress | None,
) -> None:
    """Add the new districts and premises, the changes, and their audit events."""
    db.session.add_all(districts.new.values())
    db.session.flush()  # the new districts' ids
    created: list[tuple[Premises, dict[str, Any]]] = []
    for plan in track(progress, [plan for plan in planned if plan.changed], _("Writing")):
        columns = management.target_columns(plan.values, lookups)
        if plan.existing is None:
            created.append((management.new_premises(columns), columns))
        else:
            changes = editing.changed_columns(plan.existing, columns)
            management.apply_update(actor, plan.existing, changes)
    db.session.flush()  # the new premises' ids, for their audit events
    for premises, columns in created:
        management.record_created(actor, premises, columns)
    # Those who follow an area hear of its new vacant premises in their next digest.
    notifications.area_news(
        [premises for premises, _columns in created], NotificationKind.AREA_VACANT
    )
    reading.record_import(
        actor,
        "premises.imported",
        audit.PREMISES,
        report,
        filename,
        districts_created=report.districts_created,
    )
