"""Importing premises from a CSV or GeoJSON file: check every row, then write all or nothing.

CSV: UTF-8 (with or without a byte-order mark), comma- or semicolon-separated, the first line
naming the columns (any order, any case):

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
changes nothing records nothing. Like premises_management, nothing here commits: the caller commits
once when the report has no problems (and adds nothing to the session otherwise).
"""

import csv
import enum
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import District, Premises, Role, User
from wishboard.services import audit
from wishboard.services.premises import management
from wishboard.services.premises.management import Lookups, PremisesValues
from wishboard.services.progress import Progress, track

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
# How many references one query looks up.
CHUNK = 500


class Place(enum.StrEnum):
    """What a problem's number counts: a line of a CSV file or a feature of a GeoJSON file."""

    FILE = "file"
    LINE = "line"
    FEATURE = "feature"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file, with where it is."""

    message: str
    place: Place = Place.FILE
    number: int | None = None

    def __str__(self) -> str:
        if self.place is Place.LINE:
            return _("line %(number)d: %(message)s", number=self.number, message=self.message)
        if self.place is Place.FEATURE:
            return _("feature %(number)d: %(message)s", number=self.number, message=self.message)
        return self.message


@dataclass
class ImportReport:
    """What an import did, or would do (dry run): counts, and every problem of the file."""

    format: str | None = None
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    districts_created: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file has no problem (and so was, or may be, imported)."""
        return not self.problems

    @property
    def changes(self) -> bool:
        """True when the import writes (or would write) something."""
        return bool(self.created or self.updated or self.districts_created)

    def summary(self) -> str:
        """The counts in one sentence."""
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
        )


@dataclass(frozen=True)
class RawRow:
    """One row or feature as read from the file: its cells by column, and where it is."""

    place: Place
    number: int
    cells: dict[str, Any]


class FileProblem(Exception):
    """The file cannot be read at all; the message says why."""


# Reading the file


def _looks_binary(data: bytes) -> bool:
    """True for a file that is no text at all (an image, a spreadsheet, an archive)."""
    head = data[:1024]
    if b"\x00" in head:
        return True
    controls = sum(byte < 9 or 13 < byte < 32 for byte in head)
    return bool(head) and controls / len(head) > 0.1


def decode(data: bytes) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped); FileProblem otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if _looks_binary(data):
            raise FileProblem(not_a_premises_file()) from None
        line = data[: error.start].count(b"\n") + 1
        raise FileProblem(
            _(
                "The file is not in UTF-8: line %(line)d holds a character in another encoding."
                " Save the file as UTF-8 (in a spreadsheet: “CSV UTF-8”) and try again.",
                line=line,
            )
        ) from None
    if "\x00" in text:
        raise FileProblem(not_a_premises_file())
    return text


def not_a_premises_file() -> str:
    """The message for a file that is neither CSV nor GeoJSON."""
    return _("This file is not a CSV or GeoJSON file of premises.")


def detect_format(filename: str, text: str) -> str:
    """ "geojson" or "csv", from the content first (JSON starts with "{"), then the name."""
    if text.lstrip().startswith(("{", "[")):
        return "geojson"
    if PurePath(filename).suffix.lower() in (".geojson", ".json"):
        return "geojson"
    return "csv"


def _delimiter(header: str) -> str:
    """The separator the header line uses most: comma, semicolon or tab."""
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_csv(text: str) -> tuple[list[RawRow], list[Problem]]:
    """The rows of a CSV text by column name, or the problems of its header and shape."""
    first_line = text.split("\n", 1)[0]
    if not text.strip():
        return [], [Problem(_("The file is empty."))]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except csv.Error as error:
        return [], [
            Problem(_("This line cannot be read as CSV (%(error)s).", error=error), Place.LINE, 1)
        ]
    names = [name.strip().lower() for name in header]
    problems = _header_problems(names)
    if problems:
        return [], problems

    rows: list[RawRow] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(
                Problem(
                    _("This line cannot be read as CSV (%(error)s).", error=error),
                    Place.LINE,
                    line,
                )
            )
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of a file, are no premises
        if len(cells) != len(names):
            problems.append(
                Problem(
                    _(
                        "%(found)d values, but the first line names %(expected)d columns"
                        " (is there a separator inside a value without quotes?).",
                        found=len(cells),
                        expected=len(names),
                    ),
                    Place.LINE,
                    start,
                )
            )
            continue
        rows.append(RawRow(Place.LINE, start, dict(zip(names, cells, strict=True))))
    return rows, problems


