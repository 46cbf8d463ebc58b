"""Open data for the map and for anyone: premises and area wishes as GeoJSON, demand as CSV.

Each is built once per version of the data and then served from the cache with an ETag
(wishboard/caching.py): a client that already holds it gets a 304 for one small query.
"""

import json
from collections.abc import Iterator
from dataclasses import replace

from flask import Response, current_app, request, url_for
from flask_babel import get_locale
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
from ..services.open_data import GAP_TYPES, osm_id
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
# Any id works: the placeholder is swapped for each record's id (one url_for for them all).
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


def _point(place, properties: dict, feature_id: int | None = None) -> dict:
    """A GeoJSON point feature at `place` (its latitude and longitude), to the metre, with the
    record's number as the feature's `id` when it has one (GIS software reads it as the FID)."""
    feature: dict = {"type": "Feature"}
    if feature_id is not None:
        feature["id"] = feature_id
    # GeoJSON (RFC 7946) orders positions longitude first.
    feature["geometry"] = {
        "type": "Point",
        "coordinates": [round(place.longitude, 6), round(place.latitude, 6)],
    }
    feature["properties"] = properties
    return feature


def _url_template(endpoint: str, argument: str) -> str:
    """The absolute URL of `endpoint` for any id: `_url_of` puts a record's id in it (one
    url_for for a whole file). Absolute, so that a file downloaded keeps working links; the
    cache keys each answer by host (caching._request_key)."""
    return url_for(endpoint, _external=True, **{argument: _ID_PLACEHOLDER})


def _url_of(template: str, record_id: int) -> str:
    return template.replace(str(_ID_PLACEHOLDER), str(record_id))


def _numbered(prefix: str, demand: list[Demand], upto: int, locale: str) -> dict:
    """The first `upto` shop types of `demand` as numbered plain properties (`top1_code`,
    `top1_label`, `top1_count`, `top2_code`…), null past the last one.

    Every feature has the same keys and only plain values, so that GIS software reads one
    schema of columns (a GeoPackage has no column for a list).
    """
    properties: dict = {}
    for number in range(1, upto + 1):
        item = demand[number - 1] if number <= len(demand) else None
        properties[f"{prefix}{number}_code"] = item.shop_type.code if item else None
        properties[f"{prefix}{number}_label"] = item.shop_type.label(locale) if item else None
        properties[f"{prefix}{number}_count"] = item.count if item else None
    return properties


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
    return b"".join(_premises_chunks(filters, str(get_locale()), _premises_url()))


def _all_premises() -> Iterator[bytes] | tuple[dict, int]:
    filters = _map_filters()
    if not isinstance(filters, PremisesFilter):
        return filters
    # Read now: the chunks are written after the request (see caching.streamed_data).
    return _premises_chunks(filters, str(get_locale()), _premises_url())


def _premises_url() -> str:
    return _url_template("public.premises_detail", "premises_id")


def _premises_chunks(filters: PremisesFilter, locale: str, url: str) -> Iterator[bytes]:
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
                _premises_feature(row, demand.get(row.id, []), let_types, locale, url),
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row in rows
        )
        yield separator + features.encode()
        separator = b","
    yield b"]}"


def _premises_feature(row, demand: list[Demand], let_types: dict, locale: str, url: str) -> dict:
    """One premises on the map as a GeoJSON point with its demand summary."""
    return _point(
        row,
        {
            # Kept as a field too: ogr2ogr numbers a GeoPackage's features afresh.
            "id": row.id,
            "address": row.address,
            "district": row.name,
            "status": row.status.value,
            "total_support": total_support(demand),
            **_numbered("top", demand, TOP_TYPES, locale),
            **_let(row, let_types, demand, locale),
            "url": _url_of(url, row.id),
        },
        row.id,
    )


@bp.get("/premises/clusters.geojson")
def premises_clusters_geojson() -> Response:
    """The premises on the map counted in the cells of a grid, for the map zoomed out.

    `zoom` (0 to 22, default 12) sets the cells' size: 90 / 2^zoom degrees, about 64 pixels of
    the map at that zoom. `bbox` (west,south,east,north) limits them to a part of the map,
    widened to whole cells so that every cell counts all its premises; the collection's `bbox`
    says which. The map's filters apply. One point per cell, at its premises' mean position:
    `count`, `total_support`, and `west`, `south`, `east`, `north` (the box around its premises).
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
                # The box around its premises.
                **dict(zip(("west", "south", "east", "north"), cell.bounds.as_list(), strict=True)),
            },
        )
        for cell in cells
    ]
    return _feature_collection(features, area)


def _let(row, let_types: dict, demand: list[Demand], locale: str) -> dict:
    """What a let premises became, and how many residents had asked for it; nulls if not let."""
    shop_type = let_types.get(row.let_shop_type_id)
    if shop_type is None:
        return dict.fromkeys(("let_code", "let_label", "let_since", "let_asked"))
    return {
        "let_code": shop_type.code,
        "let_label": shop_type.label(locale),
        "let_since": row.let_on.isoformat(),
        "let_asked": asked_for(demand, shop_type),
    }


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
        "properties": {"count": cell.count, **_numbered("top", cell.demand, TOP_TYPES, locale)},
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
    Each feature holds data only (the map's popup words its lines: public/layers.py).
    """
    return cached_data(_shops_geojson, GEOJSON)


def _shops_geojson() -> bytes | tuple[dict, int]:
    locale = str(get_locale())
    form = ShopFilterForm(request.args)
    bbox, refusal = _checked(form)
    if refusal is not None:
        return refusal
    detail_url = _url_template("public.shop_detail", "shop_id")
    features = [
        _point(
            row,
            {
                "id": row.id,
                "name": row.name,
                "shop_type": row.code,
                "shop_type_label": row.label_en if locale == "en" else row.label_fr,
                "address": row.address,
                "postcode": row.postcode or None,
                "city": row.city or None,
                "district": row.district,
                # Says which shops are OpenStreetMap's, under its licence (services/open_data).
                "osm_id": osm_id(row.reference),
                "url": _url_of(detail_url, row.id),
            },
            row.id,
        )
        for row in map_shops(replace(form.shop_filter(), bbox=bbox))
    ]
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
    radius (services/demand/gaps.py). Each feature holds the premises' address and page, how
    many gaps it has and the first GAP_TYPES of them, most supported first: codes, labels and
    supports. The map's popup words them (public/stats_views.py).
    """

    def build() -> bytes:
        locale = str(get_locale())
        detail_url = _premises_url()
        points = gap_points(settings().area_radius_m)
        return _feature_collection([_gap_feature(point, locale, detail_url) for point in points])

    return cached_data(build, GEOJSON)


def _gap_feature(point: GapPoint, locale: str, detail_url: str) -> dict:
    """One premises with gaps as a GeoJSON point: where it is and what it lacks."""
    return _point(
        point,
        {
            "id": point.premises_id,
            "address": point.address,
            "district": point.district,
            "gap_count": len(point.gaps),
            **_numbered("gap", list(point.gaps), GAP_TYPES, locale),
            "url": _url_of(detail_url, point.premises_id),
        },
        point.premises_id,
    )
