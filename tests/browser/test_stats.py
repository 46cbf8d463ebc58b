"""The statistics and the gap map in a real browser: readable on a phone, axe clean, gaps mapped."""

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import MARKUP_ADDRESS, PageWatch, axe_violations
from wishboard.services.demand.gaps import gap_points
from wishboard.services.open_data import GAP_TYPES
from wishboard.settings import settings

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
OVERLAYS = ".leaflet-control-layers-overlays"
GAP_MARKERS = ".map-layer-marker-gaps"
OPEN_POPUP = """(title) => {
    const marker = document.querySelector(`.map-layer-marker-gaps[title="${CSS.escape(title)}"]`)
        || [...document.querySelectorAll(".map-layer-marker-gaps")].find((m) => m.title === title);
    if (!marker) return false;
    marker.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    return true;
}"""


@pytest.fixture
def gap_count(live_app: Flask) -> int:
    """How many vacant premises of the live town have a gap."""
    with live_app.app_context():
        return len(gap_points())


def _gaps_switch(page: Page):
    return page.locator(OVERLAYS).get_by_role("checkbox", name=re.compile("gap|manque", re.I))


def test_the_gap_layer_is_drawn_and_switched_by_keyboard(
    page: Page, watch: PageWatch, gap_count: int
) -> None:
    assert gap_count > 0  # the live town has gaps to show
    page.goto("/gaps")

    switch = _gaps_switch(page)
    expect(switch).to_be_checked()
    expect(page.locator(GAP_MARKERS)).to_have_count(gap_count)
    expect(page.locator("#map-status")).to_contain_text(str(gap_count))
    # Triangles: told apart from the premises' circles and the shops' squares by shape.
    expect(page.locator(GAP_MARKERS).first.locator("svg polygon")).to_have_attribute(
        "points", "8,1 15,14 1,14"
    )

    switch.focus()
    page.keyboard.press("Space")
    expect(switch).not_to_be_checked()
    expect(page.locator(GAP_MARKERS)).to_have_count(0)
    page.keyboard.press("Space")
    expect(page.locator(GAP_MARKERS)).to_have_count(gap_count)
    watch.assert_clean()


def test_a_gap_popup_shows_its_premises_as_text_and_links_to_it(
    page: Page, watch: PageWatch
) -> None:
    page.goto("/gaps")
    expect(page.locator(GAP_MARKERS).first).to_be_attached()

    assert page.evaluate(OPEN_POPUP, MARKUP_ADDRESS)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".map-popup-title")).to_have_text(MARKUP_ADDRESS)
    expect(popup.locator(".map-popup-meta").nth(1)).to_contain_text(re.compile("Gap|Manque", re.I))
    expect(page.locator(".injected")).to_have_count(0)

    popup.get_by_role("link").click()

    expect(page).to_have_url(re.compile(r"/premises/\d+$"))
    expect(page.locator(".gap-list .coverage-gap").first).to_be_visible()
    watch.assert_clean()


def test_a_gap_popup_words_the_files_data_singular_or_plural(
    page: Page, watch: PageWatch, live_app: Flask
) -> None:
    with live_app.app_context():
        radius = settings().area_radius_m
        points = gap_points(radius)
    markup = next(point for point in points if point.address == MARKUP_ADDRESS)
    # A premises whose first gap more than one resident asked for, for the plural.
    busy = next(point for point in points if point.gaps[0].count > 1)

    page.goto("/language/en?next=/gaps")
    expect(page.locator(GAP_MARKERS).first).to_be_attached()
    for point in (markup, busy):
        assert page.evaluate(OPEN_POPUP, point.address)
        popup = page.locator(".leaflet-popup-content")
        expect(popup.locator(".map-popup-title")).to_have_text(point.address)
        expected = [point.district] + [
            f"Gap: {item.shop_type.label_en}, asked for by {item.count} "
            f"{'resident' if item.count == 1 else 'residents'}, none open within {radius} m"
            for item in point.gaps[:GAP_TYPES]
        ]
        expect(popup.locator(".map-popup-meta")).to_have_text(expected)
        page.evaluate("() => map_town.closePopup()")
        expect(page.locator(".leaflet-popup")).to_have_count(0)
    watch.assert_clean()


@pytest.mark.parametrize("path", ["/stats", "/gaps"])
def test_phone_pages_do_not_scroll_sideways_and_pass_axe(
    page: Page, watch: PageWatch, path: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(path)
    if path == "/gaps":
        expect(page.locator(GAP_MARKERS).first).to_be_attached()

    expect(page.locator("figure.chart svg").first).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # A chart's labels stay legible: its SVG is drawn no narrower than the phone allows.
    width = page.evaluate(
        "() => document.querySelector('figure.chart svg').getBoundingClientRect().width"
    )
    assert width >= 300
    assert axe_violations(page) == []
    watch.assert_clean()


def test_the_stats_page_reads_without_javascript(browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    page = context.new_page()
    try:
        page.goto("/stats")
        expect(page.locator("#type-chart svg")).to_be_visible()
        expect(page.locator("#type-table tbody tr").first).to_be_visible()
    finally:
        context.close()
