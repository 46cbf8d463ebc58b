"""Open data for the map and for anyone: premises and area wishes as GeoJSON, demand as CSV."""

import hashlib
import json

from flask import Blueprint, Response, current_app, request
from flask_babel import get_locale

from ..public.forms import MapFilterForm
from ..services.area import AreaCell, area_cells
from ..services.csv_export import DEMAND_HEADER, csv_bytes, demand_rows
from ..services.demand import TOP_TYPES, Demand, demand_by_premises, total_support
from ..services.premises import map_premises

bp = Blueprint("api", __name__)


def _revalidated(
    body: bytes, mimetype: str, per_language: bool = True, headers: dict | None = None
) -> Response:
    """`body` with an ETag, answered by a 304 when the client already holds the same bytes."""
    response = Response(body, mimetype=mimetype, headers=headers)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    if per_language:
        # Labels follow the visitor's language, so caches must keep one copy per language.
        response.vary.update(("Accept-Language", "Cookie"))
    response.cache_control.no_cache = True
    return response.make_conditional(request)


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
    locale = str(get_locale())
    form = MapFilterForm(request.args)
    if not form.validate():
        errors = {
            name: [str(message) for message in messages] for name, messages in form.errors.items()
        }
        return {"error": "Bad Request", "status": 400, "errors": errors}, 400
    rows = map_premises(form.filters())
    demand = demand_by_premises([row.id for row in rows])
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
                "total_support": total_support(demand.get(row.id, [])),
                "top": [
                    {
                        "code": item.shop_type.code,
                        "label": item.shop_type.label(locale),
                        "count": item.count,
                    }
                    for item in demand.get(row.id, [])[:TOP_TYPES]
                ],
            },
        }
        for row in rows
    ]
    return _revalidated(_feature_collection(features), "application/geo+json")


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
    config = current_app.config
    locale = str(get_locale())
    cells = area_cells(config["WISHBOARD_AREA_CELL_M"], config["WISHBOARD_MAP_BOUNDS"])
    features = [_cell_feature(cell, locale) for cell in cells]
    return _revalidated(_feature_collection(features), "application/geo+json")


@bp.get("/demand.csv")
def demand_csv() -> Response:
    """One row per (premises, shop type) with support, for every premises on the map."""
    return _revalidated(
        csv_bytes(DEMAND_HEADER, demand_rows()),
        "text/csv",
        # Both languages' labels are columns: the file is the same for every visitor.
        per_language=False,
        headers={"Content-Disposition": 'attachment; filename="wishboard-demand.csv"'},
    )
