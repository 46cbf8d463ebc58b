"""Maps built with folium: the only module that imports it.

Pages embed the map's container and its Leaflet set-up script, never folium's own page header
(it would disable zooming on phones and make the page full-screen). Every script and stylesheet
comes from our own `static/vendor/`, never from a CDN. The pins of the town map are not drawn
here: `static/js/map.js` loads them from the GeoJSON endpoint and clusters them.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import folium
from flask_babel import gettext as _
from folium.plugins import MarkerCluster
from folium.template import Template
from markupsafe import Markup

from .security import trust_inline_script
from .services.premises.listing import CELL_DEGREES_AT_ZOOM_0

VENDOR = "/static/vendor"
LEAFLET_JS = f"{VENDOR}/leaflet/leaflet.js"
LEAFLET_CSS = f"{VENDOR}/leaflet/leaflet.css"
MARKERCLUSTER_JS = f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = (
    f"{VENDOR}/leaflet.markercluster/MarkerCluster.css",
    f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css",
)
HEAT_JS = f"{VENDOR}/leaflet.heat/leaflet-heat.js"

# folium reads these class attributes when it renders; point them at our copies once, so that
# no folium object can ever make a visitor's browser call a CDN.
folium.Map.default_js = [("leaflet", LEAFLET_JS)]
folium.Map.default_css = [("leaflet_css", LEAFLET_CSS)]
MarkerCluster.default_js = [("markerclusterjs", MARKERCLUSTER_JS)]
MarkerCluster.default_css = [
    ("markerclustercss", MARKERCLUSTER_CSS[0]),
    ("markerclusterdefaultcss", MARKERCLUSTER_CSS[1]),
]

OUTLINE = "#1b1f24"  # the outline of every pin, as in static/js/map.js
# The heat of area wishes, light to dark as they grow: magentas, apart from the pins' colours.
HEAT_GRADIENT = {0.25: "#fcc5c0", 0.5: "#f768a1", 0.75: "#ae017e", 1.0: "#49006a"}
# The same gradient for the legend (CSS).
HEAT_LEGEND = "linear-gradient(to right, {})".format(
    ", ".join(f"{colour} {stop:.0%}" for stop, colour in HEAT_GRADIENT.items())
)
MAX_ZOOM = 19
MIN_ZOOM = 12
# From this zoom on, the town map loads the premises in its view one by one, however many.
STREET_ZOOM = 17
BOUNDS_SLACK = 0.25


@dataclass(frozen=True)
class SupportLevel:
    """A band of total support, drawn with its own radius and colour (and named in the legend)."""

    minimum: int
    maximum: int | None
    radius: int
    colour: str


# Radius grows with colour, so that the bands can be told apart without seeing colours.
# Every colour has at least 3:1 contrast with the light map background.
SUPPORT_LEVELS = (
    SupportLevel(0, 0, 6, "#5b6470"),
    SupportLevel(1, 4, 8, "#1f66b3"),
    SupportLevel(5, 9, 11, "#a8520a"),
    SupportLevel(10, None, 14, "#b3261e"),
)


# The shapes an overlay's markers may take, as points in a 16 px box (static/js/map.js draws
# the same): none is a circle, the premises pins' shape.
LAYER_SHAPES = {
    "square": "2,2 14,2 14,14 2,14",
    "diamond": "8,1 15,8 8,15 1,8",
    "triangle": "8,1 15,14 1,14",
}


@dataclass(frozen=True)
class PopupLine:
    """One line of a map layer's popup, worded in the page's language from a feature's data.

    `text` names properties as `%(name)s`; a line whose properties are all empty is left out.
    With `plural` and `count` (a property), `text` is the singular and `plural` the other form,
    as the browser's Intl.PluralRules picks for that count. With `ranked` (a prefix such as
    "gap"), the line is written once for each of the numbered properties `gap1_…`, `gap2_…`,
    which `text` names without their prefix (`%(label)s`).
    """

    text: str
    plural: str | None = None
    count: str | None = None
    ranked: str | None = None


@dataclass(frozen=True)
class MapLayer:
    """An overlay of the town map that map.js loads from GeoJSON and lists in the layers control.

    `url` serves Point features of data only (open data, no sentences): the property named by
    `title` heads a feature's popup, `lines` word the rest from its properties, and its
    optional `url` is a link; `label` is the layer's translated name in the control; `shown`
    says whether it is on at start. Its markers take `shape` with `colour` and a dark outline,
    so that they are told from the premises' circles without seeing colours.
    """

    key: str
    url: str
    label: str
    colour: str
    shown: bool = False
    shape: str = "square"
    title: str = "name"
    lines: tuple[PopupLine, ...] = ()

    @property
    def points(self) -> str:
        """The outline of the layer's markers, for a legend drawn in SVG."""
        return LAYER_SHAPES[self.shape]

    def as_data(self) -> dict:
        """What map.js reads of the layer."""
        if self.shape not in LAYER_SHAPES:
            raise ValueError(f"unknown marker shape {self.shape!r}")
        return {
            "key": self.key,
            "url": self.url,
            "label": self.label,
            "colour": self.colour,
            "shown": self.shown,
            "shape": self.shape,
            "title": self.title,
            "lines": [asdict(line) for line in self.lines],
            # The layer's own texts, so that any page may show it with no labels of its own.
            "link": _("Details"),
            "loaded": _(
                "%(label)s: %(count)s shown on the map.", label=self.label, count="%(count)s"
            ),
            "failed": _("The map could not load this layer: %(label)s.", label=self.label),
        }


