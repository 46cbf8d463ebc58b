"""A resident's whole journey in a real browser: register, verify, wish, support, withdraw.

Once with JavaScript (the map's panel, htmx swaps in place) and once without (plain links and
form posts with redirects), plus the keyboard and axe-core on every page the journey adds.
"""

import math
import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations, sign_in
from wishboard.extensions import db
from wishboard.models import OutboxMessage, Premises, Support, User, Wish

pytestmark = pytest.mark.browser

PASSWORD = "Une rue pleine de boutiques"
# The zoom at which the map shows every pin on its own (clusters end at 18).
PIN_ZOOM = 18
# How far from any other pin our premises stands, so that a tap finds ours and nothing else.
CLEARANCE_M = 120
# The empty spot tapped for an area wish: this far south of our premises (about 90 px at zoom 18).
SPOT_OFFSET_LAT = 0.0003
VERIFY_LINK = re.compile(r"https?://\S+/auth/verify/\S+")

# Without animation Leaflet moves at once; the pins are redrawn by the next frame.
SET_VIEW = """([lat, lon, zoom]) => new Promise((resolve) => {
    const container = document.querySelector("[data-map-var][data-geojson-url]");
    const map = window[container.dataset.mapVar];
    map.closePopup();
    map.setView([lat, lon], zoom, {animate: false});
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
})"""

CONTAINER_POINT = """([lat, lon]) => {
    const container = document.querySelector("[data-map-var][data-geojson-url]");
    const point = window[container.dataset.mapVar].latLngToContainerPoint([lat, lon]);
    return [point.x, point.y];
}"""

# True once the pin at this position is drawn on its own, not hidden in a cluster.
PIN_SHOWN = """([lat, lon]) => {
    const container = document.querySelector("[data-map-var][data-geojson-url]");
    const map = window[container.dataset.mapVar];
    let shown = false;
    map.eachLayer((layer) => {
        if (!(layer instanceof L.MarkerClusterGroup)) return;
        layer.getLayers().forEach((pin) => {
            const at = pin.getLatLng();
            if (Math.abs(at.lat - lat) < 1e-7 && Math.abs(at.lng - lon) < 1e-7) {
                shown = shown || map.hasLayer(pin);  // a pin in a cluster is not on the map
            }
        });
    });
    return shown;
}"""


@dataclass(frozen=True)
class Place:
    """A vacant premises of our own, alone at its spot, where a neighbour supports a cheese shop."""

    id: int
    address: str
    latitude: float
    longitude: float

    @property
    def path(self) -> str:
        """The premises page."""
        return f"/premises/{self.id}"


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The distance between two nearby points, flat-earth (good enough within a town)."""
    dlat = (a[0] - b[0]) * 111_320
    dlon = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def _quiet_spot(bounds: tuple[float, ...], taken: list[tuple[float, float]]) -> tuple[float, float]:
    """A point well inside the town with no premises near it nor near the spot south of it."""
    south, west, north, east = bounds
    steps = 40
    for i in range(2, steps - 1):
        for j in range(2, steps - 1):
            here = (south + (north - south) * i / steps, west + (east - west) * j / steps)
            spot = (here[0] - SPOT_OFFSET_LAT, here[1])
            if all(min(_metres(here, p), _metres(spot, p)) > CLEARANCE_M for p in taken):
                return round(here[0], 6), round(here[1], 6)
    raise AssertionError("no quiet spot left in the town for a test premises")


@pytest.fixture
def place(live_app) -> Place:
    """A new vacant premises alone at its spot, with one cheese-shop supporter already."""
    with live_app.app_context():
        taken = db.session.execute(select(Premises.latitude, Premises.longitude)).all()
        latitude, longitude = _quiet_spot(live_app.config["WISHBOARD_MAP_BOUNDS"], taken)
        premises = factories.make_premises(
            address=f"{uuid.uuid4().hex[:6]} rue du Parcours",
            latitude=latitude,
            longitude=longitude,
        )
        factories.make_support(premises, code="shop=cheese")
        db.session.commit()
        return Place(premises.id, premises.address, latitude, longitude)


@pytest.fixture
def resident(live_app) -> str:
    """A new verified resident of the live app; returns the e-mail address."""
    with live_app.app_context():
        user = factories.make_user()
        db.session.commit()
        return user.email


# Steps shared by the journeys


def register_and_verify(page: Page, live_app) -> str:
    """Create an account through the form and open the link of the e-mail it sends."""
    email = f"journey-{uuid.uuid4().hex[:10]}@example.org"
    page.goto("/auth/register")
    page.locator("#email").fill(email)
    page.locator("#display_name").fill("Camille")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/auth/check-email$"))

    with live_app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None
        link = VERIFY_LINK.search(message.body_text)
        assert link is not None
    page.goto(link.group(0))
    expect(page.locator("main a[href='/']")).to_be_visible()
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        assert user.is_verified
    return email


def tap_map(page: Page, latitude: float, longitude: float) -> None:
    """Click the map at a position, as a finger would: at its pixel, not through Leaflet."""
    container = page.locator("[data-map-var][data-geojson-url]")
    container.evaluate("(element) => element.scrollIntoView({block: 'center'})")
    x, y = page.evaluate(CONTAINER_POINT, [latitude, longitude])
    box = container.bounding_box()
    assert box is not None and 0 < x < box["width"] and 0 < y < box["height"]
    page.mouse.click(box["x"] + x, box["y"] + y)


def open_map_at(page: Page, latitude: float, longitude: float) -> None:
    """The home page, its pins loaded, zoomed in until single pins show around a position."""
    page.goto("/")
    expect(page.locator("#map-status")).not_to_be_empty()
    page.evaluate(SET_VIEW, [latitude, longitude, PIN_ZOOM])


def tap_pin(page: Page, place: Place) -> None:
    """Tap the pin of `place` on the home page's map."""
    open_map_at(page, place.latitude, place.longitude)
    page.wait_for_function(PIN_SHOWN, arg=[place.latitude, place.longitude])
    tap_map(page, place.latitude, place.longitude)


