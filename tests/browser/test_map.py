"""The public pages in a real browser: the map draws its pins, the list shows, nothing leaks out."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import MARKUP_ADDRESS, PageWatch, axe_violations
from wishboard.extensions import db
from wishboard.models import Premises, PremisesStatus
from wishboard.services.demand import counts as demand

pytestmark = pytest.mark.browser

# Pins the map holds: circles alone, and clusters standing for several circles.
COUNT_PINS = """() => {
    let pins = 0;
    map_town.eachLayer((layer) => {
        if (layer instanceof L.MarkerClusterGroup) pins += layer.getLayers().length;
    });
    return pins;
}"""

OPEN_POPUP = """(address) => new Promise((resolve) => {
    map_town.eachLayer((layer) => {
        if (!(layer instanceof L.MarkerClusterGroup)) return;
        const pin = layer.getLayers().find((circle) => {
            const content = circle.getPopup().getContent()();
            return content.querySelector(".map-popup-title").textContent === address;
        });
        layer.zoomToShowLayer(pin, () => {
            // Leaflet pans an opened popup into view, animated: a click during it may miss.
            let panning = false;
            map_town.once("autopanstart", () => { panning = true; });
            const moved = new Promise((done) => map_town.once("moveend", done));
            pin.openPopup();
            (panning ? moved : Promise.resolve()).then(() => resolve(true));
        });
    });
})"""


@pytest.fixture
def shown_premises(live_app) -> int:
    """How many premises the map should show: every one that is not withdrawn."""
    with live_app.app_context():
        statuses = db.session.scalars(select(Premises.status)).all()
    return sum(status is not PremisesStatus.WITHDRAWN for status in statuses)


def test_map_draws_every_premises_from_local_assets(
    page: Page, watch: PageWatch, shown_premises: int
) -> None:
    page.goto("/")

    expect(page.locator("#map-status")).to_contain_text(str(shown_premises))
    assert page.evaluate(COUNT_PINS) == shown_premises
    expect(page.locator(".marker-cluster").first).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Carte", re.IGNORECASE))).to_be_visible()
    watch.assert_clean()


def test_popup_shows_an_address_as_text_and_links_to_the_premises(
    page: Page, watch: PageWatch
) -> None:
    page.goto("/")
    expect(page.locator("#map-status")).not_to_be_empty()

    page.evaluate(OPEN_POPUP, MARKUP_ADDRESS)

    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".map-popup-title")).to_have_text(MARKUP_ADDRESS)
    expect(popup.locator(".injected")).to_have_count(0)
    popup.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(MARKUP_ADDRESS)
    expect(page.locator(".demand-list .demand-row")).to_have_count(1)
    watch.assert_clean()


def test_the_popup_of_a_let_premises_says_what_opened_and_how_many_had_asked(
    page: Page, watch: PageWatch, live_app
) -> None:
    with live_app.app_context():
        let = db.session.scalars(
            select(Premises).where(Premises.status == PremisesStatus.LET).order_by(Premises.id)
        ).first()
        address, label = let.address, let.let_shop_type.label("fr")
        asked = demand.asked_for(demand.demand_for(let), let.let_shop_type)
        db.session.remove()
    page.goto("/")
    expect(page.locator("#map-status")).not_to_be_empty()

    page.evaluate(OPEN_POPUP, address)

    expect(page.locator(".leaflet-popup-content .map-popup-let")).to_have_text(
        f"Désormais ouvert ici\u00a0: {label}. "
        f"Habitants qui avaient demandé ce type de commerce\u00a0: {asked}."
    )
    watch.assert_clean()


def test_list_shows_premises_rows(page: Page, watch: PageWatch) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile("list", re.IGNORECASE)).first.click()

    expect(page).to_have_url(re.compile(r"/premises$"))
    rows = page.locator(".premises-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 0
    watch.assert_clean()


def test_on_a_phone_the_list_shows_each_premises_as_a_card(page: Page, watch: PageWatch) -> None:
    # Every page's width on a phone is the layout guard's (test_layout_guard.py); here, the list's
    # cards show the most wished types without scrolling sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/premises")

    wished = page.locator(".premises-table tbody tr").first.locator("td").last
    expect(wished).to_be_in_viewport()
    watch.assert_clean()


def test_language_link_switches_to_english(page: Page, watch: PageWatch) -> None:
    page.goto("/premises")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.locator(".language-switch").get_by_role("link", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/premises\??$"))
    watch.assert_clean()


def test_next_page_of_the_list_loads_in_place(page: Page, watch: PageWatch, live_app) -> None:
    live_app.config["WISHBOARD_PAGE_SIZE"] = 5
    try:
        page.goto("/premises")
        first_row = page.locator(".premises-table tbody th").first.inner_text()

        page.locator(".pagination").get_by_role("link", name=re.compile("2")).first.click()

        expect(page).to_have_url(re.compile(r"page=2"))
        expect(page.locator(".premises-table tbody th").first).not_to_have_text(first_row)
        expect(page.locator("#premises-results")).to_be_focused()
        watch.assert_clean()
    finally:
        live_app.config["WISHBOARD_PAGE_SIZE"] = 20


@pytest.fixture
def premises_path(live_app) -> str:
    with live_app.app_context():
        premises_id = db.session.scalar(
            select(Premises.id).where(Premises.address == MARKUP_ADDRESS)
        )
    return f"/premises/{premises_id}"


# True once the clusters have finished animating pins in or out.
SETTLED = """() => {
    let busy = 0;
    map_town.eachLayer((layer) => {
        if (layer instanceof L.MarkerClusterGroup) busy += layer._inZoomAnimation;
    });
    return busy === 0;
}"""

# The status line of counts by area, in French ("comptés par zone") or still in English.
BY_AREA = re.compile("compt|counted")


@pytest.fixture
def crowded_map(live_app):
    """The home map as a town with many premises has it: counts by area until the street zoom."""
    cache = live_app.extensions["wishboard.response_cache"]
    live_app.config["WISHBOARD_MAP_PINS_UP_TO"] = 5
    cache.clear()  # the home page is kept per data version
    yield
    live_app.config["WISHBOARD_MAP_PINS_UP_TO"] = 1500
    cache.clear()


def test_zoomed_out_the_map_counts_by_area_and_zoomed_in_loads_the_pins_in_view(
    page: Page, watch: PageWatch, shown_premises: int, crowded_map, live_app
) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    with live_app.app_context():
        place = db.session.scalars(select(Premises).where(Premises.address == MARKUP_ADDRESS)).one()
        latitude, longitude = place.latitude, place.longitude
    page.goto("/")

    status = page.locator("#map-status")
    expect(status).to_contain_text(BY_AREA)
    expect(status).to_contain_text(str(shown_premises))
    cells = page.locator(".map-cell")
    expect(cells.first).to_be_visible()
    assert page.evaluate(COUNT_PINS) == 0
    assert any("/api/premises/clusters.geojson?zoom=" in url for url in asked)
    assert not any("/api/premises.geojson" in url for url in asked)
    assert axe_violations(page) == []

    page.evaluate(
        "([lat, lon]) => map_town.setView([lat, lon], 17, {animate: false})",
        [latitude, longitude],
    )

    expect(status).not_to_contain_text(BY_AREA)
    expect(cells).to_have_count(0)
    pins = page.evaluate(COUNT_PINS)
    assert 0 < pins < shown_premises
    expect(status).to_contain_text(str(pins))
    in_view = [url for url in asked if "/api/premises.geojson?bbox=" in url]
    assert len(in_view) == 1
    # The box asked for holds the view, and the pin of the premises in its middle is drawn.
    west, south, east, north = (float(value) for value in in_view[0].split("bbox=")[1].split(","))
    view = page.evaluate("map_town.getBounds().toBBoxString()").split(",")
    assert west <= float(view[0]) and south <= float(view[1])
    assert east >= float(view[2]) and north >= float(view[3])
    # The clusters animate the pins in: asked to show one meanwhile, markercluster never answers.
    page.wait_for_function(SETTLED)
    page.evaluate(OPEN_POPUP, MARKUP_ADDRESS)
    expect(page.locator(".leaflet-popup-content .map-popup-title")).to_have_text(MARKUP_ADDRESS)
    watch.assert_clean()
