"""Importing open shops from a CSV file or an OpenStreetMap GeoJSON extract, all or nothing.

CSV: UTF-8 (with or without a byte-order mark), comma-, semicolon- or tab-separated, the first
line naming the columns (any order, any case):

    reference,name,shop_type,address,postcode,city,district,latitude,longitude,
    phone,email,website,social_url,opening_hours

`reference`, `name`, `shop_type`, `latitude` and `longitude` are required. `shop_type` is one of
our codes (`shop=bakery`) or an OpenStreetMap tag of the alias table (`wishboard/data/
osm_aliases.csv`, e.g. `shop=alcohol` → `shop=wine`).

GeoJSON: a FeatureCollection as Overpass (overpass-turbo's export, osmtogeojson) writes it: tags
in `properties` (or in `properties.tags`), the reference from the feature's `id` or `@id`
("node/123" → "osm:node/123"), a Point geometry, or a (Multi)Polygon whose centroid is taken.
Tags read: the type from `shop`, `amenity`, `craft`, `office`, `healthcare`, `leisure` (the first
that maps to one of our types); `name`; `addr:housenumber` + `addr:street` (else `addr:full`,
`addr:place`); `addr:postcode`; `addr:city`; the district from `addr:suburb`, `addr:quarter`,
`addr:neighbourhood` or `addr:district`; `phone`/`contact:phone`; `email`/`contact:email`;
`website`/`contact:website`/`url`; `contact:facebook`/`contact:instagram` (a bare account name
becomes its address); `opening_hours`. A tag holding several values ("a;b") gives its first.

Rows whose type is not one of ours (`amenity=bench`, `shop=erotic`, no type tag at all) are
skipped and listed by tag with their numbers; they never stop an import. Any other problem (no
name, no usable position, a position outside WISHBOARD_MAP_BOUNDS, a value too long or not a web
address, a repeated reference) stops it: nothing is written and every problem is listed with its
line or feature number, like the premises import. With `skip_invalid` the good rows are imported
and the bad ones listed. Either way the import is one transaction: the caller commits once.

Shops are matched by reference: a new one is created, a known one updated where it differs.
Something the file does not say (a column left out, a tag a feature lacks) leaves the shop's value
as it is; an empty CSV cell clears an optional value (address, city and district are kept). The
presence columns are never lowered: a website in the file sets `has_website` to yes, a social
address sets `has_social` to yes, and nothing else touches them. A website without a scheme
gets `https://`; any scheme other than http(s) (`javascript:`, `mailto:`…) is refused.

District: the one the file names when the town has a district of that name (any case); else a
shop that already has one keeps it; else the district of the nearest premises (any distance,
any status); else none. A new shop without a city takes the nearest premises' city.

An import that writes records one "shop.imported" audit event with its counts (not one event
per shop).
"""

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import PurePath
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from wishboard.extensions import db
from wishboard.models import District, Premises, Presence, Shop, ShopType, User
from wishboard.services import audit
from wishboard.services.demand.area import METRES_PER_DEGREE, distance_m
from wishboard.services.imports.premises import (
    Place,
    Problem,
    column_label,
    document_type,
    geojson_features,
)
from wishboard.services.premises.management import map_bounds
from wishboard.services.progress import Progress, track
from wishboard.services.shops.directory import web_address

