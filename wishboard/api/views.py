"""Open data: GeoJSON and CSV."""

import hashlib
import json

from flask import Blueprint, Response, request
from flask_babel import get_locale
from sqlalchemy import select

from ..extensions import db
from ..models import District, Premises, PremisesStatus
from ..services.demand import demand_by_premises, total_support

bp = Blueprint("api", __name__)

# Premises shown on the map: those still wished for, and those let (a result worth seeing).
MAP_STATUSES = (PremisesStatus.VACANT, PremisesStatus.LET)
TOP_TYPES = 3


@bp.get("/premises.geojson")
def premises_geojson() -> Response:
    """Every premises on the map as a GeoJSON FeatureCollection, with its demand summary."""
    locale = str(get_locale())
    rows = db.session.execute(
        select(
            Premises.id,
            Premises.address,
            District.name,
            Premises.status,
            Premises.latitude,
            Premises.longitude,
        )
        .join(District, District.id == Premises.district_id)
        .where(Premises.status.in_(MAP_STATUSES))
        .order_by(Premises.id)
    ).all()
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
