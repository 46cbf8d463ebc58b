"""Public statistics and the gap map: what the town asks for, and where shops are missing."""

from flask import current_app, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from ..caching import cached_page
from ..htmx import render
from ..maps import MapLayer, PopupLine, town_map
from ..premises_page import map_settings
from ..services.demand.gaps import district_gaps
from ..services.demand.stats import town_stats
from ..settings import settings
from . import bp
from .layers import shops_layer

# Purple triangles with a dark outline: apart from the premises' circles and the shops' squares.
GAPS_COLOUR = "#5e35b1"
# How many bars a chart of categories draws; its table under it lists them all.
CHART_BARS = 12


def gaps_layer(shown: bool) -> MapLayer:
    """The vacant premises with a gap (a wished type with no such shop near) as a map layer."""

    def gap(count: int) -> str:
        # The sentence with its own numbers left for map.js: each gap's name and supports.
        return ngettext(
            "Gap: %(label)s, asked for by %(count)s resident, none open within %(radius)d m",
            "Gap: %(label)s, asked for by %(count)s residents, none open within %(radius)d m",
            count,
            label="%(label)s",
            count="%(count)s",
            radius=settings().area_radius_m,
        )

    return MapLayer(
        key="gaps",
        url=url_for("api.gaps_geojson"),
        label=_("Gaps: wished-for shops with none nearby"),
        colour=GAPS_COLOUR,
        shown=shown,
        shape="triangle",
        title="address",
        lines=(
            PopupLine("%(district)s"),
            PopupLine(gap(1), plural=gap(2), count="count", ranked="gap"),
        ),
    )


@bp.get("/gaps")
@cached_page
def gaps() -> ResponseReturnValue:
    """Per district, the shop types most wished for and least present, and the map of gaps."""
    config = current_app.config
    layers = [gaps_layer(shown=True), shops_layer(shown=False)]
    town = town_map(
        center=config["WISHBOARD_MAP_CENTER"],
        zoom=config["WISHBOARD_MAP_ZOOM"],
        bounds=config["WISHBOARD_MAP_BOUNDS"],
        geojson_url="",  # the gaps and the shops alone: no premises pins on this map
        labels={"map": _("Map of the gaps")},
        layers=layers,
        **map_settings(),
    )
    return render(
        "public/gaps.html",
        districts=district_gaps(),
        radius=settings().area_radius_m,
        chart_bars=CHART_BARS,
        map=town,
        layers=layers,
        locale=str(get_locale()),
    )


@bp.get("/stats")
@cached_page
def stats() -> ResponseReturnValue:
    """Citywide demand by type, group and district, wishes over time, premises let thanks to it."""
    return render(
        "public/stats.html",
        stats=town_stats(),
        chart_bars=CHART_BARS,
        locale=str(get_locale()),
    )
