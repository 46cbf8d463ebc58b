"""Shops' online visibility in a real browser, on a phone: the list to contact, filtered with htmx,
a contact recorded, a correction handled; every page accessible."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from wishboard.extensions import db
from wishboard.models import Presence, Role

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOP_NAME = '<b class="injected">Cordonnerie</b> du Test'


@pytest.fixture
def staff_and_shop(live_app) -> dict:
    """A moderator, a district of its own with a shop invisible online, and a correction."""
    with live_app.app_context():
        moderator = factories.make_user(role=Role.MODERATOR)
        district = factories.make_district()  # a new one for each test
        shop = factories.make_shop(
            name=SHOP_NAME,
            district=district,
            has_website=Presence.NO,
            has_social=Presence.NO,
            on_map_service=Presence.NO,
        )
        correction = factories.make_correction(shop, message="Nous ouvrons le dimanche.")
        db.session.commit()
        return {
            "email": moderator.email,
            "district_id": district.id,
            "shop_id": shop.id,
            "correction_id": correction.id,
        }


def _fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_moderator_finds_a_shop_to_contact_and_records_the_contact(
    page: Page, watch: PageWatch, staff_and_shop: dict
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, staff_and_shop["email"])

    page.goto("/moderation/visibility")
    expect(page.locator("#visibility-results tbody tr").first).to_be_visible()
    assert axe_violations(page) == []
    assert _fits_the_screen(page)

    # The filters reload only the results (htmx), and the address follows them.
    page.locator("#filter-district").select_option(str(staff_and_shop["district_id"]))
    page.locator("#visibility-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"district={staff_and_shop['district_id']}"))
    rows = page.locator("#visibility-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th a")).to_have_text(SHOP_NAME)  # as text, never as markup
    expect(page.locator(".injected")).to_have_count(0)
    expect(rows.first.locator(".last-contact time")).to_have_count(0)  # never contacted

    rows.first.locator("th a").click()
    expect(page).to_have_url(re.compile(rf"/moderation/shops/{staff_and_shop['shop_id']}$"))
    expect(page.locator("h1")).to_have_text(SHOP_NAME)
    assert axe_violations(page) == []
    assert _fits_the_screen(page)

    page.locator("#outcome").select_option("interested")
    page.locator("#note").fill("Veut de l'aide pour une fiche sur une carte")
    page.locator(".contact-form button[type=submit]").click()
    history = page.locator("#contacts .contact-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Veut de l'aide")
    expect(history.first.locator("time")).to_have_count(1)

    # Now on a map service: the level the page shows changes with it.
    page.locator("#on_map_service").select_option("yes")
    page.locator(".shop-form button[type=submit]").click()
    expect(page.locator(".staff-status .badge")).to_have_class(re.compile("level-low"))

    page.goto(f"/moderation/visibility?district={staff_and_shop['district_id']}")
    expect(page.locator("#visibility-results tbody tr")).to_have_count(0)
    watch.assert_clean()


def test_corrections_and_the_shop_list_are_accessible_and_work(
    page: Page, watch: PageWatch, staff_and_shop: dict
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, staff_and_shop["email"])

    page.goto("/moderation/corrections")
    item = page.locator(f"#correction-{staff_and_shop['correction_id']}")
    expect(item.locator("blockquote")).to_have_text("Nous ouvrons le dimanche.")
    assert axe_violations(page) == []
    assert _fits_the_screen(page)
    nav = page.locator(".staff-nav a[href='/moderation/corrections']")
    expect(nav).to_have_text(re.compile(r"\(\d+\)"))

    done = f"/moderation/corrections/{staff_and_shop['correction_id']}/done"
    item.locator(f"form[action='{done}'] button").click()
    # Answered in place (htmx): what happened replaces the buttons; gone from the list after.
    expect(item.locator("[role=status]")).to_be_visible()
    expect(item.locator("form")).to_have_count(0)
    page.reload()
    expect(page.locator(f"#correction-{staff_and_shop['correction_id']}")).to_have_count(0)

    page.goto("/moderation/shops?q=du+Test")
    expect(page.locator("#staff-shops-results tbody tr th a").first).to_have_text(SHOP_NAME)
    assert axe_violations(page) == []
    watch.assert_clean()
