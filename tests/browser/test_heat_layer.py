"""The heat layer of area wishes in a real browser: drawn below the pins, switched by keyboard."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageWatch, axe_violations

pytestmark = pytest.mark.browser

HEAT_CANVAS = ".leaflet-overlay-pane > canvas.leaflet-heatmap-layer"
# Whether the heat canvas has anything painted on it.
HEAT_PAINTED = """() => {
    const canvas = document.querySelector(".leaflet-overlay-pane > canvas.leaflet-heatmap-layer");
    if (!canvas || !canvas.width || !canvas.height) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
}"""
HEAT_IS_FIRST = """() => {
    const pane = document.querySelector(".leaflet-overlay-pane");
    return pane.firstElementChild.classList.contains("leaflet-heatmap-layer")
        && pane.children.length > 1;
}"""


def _heat_label(page: Page) -> str:
    labels = page.locator(".town-map").get_attribute("data-labels")
    return json.loads(labels)["heat"]


def test_heat_layer_is_drawn_below_the_pins_and_switched_by_keyboard(
    page: Page, watch: PageWatch
) -> None:
    page.goto("/")
    expect(page.locator("#map-status")).not_to_be_empty()
    switch = page.locator(".leaflet-control-layers-overlays").get_by_role(
        "checkbox", name=_heat_label(page)
    )
    expect(switch).to_be_checked()
    expect(switch).to_be_enabled()
    expect(page.locator(HEAT_CANVAS)).to_have_count(1)
    page.wait_for_function(HEAT_PAINTED)
    # Below the pins' canvas, which the click on a premises needs to reach.
    page.wait_for_function(HEAT_IS_FIRST)

    switch.focus()
    page.keyboard.press("Space")
    expect(switch).not_to_be_checked()
    expect(page.locator(HEAT_CANVAS)).to_have_count(0)

    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    expect(page.locator(HEAT_CANVAS)).to_have_count(1)
    page.wait_for_function(HEAT_IS_FIRST)
    # Leaflet greys out a layer outside its zoom range: the heat has none.
    for zoom in (12, 18):
        page.evaluate("(zoom) => map_town.setZoom(zoom, {animate: false})", zoom)
        expect(switch).to_be_enabled()
    watch.assert_clean()


def test_legend_explains_the_heat(page: Page, watch: PageWatch) -> None:
    page.goto("/")

    item = page.locator(".map-legend li").filter(has=page.locator(".legend-heat"))
    expect(item).to_have_count(1)
    expect(item).not_to_have_text("")
    watch.assert_clean()


def test_home_page_with_heat_layer_has_no_serious_accessibility_violation(
    page: Page, watch: PageWatch
) -> None:
    page.goto("/")
    heat = page.locator(".leaflet-control-layers-overlays").get_by_role(
        "checkbox", name=_heat_label(page)
    )
    expect(heat).to_be_checked()

    assert axe_violations(page) == []
    watch.assert_clean()


def test_pins_still_load_when_the_area_wishes_fail(page: Page, watch: PageWatch) -> None:
    page.route("**/api/area-wishes.geojson", lambda route: route.fulfill(status=500))
    page.goto("/")

    expect(page.locator("#map-status")).not_to_have_class("map-status-error")
    expect(page.locator("#map-status")).to_contain_text(re.compile(r"\d"))
    # The layers control lists the other overlays (the shops), not the heat.
    heat = page.locator(".leaflet-control-layers-overlays").get_by_role(
        "checkbox", name=_heat_label(page)
    )
    expect(heat).to_have_count(0)
    # The browser reports the failed request on its console; nothing of ours may throw.
    assert watch.page_errors == []
    assert watch.foreign_requests == []


def test_a_tap_on_the_heat_reaches_the_map(page: Page, watch: PageWatch) -> None:
    page.goto("/")
    page.wait_for_function(HEAT_PAINTED)
    page.locator(".town-map").scroll_into_view_if_needed()
    # The middle of the first cell of area wishes, on screen.
    point = page.evaluate(
        """async () => {
            const container = document.querySelector(".town-map");
            const cells = await (await fetch(container.dataset.areaWishesUrl)).json();
            const ring = cells.features[0].geometry.coordinates[0];
            const [lon, lat] = [(ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2];
            map_town.setView([lat, lon], 17, {animate: false});
            window.tapped = null;
            map_town.once("click", (event) => { window.tapped = event.latlng; });
            const box = container.getBoundingClientRect();
            const at = map_town.latLngToContainerPoint([lat, lon]);
            return {x: box.left + at.x, y: box.top + at.y};
        }"""
    )

    page.mouse.click(point["x"], point["y"])

    assert page.evaluate("() => window.tapped !== null")
    watch.assert_clean()
