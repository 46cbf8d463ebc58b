"""The account pages in a real browser: accessible, and deletion works from the keyboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from wishboard.extensions import db
from wishboard.models import User

pytestmark = pytest.mark.browser


@pytest.fixture
def resident(live_app) -> tuple[int, str]:
    """A new verified resident of the live app, with one support: (id, e-mail)."""
    with live_app.app_context():
        user = factories.make_user()
        factories.make_support(factories.make_premises(), user)
        db.session.commit()
        return user.id, user.email


def test_a_resident_deletes_their_account_from_the_keyboard(
    page: Page, watch: PageWatch, live_app, resident: tuple[int, str]
) -> None:
    user_id, email = resident
    sign_in(page, email)

    page.locator("nav a[href='/me']").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("main dl")).to_contain_text(email)
    assert axe_violations(page) == []

    page.locator("main a[href='/me/delete']").click()
    expect(page).to_have_url(re.compile(r"/me/delete$"))
    assert axe_violations(page) == []

    page.locator("#password").focus()
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Tab")
    expect(page.locator("#understood")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#understood")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("main form button[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".flashes")).to_be_visible()
    expect(page.locator("nav a[href='/me']")).to_have_count(0)
    expect(page.locator("nav a[href^='/auth/login']")).to_be_visible()
    page.goto("/me")
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    with live_app.app_context():
        assert db.session.get(User, user_id) is None
    watch.assert_clean()


def test_a_wrong_password_shows_an_accessible_error(
    page: Page, watch: PageWatch, live_app, resident: tuple[int, str]
) -> None:
    user_id, email = resident
    sign_in(page, email)

    page.goto("/me/delete")
    page.locator("#password").fill("not my password")
    page.locator("#understood").check()
    page.locator("main form button[type=submit]").click()

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    with live_app.app_context():
        assert db.session.get(User, user_id) is not None
    # Chromium logs the 422 of the page itself as an error; nothing else may go wrong.
    assert [error for error in watch.console_errors if "422" not in error] == []
    assert watch.page_errors == []
    assert watch.foreign_requests == []
