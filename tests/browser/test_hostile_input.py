"""Hostile texts in a real browser: map popups, pages and htmx swaps show them, never run them.

The server side of these checks is tests/test_hostile_input.py; here Chromium proves that what
the pages and map.js build from hostile addresses and shop-type labels stays text, and that no
script they carry ever sets `window.__pwned`.
"""

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import PageWatch
from tests.browser.serving import serve
from tests.browser.test_map import OPEN_POPUP
from tests.conftest import make_app
from tests.test_hostile_input import SENT
from wishboard.extensions import db
from wishboard.models import Premises

pytestmark = pytest.mark.browser

# The strings an address can hold once the premises form has checked it: one line, 200 at most;
# as on the server's side, one of each kind in `make test` and all of them in CI (SENT).
ADDRESSES = [
    value
    for value in SENT.values()
    if len(value) <= 200 and value.isprintable() and value == value.strip()
]
LABEL = '<img src=x onerror="window.__pwned=1">Pâtisserie'
PWNED = "() => window.__pwned === undefined"
# Opens the popup of each address in turn (OPEN_POPUP) and reads it as shown: its title, its
# text, how many elements that could run it holds, and whether a script ran; then closes it.
POPUPS_AS_SHOWN = f"""async (addresses) => {{
  const open = {OPEN_POPUP};
  const shown = [];
  for (const address of addresses) {{
    await open(address);
    // The last one: a popup just closed fades out for a moment before it leaves the page.
    const popup = [...document.querySelectorAll(".leaflet-popup-content")].at(-1);
    shown.push({{
      title: popup.querySelector(".map-popup-title").textContent,
      text: popup.textContent,
      elements: popup.querySelectorAll("img, script, svg, iframe").length,
      pwned: window.__pwned !== undefined,
    }});
    map_town.closePopup();
  }}
  return shown;
}}"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An application of its own (the shared live town stays as other tests expect it)."""
    database = tmp_path_factory.mktemp("hostile") / "wishboard.sqlite3"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        shop_type = factories.make_shop_type(code="shop=hostile", label_fr=LABEL, label_en=LABEL)
        for n, address in enumerate(ADDRESSES):
            premises = factories.make_premises(
                address=address,
                latitude=48.866 + (n // 5) * 0.004,
                longitude=2.372 + (n % 5) * 0.005,
            )
            factories.make_support(premises, code=shop_type.code)
        factories.make_user(email="hostile@example.org", display_name=ADDRESSES[0])
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def hostile_server(hostile_app: Flask) -> Iterator[str]:
    """The base URL of the hostile town, served in a background thread for this module."""
    with serve(hostile_app) as url:
        yield url


def premises_ids(app: Flask) -> dict[str, int]:
    """Each premises' id by its address."""
    with app.app_context():
        rows = db.session.execute(select(Premises.address, Premises.id)).all()
        db.session.remove()
    return dict(rows)


@pytest.mark.long
def test_map_popups_show_hostile_addresses_and_labels_as_text(
    page: Page, hostile_server: str
) -> None:
    watch = PageWatch(page, hostile_server)
    page.goto(f"{hostile_server}/")
    expect(page.locator("#map-status")).to_contain_text(str(len(ADDRESSES)))

    # Each pin's popup opened and read in the page, one after the other: one call, not five a pin.
    shown = page.evaluate(POPUPS_AS_SHOWN, ADDRESSES)

    for address, popup in zip(ADDRESSES, shown, strict=True):
        assert popup["title"] == address
        assert LABEL in popup["text"]
        assert popup["elements"] == 0, f"markup ran in the popup of {address!r}"
        assert not popup["pwned"], f"a script ran from the popup of {address!r}"
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    watch.assert_clean()


def test_pages_and_htmx_swaps_show_hostile_texts_as_text(
    page: Page, hostile_server: str, hostile_app: Flask
) -> None:
    watch = PageWatch(page, hostile_server)
    ids = premises_ids(hostile_app)
    address = ADDRESSES[0]

    page.goto(f"{hostile_server}/premises")
    expect(page.locator(".premises-table tbody tr")).to_have_count(len(ADDRESSES))
    page.goto(f"{hostile_server}/premises/{ids[address]}")
    expect(page.locator("h1")).to_have_text(address)
    expect(page.locator("main")).to_contain_text(LABEL)
    assert page.locator("main img[src=x], main svg[onload], main iframe").count() == 0
    assert page.evaluate(PWNED)

    # Signed in, the support button is swapped in by htmx with the hostile label inside.
    page.goto(f"{hostile_server}/auth/login")
    page.locator("#email").fill("hostile@example.org")
    page.locator("#password").fill(factories.PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("nav a[href='/me']")).to_be_visible()
    page.goto(f"{hostile_server}/premises/{ids[address]}")
    button = page.locator("form[action$='/supports/shop=hostile'] button").first
    button.click()
    expect(page.locator("form[action$='/supports/shop=hostile/withdraw']").first).to_be_visible()
    expect(page.locator("main")).to_contain_text(LABEL)
    assert page.evaluate(PWNED)
    page.goto(f"{hostile_server}/me")
    expect(page.locator("main")).to_contain_text(address)
    assert page.evaluate(PWNED)
    watch.assert_clean()
