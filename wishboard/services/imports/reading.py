"""What every import shares: reading the file, reporting its problems, and recording the import.

An import (`premises.py`, `shops.py`) says only what is its own: its columns, how a row becomes
values, and how they are written. This module reads a file the same way for both:

- the bytes must be UTF-8 text (a byte-order mark is dropped); a binary file or another encoding is
  refused with one problem that says how to fix it;
- a text starting with "{" or "[", or named .geojson / .json, is GeoJSON, anything else CSV;
- CSV: the separator is the one the first line uses most (comma, semicolon or tab); that line names
  the columns (any order, any case); blank lines are skipped; lines count from the header (line 1);
- GeoJSON: a FeatureCollection, its features counted from 1.

Every problem is a `Problem` with where it is (the file, a line, a feature); problems are listed
file first, then by line or feature. Reading raises nothing: what cannot be read is a problem.
"""

import csv
import enum
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from wishboard.extensions import db
from wishboard.models import User
from wishboard.services import audit
from wishboard.services.errors import DomainError
from wishboard.services.geometry import centroid

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


def in_order(problems: list[Problem]) -> list[Problem]:
    """File-level problems first, then by line or feature, keeping each row's own order."""
    return sorted(
        problems, key=lambda problem: (problem.place is not Place.FILE, problem.number or 0)
    )


class ImportConflict(DomainError):
    """Another change took a reference while the file was written: nothing was imported."""


@dataclass
class ImportReport:
    """What an import did, or would do (dry run): counts, and every problem of the file."""

    format: str | None = None
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file has no problem (and so was, or may be, imported)."""
        return not self.problems

    def summary(self) -> str:
        """The counts in one sentence."""
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
        )

    def messages(self) -> list[object]:
        """What to tell the person before the result: the problems (an import may add notes)."""
        return list(self.problems)

    def details(self) -> list[str]:
        """What to tell the person after a successful check, besides the counts."""
        return []


@dataclass(frozen=True)
class Row:
    """One CSV line or GeoJSON feature as read: its cells by column, and where it is."""

    place: Place
    number: int
    cells: dict[str, Any]


@dataclass(frozen=True)
class Feature:
    """One GeoJSON feature that is one, with its number and its properties (an object)."""

    number: int
    feature: dict[str, Any]
    properties: dict[str, Any]


# The file


def _looks_binary(data: bytes) -> bool:
    """True for a file that is no text at all (an image, a spreadsheet, an archive)."""
    head = data[:1024]
    if b"\x00" in head:
        return True
    controls = sum(byte < 9 or 13 < byte < 32 for byte in head)
    return bool(head) and controls / len(head) > 0.1


def decode(data: bytes, not_this_file: str) -> str | Problem:
    """The text of a UTF-8 file, or the problem that stops reading it.

    `not_this_file` is the import's message for a file that is no text at all.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if _looks_binary(data):
            return Problem(not_this_file)
        line = data[: error.start].count(b"\n") + 1
        return Problem(
            _(
                "The file is not in UTF-8: line %(line)d holds a character in another encoding."
                " Save the file as UTF-8 (in a spreadsheet: “CSV UTF-8”) and try again.",
                line=line,
            )
        )
    return Problem(not_this_file) if "\x00" in text else text


def detect_format(filename: str, text: str) -> str:
    """ "geojson" or "csv", from the content first (JSON starts with "{"), then the name."""
    if text.lstrip().startswith(("{", "[")):
        return "geojson"
    if PurePath(filename).suffix.lower() in (".geojson", ".json"):
        return "geojson"
    return "csv"


# CSV


def _delimiter(header: str) -> str:
    """The separator the header line uses most: comma, semicolon or tab."""
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _unreadable_line(error: csv.Error, line: int) -> Problem:
    return Problem(_("This line cannot be read as CSV (%(error)s).", error=error), Place.LINE, line)


def read_csv(
    text: str, columns: Sequence[str], required: Sequence[str]
) -> tuple[list[Row], list[Problem]]:
    """The rows of a CSV text by column name, or the problems of its header and lines."""
    if not text.strip():
        return [], [Problem(_("The file is empty."))]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n")[0]))
    try:
        header = next(reader)
    except csv.Error as error:
        return [], [_unreadable_line(error, 1)]
    names = [name.strip().lower() for name in header]
    problems = _header_problems(names, columns, required)
    if problems:
        return [], problems

    rows: list[Row] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(_unreadable_line(error, line))
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of a file, are no rows
        if len(cells) != len(names):
            message = _(
                "%(found)d values, but the first line names %(expected)d columns"
                " (is there a separator inside a value without quotes?).",
                found=len(cells),
                expected=len(names),
            )
            problems.append(Problem(message, Place.LINE, start))
            continue
        rows.append(Row(Place.LINE, start, dict(zip(names, cells, strict=True))))
    return rows, problems