def _header_problems(names: list[str]) -> list[Problem]:
    """What is wrong with the column names of the first line."""
    problems = []
    expected = ", ".join(COLUMNS)
    unknown = [name for name in names if name not in COLUMNS]
    for name in unknown:
        problems.append(
            Problem(
                _(
                    "unknown column “%(name)s”; the columns are: %(expected)s.",
                    name=name,
                    expected=expected,
                ),
                Place.LINE,
                1,
            )
        )
    repeated = sorted({name for name in names if names.count(name) > 1 and name})
    for name in repeated:
        problems.append(
            Problem(_("the column “%(name)s” appears twice.", name=name), Place.LINE, 1)
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.append(
            Problem(
                ngettext(
                    "the required column %(names)s is missing.",
                    "the required columns %(names)s are missing.",
                    len(missing),
                    names=", ".join(missing),
                ),
                Place.LINE,
                1,
            )
        )
    return problems


def geojson_features(text: str) -> tuple[list[tuple[int, dict, dict]], list[Problem]]:
    """The features of a GeoJSON FeatureCollection as (number, feature, properties), or problems.

    Shared by the premises and the shops imports: a feature that is not one, or whose properties
    are not an object, is a problem with its number; the others are for the caller to read.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [
            Problem(
                _(
                    "The file is not valid JSON (line %(line)d, column %(column)d).",
                    line=error.lineno,
                    column=error.colno,
                )
            )
        ]
    except (ValueError, RecursionError):  # a number of thousands of digits, nesting too deep
        return [], [Problem(_("The file is JSON, but not a GeoJSON FeatureCollection."))]
    features = document.get("features") if isinstance(document, dict) else None
    if document_type(document) != "FeatureCollection" or not isinstance(features, list):
        return [], [Problem(_("The file is JSON, but not a GeoJSON FeatureCollection."))]
    if not features:
        return [], [Problem(_("The file has no feature."))]

    found, problems = [], []
    for number, feature in enumerate(features, start=1):
        if document_type(feature) != "Feature":
            problems.append(Problem(_("this is not a GeoJSON Feature."), Place.FEATURE, number))
            continue
        properties = feature.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            problems.append(
                Problem(_("its properties must be a JSON object."), Place.FEATURE, number)
            )
            continue
        found.append((number, feature, properties))
    return found, problems


def read_geojson(text: str) -> tuple[list[RawRow], list[Problem]]:
    """The features of a GeoJSON text as rows (position from the geometry), or its problems."""
    features, problems = geojson_features(text)
    rows = []
    for number, feature, properties in features:
        position = _point(feature.get("geometry"))
        if position is None:
            problems.append(
                Problem(
                    _(
                        "its geometry must be a Point with a longitude and a latitude,"
                        " such as [2.3890, 48.8765]."
                    ),
                    Place.FEATURE,
                    number,
                )
            )
            continue
        cells = {name: properties[name] for name in PROPERTIES if name in properties}
        cells["longitude"], cells["latitude"] = position
        rows.append(RawRow(Place.FEATURE, number, cells))
    return rows, problems


def document_type(value: Any) -> str | None:
    """The GeoJSON "type" of a JSON value, if it is an object that has one."""
    return value.get("type") if isinstance(value, dict) else None


def _point(geometry: Any) -> tuple[float, float] | None:
    """(longitude, latitude) of a GeoJSON Point, or None when it is not one."""
    if document_type(geometry) != "Point":
        return None
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        return None
    if not all(_is_number(value) for value in coordinates):
        return None
    try:
        longitude, latitude = float(coordinates[0]), float(coordinates[1])
    except OverflowError:  # a whole number too large for a float
        return None
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        return None
    return longitude, latitude


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# From cells to values


def _text(value: Any) -> str | None:
    """A cell as text: strings stripped, whole numbers as digits (GeoJSON postcodes)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError


def _float(value: Any) -> float:
    """A decimal number; a comma as the decimal separator is accepted ("48,8765")."""
    if _is_number(value):
        return float(value)
    text = str(value).strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError
    return number


def _whole(value: Any) -> int:
    """A whole number (60, "60", 60.0)."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    number = _float(value)
    if not number.is_integer():
        raise ValueError
    return int(number)


def column_label(name: str) -> str:
    """A column's name as shown in messages, between the quotation marks of the language."""
    return _("“%(name)s”", name=name)


def to_values(row: RawRow, existing: Premises | None) -> tuple[PremisesValues, dict[str, str]]:
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
            if _text_or_number(raw) is None:
                value = None
            elif name in ("latitude", "longitude"):
                value = _float(raw)
            elif name == "surface_m2":
                value = _whole(raw)
            else:
                value = _text(raw)
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


def _text_or_number(value: Any) -> Any:
    """None for an empty cell, the value otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


# Checking and writing


@dataclass
class _Planned:
    """A valid row and what importing it does."""

    row: RawRow
    values: PremisesValues
    existing: Premises | None
    changed: bool


def _existing_by_reference(references: list[str]) -> dict[str, Premises]:
    """The premises already holding these references, a few hundred per query."""
    found: dict[str, Premises] = {}
    for start in range(0, len(references), CHUNK):
        chunk = references[start : start + CHUNK]
        query = (
            select(Premises)
            .where(Premises.reference.in_(chunk))
            .options(joinedload(Premises.district))
        )
        found.update((premises.reference, premises) for premises in db.session.scalars(query))
    return found


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


def _where(row: RawRow, message: str) -> Problem:
    return Problem(message, row.place, row.number)


def read(data: bytes, filename: str = "") -> tuple[str | None, list[RawRow], list[Problem]]:
    """The format and rows of a file, or why it cannot be read."""
    try:
        text = decode(data)
    except FileProblem as error:
        return None, [], [Problem(str(error))]
    kind = detect_format(filename, text)
    rows, problems = read_geojson(text) if kind == "geojson" else read_csv(text)
    return kind, rows, problems


def import_premises(
    actor: User | None,
    data: bytes,
    filename: str = "",
    *,
    dry_run: bool = False,
    create_districts: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row of a premises file; with no problem (and no dry run), upsert them all.

    Returns the report: counts, and every problem with its line or feature number. With any
    problem, or with `dry_run`, nothing is added to the session. The caller commits.
    `create_districts` makes districts the file names but the town lacks (else a problem).
    """
    kind, rows, problems = read(data, filename)
    report = ImportReport(format=kind, dry_run=dry_run, problems=problems)
    if kind is None or (problems and not rows):
        return report
    unreadable_rows = {problem.number for problem in problems if problem.place is not Place.FILE}
    report.rows = len(rows) + len(unreadable_rows)

    references = {_text_safely(row.cells.get("reference")) for row in rows} - {None}
    existing = _existing_by_reference(sorted(references))
    districts = _Districts(create_districts)
    landlords = _landlords()
    lookups = Lookups(
        district=districts.find,
        reference_owner=lambda reference: existing[reference].id if reference in existing else None,
        landlord=lambda email: landlords.get(email),
    )
    bounds = management.map_bounds()

    planned: list[_Planned] = []
    seen: dict[str, int] = {}
    for row in track(progress, rows, _("Checking")):
        reference = _text_safely(row.cells.get("reference"))
        current = existing.get(reference) if reference else None
        values, unreadable = to_values(row, current)
        messages = []
        if reference in seen:
            messages.append(_duplicate(reference, row.place, seen[reference]))
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
        problems.extend(_where(row, message) for message in messages)
        if messages:
            continue
        changed = current is None or bool(
            management.changed_columns(current, management.target_columns(values, lookups))
        )
        planned.append(_Planned(row, values, current, changed))

    report.problems = sorted(problems, key=_order)
    if report.problems:
        return report
    report.created = sum(plan.existing is None for plan in planned)
    report.updated = sum(plan.existing is not None and plan.changed for plan in planned)
    report.unchanged = len(planned) - report.created - report.updated
    report.districts_created = sorted(district.name for district in districts.new.values())
    if dry_run or not report.changes:
        return report
    _write(actor, planned, districts, lookups, report, filename, progress)
    return report


def _duplicate(reference: str, place: Place, first: int) -> str:
    """The problem of a reference that an earlier row of the file already holds."""
    if place is Place.LINE:
        return _(
            "the reference “%(reference)s” is already on line %(number)d.",
            reference=reference,
            number=first,
        )
    return _(
        "the reference “%(reference)s” is already in feature %(number)d.",
        reference=reference,
        number=first,
    )


def _text_safely(value: Any) -> str | None:
    try:
        return _text(value)
    except ValueError:
        return None


def _order(problem: Problem) -> tuple[int, int]:
    # File-level problems first, then by line or feature, keeping each row's own order.
    return (0 if problem.place is Place.FILE else 1, problem.number or 0)


def _write(
    actor: User | None,
    planned: list[_Planned],
    districts: _Districts,
    lookups: Lookups,
    report: ImportReport,
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
            changes = management.changed_columns(plan.existing, columns)
            management.apply_update(actor, plan.existing, changes)
    db.session.flush()  # the new premises' ids, for their audit events
    for premises, columns in created:
        management.record_created(actor, premises, columns)
    audit.record(
        actor,
        "premises.imported",
        audit.PREMISES,
        None,
        after={
            "file": PurePath(filename).name or None,
            "format": report.format,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "districts_created": report.districts_created,
        },
    )
