"""Distances and places on the town's map, measured one way everywhere.

Distances are great-circle (haversine) metres. A search "within r metres" first narrows to a box of
degrees a little larger than the circle, which the database answers from the coordinates alone, and
then measures the exact distance here, where the trigonometry is portable. Positions are
(latitude, longitude) unless a name says otherwise; GeoJSON's (longitude, latitude) is read in
`services/imports/reading.py`.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# The mean radius of the Earth (IUGG), for haversine distances.
EARTH_RADIUS_M = 6_371_008.8
# Metres in a degree of latitude, as grids of cells count them (close enough for a town).
METRES_PER_DEGREE = 111_320


def distance_m(latitude: float, longitude: float, other_lat: float, other_lon: float) -> float:
    """The great-circle (haversine) distance between two points, in metres."""
    phi1, phi2 = math.radians(latitude), math.radians(other_lat)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(other_lon - longitude) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def box_around(latitude: float, radius_m: float) -> tuple[float, float]:
    """Half the height and width, in degrees, of a box a little larger than the circle."""
    box_lat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01
    return box_lat, box_lat / max(math.cos(math.radians(latitude)), 1e-6)


@dataclass(frozen=True)
class BBox:
    """A box of the map in degrees, in the order OGC API Features gives it: west, south, east,
    north. It never crosses the antimeridian (west < east), which no town needs."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> "BBox":
        """The box written `west,south,east,north`; a ValueError saying what is wrong otherwise."""
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError("four numbers")
        try:
            west, south, east, north = (float(part) for part in parts)
        except ValueError:
            raise ValueError("four numbers") from None
        if not all(math.isfinite(value) for value in (west, south, east, north)):
            raise ValueError("four numbers")
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("order")
        return cls(west, south, east, north)

    def rounded_out(self, step: float) -> "BBox":
        """The smallest box on a grid of `step` degrees (from 0, 0) that holds this one."""
        return BBox(
            max(-180.0, math.floor(self.west / step) * step),
            max(-90.0, math.floor(self.south / step) * step),
            min(180.0, math.ceil(self.east / step) * step),
            min(90.0, math.ceil(self.north / step) * step),
        )

    def as_list(self, digits: int | None = 6) -> list[float]:
        """[west, south, east, north], as GeoJSON's `bbox` member has it, rounded to `digits`
        (None: exact, for a box on a grid whose steps are binary fractions of a degree)."""
        values = (self.west, self.south, self.east, self.north)
        return [value if digits is None else round(value, digits) for value in values]


def within(bbox: BBox, latitude: ColumnElement, longitude: ColumnElement) -> ColumnElement:
    """The SQL condition that a row's position is inside `bbox` (its edges included)."""
    return latitude.between(bbox.south, bbox.north) & longitude.between(bbox.west, bbox.east)


class sql_floor(FunctionElement):
    """floor() of a number, as an integer, on every database we support: a grid cell's index."""

    type = Integer()
    inherit_cache = True


@compiles(sql_floor)
def _floor_default(element, compiler, **kw) -> str:
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(sql_floor, "sqlite")
def _floor_sqlite(element, compiler, **kw) -> str:
    # SQLite has floor() only when built with its math functions, which many builds are not;
    # CAST truncates towards zero, so step down once more for negative numbers with a fraction.
    value = compiler.process(element.clauses, **kw)
    return f"(CAST({value} AS INTEGER) - ({value} < CAST({value} AS INTEGER)))"


def inside(bounds: Sequence[float], latitude: float, longitude: float) -> bool:
    """True when a point lies within the town's (south, west, north, east) bounds."""
    south, west, north, east = bounds
    return south <= latitude <= north and west <= longitude <= east


def centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float] | None:
    """(x, y, area) of a polygon's ring; flat coordinates are close enough for a building.

    A degenerate ring (all its points on a line) gives the mean of its points and no area; None
    when no finite centre comes out.
    """
    area = x = y = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        x += (x0 + x1) * cross
        y += (y0 + y1) * cross
    if area and math.isfinite(area) and math.isfinite(x) and math.isfinite(y):
        centre = (x / (3 * area), y / (3 * area), abs(area) / 2)
    else:
        centre = (
            sum(point[0] for point in ring) / len(ring),
            sum(point[1] for point in ring) / len(ring),
            0.0,
        )
    return centre if all(math.isfinite(value) for value in centre) else None


class Grid:
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