COLUMNS = (
    "reference",
    "name",
    "shop_type",
    "address",
    "postcode",
    "city",
    "district",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "social_url",
    "opening_hours",
)
REQUIRED_COLUMNS = ("reference", "name", "shop_type", "latitude", "longitude")
# The longest value each text column of `shops` holds.
LIMITS = {
    "reference": 64,
    "name": 160,
    "address": 200,
    "postcode": 10,
    "city": 80,
    "phone": 40,
    "email": 254,
    "website": 500,
    "social_url": 500,
    "opening_hours": 255,
}
# The OSM keys that say what a feature is, most telling first: a pharmacy tagged both
# amenity=pharmacy and healthcare=pharmacy maps through amenity.
TYPE_KEYS = ("shop", "amenity", "craft", "office", "healthcare", "leisure")
DISTRICT_TAGS = ("addr:suburb", "addr:quarter", "addr:neighbourhood", "addr:district")
# Tags read for a column, first found wins.
TAGS = {
    "name": ("name",),
    "postcode": ("addr:postcode",),
    "city": ("addr:city",),
    "phone": ("phone", "contact:phone", "contact:mobile"),
    "email": ("email", "contact:email"),
    "website": ("website", "contact:website", "url"),
    "opening_hours": ("opening_hours",),
}
# Social tags, and the address a bare account name ("boulangerie.dupont") stands for.
SOCIAL_TAGS = (
    ("contact:facebook", "https://www.facebook.com/"),
    ("facebook", "https://www.facebook.com/"),
    ("contact:instagram", "https://www.instagram.com/"),
    ("instagram", "https://www.instagram.com/"),
)
# Columns kept when the file leaves them empty: the shop must have some address and city.
KEPT_WHEN_EMPTY = ("address", "city")
OPTIONAL = ("postcode", "phone", "email", "website", "social_url", "opening_hours")
CHUNK = 500
# An OSM element as Overpass names it.
OSM_ID = re.compile(r"(?:osm:)?(node|way|relation)/([0-9]+)")
ACCOUNT = re.compile(r"@?([\w.\-]+)")
SOCIAL_SITE = re.compile(r"(?:facebook|instagram|fb)\.", re.IGNORECASE)


@dataclass(frozen=True)
class Unmapped:
    """A type tag that is not one of our shop types, and the rows that carry it (skipped)."""

    tag: str  # "" for rows with no type tag at all
    place: Place
    numbers: tuple[int, ...]

    def __str__(self) -> str:
        numbers = ", ".join(str(number) for number in self.numbers)
        count = len(self.numbers)
        if not self.tag:
            return ngettext(
                "%(num)d feature has no shop, amenity or craft tag and was skipped (%(numbers)s).",
                "%(num)d features have no shop, amenity or craft tag and were skipped"
                " (%(numbers)s).",
                count,
                numbers=numbers,
            )
        if self.place is Place.LINE:
            return ngettext(
                "“%(tag)s” is not one of our shop types: %(num)d line skipped (%(numbers)s).",
                "“%(tag)s” is not one of our shop types: %(num)d lines skipped (%(numbers)s).",
                count,
                tag=self.tag,
                numbers=numbers,
            )
        return ngettext(
            "“%(tag)s” is not one of our shop types: %(num)d feature skipped (%(numbers)s).",
            "“%(tag)s” is not one of our shop types: %(num)d features skipped (%(numbers)s).",
            count,
            tag=self.tag,
            numbers=numbers,
        )