def support_form(scope: Page | Locator, place: Place, code: str) -> Locator:
    """The support form (count and button) of one shop type at `place`."""
    return scope.locator(f"#support-{place.id}-{code.replace('=', '-')}")


def support_button(scope: Page | Locator, place: Place, code: str) -> Locator:
    """The "I want it too" button of one shop type at `place`."""
    return scope.locator(f"#support-button-{place.id}-{code.replace('=', '-')}")


def count_of(scope: Page | Locator, place: Place, code: str) -> Locator:
    """The support count of one shop type at `place`."""
    return support_form(scope, place, code).locator(".support-count")


def press(page: Page, place: Place, button: Locator, key: str | None = None) -> None:
    """Click `button` (or press `key` on it) and wait until the whole panel has refreshed too."""
    panel_id = f"premises-panel-{place.id}"
    page.evaluate("(id) => { document.getElementById(id).dataset.stale = 'yes'; }", panel_id)
    if key is None:
        button.click()
    else:
        page.keyboard.press(key)
    expect(page.locator(f"#{panel_id}[data-stale]")).to_have_count(0)
    expect(page.locator(f"#{panel_id}")).to_be_visible()


def supports_of(live_app, email: str) -> set[tuple[int, str]]:
    """(premises id, shop type code) of every support the resident with `email` gives."""
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        supports = db.session.scalars(select(Support).where(Support.resident_id == user.id))
        return {(support.premises_id, support.shop_type.code) for support in supports}


def area_wishes_of(live_app, email: str) -> list[str]:
    """The shop type codes of the resident's area wishes."""
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        wishes = db.session.scalars(
            select(Wish).where(Wish.author_id == user.id, Wish.premises_id.is_(None))
        )
        return [wish.shop_type.code for wish in wishes]