@dataclass(frozen=True)
class MapParts:
    """What a page needs to show a map: its container, its script and the assets to load."""

    html: Markup
    script: Markup
    css_urls: tuple[str, ...]
    js_urls: tuple[str, ...]


class _EmbeddedMap(folium.Map):
    """A folium Map whose container carries a name for assistive technology and data for map.js.

    Its Leaflet map is a property of `window`: the page runs the set-up as a module script (see
    templates/public/_map_assets.html), whose own variables map.js could not see.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
            <div class="folium-map {{ this.css_class }}" id="{{ this.get_name() }}" role="region"
                 aria-label="{{ this.accessible_name|e }}" tabindex="0"
                 data-map-var="{{ this.get_name() }}"
                 {%- for key, value in this.data_attributes.items() %}
                 data-{{ key }}="{{ value|e }}"
                 {%- endfor %}></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            window.{{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        accessible_name: str,
        css_class: str,
        data_attributes: Mapping[str, str],
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        # A fixed name instead of folium's random one: the same page renders the same bytes, and
        # map.js finds the Leaflet map through the `data-map-var` attribute.
        self._id = name
        self.accessible_name = accessible_name
        self.css_class = css_class
        self.data_attributes = dict(data_attributes)


def _tile_layer(tile_url: str, tile_attribution: str) -> folium.TileLayer | None:
    """The background tiles, or None when the site is configured to draw no tiles."""
    if not tile_url:
        return None
    return folium.TileLayer(
        tiles=tile_url, attr=tile_attribution, max_zoom=MAX_ZOOM, min_zoom=MIN_ZOOM
    )


def _parts(folium_map: folium.Map, css: Sequence[str], js: Sequence[str]) -> MapParts:
    root = folium_map.get_root()
    root.render()
    script = root.script.render()
    # The page writes it inline: the Content-Security-Policy allows it by its hash.
    trust_inline_script(script)
    return MapParts(
        html=Markup(root.html.render()),
        script=Markup(script),
        css_urls=tuple(css),
        js_urls=tuple(js),
    )


def town_map(
    center: Sequence[float],
    zoom: int,
    bounds: Sequence[float],
    tile_url: str,
    tile_attribution: str,
    geojson_url: str,
    labels: Mapping[str, str],
    area_wishes_url: str = "",
    layers: Sequence[MapLayer] = (),
    clusters_url: str = "",
    pins_up_to: int = 1500,
) -> MapParts:
    """The town map: Leaflet set up by folium, pins loaded by map.js from `geojson_url`.

    With `clusters_url`, map.js loads only what its view shows: below `STREET_ZOOM`, the
    premises counted by area from `clusters_url`, or each of them when the view holds no more
    than `pins_up_to`; from `STREET_ZOOM` on, the premises in the view (`geojson_url` with a
    `bbox`). Both URLs carry the filters chosen.

    `bounds` is (south, west, north, east); `labels` are the texts map.js shows, already
    translated, and `labels["map"]` names the map for screen readers. With `area_wishes_url`,
    map.js draws the area wishes from it as a heat layer that can be switched off. Each of
    `layers` is an overlay of its own in the layers control. An empty `geojson_url` draws no
    premises (a map of the overlays alone).
    """
    south, west, north, east = bounds
    # Some slack around the town, so that a popup near its edge can still pan into view.
    slack_lat, slack_lon = (north - south) * BOUNDS_SLACK, (east - west) * BOUNDS_SLACK
    town = _EmbeddedMap(
        name="town",
        accessible_name=labels["map"],
        css_class="town-map",
        data_attributes={
            "geojson-url": geojson_url,
            "clusters-url": clusters_url,
            "view": json.dumps(
                {
                    "cell": CELL_DEGREES_AT_ZOOM_0,
                    "street_zoom": STREET_ZOOM,
                    "pins_up_to": pins_up_to,
                }
            ),
            "area-wishes-url": area_wishes_url,
            "layers": json.dumps([layer.as_data() for layer in layers], ensure_ascii=False),
            "heat-gradient": json.dumps(HEAT_GRADIENT),
            "bounds": json.dumps(list(bounds)),
            "labels": json.dumps({"layers": _("Layers of the map"), **labels}, ensure_ascii=False),
            "levels": json.dumps(
                [
                    {"min": level.minimum, "radius": level.radius, "colour": level.colour}
                    for level in SUPPORT_LEVELS
                ]
            ),
        },
        location=list(center),
        zoom_start=zoom,
        tiles=_tile_layer(tile_url, tile_attribution),
        prefer_canvas=True,
        max_bounds=True,
        min_lat=south - slack_lat,
        min_lon=west - slack_lon,
        max_lat=north + slack_lat,
        max_lon=east + slack_lon,
        maxZoom=MAX_ZOOM,
        minZoom=MIN_ZOOM,
        maxBoundsViscosity=0.8,
        # A map of overlays alone frames them (fitBounds) between whole zoom levels: with whole
        # levels only, a tall spread of pins on a wide map fills a fraction of it. The premises'
        # clusters need whole levels (markercluster builds one set of clusters per level).
        zoomSnap=1 if geojson_url else 0.25,
    )
    return _parts(
        town,
        css=(LEAFLET_CSS, *MARKERCLUSTER_CSS),
        js=(LEAFLET_JS, MARKERCLUSTER_JS, HEAT_JS),
    )


def position_map(
    latitude: float,
    longitude: float,
    tile_url: str,
    tile_attribution: str,
    accessible_name: str,
) -> MapParts:
    """A small map of one place, with a single circle on it; nothing to load afterwards."""
    place = _EmbeddedMap(
        name="position",
        accessible_name=accessible_name,
        css_class="position-map",
        data_attributes={},
        location=[latitude, longitude],
        zoom_start=17,
        tiles=_tile_layer(tile_url, tile_attribution),
        prefer_canvas=True,
        maxZoom=MAX_ZOOM,
        minZoom=MIN_ZOOM,
        scrollWheelZoom=False,
    )
    folium.CircleMarker(
        location=[latitude, longitude],
        radius=10,
        color=OUTLINE,
        weight=3,
        fill=True,
        fill_color=SUPPORT_LEVELS[-1].colour,
        fill_opacity=0.9,
    ).add_to(place)
    return _parts(place, css=(LEAFLET_CSS,), js=(LEAFLET_JS,))


def picker_map(
    latitude: float | None,
    longitude: float | None,
    center: Sequence[float],
    zoom: int,
    bounds: Sequence[float],
    tile_url: str,
    tile_attribution: str,
    labels: Mapping[str, str],
    fields: tuple[str, str] = ("latitude", "longitude"),
    status: str = "picker-status",
) -> MapParts:
    """A map on which staff set a place by clicking or dragging: it fills two typed fields.

    `fields` are the ids of the latitude and longitude inputs, which stay the way to type the
    place (and its text alternative); static/js/position_picker.js draws the draggable pin and
    says what was chosen in the live region of id `status`. `labels["map"]` names the map for
    screen readers.
    """
    placed = latitude is not None and longitude is not None
    south, west, north, east = bounds
    slack_lat, slack_lon = (north - south) * BOUNDS_SLACK, (east - west) * BOUNDS_SLACK
    picker = _EmbeddedMap(
        name="picker",
        accessible_name=labels["map"],
        css_class="picker-map",
        data_attributes={
            "picker-latitude": fields[0],
            "picker-longitude": fields[1],
            "picker-status": status,
            "bounds": json.dumps(list(bounds)),
            "labels": json.dumps(dict(labels), ensure_ascii=False),
        },
        location=[latitude, longitude] if placed else list(center),
        zoom_start=17 if placed else zoom,
        tiles=_tile_layer(tile_url, tile_attribution),
        max_bounds=True,
        min_lat=south - slack_lat,
        min_lon=west - slack_lon,
        max_lat=north + slack_lat,
        max_lon=east + slack_lon,
        maxZoom=MAX_ZOOM,
        minZoom=MIN_ZOOM,
        scrollWheelZoom=False,
    )
    return _parts(picker, css=(LEAFLET_CSS,), js=(LEAFLET_JS,))
