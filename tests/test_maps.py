"""Maps built with folium load everything from our own static/vendor, never from a CDN."""

import json
import re

from bs4 import BeautifulSoup

from wishboard import maps
from wishboard.services.premises.listing import cell_degrees

BOUNDS = (48.845, 2.36, 48.903, 2.417)
LABELS = {"map": "Map of <the> premises", "details": "See this premises"}


def _town(tile_url: str = "", geojson_url: str = "/api/premises.geojson") -> maps.MapParts:
    return maps.town_map(
        center=(48.876, 2.39),
        zoom=14,
        bounds=BOUNDS,
        tile_url=tile_url,
        tile_attribution="&copy; OpenStreetMap",
        geojson_url=geojson_url,
        labels=LABELS,
    )


def test_a_map_of_overlays_frames_them_between_zoom_levels_and_clusters_keep_whole_ones() -> None:
    # The shops' and the gaps' maps fill their box with their pins; the premises' clusters are
    # built per whole zoom level, and their "zoom to show" never ends at a level between two.
    assert '"zoomSnap": 0.25' in _town(geojson_url="").script
    assert '"zoomSnap": 1' in _town().script


def test_town_map_assets_are_all_vendored() -> None:
    parts = _town()

    assert parts.js_urls and parts.css_urls
    for url in (*parts.js_urls, *parts.css_urls):
        assert url.startswith("/static/vendor/")
    assert "http" not in parts.html
    assert "http" not in parts.script


def test_folium_classes_point_at_vendored_copies() -> None:
    from folium.plugins import MarkerCluster

    for cls in (maps.folium.Map, MarkerCluster):
        for _, url in (*cls.default_js, *cls.default_css):
            assert url.startswith("/static/vendor/")


def test_town_map_container_names_the_map_and_carries_its_data() -> None:
    parts = _town()
    container = BeautifulSoup(parts.html, "html.parser").select_one("div.folium-map")

    assert container["role"] == "region"
    assert container["aria-label"] == LABELS["map"]
    assert container["tabindex"] == "0"
    assert container["data-geojson-url"] == "/api/premises.geojson"
    assert f"window.{container['data-map-var']} = L.map(" in parts.script
    # The page's texts, and the name of the layers button a phone shows instead of the list.
    assert json.loads(container["data-labels"]) == {"layers": "Layers of the map", **LABELS}
    levels = json.loads(container["data-levels"])
    assert [level["min"] for level in levels] == sorted(level["min"] for level in levels)
    # Bigger circles for more support: the size tells the levels apart, not only the colour.
    assert [level["radius"] for level in levels] == sorted({level["radius"] for level in levels})


def test_town_map_tells_map_js_how_to_load_only_what_its_view_shows() -> None:
    parts = maps.town_map(
        center=(48.876, 2.39),
        zoom=14,
        bounds=BOUNDS,
        tile_url="",
        tile_attribution="",
        geojson_url="/api/premises.geojson?type=shop%3Dbakery",
        clusters_url="/api/premises/clusters.geojson?type=shop%3Dbakery",
        pins_up_to=300,
        labels=LABELS,
    )
    container = BeautifulSoup(parts.html, "html.parser").select_one("div.folium-map")

    assert container["data-clusters-url"] == "/api/premises/clusters.geojson?type=shop%3Dbakery"
    assert json.loads(container["data-bounds"]) == list(BOUNDS)  # the first view frames them
    # The grid's cell at zoom 0 is the server's, so that the boxes map.js asks for fall on it.
    assert json.loads(container["data-view"]) == {
        "cell": cell_degrees(0),
        "street_zoom": maps.STREET_ZOOM,
        "pins_up_to": 300,
    }


def test_town_map_without_tile_url_has_no_tile_layer() -> None:
    assert "tileLayer" not in _town().script


def test_town_map_with_tile_url_uses_it_and_keeps_zoom_limits() -> None:
    script = _town("https://tiles.example.org/{z}/{x}/{y}.png").script

    assert "L.tileLayer" in script
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in script
    assert f'"maxZoom": {maps.MAX_ZOOM}' in script
    assert '"preferCanvas": true' in script
    assert '"maxBounds"' in script


def test_rendering_is_stable_and_skips_folium_header() -> None:
    first, second = _town(), _town()

    assert first == second
    assert "user-scalable" not in first.html + first.script
    assert "<style" not in first.html


def test_position_map_draws_one_circle_from_vendored_leaflet() -> None:
    parts = maps.position_map(48.87, 2.38, "", "", accessible_name="Where it is")

    assert parts.js_urls == (maps.LEAFLET_JS,)
    assert len(re.findall(r"L\.circleMarker\(", parts.script)) == 1
    assert "[48.87, 2.38]" in parts.script
    assert "http" not in parts.html + parts.script