def _header_problems(
    names: list[str], columns: Sequence[str], required: Sequence[str]
) -> list[Problem]:
    """What is wrong with the column names of the first line."""
    problems = []
    for name in names:
        if name not in columns:
            message = _(
                "unknown column “%(name)s”; the columns are: %(expected)s.",
                name=name,
                expected=", ".join(columns),
            )
            problems.append(Problem(message, Place.LINE, 1))
    for name in sorted({name for name in names if names.count(name) > 1 and name}):
        problems.append(
            Problem(_("the column “%(name)s” appears twice.", name=name), Place.LINE, 1)
        )
    missing = [name for name in required if name not in names]
    if missing:
        message = ngettext(
            "the required column %(names)s is missing.",
            "the required columns %(names)s are missing.",
            len(missing),
            names=", ".join(missing),
        )
        problems.append(Problem(message, Place.LINE, 1))
    return problems


# GeoJSON


def document_type(value: Any) -> str | None:
    """The GeoJSON "type" of a JSON value, if it is an object that has one."""
    return value.get("type") if isinstance(value, dict) else None


def geojson_features(text: str) -> tuple[list[Feature], list[Problem]]:
    """The features of a GeoJSON FeatureCollection, or its problems.

    A feature that is not one, or whose properties are not an object, is a problem with its
    number; the others are for the import to read.
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
        found.append(Feature(number, feature, properties))
    return found, problems


def _json_number(value: Any) -> float | None:
    """A finite float from a JSON number, or None."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # a whole number too large for a float
        return None
    return number if math.isfinite(number) else None


def _pair(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return None
    longitude, latitude = _json_number(value[0]), _json_number(value[1])
    if longitude is None or latitude is None:
        return None
    return longitude, latitude


def _ring(value: Any) -> list[tuple[float, float]] | None:
    if not isinstance(value, list) or len(value) < 3:
        return None
    points = [_pair(point) for point in value]
    if any(point is None for point in points):
        return None
    return points  # type: ignore[return-value]


def position(geometry: Any, polygons: bool = False) -> tuple[float, float] | None:
    """(longitude, latitude) of a GeoJSON Point, or None when it is not one.

    With `polygons`, a (Multi)Polygon gives its centroid (that of its largest part).
    """
    kind = document_type(geometry)
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Point":
        return _pair(coordinates)
    if not polygons:
        return None
    if kind == "Polygon":
        parts = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list):
        parts = coordinates
    else:
        return None
    centres = []
    for polygon in parts:
        ring = _ring(polygon[0]) if isinstance(polygon, list) and polygon else None
        centre = centroid(ring) if ring else None
        if centre is None:
            return None
        centres.append(centre)
    if not centres:
        return None
    longitude, latitude, _area = max(centres, key=lambda centre: centre[2])
    return longitude, latitude


# Cells


def is_number(value: Any) -> bool:
    """True for a JSON number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_empty(value: Any) -> bool:
    """True for a missing or blank cell."""
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str | None:
    """A cell as text: strings stripped, whole numbers as digits (GeoJSON postcodes).

    None for an empty cell; ValueError for anything else (a list, an object, a boolean).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError


def text_or_none(value: Any) -> str | None:
    """A cell as text, or None when it is empty or cannot be text."""
    try:
        return text(value)
    except ValueError:
        return None


def decimal(value: Any) -> float | None:
    """A decimal number ("48,8765" accepted), None when empty; ValueError when not a number."""
    number = _json_number(value)
    if number is not None:
        return number
    if isinstance(value, str):
        cell = value.strip()
        if not cell:
            return None
        if "," in cell and "." not in cell:
            cell = cell.replace(",", ".")
        number = float(cell)
        if math.isfinite(number):
            return number
    raise ValueError


def whole(value: Any) -> int | None:
    """A whole number (60, "60", 60.0), None when empty; ValueError when not one."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    number = decimal(value)
    if number is not None and not number.is_integer():
        raise ValueError
    return None if number is None else int(number)


def column_label(name: str) -> str:
    """A column's name as shown in messages, between the quotation marks of the language."""
    return _("“%(name)s”", name=name)


def duplicate(reference: str, place: Place, first: int) -> str:
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


# The database


def existing_by_reference(model: Any, references: list[str], *options: Any) -> dict[str, Any]:
    """The rows of `model` already holding these references, a few hundred per query."""
    found: dict[str, Any] = {}
    for start in range(0, len(references), CHUNK):
        query = select(model).where(model.reference.in_(references[start : start + CHUNK]))
        found.update((row.reference, row) for row in db.session.scalars(query.options(*options)))
    return found


def record_import(
    actor: User | None,
    action: str,
    target: str,
    report: ImportReport,
    filename: str,
    **counts: Any,
) -> None:
    """The one audit event of an import: its file, format and counts (and the import's own)."""
    audit.record(
        actor,
        action,
        target,
        None,
        after={
            "file": PurePath(filename).name or None,
            "format": report.format,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            **counts,
        },
    )
