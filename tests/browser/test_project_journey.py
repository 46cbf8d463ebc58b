"""From "I want to open a bakery" to a landlord's e-mail address, in a real browser.

A person signs up as a project holder, describes a bakery project, finds the best premises for
it, says "I'm interested"; the landlord (no account) opens the link of the e-mail they receive and
answers "Let's talk"; both then receive the other's address. E-mails go through a real SMTP
server.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import axe_violations
from tests.mail_server import free_port, smtp_server
from wishboard.extensions import db
from wishboard.models import User, utcnow
from wishboard.services import outbox
from wishboard.settings import EXTENSION_KEY, Settings
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.browser

HOLDER = "porteuse.de.projet@exemple.org"
LANDLORD = "proprietaire.du.local@exemple.org"


def text_of(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


def test_a_project_holder_meets_the_landlord_of_the_best_premises(
    page: Page, live_app, monkeypatch
) -> None:
    port = free_port()
    monkeypatch.setitem(live_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "MAIL_PORT", port)
    monkeypatch.setitem(live_app.extensions, EXTENSION_KEY, Settings.from_config(live_app.config))
    with live_app.app_context():
        district = factories.make_district(f"Quartier du parcours {port}")
        best = factories.make_premises(
            address=f"{port} rue du Meilleur Local",
            district=district,
            surface_m2=70,
            landlord_email=LANDLORD,
            landlord_name="Madame Propriétaire",
        )
        factories.make_premises(address=f"{port} rue du Local Calme", district=district)
        for _ in range(4):
            factories.make_support(best, code="shop=bakery")
        db.session.commit()
        district_id, best_id = district.id, best.id

    with smtp_server(port) as inbox:
        # Sign up as a project holder.
        page.goto("/auth/register")
        page.locator("#email").fill(HOLDER)
        page.locator("#display_name").fill("Nadia")
        page.locator("#password").fill("une phrase de passe longue 42")
        page.locator("#confirm").fill("une phrase de passe longue 42")
        page.locator("#role").select_option("entrepreneur")
        page.get_by_role("button", name="Créer mon compte").click()
        expect(page).to_have_url(re.compile(r"/auth/check-email"))
        with live_app.app_context():  # the address confirmed (the link is tested elsewhere)
            holder = db.session.scalars(select(User).filter_by(email=HOLDER)).one()
            holder.email_verified_at = utcnow()
            db.session.commit()

        # Describe a bakery project in that district.
        page.goto("/projects/new")
        page.locator("#shop_type").select_option("shop=bakery")
        page.locator("#surface_min_m2").fill("40")
        page.locator("#surface_max_m2").fill("120")
        page.locator(f"input[name=districts][value='{district_id}']").check()
        page.get_by_role("button", name="Enregistrer mon projet").click()
        expect(page).to_have_url(re.compile(r"/projects/$"))

        # Find the best premises for it, and say so.
        page.get_by_role("link", name="Trouver des locaux").click()
        first = page.locator(".project-premises li").first
        expect(first).to_contain_text(f"{port} rue du Meilleur Local")
        assert axe_violations(page) == []
        first.get_by_role("button", name="Ça m’intéresse").click()
        expect(page.locator(".flash").first).to_contain_text("Le propriétaire")
        with live_app.app_context():
            outbox.deliver(app_settings().mail)

        # The landlord opens the link of their e-mail and answers "Let's talk".
        (told,) = [email for email in inbox.messages if email["To"] == LANDLORD]
        link = re.search(r"http://\S+/landlord/premises/\d+/report\?key=\S+", text_of(told))[0]
        assert f"/premises/{best_id}/" in link
        page.context.clear_cookies()
        page.goto(link)
        interest = page.locator("#report-interests-title").locator("..")
        expect(interest).to_contain_text("Boulangerie")
        assert HOLDER not in page.content() and "Nadia" not in page.content()
        assert axe_violations(page) == []
        interest.get_by_role("button", name="Parlons-en").click()
        expect(page.locator(".flash").first).to_contain_text("adresse e-mail de l’autre")
        with live_app.app_context():
            outbox.deliver(app_settings().mail)

    to_holder = [text_of(e) for e in inbox.messages if e["To"] == HOLDER]
    to_landlord = [text_of(e) for e in inbox.messages if e["To"] == LANDLORD]
    # The address confirmation, then the landlord's address.
    assert len(to_holder) == 2 and LANDLORD not in to_holder[0] and LANDLORD in to_holder[1]
    assert len(to_landlord) == 2 and HOLDER in to_landlord[1] and HOLDER not in to_landlord[0]
