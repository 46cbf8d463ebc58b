"""The other landlord pages in a real browser: "My premises", stopping the summaries, and the staff
side of forwarding (Send now, the outbox), each checked with axe-core."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from tests.mail_server import free_port
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, Role
from wishboard.services.reports import mail as report_mail
from wishboard.services.reports.links import unsubscribe_key
from wishboard.settings import EXTENSION_KEY, Settings
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.browser


def test_a_landlord_finds_their_premises_and_opens_a_report(
    page: Page, watch: PageWatch, live_app
) -> None:
    with live_app.app_context():
        landlord = factories.make_user(Role.LANDLORD)
        premises = factories.make_premises(address="8 rue du Bailleur", landlord=landlord)
        factories.make_support(premises)
        db.session.commit()
        email = landlord.email

    sign_in(page, email, language="en")
    page.locator("header nav a[href='/landlord/']").click()

    expect(page.locator("h1")).to_have_text("My premises")
    assert axe_violations(page) == []
    page.locator("main a", has_text="Open the report").first.click()
    expect(page.locator("h1")).to_contain_text("8 rue du Bailleur")
    watch.assert_clean()


def test_a_landlord_stops_the_summaries_and_gets_them_back(
    page: Page, watch: PageWatch, live_app
) -> None:
    address = "stop-and-go@example.org"
    page.goto(f"/language/en?next=/landlord/unsubscribe/{_key(live_app, address)}")

    expect(page.locator("#subscription-title")).to_have_text("The summaries are on")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Stop these e-mails").click()
    expect(page.locator("#subscription-title")).to_have_text("The summaries are stopped")
    expect(page.locator("#summary-subscription .notice")).to_contain_text(address)
    assert _opted_out(live_app, address)
    assert axe_violations(page) == []

    page.get_by_role("button", name="Send them to me again").click()
    expect(page.locator("#subscription-title")).to_have_text("The summaries are on")
    assert not _opted_out(live_app, address)
    watch.assert_clean()


def test_send_now_with_smtp_down_shows_the_failure_in_the_outbox(
    page: Page, watch: PageWatch, live_app, monkeypatch
) -> None:
    # Nothing listens on this port: the summary stays in the outbox with its error.
    monkeypatch.setitem(live_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "MAIL_PORT", free_port())
    # The services are handed the settings made from the config: made again, then put back.
    monkeypatch.setitem(live_app.extensions, EXTENSION_KEY, Settings.from_config(live_app.config))
    with live_app.app_context():
        premises = factories.make_premises(
            address="9 rue de l'Envoi", landlord_email="envoi@example.org"
        )
        factories.make_support(premises)
        moderator = factories.make_user(Role.MODERATOR)
        db.session.commit()
        premises_id, email = premises.id, moderator.email

    sign_in(page, email, language="en")
    page.goto(f"/moderation/premises/{premises_id}/edit")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send now").click()

    expect(page.locator("#premises-landlord")).to_contain_text("could not be sent yet")
    page.locator("nav a[href='/moderation/outbox']").click()
    row = page.locator("tr", has_text="envoi@example.org")
    expect(row).to_contain_text(re.compile("Connection ?Refused|refused", re.IGNORECASE))
    assert axe_violations(page) == []
    with live_app.app_context():
        [message] = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.recipient == "envoi@example.org")
        ).all()
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    watch.assert_clean()


def _key(live_app, address: str) -> str:
    with live_app.app_context():
        return unsubscribe_key(address, app_settings())


def _opted_out(live_app, address: str) -> bool:
    with live_app.app_context():
        try:
            return report_mail.is_opted_out(address)
        finally:
            db.session.remove()
