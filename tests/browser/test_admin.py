"""The administration and audit pages in a real browser: in-place changes, and accessibility."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from wishboard.extensions import db
from wishboard.models import Role, User

pytestmark = pytest.mark.browser


@pytest.fixture
def accounts(live_app) -> dict[str, tuple[int, str]]:
    """A new administrator and a resident to administer, in the live app: (id, e-mail) each."""
    with live_app.app_context():
        admin = factories.make_user(role=Role.ADMIN, display_name="Browser Admin")
        resident = factories.make_user(display_name="Résidente <Test>")
        db.session.commit()
        return {"admin": (admin.id, admin.email), "resident": (resident.id, resident.email)}


def test_an_admin_changes_a_role_and_deactivates_in_place(
    page: Page, watch: PageWatch, live_app, accounts
) -> None:
    user_id, email = accounts["resident"]
    sign_in(page, accounts["admin"][1], language="en")

    page.goto("/admin/users")
    assert axe_violations(page) == []
    page.locator("#search-q").fill(email)
    page.locator("#search-q").press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/users\?q="))
    row = page.locator(f"#user-{user_id}")
    expect(row.locator("th a")).to_have_text("Résidente <Test>")

    row.locator("select[name=role]").select_option("moderator")
    row.get_by_role("button", name="Change role").click()
    expect(row.locator("[role=status]")).to_contain_text("Moderator")
    expect(row.locator("select[name=role]")).to_have_value("moderator")
    # Swapped in place: the search is still in the address bar.
    expect(page).to_have_url(re.compile(r"/admin/users\?q="))

    row.get_by_role("button", name="Deactivate").click()
    expect(row.locator("[role=status]")).to_contain_text("deactivated")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    assert axe_violations(page) == []

    with live_app.app_context():
        user = db.session.get(User, user_id)
        assert (user.role, user.active) == (Role.MODERATOR, False)

    page.goto("/moderation/audit")
    expect(page.locator("#audit-results tbody tr").first).to_contain_text("Account deactivated")
    assert axe_violations(page) == []
    page.locator("#filter-action").select_option("user.role_changed")
    page.get_by_role("button", name="Show the events").click()
    expect(page).to_have_url(re.compile(r"action=user.role_changed"))
    expect(page.locator("#audit-results tbody tr").first).to_contain_text("Role changed")
    watch.assert_clean()


def test_the_last_admin_is_told_in_place(page: Page, watch: PageWatch, live_app, accounts):
    admin_id, email = accounts["admin"]
    with live_app.app_context():
        # This admin alone: the others of the session step aside for the test.
        others = db.session.query(User).filter(User.role == Role.ADMIN, User.id != admin_id)
        demoted = [other.id for other in others]
        others.update({User.role: Role.MODERATOR})
        db.session.commit()
    try:
        sign_in(page, email, language="en")
        page.goto(f"/admin/users?q={email}")
        row = page.locator(f"#user-{admin_id}")
        row.locator("select[name=role]").select_option("resident")
        row.get_by_role("button", name="Change role").click()
        expect(row.locator("[role=alert]")).to_contain_text("last active administrator")
        expect(row.locator("select[name=role]")).to_have_value("admin")
    finally:
        with live_app.app_context():
            db.session.query(User).filter(User.id.in_(demoted)).update({User.role: Role.ADMIN})
            db.session.commit()
    # Chromium logs the 409 of the refused change as an error; nothing else may go wrong.
    assert [error for error in watch.console_errors if "409" not in error] == []
    assert watch.page_errors == []
