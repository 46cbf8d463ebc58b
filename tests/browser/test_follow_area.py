"""A resident on a phone follows an area, then hears by e-mail of a premises staff add there.

With JavaScript: tap the spot on the home map and choose "Follow this area". Without: type the
spot's position on the settings page. Either way the e-mail is read from a real SMTP server.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import axe_violations
from tests.browser.test_phone import phone, phone_sign_in  # noqa: F401  (fixture)
from tests.browser.test_resident_journey import _quiet_spot, open_map_at, resident, tap_map  # noqa: F401
from tests.mail_server import free_port, smtp_server
from wishboard.extensions import db
from wishboard.models import District, Premises, Role
from wishboard.services.people import notifications
from wishboard.services.premises import management
from wishboard.services.premises.management import PremisesValues
from wishboard.settings import EXTENSION_KEY, Settings
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.browser


def follow_from_the_map(page: Page, latitude: float, longitude: float) -> None:
    open_map_at(page, latitude, longitude)
    tap_map(page, latitude, longitude)
    # Every tile and icon in before leaving: a file cut off mid-way warns in the server.
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Suivre ce secteur").click()
    expect(page).to_have_url(re.compile(r"/me/notifications\?latitude="))
    # The spot under the finger, to a pixel: a few metres from the one aimed at.
    typed = float(page.locator("#latitude").input_value())
    assert typed == pytest.approx(latitude, abs=0.0002)


def follow_by_typing(page: Page, latitude: float, longitude: float) -> None:
    page.goto("/me/notifications")
    page.locator("#latitude").fill(f"{latitude:.6f}".replace(".", ","))  # a French keyboard
    page.locator("#longitude").fill(f"{longitude:.6f}")


def test_a_resident_follows_an_area_and_hears_of_a_new_premises_there(
    phone,  # noqa: F811  (the fixture imported above)
    live_app,
    resident,  # noqa: F811
    monkeypatch,
) -> None:
    page, scripting = phone
    port = free_port()
    monkeypatch.setitem(live_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "MAIL_PORT", port)
    monkeypatch.setitem(live_app.extensions, EXTENSION_KEY, Settings.from_config(live_app.config))
    with live_app.app_context():
        taken = db.session.execute(select(Premises.latitude, Premises.longitude)).all()
        latitude, longitude = _quiet_spot(live_app.config["WISHBOARD_MAP_BOUNDS"], taken)

    phone_sign_in(page, resident)
    if scripting:
        follow_from_the_map(page, latitude, longitude)
    else:
        follow_by_typing(page, latitude, longitude)
    page.locator("#radius").select_option("300")
    page.locator("#follow-spot + form button[type=submit]").click()

    expect(page.locator(".flash, [role=status]").first).to_contain_text("Vous suivez ce secteur")
    expect(page.locator(".follow-list li")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if scripting:
        assert axe_violations(page) == []

    # Staff add a premises some 50 m away; the next digest tells the resident.
    with live_app.app_context():
        staff = factories.make_user(Role.MODERATOR)
        district = db.session.scalars(select(District)).first()
        db.session.commit()
        address = f"{port} rue du Secteur Suivi"
        values = PremisesValues(
            address=address,
            city="Paris",
            district=district.name,
            latitude=latitude + 0.0004,
            longitude=longitude,
        )
        management.create_premises(staff, values, app_settings().map_bounds)
        with smtp_server(port) as inbox:
            notifications.send_digests(app_settings())

    mine = [email for email in inbox.messages if email["To"] == resident]
    assert len(mine) == 1
    text = mine[0].get_body(preferencelist=("plain",)).get_content()
    assert f"Nouveau local vide dans un secteur que vous suivez : {address}." in text