def wait_until(page: Page, condition, timeout_ms: int = 5000) -> None:
    """Let the page run until `condition()` holds (Playwright handles routes while it waits)."""
    for _ in range(timeout_ms // 20):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError("timed out")


def counted(number: int) -> re.Pattern:
    """A support count showing `number` (whatever the words around it)."""
    return re.compile(rf"(^|\D){number}(\D|$)")


# With JavaScript


@pytest.mark.long
def test_resident_journey_with_javascript(
    page: Page, watch: PageWatch, live_app, place: Place
) -> None:
    email = register_and_verify(page, live_app)

    # A tap on our pin opens its panel beside the map, without leaving the page.
    tap_pin(page, place)
    page.evaluate("() => { window.journeyMarker = 'still here'; }")
    home = page.url
    panel = page.locator(f"#map-panel #premises-panel-{place.id}")
    expect(panel).to_be_visible()
    expect(panel.locator("h2")).to_contain_text(place.address)
    assert page.url == home
    assert page.evaluate("() => window.journeyMarker") == "still here"
    assert axe_violations(page) == []

    # The type-ahead box shortens the list; "boul" leaves only the bakery, chosen for us.
    choices = panel.locator("#shop_type option")
    everything = choices.count()
    panel.locator("#shop_type-filter").fill("boul")
    expect(choices).not_to_have_count(everything)
    assert choices.count() < everything
    expect(panel.locator("#shop_type")).to_have_value("shop=bakery")
    panel.locator(f"#wish-submit-{place.id}").click()

    expect(panel.locator(".notice")).to_be_visible()
    expect(count_of(panel, place, "shop=bakery")).to_have_text(counted(1))
    expect(support_button(panel, place, "shop=bakery")).to_have_attribute("aria-pressed", "true")
    assert page.url == home
    assert page.evaluate("() => window.journeyMarker") == "still here"
    assert (place.id, "shop=bakery") in supports_of(live_app, email)

    # On the premises page: support what a neighbour wished, withdraw, support again.
    page.goto(place.path)
    assert axe_violations(page) == []
    page.evaluate("() => { window.journeyMarker = 'premises page'; }")
    cheese = support_button(page, place, "shop=cheese")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
    expect(cheese).to_have_attribute("aria-pressed", "false")
    press(page, place, cheese)
    expect(cheese).to_have_attribute("aria-pressed", "true")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
    press(page, place, cheese)
    expect(cheese).to_have_attribute("aria-pressed", "false")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
    assert (place.id, "shop=cheese") not in supports_of(live_app, email)
    press(page, place, cheese)
    expect(cheese).to_have_attribute("aria-pressed", "true")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
    assert page.evaluate("() => window.journeyMarker") == "premises page"
    assert page.url.endswith(place.path)

    # A tap on an empty spot of the town offers an area wish, whose form opens in the panel.
    spot = (round(place.latitude - SPOT_OFFSET_LAT, 6), place.longitude)
    open_map_at(page, *spot)
    tap_map(page, *spot)
    page.locator(".leaflet-popup .map-popup-button").click()
    area = page.locator("#map-panel #area-wish-panel")
    expect(area.locator("#area-wish-form")).to_be_visible()
    # The spot tapped, to a few metres: a tap lands on a whole pixel, the spot may lie between two.
    expect(area.locator("#latitude")).not_to_have_value("")
    tapped = [float(area.locator(f"#{name}").input_value()) for name in ("latitude", "longitude")]
    assert tapped == pytest.approx(spot, abs=5e-5)
    assert axe_violations(page) == []
    area.locator("#shop_type-filter").fill("librai")
    expect(area.locator("#shop_type")).to_have_value("shop=books")
    area.locator("#area-wish-submit").click()
    expect(area.locator(".notice")).to_be_visible()
    expect(area.locator("#area-wish-form")).to_have_count(0)
    assert area_wishes_of(live_app, email) == ["shop=books"]

    # "My wishes" lists all three; withdrawing the support there stops it counting.
    page.locator("nav a[href='/me/wishes']").click()
    expect(page).to_have_url(re.compile(r"/me/wishes$"))
    assert axe_violations(page) == []
    premises_rows = page.locator("section[aria-labelledby=supports-title] li.my-wish")
    expect(premises_rows).to_have_count(2)
    bakery_row = premises_rows.filter(has_text="Boulangerie")
    cheese_row = premises_rows.filter(has_text="Fromagerie")
    expect(bakery_row.locator(f"a[href='{place.path}']")).to_have_text(place.address)
    expect(cheese_row.locator(f"a[href='{place.path}']")).to_have_text(place.address)
    expect(page.locator("section[aria-labelledby=area-title] li.my-wish")).to_contain_text(
        "Librairie"
    )
    cheese_row.get_by_role("button").click()

    expect(page).to_have_url(re.compile(r"/me/wishes$"))
    expect(page.locator(".flashes")).to_be_visible()
    expect(premises_rows).to_have_count(1)
    expect(premises_rows.first).to_contain_text("Boulangerie")
    assert supports_of(live_app, email) == {(place.id, "shop=bakery")}
    watch.assert_clean()


# Without JavaScript


def test_resident_journey_without_javascript(
    browser: Browser, live_server: str, live_app, place: Place
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR", base_url=live_server)
    try:
        page = context.new_page()
        email = register_and_verify(page, live_app)

        # The map needs JavaScript: the list leads to the premises, newest first.
        page.goto("/premises")
        sort = page.locator("#filter-sort")
        if not sort.is_visible():  # the filters may be folded away until asked for
            page.locator("details:has(#filter-sort) > summary").click()
        sort.select_option("newest")
        page.locator("#premises-filters button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/premises\?.*sort=newest"))
        page.locator(".premises-table").get_by_role("link", name=place.address).click()
        expect(page).to_have_url(re.compile(rf"{place.path}$"))

        # The wish form posts the whole page, which comes back with a notice.
        page.locator("#shop_type").select_option("shop=bakery")
        page.locator(f"#wish-submit-{place.id}").click()
        expect(page).to_have_url(re.compile(rf"{place.path}#wishes$"))
        expect(page.locator(".flashes .flash-success")).to_be_visible()
        expect(count_of(page, place, "shop=bakery")).to_have_text(counted(1))
        expect(support_button(page, place, "shop=bakery")).to_have_attribute("aria-pressed", "true")

        # Support and withdraw: each a form post and a redirect back to the same page.
        support_button(page, place, "shop=cheese").click()
        expect(page).to_have_url(re.compile(rf"{place.path}$"))
        expect(page.locator(".flashes .flash-success")).to_be_visible()
        expect(support_button(page, place, "shop=cheese")).to_have_attribute("aria-pressed", "true")
        expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
        support_button(page, place, "shop=cheese").click()
        expect(support_button(page, place, "shop=cheese")).to_have_attribute(
            "aria-pressed", "false"
        )
        expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
        support_button(page, place, "shop=cheese").click()
        expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
        assert supports_of(live_app, email) == {
            (place.id, "shop=bakery"),
            (place.id, "shop=cheese"),
        }

        # An area wish with the coordinates typed in.
        page.goto("/area-wishes/new")
        expect(page.locator(".type-filter")).to_be_hidden()
        page.locator("#latitude").fill(str(place.latitude - SPOT_OFFSET_LAT))
        page.locator("#longitude").fill(str(place.longitude))
        page.locator("#shop_type").select_option("shop=books")
        page.locator("#area-wish-submit").click()
        expect(page).to_have_url(re.compile(r"/me/wishes$"))
        expect(page.locator(".flashes .flash-success")).to_be_visible()

        # "My wishes" shows everything, and withdrawing there is one more form post.
        premises_rows = page.locator("section[aria-labelledby=supports-title] li.my-wish")
        area_rows = page.locator("section[aria-labelledby=area-title] li.my-wish")
        expect(premises_rows).to_have_count(2)
        expect(area_rows).to_have_count(1)
        expect(area_rows).to_contain_text("Librairie")
        area_rows.get_by_role("button").click()
        expect(page).to_have_url(re.compile(r"/me/wishes$"))
        expect(area_rows).to_have_count(0)
        assert area_wishes_of(live_app, email) == []

        premises_rows.filter(has_text="Fromagerie").get_by_role("button").click()
        expect(premises_rows).to_have_count(1)
        assert supports_of(live_app, email) == {(place.id, "shop=bakery")}
    finally:
        context.close()


# The keyboard alone


def test_support_and_wish_from_the_keyboard(
    page: Page, watch: PageWatch, live_app, place: Place, resident: str
) -> None:
    sign_in(page, resident)
    page.goto(place.path)
    cheese = support_button(page, place, "shop=cheese")
    page.locator("h1").click()

    def tab_to(target: Locator, most: int = 60) -> None:
        for _ in range(most):
            page.keyboard.press("Tab")
            if target.evaluate("(element) => element === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {target}")

    tab_to(cheese)
    # The whole panel refreshes after the button (demand-changed); focus must survive both swaps.
    press(page, place, cheese, key="Enter")
    expect(cheese).to_have_attribute("aria-pressed", "true")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
    expect(cheese).to_be_focused()

    press(page, place, cheese, key="Enter")
    expect(cheese).to_have_attribute("aria-pressed", "false")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
    expect(cheese).to_be_focused()

    tab_to(page.locator("#shop_type-filter"))
    page.keyboard.type("boul")
    expect(page.locator("#shop_type")).to_have_value("shop=bakery")
    page.keyboard.press("Tab")
    expect(page.locator("#shop_type")).to_be_focused()
    tab_to(page.locator(f"#wish-submit-{place.id}"), most=3)
    page.keyboard.press("Enter")

    panel = page.locator(f"#premises-panel-{place.id}")
    expect(panel.locator(".notice")).to_be_visible()
    expect(count_of(panel, place, "shop=bakery")).to_have_text(counted(1))
    # Focus stays in the panel the person was using, not lost to the page's start.
    assert panel.evaluate("(element) => element.contains(document.activeElement)")
    assert supports_of(live_app, resident) == {(place.id, "shop=bakery")}
    watch.assert_clean()


def test_a_quick_second_tap_is_not_lost_to_a_panel_refresh_on_its_way(
    page: Page, watch: PageWatch, live_app, place: Place, resident: str
) -> None:
    sign_in(page, resident)
    page.goto(place.path)
    cheese = support_button(page, place, "shop=cheese")
    # The network is made slow at the worst moment: the panel's refresh after the first tap
    # leaves the server before the second tap, but its answer arrives after that tap's request.
    held: dict[str, tuple] = {}

    def hold(route: Route) -> None:
        request = route.request
        if request.method == "GET" and request.headers.get("hx-request") and "refresh" not in held:
            held["refresh"] = (route, route.fetch())
        elif request.method == "POST" and request.url.endswith("/withdraw") and "tap" not in held:
            held["tap"] = (route, route.fetch())
        else:
            route.continue_()

    page.route(re.compile(rf"/premises/{place.id}(/supports/.*)?$"), hold)
    cheese.click()
    expect(cheese).to_have_attribute("aria-pressed", "true")
    wait_until(page, lambda: "refresh" in held)
    cheese.click()
    wait_until(page, lambda: "tap" in held)
    for name in ("refresh", "tap"):
        route, response = held[name]
        try:
            route.fulfill(response=response)
        except PlaywrightError:
            pass  # the page cancelled this request: what the fix is about

    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(cheese).to_have_attribute("aria-pressed", "false")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
    assert supports_of(live_app, resident) == set()
    # htmx reports the refresh the tap cancelled on the console; nothing else may go wrong.
    assert [error for error in watch.console_errors if not error.startswith("htmx:")] == []
    assert watch.page_errors == []
    assert watch.foreign_requests == []


# Accessibility of the new pages


def test_support_and_withdraw_from_the_list_in_place(
    page: Page, watch: PageWatch, live_app, place: Place, resident: str
) -> None:
    sign_in(page, resident)
    page.goto("/premises?sort=newest")
    page.evaluate("window.sameDocument = true")
    button = support_button(page, place, "shop=cheese")

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(2))
    assert supports_of(live_app, resident) == {(place.id, "shop=cheese")}

    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(count_of(page, place, "shop=cheese")).to_have_text(counted(1))
    assert supports_of(live_app, resident) == set()
    assert page.evaluate("window.sameDocument") is True  # no page load
    assert page.url.endswith("/premises?sort=newest")
    watch.assert_clean()


