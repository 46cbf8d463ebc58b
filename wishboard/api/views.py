"""Open data for the map and for anyone: premises and area wishes as GeoJSON, demand as CSV.

Each is built once per version of the data and then served from the cache with an ETag
(wishboard/caching.py): a client that already holds it gets a 304 for one small query.
"""

import json
from collections.abc import Iterator
from dataclasses import replace

from flask import Response, current_app, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..caching import cached_data, streamed_data
from ..forms.filters import MapFilterForm
from ..forms.shops import ShopFilterForm
from ..services.csv_export import (
    DEMAND_HEADER,
    OPPORTUNITIES_HEADER,
    CsvVariant,
    csv_bytes,
    csv_filename,
    demand_rows,
    opportunity_rows,
)
from ..services.demand.area import AreaCell, area_cells
from ..services.demand.counts import (
    TOP_TYPES,
    Demand,
    asked_for,
    demand_by_premises,
    shop_types_by_id,
    total_support,
)
from ..services.demand.gaps import GapPoint, gap_points
from ..services.demand.opportunities import opportunities
from ..services.geometry import BBox
from ..services.open_data import osm_id
from ..services.premises.listing import (
    CLUSTER_ZOOMS,
    DEFAULT_CLUSTER_ZOOM,
    PremisesFilter,
    cell_degrees,
    map_cells,
    map_premises_batches,
)
from ..services.shops.directory import map_shops
from ..settings import settings
from ..urls import csv_variant
from . import bp

GEOJSON = "application/geo+json"
# Any id works: the placeholder is swapped for each shop's id (one url_for for them all).
_ID_PLACEHOLDER = 987654321


def _errors(form) -> dict[str, list[str]]:
    """What is wrong with each filter of a validated form, by query argument."""
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}


def _bad_filters(form) -> tuple[dict, int]:
    """A 400 that names each filter whose value does not exist."""
    return _bad_arguments(_errors(form))


def _bad_arguments(errors: dict[str, list[str]]) -> tuple[dict, int]:
    """A 400 that says, for each query argument named, what is wrong with it."""
    return {"error": "Bad Request", "status": 400, "errors": errors}, 400


def _bbox(errors: dict[str, list[str]]) -> BBox | None:
    """The `bbox` argument (west,south,east,north, as OGC API Features spells it), or None.

    A malformed box is added to `errors`.
    """
    text = request.args.get("bbox")
    if text is None:
        return None
    try:
        return BBox.parse(text)
    except ValueError:
        errors["bbox"] = [
            _(
                "Give bbox as four numbers, west,south,east,north: longitudes from -180 to 180, "
                "latitudes from -90 to 90, west less than east and south less than north."
            )
        ]
        return None


def _checked(form) -> tuple[BBox | None, tuple[dict, int] | None]:
    """The query's `bbox` once `form` (its filters) and it are valid, or the 400 that names
    each argument that is wrong."""
    valid = form.validate()
    errors = _errors(form)
    bbox = _bbox(errors)
    if errors or not valid:
        return None, _bad_arguments(errors)
    return bbox, None


def _map_filters() -> PremisesFilter | tuple[dict, int]:
    """The map's filters and `bbox` from the query, or the 400 that names what is wrong."""
    form = MapFilterForm(request.args)
    bbox, refusal = _checked(form)
    if refusal is not None:
        return refusal
    return replace(form.filters(), bbox=bbox)


def _feature_collection(features: list[dict], bbox: BBox | None = None) -> bytes:
    """A compact GeoJSON FeatureCollection in UTF-8, with the box it covers when given."""
    collection: dict = {"type": "FeatureCollection"}
    if bbox is not None:
        collection["bbox"] = bbox.as_list(digits=None)
    collection["features"] = features
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()


def _point(place, properties: dict) -> dict:
    """A GeoJSON point feature at `place` (its latitude and longitude), to the metre."""
    return {
        "type": "Feature",
        # GeoJSON (RFC 7946) orders positions longitude first.
        "geometry": {
            "type": "Point",
            "coordinates": [round(place.longitude, 6), round(place.latitude, 6)],
        },
        "properties": properties,
    }


