"""The directory of open shops in a real browser: its map layer, its filters, accessibility."""

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests import factories
from tests.browser.conftest import PageWatch
from wishboard.extensions import db
from wishboard.models import District, Shop

pytestmark = pytest.mark.browser

# A shop whose name looks like markup: it must reach the page as text, never as HTML.
MARKUP_NAME = '<b class="injected">Épicerie</b> des Essais'
SHOP_MARKERS = ".leaflet-marker-pane .map-layer-marker-shops"
OVERLAYS = ".leaflet-control-layers-overlays"
# Opens the popup of the shop called `name` on the map, and says whether one was found.
OPEN_POPUP = """(name) => {
    let found = false;
    map_town.eachLayer((layer) => {
        if (!found && layer.options && layer.options.title === name && layer.openPopup) {
            map_town.setView(layer.getLatLng(), 17, {animate: false});
            layer.openPopup();
            found = true;
        }
    });
    return found;
}"""


@pytest.fixture(scope="module")
def markup_shop(live_app: Flask) -> int:
    """A shop with a tricky name, in a corner of the town away from the premises."""
    with live_app.app_context():
        shop_id = db.session.scalar(select(Shop.id).where(Shop.name == MARKUP_NAME))
        if shop_id is None:
            shop = factories.make_shop(
                name=MARKUP_NAME,
                shop_type=factories.shop_type("shop=books"),
                latitude=48.8462,
                longitude=2.3612,
                website="https://epicerie.example",
            )
            db.session.commit()
            shop_id = shop.id
        db.session.remove()
    return shop_id


@pytest.fixture
def shop_count(live_app: Flask, markup_shop: int) -> int:
    with live_app.app_context():
        count = db.session.scalar(select(func.count(Shop.id)))
        db.session.remove()
    return count


def _shops_switch(page: Page):
    return page.locator(OVERLAYS).get_by_role("checkbox", name=re.compile("shops|commerces", re.I))


def test_the_shops_layer_of_the_home_map_is_switched_on_and_off_by_keyboard(
    page: Page, watch: PageWatch, shop_count: int
) -> None:
    page.goto("/")
    expect(page.locator("#map-status")).not_to_be_empty()
    switch = _shops_switch(page)
    expect(switch).not_to_be_checked()
    expect(page.locator(SHOP_MARKERS)).to_have_count(0)

    switch.focus()
    page.keyboard.press("Space")

    expect(switch).to_be_checked()
    expect(page.locator(SHOP_MARKERS)).to_have_count(shop_count)
    expect(page.locator("#map-status")).to_contain_text(str(shop_count))
    # Squares, not the premises' circles: told apart by shape as well as colour.
    expect(page.locator(SHOP_MARKERS).first.locator("svg polygon")).to_have_count(1)

    page.keyboard.press("Space")
    expect(switch).not_to_be_checked()
    expect(page.locator(SHOP_MARKERS)).to_have_count(0)
    # Switched on again, it shows the shops it already loaded.
    page.keyboard.press("Space")
    expect(page.locator(SHOP_MARKERS)).to_have_count(shop_count)
    watch.assert_clean()


def test_the_shops_page_shows_its_layer_and_popups_as_text(
    page: Page, watch: PageWatch, shop_count: int, markup_shop: int, live_app: Flask
) -> None:
    page.goto("/shops")

    expect(_shops_switch(page)).to_be_checked()
    expect(page.locator(SHOP_MARKERS)).to_have_count(shop_count)
    assert page.evaluate(OPEN_POPUP, MARKUP_NAME)
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".map-popup-title")).to_have_text(MARKUP_NAME)
    expect(page.locator(".injected")).to_have_count(0)
    # Its type and address, worded by the map from the file's data.
    with live_app.app_context():
        shop = db.session.get(Shop, markup_shop)
        lines = [shop.shop_type.label_fr, shop.address, f"{shop.postcode} {shop.city}".strip()]
    expect(popup.locator(".map-popup-meta")).to_have_text([line for line in lines if line])

    # From the keyboard: a busy machine's click could land while the map still pans the popup
    # clear of its controls.
    popup.get_by_role("link").focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/shops/{markup_shop}$"))
    expect(page.locator("h1")).to_have_text(MARKUP_NAME)
    watch.assert_clean()


def test_a_filter_updates_the_list_and_the_map_in_place(
    page: Page, watch: PageWatch, live_app: Flask
) -> None:
    with live_app.app_context():
        district_id, name = db.session.execute(
            select(District.id, District.name).order_by(District.name).limit(1)
        ).one()
        in_district = db.session.scalar(
            select(func.count(Shop.id)).where(Shop.district_id == district_id)
        )
        db.session.remove()
    page.goto("/shops")
    expect(page.locator(SHOP_MARKERS).first).to_be_attached()
    page.locator(".filters-disclosure > summary").click()

    page.locator("#filter-district").select_option(str(district_id))

    expect(page).to_have_url(re.compile(rf"district={district_id}"))
    expect(page.locator("#shop-results h2")).to_contain_text(str(in_district))
    expect(page.locator(SHOP_MARKERS)).to_have_count(in_district)
    assert page.evaluate("() => document.querySelectorAll('.shop-card').length") == min(
        in_district, 20
    )
    watch.assert_clean()


def test_a_correction_is_sent_in_place(page: Page, watch: PageWatch, markup_shop: int) -> None:
    page.goto(f"/shops/{markup_shop}/correction")
    page.locator("#name").fill("Jeanne")
    page.locator("#email").fill("not-an-address")
    page.locator("#message").fill("The shop now opens on Sundays.")
    page.locator("#correction button[type=submit]").click()

    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    page.locator("#email").fill("jeanne@example.org")
    page.locator("#correction button[type=submit]").click()

    expect(page.locator("#correction [role=status]")).to_be_visible()
    expect(page.locator("#correction form")).to_have_count(0)
    # The browser logs the 422 of the first try on its console; nothing of ours may throw.
    assert watch.page_errors == []
    assert watch.foreign_requests == []