@pytest.mark.parametrize(
    ("status", "words"), [(500, "rien n’a été modifié"), (404, "n’existe plus")]
)
def test_a_failed_request_says_so_where_the_resident_acted(
    page: Page, live_app, place: Place, resident: str, status: int, words: str
) -> None:
    sign_in(page, resident)
    page.goto(place.path)
    page.route("**/supports/**", lambda route: route.fulfill(status=status, body="<p>boom</p>"))

    support_button(page, place, "shop=cheese").click()

    form = support_form(page, place, "shop=cheese")
    expect(form.get_by_role("alert")).to_contain_text(words)
    # The button is still there and unchanged: nothing blank, nothing pretended.
    expect(support_button(page, place, "shop=cheese")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("body")).not_to_contain_text("boom")


# The pages themselves are the layout guard's (test_layout_guard.py, axe included); these are
# the states only a journey reaches.
@pytest.mark.parametrize("where", ["premises", "map_panel"])
def test_new_pages_have_no_serious_accessibility_violation(
    page: Page, watch: PageWatch, live_app, place: Place, resident: str, where: str
) -> None:
    sign_in(page, resident)
    with live_app.app_context():
        user = db.session.scalars(select(User).where(User.email == resident)).one()
        premises = db.session.get(Premises, place.id)
        factories.make_support(premises, user, code="shop=cheese")
        factories.make_wish(
            None, user, latitude=place.latitude, longitude=place.longitude, comment="Près du parc"
        )
        db.session.commit()

    if where == "premises":
        page.goto(place.path)
        expect(page.locator(f"#wish-form-{place.id}")).to_be_visible()
    else:
        tap_pin(page, place)
        expect(page.locator(f"#map-panel #wish-form-{place.id}")).to_be_visible()

    assert axe_violations(page) == []
    watch.assert_clean()
