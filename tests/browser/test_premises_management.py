"""Premises management in a real browser: the position picked on the map, and accessible pages."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from wishboard.extensions import db
from wishboard.models import Premises, Role

pytestmark = pytest.mark.browser

ADDRESS = "21 rue du Plateau (test du sélecteur)"


@pytest.fixture
def moderator(live_app) -> tuple[str, str]:
    """A moderator of the live app and a district to choose: (e-mail, district name)."""
    with live_app.app_context():
        user = factories.make_user(role=Role.MODERATOR)
        district = factories.make_district("Belleville")
        db.session.commit()
        return user.email, district.name


def test_a_moderator_creates_a_premises_by_clicking_the_map(
    page: Page, watch: PageWatch, live_app, moderator: tuple[str, str]
) -> None:
    email, district = moderator
    sign_in(page, email)

    page.goto("/moderation/premises")
    expect(page.locator("table.staff-table tbody tr").first).to_be_visible()
    assert axe_violations(page) == []

    page.locator(".page-actions a[href='/moderation/premises/new']").click()
    expect(page).to_have_url(re.compile(r"/moderation/premises/new$"))
    picker = page.locator("[data-picker-latitude]")
    expect(picker).to_be_visible()  # shown once the script set it up
    assert axe_violations(page) == []

    page.locator("#address").fill(ADDRESS)
    page.locator("#city").fill("Paris")
    page.locator("#district").select_option(district)
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.4})

    expect(page.locator("#latitude")).not_to_have_value("")
    expect(page.locator("#picker-status")).to_contain_text(page.locator("#latitude").input_value())
    expect(page.locator(".picker-pin")).to_have_count(1)
    latitude = float(page.locator("#latitude").input_value())
    longitude = float(page.locator("#longitude").input_value())
    south, west, north, east = live_app.config["WISHBOARD_MAP_BOUNDS"]
    assert south <= latitude <= north and west <= longitude <= east

    # Typing moves the pin; the typed value is what is saved.
    page.locator("#longitude").fill(f"{longitude:.6f}".replace(".", ","))
    page.locator("#longitude").press("Tab")
    page.locator("form.premises-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/moderation/premises/\d+/edit$"))
    expect(page.locator(".flashes")).to_contain_text(ADDRESS)
    with live_app.app_context():
        premises = db.session.scalars(select(Premises).where(Premises.address == ADDRESS)).one()
        assert (premises.latitude, premises.longitude) == (latitude, round(longitude, 6))
        assert premises.district.name == district
    watch.assert_clean()


def test_the_map_can_be_used_and_left_from_the_keyboard(
    page: Page, watch: PageWatch, moderator: tuple[str, str]
) -> None:
    sign_in(page, moderator[0])
    page.goto("/moderation/premises/new")
    picker = page.locator("[data-picker-latitude]")
    expect(picker).to_be_visible()

    picker.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")

    expect(page.locator("#latitude")).not_to_have_value("")
    expect(page.locator("#longitude")).not_to_have_value("")
    # Tab leaves the map (past its zoom buttons and credits) for the typed fields.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "latitude":
            break
    expect(page.locator("#latitude")).to_be_focused()
    watch.assert_clean()


def test_the_import_page_is_accessible_and_shows_problems(
    page: Page, watch: PageWatch, moderator: tuple[str, str], tmp_path
) -> None:
    sign_in(page, moderator[0])
    page.goto("/moderation/premises/import")
    assert axe_violations(page) == []
    # "Check only" and "Import" look different: an outlined button and a filled one.
    check_colour, import_colour = (
        page.locator(selector).evaluate("button => getComputedStyle(button).backgroundColor")
        for selector in ("#check", "#run")
    )
    assert check_colour != import_colour

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "reference,address,city,district,latitude,longitude\n"
        "X-1,1 rue Lointaine,Paris,Belleville,45.76,4.83\n",
        encoding="utf-8",
    )
    page.locator("#file").set_input_files(str(bad))
    page.locator("#check").click()

    report = page.locator(".import-report[role=alert]")
    expect(report).to_be_visible()
    expect(report.locator("li").first).to_contain_text(re.compile(r"(line|ligne) 2"))
    assert axe_violations(page) == []
    # Chromium logs the 422 of the page itself as an error; nothing else may go wrong.
    assert [error for error in watch.console_errors if "422" not in error] == []
    assert watch.page_errors == [] and watch.foreign_requests == []