@bp.get("/premises.geojson")
def premises_geojson() -> Response:
    """The premises on the map as a GeoJSON FeatureCollection, with their demand summary.

    Takes the map's filters as query arguments (`type`, `group`, `district`) and `bbox`
    (west,south,east,north: the premises inside it); a value that does not exist is a 400
    that names the argument. A box (the map's view) is built and kept per data version; the
    whole town, for open data, is written as it is read, a batch of premises at a time.
    """
    if "bbox" in request.args:
        return cached_data(_premises_in_view, GEOJSON)
    return streamed_data(_all_premises, GEOJSON)


def _premises_in_view() -> bytes | tuple[dict, int]:
    filters = _map_filters()
    if not isinstance(filters, PremisesFilter):
        return filters
    return b"".join(_premises_chunks(filters, str(get_locale())))


def _all_premises() -> Iterator[bytes] | tuple[dict, int]:
    filters = _map_filters()
    if not isinstance(filters, PremisesFilter):
        return filters
    return _premises_chunks(filters, str(get_locale()))


def _premises_chunks(filters: PremisesFilter, locale: str) -> Iterator[bytes]:
    """The premises matching `filters` as a GeoJSON FeatureCollection, in pieces of a batch each.

    Each batch costs the same four queries at most (premises, their demand, its shop types, their
    let types), and no more than a batch of features is ever held in memory.
    """
    yield b'{"type":"FeatureCollection","features":['
    separator = b""
    for rows in map_premises_batches(filters):
        demand = demand_by_premises([row.id for row in rows])
        let_types = shop_types_by_id({row.let_shop_type_id for row in rows if row.let_shop_type_id})
        features = ",".join(
            json.dumps(
                _premises_feature(row, demand.get(row.id, []), let_types, locale),
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row in rows
        )
        yield separator + features.encode()
        separator = b","
    yield b"]}"


def _premises_feature(row, demand: list[Demand], let_types: dict, locale: str) -> dict:
    """One premises on the map as a GeoJSON point with its demand summary."""
    return _point(
        row,
        {
            "id": row.id,
            "address": row.address,
            "district": row.name,
            "status": row.status.value,
            "total_support": total_support(demand),
            "top": _top(demand, locale),
            "let": _let(row, let_types, demand, locale),
        },
    )


@bp.get("/premises/clusters.geojson")
def premises_clusters_geojson() -> Response:
    """The premises on the map counted in the cells of a grid, for the map zoomed out.

    `zoom` (0 to 22, default 12) sets the cells' size: 90 / 2^zoom degrees, about 64 pixels of
    the map at that zoom. `bbox` (west,south,east,north) limits them to a part of the map,
    widened to whole cells so that every cell counts all its premises; the collection's `bbox`
    says which. The map's filters apply. One point per cell, at its premises' mean position:
    `count`, `total_support`, `bounds` (the box around its premises).
    """
    return cached_data(_premises_clusters, GEOJSON, per_language=False)


def _premises_clusters() -> bytes | tuple[dict, int]:
    zoom_text = request.args.get("zoom", str(DEFAULT_CLUSTER_ZOOM))
    if not (zoom_text.isascii() and zoom_text.isdigit() and int(zoom_text) in CLUSTER_ZOOMS):
        message = _(
            "Give zoom as a whole number from %(low)d to %(high)d.",
            low=CLUSTER_ZOOMS.start,
            high=CLUSTER_ZOOMS.stop - 1,
        )
        return _bad_arguments({"zoom": [message]})
    filters = _map_filters()
    if not isinstance(filters, PremisesFilter):
        return filters
    size = cell_degrees(int(zoom_text))
    area = filters.bbox.rounded_out(size) if filters.bbox else None
    cells = map_cells(replace(filters, bbox=area), size)
    features = [
        _point(
            cell,
            {
                "count": cell.count,
                "total_support": cell.total_support,
                "bounds": cell.bounds.as_list(),
            },
        )
        for cell in cells
    ]
    return _feature_collection(features, area)


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


@bp.get("/shops.geojson")
def shops_geojson() -> Response:
    """The open shops of the directory as GeoJSON, for the map's shops layer and for anyone.

    Takes the directory's filters (`type`, `group`, `district`, `q`) and `bbox`
    (west,south,east,north: the shops inside it); a bad value is a 400 that names the argument.
    Each feature has the map layer's `title`, `lines` and `url`.
    """
    return cached_data(_shops_geojson, GEOJSON)


def _shops_geojson() -> bytes | tuple[dict, int]:
    locale = str(get_locale())
    form = ShopFilterForm(request.args)
    bbox, refusal = _checked(form)
    if refusal is not None:
        return refusal
    detail_url = url_for("public.shop_detail", shop_id=_ID_PLACEHOLDER)
    features = []
    for row in map_shops(replace(form.shop_filter(), bbox=bbox)):
        label = row.label_en if locale == "en" else row.label_fr
        place = " ".join(part for part in (row.postcode, row.city) if part)
        features.append(
            _point(
                row,
                {
                    "id": row.id,
                    "title": row.name,
                    "lines": [label, f"{row.address}, {place}" if place else row.address],
                    "url": detail_url.replace(str(_ID_PLACEHOLDER), str(row.id)),
                    "shop_type": row.code,
                    "district": row.district,
                    # Says which shops are OpenStreetMap's, under its licence (services/open_data).
                    "osm_id": osm_id(row.reference),
                },
            )
        )
    return _feature_collection(features)


@bp.get("/demand.csv")
def demand_csv() -> Response:
    """One row per (premises, shop type) with support, for every premises on the map.

    `?variant=spreadsheet` gives the file for a spreadsheet (services/csv_export.py).
    """
    variant = csv_variant()
    filename = csv_filename("wishboard-demand", variant)
    return cached_data(
        lambda: csv_bytes(DEMAND_HEADER, demand_rows(), variant, str(get_locale())),
        "text/csv",
        # Both languages' labels are columns, so the standard file is the same for every
        # visitor; the spreadsheet's decimal separator follows the visitor's language.
        per_language=variant is CsvVariant.SPREADSHEET,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/opportunities.csv")
def opportunities_csv() -> Response:
    """One row per (shop type, district) with demand, most unmet demand first (as /opportunities).

    Takes the map's filters (`type`, `group`, `district`); a value that does not exist is a 400
    that names the argument. `?variant=spreadsheet` gives the file for a spreadsheet.
    """
    variant = csv_variant()
    filename = csv_filename("wishboard-opportunities", variant)

    def build() -> bytes | tuple[dict, int]:
        form = MapFilterForm(request.args)
        if not form.validate():
            return _bad_filters(form)
        rows = opportunity_rows(opportunities(settings(), form.filters()))
        return csv_bytes(OPPORTUNITIES_HEADER, rows, variant, str(get_locale()))

    return cached_data(
        build,
        "text/csv",
        # Both languages' labels are columns (see demand_csv).
        per_language=variant is CsvVariant.SPREADSHEET,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/gaps.geojson")
def gaps_geojson() -> Response:
    """The vacant premises with a gap as GeoJSON, for the gap map layer and for anyone.

    A gap is a shop type supported at the premises with no open shop of that type within the
    radius (services/demand/gaps.py). Each feature has the map layer's `title`, `lines` and
    `url`, and `gaps`: the gap types' codes, labels and supports, most supported first.
    """

    def build() -> bytes:
        locale = str(get_locale())
        radius = settings().area_radius_m
        detail_url = url_for("public.premises_detail", premises_id=_ID_PLACEHOLDER)
        return _feature_collection(
            [_gap_feature(point, locale, radius, detail_url) for point in gap_points(radius)]
        )

    return cached_data(build, GEOJSON)


def _gap_feature(point: GapPoint, locale: str, radius: int, detail_url: str) -> dict:
    """One premises with gaps as a GeoJSON point with its popup's texts."""
    lines = [point.district]
    lines += [
        ngettext(
            "Gap: %(type)s, asked for by %(num)d resident, none open within %(radius)d m",
            "Gap: %(type)s, asked for by %(num)d residents, none open within %(radius)d m",
            item.count,
            type=item.shop_type.label(locale),
            radius=radius,
        )
        for item in point.gaps
    ]
    return _point(
        point,
        {
            "id": point.premises_id,
            "title": point.address,
            "lines": lines,
            "url": detail_url.replace(str(_ID_PLACEHOLDER), str(point.premises_id)),
            "gaps": [
                {
                    "code": item.shop_type.code,
                    "label": item.shop_type.label(locale),
                    "count": item.count,
                }
                for item in point.gaps
            ],
        },
    )
