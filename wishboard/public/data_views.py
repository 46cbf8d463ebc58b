"""The open-data page: every export described (fields, licence, updates), with example links."""

from flask import current_app, request, url_for
from flask.typing import ResponseReturnValue

from ..caching import cached_page
from ..forms.shops import ShopFilterForm
from ..htmx import render
from ..services.csv_export import CsvVariant
from ..services.open_data import EXPORTS, ODBL, OSM_COPYRIGHT_URL, licences_of, site_licence
from . import bp


@bp.get("/data")
@cached_page
def open_data() -> ResponseReturnValue:
    """What anyone may download, and how; takes the map's and the lists' filters for its links.

    A filter value that does not exist is refused with a 400 that names it, like the map's; the
    page then shows the links without filters.
    """
    config = current_app.config
    form = ShopFilterForm(request.args)
    valid = form.validate()
    filter_args = form.url_args() if valid else {}
    licence = site_licence(config)
    settings = {
        "cell_m": config["WISHBOARD_AREA_CELL_M"],
        "radius_m": config["WISHBOARD_AREA_RADIUS_M"],
    }
    exports = []
    for export in EXPORTS:
        args = export.example_args(filter_args)
        links = [(CsvVariant.STANDARD, url_for(export.endpoint, **args))]
        if export.csv:
            variant = CsvVariant.SPREADSHEET.value
            links.append(
                (CsvVariant.SPREADSHEET, url_for(export.endpoint, variant=variant, **args))
            )
        exports.append(
            {
                "export": export,
                "description": export.describe(settings),
                "address": url_for(export.endpoint, _external=True),
                "links": links,
                "filtered": bool(args),
                "ignores_filters": bool(filter_args) and not args,
                "licences": licences_of(export, licence),
            }
        )
    return render(
        "public/data.html",
        status=200 if valid else 400,
        form=form,
        filter_args=filter_args,
        exports=exports,
        licence=licence,
        odbl=ODBL,
        osm_copyright_url=OSM_COPYRIGHT_URL,
    )
