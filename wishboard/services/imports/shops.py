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
and the bad ones listed. Either way the import is one transaction, which it commits.

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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from wishboard.extensions import db
from wishboard.models import District, Premises, Presence, Shop, ShopType, User
from wishboard.models.base import max_length
from wishboard.services import audit
from wishboard.services.geometry import Grid, inside
from wishboard.services.imports import reading
from wishboard.services.imports.reading import ImportConflict, Place, Problem, column_label
from wishboard.services.progress import Progress, track
from wishboard.services.shops import management as shop_management
from wishboard.services.shops.directory import web_address
from wishboard.services.transactions import commit
from wishboard.settings import DEFAULT_MAP_BOUNDS

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
LIMITS = {"reference": max_length(Shop.reference), **shop_management.MAX_LENGTHS}
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
class ShopImportReport(reading.ImportReport):
    """What a shops import did, or would do: also its notes and the skipped type tags."""

    skip_invalid: bool = False
    readable: bool = True
    invalid_rows: int = 0
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

    def messages(self) -> list[object]:
        return [*self.problems, *self.notes, *self.unmapped]

    def details(self) -> list[str]:
        lines = []
        if self.invalid_rows:
            lines.append(
                ngettext(
                    "%(num)d row with a problem was left out.",
                    "%(num)d rows with a problem were left out.",
                    self.invalid_rows,
                )
            )
        if self.skipped:
            lines.append(
                ngettext(
                    "%(num)d row skipped: its type is not one of ours.",
                    "%(num)d rows skipped: their type is not one of ours.",
                    self.skipped,
                )
            )
        return lines


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


def read(data: bytes, filename: str = "") -> tuple[str | None, list[RawShop], list[Problem]]:
    """The format ("csv" or "geojson") and rows of a file, or why it cannot be read."""
    text = reading.decode(data, _("This file is not a CSV or GeoJSON file of shops."))
    if isinstance(text, Problem):
        return None, [], [text]
    kind = reading.detect_format(filename, text)
    return kind, *(read_geojson(text) if kind == "geojson" else read_csv(text))


def read_csv(text: str) -> tuple[list[RawShop], list[Problem]]:
    """The rows of a CSV text by column name, with their type tag, or the problems of the file."""
    lines, problems = reading.read_csv(text, COLUMNS, REQUIRED_COLUMNS)
    rows = []
    for line in lines:
        tag = _normal_tag(line.cells["shop_type"])
        rows.append(RawShop(Place.LINE, line.number, line.cells, (tag,) if tag else ()))
    if not rows and not problems:
        problems.append(Problem(_("The file has no shop after its first line.")))
    return rows, problems


def read_geojson(text: str) -> tuple[list[RawShop], list[Problem]]:
    """The features of a GeoJSON text as rows of our columns, or its problems."""
    features, problems = reading.geojson_features(text)
    rows = [_feature_row(found.number, found.feature, found.properties) for found in features]
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
    position = reading.position(feature.get("geometry"), polygons=True)
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


# Values


def _text(value: Any) -> str | None:
    """A cell as text on one line, whole numbers as digits; ValueError for anything else."""
    if isinstance(value, str):
        # Line breaks and other control characters (a NUL, which PostgreSQL refuses) go.
        value = " ".join("".join(char if char.isprintable() else " " for char in value).split())
    return reading.text(value)


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

    def __init__(self, bounds: Sequence[float]) -> None:
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
        self.bounds = bounds
        self._premises: Grid | None = None

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
            self._premises = Grid([tuple(row) for row in db.session.execute(query)])
        best = self._premises.nearest(latitude, longitude)
        if best is None:
            return None, None
        return self.districts.get(best[2]) if best[2] is not None else None, best[3]

    def inside(self, latitude: float, longitude: float) -> bool:
        return inside(self.bounds, latitude, longitude)


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
            number = reading.decimal(raw.cells.get(name))
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


def import_shops(
    actor: User | None,
    data: bytes,
    filename: str = "",
    *,
    bounds: Sequence[float] = DEFAULT_MAP_BOUNDS,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ShopImportReport:
    """Check every row of a shops file, then upsert the good ones unless a problem stops it.

    Returns the report. Nothing is written on a dry run, or when a problem stops the import (any
    problem, unless `skip_invalid`). Otherwise the good rows are written in one transaction,
    committed here; ImportConflict when another change took a reference meanwhile. `bounds` are
    the town's (south, west, north, east): every shop lies inside.
    """
    kind, rows, problems = read(data, filename)
    report = ShopImportReport(format=kind, dry_run=dry_run, skip_invalid=skip_invalid)
    report.problems = problems
    if kind is None or (problems and not rows):
        report.readable = False
        return report
    report.rows = len(rows) + len(problems)

    town = _Town(bounds)
    references = {_reference(row) for row in rows} - {None}
    existing = reading.existing_by_reference(Shop, sorted(references))

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
            checked.problems.insert(0, reading.duplicate(reference, row.place, seen[reference]))
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

    report.problems = reading.in_order(report.problems)
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
    commit(
        ImportConflict(_("The shops changed while importing; nothing was imported. Run it again."))
    )
    return report


def _reference(row: RawShop) -> str | None:
    """A row's reference as it is stored, or None when it has none that can be read."""
    try:
        return _text(row.cells.get("reference"))
    except ValueError:
        return None


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
    reading.record_import(
        actor,
        "shop.imported",
        audit.SHOP,
        report,
        filename,
        skipped=report.skipped,
        invalid=report.invalid_rows if report.skip_invalid else 0,
    )
