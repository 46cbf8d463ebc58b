"""A moderator's morning in a real browser: the queue cleared with htmx, reports handled."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from wishboard.extensions import db
from wishboard.models import Role, Wish, WishStatus
from wishboard.services.demand import moderation

pytestmark = pytest.mark.browser

CODES = ("shop=bakery", "shop=butcher", "shop=florist", "shop=books", "shop=cheese")


@pytest.fixture
def five_pending(live_app) -> tuple[list[int], str]:
    """Five comments awaiting review, older than any other, and a moderator: (wish ids, e-mail)."""
    with live_app.app_context():
        premises = factories.make_premises(address="5 rue du Matin")
        start = datetime(2001, 1, 1)
        wishes = [
            factories.make_wish(
                premises,
                factories.make_user(display_name=f"Voisin {n}"),
                shop_type=factories.shop_type(code),
                comment=f"Commentaire {n} <img src=x onerror=alert(1)>",
                status=WishStatus.PENDING,
                created_at=start + timedelta(minutes=n),
            )
            for n, code in enumerate(CODES)
        ]
        moderator = factories.make_user(Role.MODERATOR)
        db.session.commit()
        return [wish.id for wish in wishes], moderator.email


def statuses(live_app, ids: list[int]) -> list[WishStatus]:
    with live_app.app_context():
        return [db.session.get(Wish, wish_id).status for wish_id in ids]


def test_a_moderator_clears_a_queue_of_five_with_htmx(
    page: Page, watch: PageWatch, live_app, five_pending
) -> None:
    ids, email = five_pending
    sign_in(page, email, language="en")
    page.locator("header nav a[href='/moderation/']").click()
    expect(page).to_have_url(re.compile(r"/moderation/$"))
    items = page.locator("li.queue-item")
    for position, wish_id in enumerate(ids):
        expect(items.nth(position)).to_have_id(f"wish-{wish_id}")
    expect(page.locator(f"#wish-{ids[0]} blockquote")).to_have_text(
        "Commentaire 0 <img src=x onerror=alert(1)>"
    )
    assert axe_violations(page) == []
    pending_before = int(page.locator("#moderation-tabs a[aria-current] .count").inner_text())

    # The first: published with the keyboard; focus then moves on to the next item's button.
    page.locator(f"#wish-{ids[0]} button[data-primary]").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#wish-{ids[0]}.decided [role=status]")).to_contain_text("Published.")
    expect(page.locator(f"#wish-{ids[1]} button[data-primary]")).to_be_focused()

    # The second: published by pressing Enter again, where the focus now is.
    page.keyboard.press("Enter")
    expect(page.locator(f"#wish-{ids[1]}.decided")).to_be_visible()

    # The third: rejected with a reason chosen from the list.
    page.locator(f"#wish-{ids[2]}-reason").select_option("advertising")
    page.locator(f"#wish-{ids[2]} .reject-form button").click()
    expect(page.locator(f"#wish-{ids[2]}.decided [role=status]")).to_contain_text("Rejected")

    # The last two: selected and published at once.
    page.locator(f"#select-{ids[3]}").check()
    page.locator(f"#select-{ids[4]}").check()
    page.locator("#bulk button[value=publish]").click()
    expect(page.locator("#queue .flash")).to_have_text("2 items published.")

    for wish_id in ids:
        expect(page.locator(f"li.queue-item#wish-{wish_id}")).to_have_count(0)
    expect(page.locator("#moderation-tabs a[aria-current] .count")).to_have_text(
        str(pending_before - 5)
    )
    expect(page).to_have_url(re.compile(r"/moderation/$"))  # no full reload along the way
    assert statuses(live_app, ids) == [
        WishStatus.PUBLISHED,
        WishStatus.PUBLISHED,
        WishStatus.REJECTED,
        WishStatus.PUBLISHED,
        WishStatus.PUBLISHED,
    ]
    assert axe_violations(page) == []
    watch.assert_clean()


def test_a_moderator_decides_on_reported_comments(page: Page, watch: PageWatch, live_app) -> None:
    with live_app.app_context():
        wish = factories.make_wish(factories.make_premises(), comment="Des mots durs")
        moderator = factories.make_user(Role.MODERATOR)
        db.session.commit()
        for _ in range(3):
            reporter = factories.make_user()
            db.session.commit()
            moderation.flag(reporter, wish, "abusive", 3)
        wish_id, email = wish.id, moderator.email
    sign_in(page, email, language="en")

    page.goto("/moderation/flags")
    item = page.locator(f"#wish-{wish_id}")
    expect(item.locator(".badge")).to_have_text("Hidden")
    assert axe_violations(page) == []
    item.locator("button[data-primary]").click()

    expect(page.locator(f"#wish-{wish_id}.decided [role=status]")).to_be_visible()
    assert statuses(live_app, [wish_id]) == [WishStatus.PUBLISHED]
    page.goto("/moderation/hidden")
    assert axe_violations(page) == []
    watch.assert_clean()


def test_a_resident_reports_a_comment_in_place_and_can_step_back(
    page: Page, watch: PageWatch, live_app
) -> None:
    with live_app.app_context():
        wish = factories.make_wish(factories.make_premises(), comment="Des mots limites")
        resident = factories.make_user()
        db.session.commit()
        wish_id, premises_id, email = wish.id, wish.premises_id, resident.email
    sign_in(page, email, language="en")
    page.goto(f"/premises/{premises_id}")
    link = page.locator(f"a#report-{wish_id}")

    link.click()
    box = page.locator(f"div#report-{wish_id}.report-box")
    expect(box.locator("select")).to_be_visible()
    expect(box).to_be_focused()
    assert axe_violations(page) == []
    box.get_by_role("link", name="Cancel").click()
    expect(link).to_have_text("Report this comment")
    expect(link).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/premises/{premises_id}$"))

    link.click()
    box.locator("select").select_option("abusive")
    box.get_by_role("button", name="Send the report").click()
    expect(box.locator("[role=status]")).to_contain_text("A moderator will read your report.")
    assert axe_violations(page) == []
    box.get_by_role("link", name="Close").click()
    expect(link).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/premises/{premises_id}$"))
    with live_app.app_context():
        assert moderation.flagged_count() == 1
    watch.assert_clean()