@dataclass
class ShopImportReport:
    """What an import did, or would do: counts, problems, notes and the skipped type tags."""

    format: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    readable: bool = True
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the import went (or may go) ahead: no problem, or bad rows left out."""
        return self.readable and (not self.problems or self.skip_invalid)

    @property
    def skipped(self) -> int:
        """How many rows were skipped because their type is not one of ours."""
        return sum(len(item.numbers) for item in self.unmapped)

    def summary(self) -> str:
        """The counts in one sentence."""
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
        )


@dataclass(frozen=True)
class RawShop:
    """One row or feature as read: its cells by column, its candidate type tags, where it is."""

    place: Place
    number: int
    cells: dict[str, Any]
    tags: tuple[str, ...] = ()
    # A feature whose geometry gives no position (CSV rows carry theirs in cells).
    no_position: bool = False


# Reading the file


def _looks_binary(data: bytes) -> bool:
    """True for a file that is no text at all (an image, a spreadsheet, an archive)."""
    head = data[:1024]
    if b"\x00" in head:
        return True
    controls = sum(byte < 9 or 13 < byte < 32 for byte in head)
    return bool(head) and controls / len(head) > 0.1


def _decode(data: bytes) -> str | Problem:
    """The text of a UTF-8 file (a byte-order mark dropped), or the problem that stops reading."""
    not_shops = Problem(_("This file is not a CSV or GeoJSON file of shops."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if _looks_binary(data):
            return not_shops
        line = data[: error.start].count(b"\n") + 1
        return Problem(
            _(
                "The file is not in UTF-8: line %(line)d holds a character in another encoding."
                " Save the file as UTF-8 (in a spreadsheet: “CSV UTF-8”) and try again.",
                line=line,
            )
        )
    return not_shops if "\x00" in text else text


def read(data: bytes, filename: str = "") -> tuple[str | None, list[RawShop], list[Problem]]:
    """The format ("csv" or "geojson") and rows of a file, or why it cannot be read."""
    text = _decode(data)
    if isinstance(text, Problem):
        return None, [], [text]
    if text.lstrip().startswith(("{", "[")) or PurePath(filename).suffix.lower() in (
        ".geojson",
        ".json",
    ):
        return "geojson", *read_geojson(text)
    return "csv", *read_csv(text)


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_csv(text: str) -> tuple[list[RawShop], list[Problem]]:
    """The rows of a CSV text by column name, or the problems of its header and lines."""
    if not text.strip():
        return [], [Problem(_("The file is empty."))]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n")[0]))
    try:
        header = next(reader)
    except csv.Error as error:
        return [], [_unreadable_line(error, 1)]
    names = [name.strip().lower() for name in header]
    problems = _header_problems(names)
    if problems:
        return [], problems

    rows: list[RawShop] = []
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
            continue  # blank lines, often at the end of a file, are no shops
        if len(cells) != len(names):
            message = _(
                "%(found)d values, but the first line names %(expected)d columns"
                " (is there a separator inside a value without quotes?).",
                found=len(cells),
                expected=len(names),
            )
            problems.append(Problem(message, Place.LINE, start))
            continue
        values = dict(zip(names, cells, strict=True))
        tag = _normal_tag(values["shop_type"])
        rows.append(RawShop(Place.LINE, start, values, (tag,) if tag else ()))
    if not rows and not problems:
        problems.append(Problem(_("The file has no shop after its first line.")))
    return rows, problems


def _unreadable_line(error: csv.Error, line: int) -> Problem:
    return Problem(_("This line cannot be read as CSV (%(error)s).", error=error), Place.LINE, line)


def _header_problems(names: list[str]) -> list[Problem]:
    """What is wrong with the column names of the first line."""
    problems = []
    for name in names:
        if name not in COLUMNS:
            message = _(
                "unknown column “%(name)s”; the columns are: %(expected)s.",
                name=name,
                expected=", ".join(COLUMNS),
            )
            problems.append(Problem(message, Place.LINE, 1))
    for name in sorted({name for name in names if names.count(name) > 1 and name}):
        problems.append(
            Problem(_("the column “%(name)s” appears twice.", name=name), Place.LINE, 1)
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        message = ngettext(
            "the required column %(names)s is missing.",
            "the required columns %(names)s are missing.",
            len(missing),
            names=", ".join(missing),
        )
        problems.append(Problem(message, Place.LINE, 1))
    return problems


def read_geojson(text: str) -> tuple[list[RawShop], list[Problem]]:
    """The features of a GeoJSON text as rows of our columns, or its problems."""
    features, problems = geojson_features(text)
    rows = [_feature_row(number, feature, properties) for number, feature, properties in features]
    return rows, problems


def _feature_row(number: int, feature: dict[str, Any], properties: dict[str, Any]) -> RawShop:
    """A feature's tags as our columns."""
    tags = dict(properties)
    if isinstance(properties.get("tags"), dict):  # osmtogeojson's older layout
        tags.update(properties["tags"])
    cells: dict[str, Any] = {}
    reference = _osm_reference(feature, properties)
    if reference is not None:
        cells["reference"] = reference
    for column, keys in TAGS.items():
        value = _first_tag(tags, keys)
        if value is not None:
            cells[column] = value
    address = _address(tags)
    if address is not None:
        cells["address"] = address
    district = _first_tag(tags, DISTRICT_TAGS)
    if district is not None:
        cells["district"] = district
    social = _social(tags)
    if social is not None:
        cells["social_url"] = social
    position = _position(feature.get("geometry"))
    if position is not None:
        cells["longitude"], cells["latitude"] = position
    candidates = []
    for key in TYPE_KEYS:
        value = _first_value(tags.get(key))
        if isinstance(value, str) and value.strip():
            candidates.append(_normal_tag(f"{key}={value}"))
    return RawShop(Place.FEATURE, number, cells, tuple(candidates), no_position=position is None)


