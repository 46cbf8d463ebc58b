"""A resident on a phone (360 × 740), with and without JavaScript.

The first screen shows the question and the way to answer it; a wish is confirmed where the
resident is looking and its form is empty again; a support toggles in place.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import axe_violations
from tests.browser.test_resident_journey import (  # noqa: F401  (fixtures)
    Place,
    count_of,
    counted,
    place,
    resident,
    support_button,
    supports_of,
)
from wishboard.extensions import db
from wishboard.models import User, Wish

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture(params=[True, False], ids=["with-javascript", "without-javascript"])
def phone(
    request, browser: Browser, browser_context_args: dict, base_url: str
) -> Iterator[tuple[Page, bool]]:
    """A page in a phone-sized window, with JavaScript or without it."""
    context: BrowserContext = browser.new_context(
        **{**browser_context_args, "base_url": base_url},
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=request.param,
    )
    page = context.new_page()
    yield page, request.param
    context.close()


def on_first_screen(page: Page, selector: str) -> bool:
    """Whether the element is visible without scrolling, wholly inside the first screen."""
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def phone_sign_in(page: Page, email: str) -> None:
    """Sign in through the form (the menu is folded on a phone: no link to wait for)."""
    page.goto("/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/auth/login"))


def test_the_home_asks_the_question_on_the_first_screen(phone) -> None:
    page, scripting = phone
    page.goto("/")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("h1")).to_have_text(re.compile("commerce vous manque ici"))
    assert on_first_screen(page, "h1")
    assert on_first_screen(page, ".menu-button")
    if scripting:
        # The map starts on the first screen; no note about JavaScript.
        box = page.locator(".town-map").bounding_box()
        assert box is not None and box["y"] < PHONE["height"] / 2
        expect(page.locator(".nojs-note")).to_have_count(0)
    else:
        # No empty map box: the note says why, and its button leads to the list.
        expect(page.locator(".map-with-panel")).to_be_hidden()
        assert on_first_screen(page, ".nojs-note a.button")
        page.locator(".nojs-note a.button").click()
        expect(page).to_have_url(re.compile(r"/premises$"))
    if scripting:  # axe-core is a script: it runs where scripts do
        assert axe_violations(page) == []


def test_the_menu_opens_from_its_button(phone) -> None:
    page, _ = phone
    page.goto("/")
    stats = page.locator("header nav a[href='/stats']")

    expect(stats).to_be_hidden()
    page.locator(".menu-button").click()
    expect(stats).to_be_visible()
    expect(page.locator("header nav a[href='/gaps']")).to_be_visible()
    if phone[1]:
        assert axe_violations(page) == []
    stats.click()
    expect(page).to_have_url(re.compile(r"/stats$"))


def test_a_wish_on_a_phone_confirms_and_resets(phone, live_app, place: Place, resident) -> None:  # noqa: F811
    page, scripting = phone
    phone_sign_in(page, resident)
    page.goto(place.path)

    # The premises' wishes and the call to action come first.
    assert on_first_screen(page, f"#support-button-{place.id}-shop-cheese")
    call = page.locator(".panel-call a")
    assert on_first_screen(page, ".panel-call a")
    call.click()
    form = page.locator(f"#wish-form-{place.id}")
    form.locator("#shop_type").select_option("shop=bakery")
    form.locator("#comment").fill("Du pain le dimanche")
    form.locator(f"#wish-submit-{place.id}").click()

    notice = page.locator(".notice, .flash-success").first
    expect(notice).to_contain_text("Boulangerie")
    # The confirmation shows where the page is, not above it out of sight.
    assert on_first_screen(page, ".notice, .flash-success")
    # The form is empty again: a second tap would not send the same wish.
    expect(form.locator("#shop_type")).to_have_value("")
    expect(form.locator("#comment")).to_have_value("")
    # With a comment, the wish waits for a moderator: it is recorded, not yet counted.
    with live_app.app_context():
        wish = db.session.scalars(
            select(Wish).join(Wish.author).where(User.email == resident)
        ).one()
        assert (wish.premises_id, wish.shop_type.code) == (place.id, "shop=bakery")
        assert wish.comment == "Du pain le dimanche"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_support_on_a_phone_toggles_in_place(phone, live_app, place: Place, resident) -> None:  # noqa: F811
    page, scripting = phone
    phone_sign_in(page, resident)
    page.goto(place.path)
    if scripting:
        page.evaluate("() => { window.stayed = true; }")
    button = support_button(page, place, "shop=cheese")

    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
    assert (place.id, "shop=cheese") in supports_of(live_app, resident)
    if scripting:
        assert page.evaluate("() => window.stayed") is True  # no page load
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
