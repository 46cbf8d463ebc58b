"""Open data for the map and for anyone: the premises as GeoJSON."""

import hashlib
import json

from flask import Blueprint, Response, request
from flask_babel import get_locale

from ..services.demand import TOP_TYPES, demand_by_premises, total_support
from ..services.premises import map_premises

bp = Blueprint("api", __name__)


@bp.get("/premises.geojson")
def premises_geojson() -> Response:
    """Every premises on the map as a GeoJSON FeatureCollection, with its demand summary."""
    locale = str(get_locale())
    rows = map_premises()
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
    body = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    response = Response(body, mimetype="application/geo+json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    # Labels follow the visitor's language, so caches must keep one copy per language.
    response.vary.update(("Accept-Language", "Cookie"))
    response.cache_control.no_cache = True
    return response.make_conditional(request)