def _first_value(value: Any) -> Any:
    """The first of an OSM tag's values ("bakery;pastry" → "bakery")."""
    if isinstance(value, str) and ";" in value:
        return value.split(";", 1)[0].strip()
    return value


def _first_tag(tags: dict[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = _first_value(tags.get(key))
        if value is not None and value != "":
            return value
    return None


def _address(tags: dict[str, Any]) -> Any:
    """ "12 rue de Belleville" from addr:housenumber and addr:street, else a whole-address tag."""
    number, street = tags.get("addr:housenumber"), tags.get("addr:street")
    if isinstance(street, str) and street.strip():
        if isinstance(number, str | int) and not isinstance(number, bool) and str(number).strip():
            return f"{str(number).strip()} {street.strip()}"
        return street
    return _first_tag(tags, ("addr:full", "addr:place"))


def _social(tags: dict[str, Any]) -> Any:
    """The first social address, a bare account name made into the site's address."""
    for key, prefix in SOCIAL_TAGS:
        value = _first_value(tags.get(key))
        if isinstance(value, str) and value.strip():
            account = ACCOUNT.fullmatch(value.strip())
            if account and not SOCIAL_SITE.search(value):
                return prefix + account.group(1)
            return value
        if value is not None and value != "":
            return value  # not text: refused when checked
    return None


def _osm_reference(feature: dict[str, Any], properties: dict[str, Any]) -> str | None:
    """ "osm:node/123" from the feature's id, its @id, or (type, id) properties."""
    for value in (feature.get("id"), properties.get("@id"), properties.get("id")):
        if isinstance(value, str):
            match = OSM_ID.fullmatch(value.strip())
            if match:
                return f"osm:{match.group(1)}/{match.group(2)}"
    for kind_key, id_key in (("type", "id"), ("osm_type", "osm_id"), ("@type", "@id")):
        kind, number = properties.get(kind_key), properties.get(id_key)
        if kind in ("node", "way", "relation") and _whole_number(number):
            return f"osm:{kind}/{int(number)}"
    reference = properties.get("reference")
    if isinstance(reference, str) and reference.strip():
        return reference.strip()
    return None


def _whole_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.isascii() and value.isdigit()


def _normal_tag(value: str) -> str:
    """A tag as our codes write it: "Shop = Bakery " → "shop=bakery"."""
    key, equals, tag_value = value.strip().partition("=")
    if not equals:
        return value.strip().lower()
    return f"{key.strip().lower()}={tag_value.strip().lower()}"


# Positions


def _number(value: Any) -> float | None:
    """A finite float from a JSON number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _pair(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return None
    longitude, latitude = _number(value[0]), _number(value[1])
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


def _centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float] | None:
    """(longitude, latitude, area) of a ring; flat coordinates are close enough for a building."""
    area = x = y = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        x += (x0 + x1) * cross
        y += (y0 + y1) * cross
    if area and math.isfinite(area) and math.isfinite(x) and math.isfinite(y):
        centre = (x / (3 * area), y / (3 * area), abs(area) / 2)
    else:  # a degenerate ring (all points on a line): the mean of its points
        centre = (
            sum(point[0] for point in ring) / len(ring),
            sum(point[1] for point in ring) / len(ring),
            0.0,
        )
    return centre if all(math.isfinite(value) for value in centre) else None


def _position(geometry: Any) -> tuple[float, float] | None:
    """(longitude, latitude) of a Point, or of a (Multi)Polygon's centroid (its largest part)."""
    kind = document_type(geometry)
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Point":
        return _pair(coordinates)
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list):
        polygons = coordinates
    else:
        return None
    centres = []
    for polygon in polygons:
        ring = _ring(polygon[0]) if isinstance(polygon, list) and polygon else None
        centre = _centroid(ring) if ring else None
        if centre is None:
            return None
        centres.append(centre)
    if not centres:
        return None
    longitude, latitude, _area = max(centres, key=lambda centre: centre[2])
    return longitude, latitude


# Values


def _text(value: Any) -> str | None:
    """A cell as text on one line, whole numbers as digits; ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, str):
        # Line breaks and other control characters (a NUL, which PostgreSQL refuses) go.
        printable = "".join(char if char.isprintable() else " " for char in value)
        return " ".join(printable.split()) or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError


def _coordinate(value: Any) -> float | None:
    """A decimal number ("48,8765" accepted), None when empty; ValueError when not a number."""
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        number = float(text)
        if math.isfinite(number):
            return number
    raise ValueError


def _email(value: str) -> str | None:
    text = value.strip().removeprefix("mailto:")
    local, at, domain = text.partition("@")
    if not at or not local or "." not in domain or any(char.isspace() for char in text):
        return None
    return text


@dataclass
class _Checked:
    """A row's values ready to write, or its problems; and what is worth a note."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Town:
    """What rows are checked against: shop types, aliases, districts, premises, the bounds."""

    def __init__(self) -> None:
        self.types = {
            shop_type.code: shop_type for shop_type in db.session.scalars(select(ShopType))
        }
        self.aliases = {tag: code for tag, code in osm_aliases().items() if code in self.types}
        self.districts = {
            district.id: district for district in db.session.scalars(select(District))
        }
        self.district_names = {
            district.name.lower(): district for district in self.districts.values()
        }
        self.bounds = map_bounds()
        self._premises: _Grid | None = None

    def shop_type(self, tags: Sequence[str]) -> ShopType | None:
        """Our type for the first candidate tag that is one of our codes or has an alias."""
        for tag in tags:
            found = self.types.get(tag) or self.types.get(self.aliases.get(tag, ""))
            if found is not None:
                return found
        return None

    def nearest(self, latitude: float, longitude: float) -> tuple[District | None, str | None]:
        """The district and city of the premises nearest to a point (None, None without any)."""
        if self._premises is None:
            query = select(
                Premises.latitude, Premises.longitude, Premises.district_id, Premises.city
            )
            self._premises = _Grid([tuple(row) for row in db.session.execute(query)])
        best = self._premises.nearest(latitude, longitude)
        if best is None:
            return None, None
        return self.districts.get(best[2]) if best[2] is not None else None, best[3]

    def inside(self, latitude: float, longitude: float) -> bool:
        south, west, north, east = self.bounds
        return south <= latitude <= north and west <= longitude <= east


class _Grid:
    """Points (rows starting with latitude, longitude) in square cells, to find the nearest fast.

    Measuring the distance to every premises for every shop takes seconds for a city; the
    cells around a point hold the nearest one, and are searched outwards until no farther
    cell can hold a nearer one.
    """

    CELL_M = 250.0

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows
        middle = sum(row[0] for row in rows) / len(rows) if rows else 0.0
        self.x_scale = METRES_PER_DEGREE * math.cos(math.radians(middle)) / self.CELL_M
        self.y_scale = METRES_PER_DEGREE / self.CELL_M
        self.cells: dict[tuple[int, int], list[tuple[Any, ...]]] = {}
        for row in rows:
            self.cells.setdefault(self._cell(row[0], row[1]), []).append(row)
        xs, ys = [cell[0] for cell in self.cells], [cell[1] for cell in self.cells]
        self.extent = (
            min(xs, default=0),
            min(ys, default=0),
            max(xs, default=0),
            max(ys, default=0),
        )

    def _cell(self, latitude: float, longitude: float) -> tuple[int, int]:
        return math.floor(longitude * self.x_scale), math.floor(latitude * self.y_scale)

    def nearest(self, latitude: float, longitude: float) -> tuple[Any, ...] | None:
        """The row nearest to a point, or None without any."""
        if not self.rows:
            return None
        x, y = self._cell(latitude, longitude)
        west, south, east, north = self.extent
        reach = max(x - west, east - x, y - south, north - y)
        best, best_distance = None, math.inf
        for ring in range(reach + 1):
            for cell in _ring_cells(x, y, ring):
                for row in self.cells.get(cell, ()):
                    distance = distance_m(latitude, longitude, row[0], row[1])
                    if distance < best_distance:
                        best, best_distance = row, distance
            # Cells beyond this ring are at least `ring` cells away (less a margin for the
            # flat-map approximation of the cells).
            if best_distance < ring * self.CELL_M * 0.95:
                break
        return best


def _ring_cells(x: int, y: int, ring: int) -> Iterable[tuple[int, int]]:
    """The cells at exactly `ring` steps (in x or y) from cell (x, y)."""
    if ring == 0:
        yield x, y
        return
    for dx in range(-ring, ring + 1):
        yield x + dx, y - ring
        yield x + dx, y + ring
    for dy in range(-ring + 1, ring):
        yield x - ring, y + dy
        yield x + ring, y + dy


@cache
def osm_aliases() -> dict[str, str]:
    """The alias table: an OpenStreetMap tag → the code of our shop type it stands for."""
    with resources.files("wishboard.data").joinpath("osm_aliases.csv").open(encoding="utf-8") as f:
        return {row["tag"]: row["code"] for row in csv.DictReader(f)}


def _checked_texts(raw: RawShop, problems: list[str]) -> dict[str, str | None]:
    """The row's text cells cleaned (web addresses completed), with their problems added."""
    texts: dict[str, str | None] = {}
    unreadable = set()
    for name in LIMITS:
        if name not in raw.cells:
            continue
        try:
            text = _text(raw.cells[name])
        except ValueError:
            problems.append(_("%(column)s must be text.", column=column_label(name)))
            unreadable.add(name)
            continue
        texts[name] = text

    for name in ("reference", "name"):
        if texts.get(name) is None and name not in unreadable:
            if raw.place is Place.FEATURE and name == "reference":
                problems.append(_("it has no OpenStreetMap id (such as “node/123”)."))
            elif raw.place is Place.FEATURE:
                problems.append(_("it has no name."))
            else:
                problems.append(_("%(column)s is empty.", column=column_label(name)))

    for name in ("website", "social_url"):
        if texts.get(name) is not None:
            address = web_address(texts[name])
            if address is None:
                problems.append(
                    _(
                        "%(column)s: “%(value)s” is not a web address (http or https).",
                        column=column_label(name),
                        value=texts[name],
                    )
                )
            texts[name] = address
    if texts.get("email") is not None:
        email = _email(texts["email"])
        if email is None:
            problems.append(
                _(
                    "%(column)s: “%(value)s” is not an e-mail address.",
                    column=column_label("email"),
                    value=texts["email"],
                )
            )
        texts["email"] = email

    for name, text in texts.items():
        if text is not None and len(text) > LIMITS[name]:
            problems.append(
                _(
                    "%(column)s is too long (%(length)d characters, at most %(limit)d).",
                    column=column_label(name),
                    length=len(text),
                    limit=LIMITS[name],
                )
            )

    return texts


def _check(raw: RawShop, shop_type: ShopType, existing: Shop | None, town: _Town) -> _Checked:
    """The values to write for a row whose type is known, or its problems."""
    checked = _Checked()
    values, problems = checked.values, checked.problems
    values["shop_type_id"] = shop_type.id
    texts = _checked_texts(raw, problems)

    position = _checked_position(raw, problems)
    if position is not None and not town.inside(*position):
        problems.append(
            _(
                "its position (%(latitude)s, %(longitude)s) is outside the town's map.",
                latitude=f"{position[0]:.5f}",
                longitude=f"{position[1]:.5f}",
            )
        )
    if problems or position is None:
        return checked

    values["reference"], values["name"] = texts["reference"], texts["name"]
    values["latitude"], values["longitude"] = position
    for name in OPTIONAL:
        if name in texts:
            values[name] = texts[name]
    _place(values, texts, raw.cells, existing, town, checked)
    if values.get("website"):
        values["has_website"] = Presence.YES
    if values.get("social_url"):
        values["has_social"] = Presence.YES
    return checked


def _checked_position(raw: RawShop, problems: list[str]) -> tuple[float, float] | None:
    """(latitude, longitude) of a row, or None with the problem added."""
    if raw.no_position:
        problems.append(
            _(
                "its geometry must be a Point or a Polygon with longitudes and latitudes,"
                " such as [2.3890, 48.8765]."
            )
        )
        return None
    position = []
    for name in ("latitude", "longitude"):
        try:
            number = _coordinate(raw.cells.get(name))
        except (TypeError, ValueError):
            problems.append(
                _(
                    "%(column)s: “%(value)s” is not a decimal number.",
                    column=column_label(name),
                    value=raw.cells.get(name),
                )
            )
            continue
        if number is None:
            problems.append(_("%(column)s is empty.", column=column_label(name)))
            continue
        position.append(number)
    return (position[0], position[1]) if len(position) == 2 else None


def _place(
    values: dict[str, Any],
    texts: dict[str, str | None],
    cells: dict[str, Any],
    existing: Shop | None,
    town: _Town,
    checked: _Checked,
) -> None:
    """Address, city and district: the file's, else the shop's own, else the nearest premises'."""
    for name in KEPT_WHEN_EMPTY:
        if texts.get(name) is not None:
            values[name] = texts[name]
    district = None
    named = cells.get("district")
    if isinstance(named, str) and named.strip():
        district = town.district_names.get(named.strip().lower())
        if district is None:
            checked.notes.append(
                _(
                    "“%(name)s” is not one of the town's districts, so it was not used.",
                    name=named.strip(),
                )
            )
    elif named is not None and not isinstance(named, str):
        checked.notes.append(_("%(column)s must be text.", column=column_label("district")))
    if district is None and existing is not None and existing.district_id is not None:
        district = town.districts.get(existing.district_id)
    near_district, near_city = None, None
    if district is None or (existing is None and "city" not in values):
        near_district, near_city = town.nearest(values["latitude"], values["longitude"])
    district = district or near_district
    values["district_id"] = district.id if district is not None else None
    if existing is None:
        values.setdefault("address", "")
        values.setdefault("city", near_city or "")


# Checking and writing


@dataclass
class _Planned:
    """A valid row and what importing it does."""

    values: dict[str, Any]
    existing: Shop | None
    changes: dict[str, Any]


def _changes(existing: Shop | None, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the shop's (all of them for a new shop)."""
    if existing is None:
        return values
    return {name: value for name, value in values.items() if getattr(existing, name) != value}


def _existing_by_reference(references: list[str]) -> dict[str, Shop]:
    """The shops already holding these references, a few hundred per query."""
    found: dict[str, Shop] = {}
    for start in range(0, len(references), CHUNK):
        query = select(Shop).where(Shop.reference.in_(references[start : start + CHUNK]))
        found.update((shop.reference, shop) for shop in db.session.scalars(query))
    return found


def _duplicate(reference: str, place: Place, first: int) -> str:
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


def import_shops(
    actor: User | None,
    data: bytes,
    filename: str = "",
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ShopImportReport:
    """Check every row of a shops file, then upsert the good ones unless a problem stops it.

    Returns the report. Nothing is added to the session on a dry run, or when a problem stops the
    import (any problem, unless `skip_invalid`). The caller commits.
    """
    kind, rows, problems = read(data, filename)
    report = ShopImportReport(format=kind, dry_run=dry_run, skip_invalid=skip_invalid)
    report.problems = problems
    if kind is None or (problems and not rows):
        report.readable = False
        return report
    report.rows = len(rows) + len(problems)

    town = _Town()
    references = {_reference(row) for row in rows} - {None}
    existing = _existing_by_reference(sorted(references))

    planned: list[_Planned] = []
    unmapped: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    invalid = {problem.number for problem in problems}
    for row in track(progress, rows, _("Checking")):
        if row.place is Place.LINE and not row.tags:
            report.problems.append(
                Problem(
                    _("%(column)s is empty.", column=column_label("shop_type")),
                    row.place,
                    row.number,
                )
            )
            invalid.add(row.number)
            continue
        shop_type = town.shop_type(row.tags)
        if shop_type is None:
            unmapped.setdefault(row.tags[0] if row.tags else "", []).append(row.number)
            continue
        reference = _reference(row)
        current = existing.get(reference) if reference else None
        checked = _check(row, shop_type, current, town)
        if reference and reference in seen:
            checked.problems.insert(0, _duplicate(reference, row.place, seen[reference]))
        elif reference:
            seen[reference] = row.number
        report.problems.extend(
            Problem(message, row.place, row.number) for message in checked.problems
        )
        report.notes.extend(Problem(message, row.place, row.number) for message in checked.notes)
        if checked.problems:
            invalid.add(row.number)
            continue
        planned.append(_Planned(checked.values, current, _changes(current, checked.values)))

    report.problems.sort(key=_order)
    report.invalid_rows = len(invalid)
    report.unmapped = sorted(
        (Unmapped(tag, rows[0].place, tuple(numbers)) for tag, numbers in unmapped.items()),
        key=lambda item: (-len(item.numbers), item.tag),
    )
    report.created = sum(plan.existing is None for plan in planned)
    report.updated = sum(plan.existing is not None and bool(plan.changes) for plan in planned)
    report.unchanged = len(planned) - report.created - report.updated
    if not report.ok or dry_run or not (report.created or report.updated):
        return report
    _write(actor, planned, report, filename, progress)
    return report


def _reference(row: RawShop) -> str | None:
    """A row's reference as it is stored, or None when it has none that can be read."""
    try:
        return _text(row.cells.get("reference"))
    except ValueError:
        return None


def _order(problem: Problem) -> tuple[int, int]:
    # File-level problems first, then by line or feature, keeping each row's own order.
    return (0 if problem.place is Place.FILE else 1, problem.number or 0)


def _write(
    actor: User | None,
    planned: list[_Planned],
    report: ShopImportReport,
    filename: str,
    progress: Progress | None,
) -> None:
    """Add the new shops and the changes, and one audit event for the import."""
    for plan in track(progress, [plan for plan in planned if plan.changes], _("Writing")):
        if plan.existing is None:
            db.session.add(Shop(**plan.values))
        else:
            for name, value in plan.changes.items():
                setattr(plan.existing, name, value)
    audit.record(
        actor,
        "shop.imported",
        audit.SHOP,
        None,
        after={
            "file": PurePath(filename).name or None,
            "format": report.format,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": report.skipped,
            "invalid": report.invalid_rows if report.skip_invalid else 0,
        },
    )
    db.session.flush()
