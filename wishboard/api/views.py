"""Open data for the map and for anyone: premises and area wishes as GeoJSON, demand as CSV.

Each is built once per version of the data and then served from the cache with an ETag
(wishboard/caching.py): a client that already holds it gets a 304 for one small query.
"""

import json

from flask import Blueprint, Response, current_app, request
from flask_babel import get_locale

from ..caching import cached_data
from ..public.forms import MapFilterForm
from ..services.area import AreaCell, area_cells
from ..services.csv_export import DEMAND_HEADER, csv_bytes, demand_rows
from ..services.demand import (
    TOP_TYPES,
    Demand,
    asked_for,
    demand_within,
    shop_types_by_id,
    total_support,
)
from ..services.premises import map_premises, map_premises_ids

bp = Blueprint("api", __name__)
GEOJSON = "application/geo+json"


def _feature_collection(features: list[dict]) -> bytes:
    """A compact GeoJSON FeatureCollection in UTF-8."""
    return json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


@bp.get("/premises.geojson")
def premises_geojson() -> Response:
    """The premises on the map as a GeoJSON FeatureCollection, with their demand summary.

    Takes the map's filters as query arguments (`type`, `group`, `district`); a value that does
    not exist is a 400 that names the argument.
    """
    return cached_data(_premises_geojson, GEOJSON)


def _premises_geojson() -> bytes | tuple[dict, int]:
    locale = str(get_locale())
    form = MapFilterForm(request.args)
    if not form.validate():
        errors = {
            name: [str(message) for message in messages] for name, messages in form.errors.items()
        }
        return {"error": "Bad Request", "status": 400, "errors": errors}, 400
    filters = form.filters()
    rows = map_premises(filters)
    demand = demand_within(map_premises_ids(filters))
    let_types = shop_types_by_id({row.let_shop_type_id for row in rows if row.let_shop_type_id})
    none: list[Demand] = []
    features = [
        {
            "type": "Feature",
            # GeoJSON (RFC 7946) orders positions longitude first.
            "geometry": {
                "type": "Point",
                "coordinates": [round(row.longitude, 6), round(row.latitude, 6)],
            },
            "properties": {
                "id": row.id,
                "address": row.address,
                "district": row.name,
                "status": row.status.value,
                "total_support": total_support(demand.get(row.id, none)),
                "top": _top(demand.get(row.id, none), locale),
                "let": _let(row, let_types, demand.get(row.id, none), locale),
            },
        }
        for row in rows
    ]
    return _feature_collection(features)


def _let(row, let_types: dict, demand: list[Demand], locale: str) -> dict | None:
    """What a let premises became, and how many residents had asked for it; None if not let."""
    shop_type = let_types.get(row.let_shop_type_id)
    if shop_type is None:
        return None
    return {
        "code": shop_type.code,
        "label": shop_type.label(locale),
        "since": row.let_on.isoformat(),
        "asked": asked_for(demand, shop_type),
    }


def _top(demand: list[Demand], locale: str) -> list[dict]:
    """The shop types most wished for, as open data names them."""
    return [
        {"code": item.shop_type.code, "label": item.shop_type.label(locale), "count": item.count}
        for item in demand[:TOP_TYPES]
    ]


def _cell_feature(cell: AreaCell, locale: str) -> dict:
    """One cell of area wishes as a GeoJSON polygon: a closed ring, counter-clockwise."""
    (south, west), (north, east) = cell.south_west, cell.north_east
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[round(lon, 6), round(lat, 6)] for lon, lat in corners]],
        },
        "properties": {
            "count": cell.count,
            "top": _top(cell.demand, locale),
            "center": [round(cell.center[1], 6), round(cell.center[0], 6)],
        },
    }


@bp.get("/area-wishes.geojson")
def area_wishes_geojson() -> Response:
    """Published area wishes gathered in grid cells, as GeoJSON: no pinned point is public."""

    def build() -> bytes:
        config = current_app.config
        locale = str(get_locale())
        cells = area_cells(config["WISHBOARD_AREA_CELL_M"], config["WISHBOARD_MAP_BOUNDS"])
        return _feature_collection([_cell_feature(cell, locale) for cell in cells])

    return cached_data(build, GEOJSON)


@bp.get("/demand.csv")
def demand_csv() -> Response:
    """One row per (premises, shop type) with support, for every premises on the map."""
    return cached_data(
        lambda: csv_bytes(DEMAND_HEADER, demand_rows()),
        "text/csv",
        # Both languages' labels are columns: the file is the same for every visitor.
        per_language=False,
        headers={"Content-Disposition": 'attachment; filename="wishboard-demand.csv"'},
    )
