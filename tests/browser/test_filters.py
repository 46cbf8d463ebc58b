"""Filters in a real browser: in place with JavaScript, as a plain form without, accessible."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from tests.browser.conftest import PageWatch, axe_violations
from wishboard.extensions import db
from wishboard.models import District
from wishboard.services.premises.listing import PremisesFilter, map_premises, vacant_premises

pytestmark = pytest.mark.browser

COUNT_PINS = """() => {
    let pins = 0;
    map_town.eachLayer((layer) => {
        if (layer instanceof L.MarkerClusterGroup) pins += layer.getLayers().length;
    });
    return pins;
}"""


def shows(count: int) -> re.Pattern:
    """A text holding `count` as its only number, wherever the language puts it."""
    return re.compile(rf"^\D*{count}\D*$")


def vacant_count(filters: PremisesFilter) -> int:
    query = vacant_premises(filters).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


@pytest.fixture
def district(live_app) -> tuple[int, str, int]:
    """A district with some of the vacant premises but not all: id, name, how many."""
    with live_app.app_context():
        total = vacant_count(PremisesFilter())
        for district_id, name in db.session.execute(
            select(District.id, District.name).order_by(District.name)
        ):
            count = vacant_count(PremisesFilter(district_id=district_id))
            if 0 < count < total:
                return district_id, name, count
    pytest.fail("the live town has no district with only some of the vacant premises")


@pytest.fixture
def shop_type(live_app) -> tuple[str, int, int]:
    """A shop type wished at some premises of the map but not all: code, how many, all."""
    with live_app.app_context():
        total = len(map_premises())
        for code in ("shop=bakery", "shop=cheese", "amenity=cafe", "shop=books"):
            count = len(map_premises(PremisesFilter(shop_type=code)))
            if 0 < count < total:
                return code, count, total
    pytest.fail("the live town has no shop type wished at only some premises")


def test_choosing_a_district_updates_the_list_in_place(
    page: Page, watch: PageWatch, district: tuple[int, str, int]
) -> None:
    district_id, name, count = district
    page.goto("/premises")
    heading = page.locator("#results-title")
    before = heading.inner_text()
    page.evaluate("window.notReloaded = true")

    page.locator(".filters-disclosure summary").click()
    page.locator("#filter-district").focus()  # as a person choosing does
    page.locator("#filter-district").select_option(label=name)

    expect(page).to_have_url(re.compile(rf"/premises\?district={district_id}&sort=demand$"))
    expect(heading).to_contain_text(str(count))
    cells = page.locator(".premises-table tbody td[data-label]:nth-of-type(1)")
    expect(cells.first).to_have_text(name)
    assert set(cells.all_inner_texts()) == {name}
    assert page.evaluate("window.notReloaded") is True
    # Focus stays on the field; the new count is read out from the status line instead.
    expect(page.locator("#filter-district")).to_be_focused()
    expect(page.locator("#premises-filter-status")).to_contain_text(str(count))
    filtered = heading.inner_text()
    page.locator("#filter-sort").select_option("newest")
    expect(page).to_have_url(re.compile(r"sort=newest$"))

    page.go_back()  # the fields follow the URL, not the last choice made in them

    expect(page).to_have_url(re.compile(rf"/premises\?district={district_id}&sort=demand$"))
    expect(heading).to_have_text(filtered)
    expect(page.locator("#filter-district")).to_have_value(str(district_id))
    expect(page.locator("#filter-sort")).to_have_value("demand")

    page.go_back()

    expect(page).to_have_url(re.compile(r"/premises$"))
    expect(heading).to_have_text(before)
    expect(page.locator("#filter-district")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    watch.assert_clean()


def test_choosing_a_type_redraws_the_map_pins(
    page: Page, watch: PageWatch, shop_type: tuple[str, int, int]
) -> None:
    code, count, total = shop_type
    page.goto("/")
    status = page.locator("#map-status")
    expect(status).to_contain_text(str(total))
    page.evaluate("window.notReloaded = true")

    page.locator(".filters-disclosure summary").click()
    page.locator("#filter-type").select_option(code)

    expect(status).to_have_text(shows(count))
    assert page.evaluate(COUNT_PINS) == count
    expect(page).to_have_url(re.compile(rf"/\?type={re.escape(quote(code, safe=''))}$"))
    expect(page.locator("#map-list-link")).to_have_attribute(
        "href", f"/premises?type={quote(code, safe='')}"
    )
    assert page.evaluate("window.notReloaded") is True

    page.go_back()

    expect(status).to_have_text(shows(total))
    expect(page.locator("#filter-type")).to_have_value("")
    assert page.evaluate(COUNT_PINS) == total
    watch.assert_clean()


def test_filtered_pages_have_no_serious_accessibility_violation(
    page: Page, watch: PageWatch, district: tuple[int, str, int], shop_type: tuple[str, int, int]
) -> None:
    page.goto(f"/premises?district={district[0]}&sort=newest")
    expect(page.locator("#filter-district")).to_have_value(str(district[0]))
    assert axe_violations(page) == []

    page.goto(f"/?type={quote(shop_type[0], safe='')}")
    expect(page.locator("#map-status")).to_contain_text(str(shop_type[1]))
    assert axe_violations(page) == []
    watch.assert_clean()


def test_a_refused_filter_shows_an_accessible_error(page: Page) -> None:
    # No `watch` here: the browser logs the page's 400 status as a console error.
    response = page.goto("/premises?district=nowhere")

    assert response.status == 400
    expect(page.locator(".error-summary a[href='#filter-district']")).to_be_visible()
    expect(page.locator("#filter-district")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []


def test_without_javascript_the_form_filters_the_list(
    browser: Browser, live_server: str, district: tuple[int, str, int]
) -> None:
    district_id, name, count = district
    context = browser.new_context(java_script_enabled=False, base_url=live_server, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto("/premises")

        page.locator(".filters-disclosure summary").click()
        page.locator("#filter-district").select_option(label=name)
        page.locator("#premises-filters button[type=submit]").click()

        expect(page).to_have_url(re.compile(rf"[?&]district={district_id}(&|$)"))
        expect(page.locator("#results-title")).to_contain_text(str(count))
        cells = page.locator(".premises-table tbody td[data-label]:nth-of-type(1)")
        assert set(cells.all_inner_texts()) == {name}
        expect(page.locator("#filter-district")).to_have_value(str(district_id))
    finally:
        context.close()
