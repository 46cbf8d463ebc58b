"""Browser tests: Debian's Chromium driven by Playwright against a live server."""

import functools
import os
import random
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests import factories
from tests.browser.serving import serve
from tests.conftest import make_app, skip_or_fail
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.settings import settings

BROWSER_TESTS = Path(__file__).parent
AXE_SCRIPT = BROWSER_TESTS / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Debian's chromium-headless-shell: the same Blink and V8 as its Chromium, without the browser's
# windows, and what Playwright itself runs headless tests in. The browser tests take half the CPU
# in it (measured on 2 cores: 268 → 133 core-seconds for tests/browser/), so they use it when it
# is installed; `make screenshots` and the benchmark keep the full Chromium a person uses.
HEADLESS_SHELL = "chromium-headless-shell"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
# How long an `expect(...)` waits for the page to get there. Playwright's 5 s default was too
# short on a busy 2-core machine (the live server shares its process with the test, and the tests
# run two at a time): a link's page arrived after it now and then. The same checks, more patient.
expect.set_options(timeout=15_000)

# A premises whose address looks like markup: it must reach the page as text, never as HTML.
MARKUP_ADDRESS = '<b class="injected">12</b> rue des Essais'


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this directory drives Chromium: `-m "not browser"` leaves them all out."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str | None:
    """Debian's Chromium, wherever it is installed."""
    found = shutil.which("chromium")
    if found:
        return found
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else None


def browser_path() -> str | None:
    """The browser the tests drive: Debian's headless shell when installed, else its Chromium."""
    return shutil.which(HEADLESS_SHELL) or chromium_path()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's headless shell or Chromium (Playwright's own download does not work here)."""
    executable = browser_path()
    if executable is None:
        skip_or_fail("Browser tests need Chromium: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A French-speaking visitor, like most of the town's residents."""
    return {**browser_context_args, "locale": "fr-FR"}


def _small_town() -> None:
    """Forty premises in three districts with varied demand, two of them let, one withdrawn."""
    rng = random.Random(19)
    codes = ["shop=bakery", "shop=cheese", "amenity=cafe", "shop=books", "shop=greengrocer"]
    residents = [factories.make_user() for _ in range(25)]
    districts = [factories.make_district(name) for name in ("Belleville", "Jourdain", "Crimée")]
    for n in range(40):
        premises = factories.make_premises(
            address=f"{n + 1} rue de la Villette",
            district=districts[n % 3],
            latitude=48.865 + rng.random() * 0.02,
            longitude=2.375 + rng.random() * 0.025,
            surface_m2=rng.choice([None, 35, 60, 120]),
        )
        for resident in rng.sample(residents, rng.randint(0, 14)):
            factories.make_support(premises, resident, code=rng.choice(codes))
    factories.make_premises(
        address="8 rue de Meaux",
        district=districts[0],
        status=PremisesStatus.LET,
        let_shop_type=factories.shop_type("shop=books"),
        let_on=date(2024, 3, 1),
    )
    factories.make_premises(address="3 rue Fessart", status=PremisesStatus.WITHDRAWN)


def _load_town() -> None:
    """The demo town when its loader exists, else a small town of our own; plus a tricky address."""
    try:
        from wishboard.data.demo import load_demo_town
    except ImportError:
        _small_town()
    else:
        load_demo_town(settings())
    premises = factories.make_premises(address=MARKUP_ADDRESS, latitude=48.8801, longitude=2.3921)
    factories.make_support(premises)
    db.session.commit()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application on a SQLite file (the server's threads each open their own connection)."""
    database = tmp_path_factory.mktemp("live") / "wishboard.sqlite3"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        _load_town()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The base URL of the application served in a background thread for the whole session."""
    with serve(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright resolves `page.goto("/")` against the live server."""
    return live_server


class PageWatch:
    """What a page did that it should not: console errors, uncaught exceptions, foreign requests."""

    def __init__(self, page, origin: str) -> None:
        self.origin = origin
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.foreign_requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", self._request)

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _request(self, request) -> None:
        url = request.url
        if not (url == self.origin or url.startswith(f"{self.origin}/")):
            if not url.startswith(("data:", "blob:", "about:")):
                self.foreign_requests.append(url)

    def assert_clean(self) -> None:
        """Fail with every problem seen, so that one run shows them all."""
        assert self.console_errors == []
        assert self.page_errors == []
        assert self.foreign_requests == []


@pytest.fixture
def watch(page, live_server: str) -> PageWatch:
    """Listeners on `page` recording errors and requests to any host but the live server."""
    return PageWatch(page, live_server)


# Reports every Content-Security-Policy violation on the console, where the fixture below sees
# it (Chromium's own "Refused to …" message does not name blocked inline styles the same way).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.URL}:${event.lineNumber}`);
});
"""


def _csp_message(text: str) -> bool:
    return text.startswith("CSP violation:") or (
        text.startswith("Refused to") and "Content Security Policy" in text
    )


@pytest.fixture(autouse=True)
def csp_violations(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Fail every browser test whose pages break the Content-Security-Policy in any way."""
    if "context" not in request.fixturenames:
        yield []
        return
    context = request.getfixturevalue("context")
    seen: list[str] = []
    context.add_init_script(CSP_LISTENER)
    context.on(
        "console", lambda message: seen.append(message.text) if _csp_message(message.text) else None
    )
    yield seen
    assert seen == [], "the Content-Security-Policy blocked something on these pages"


# axe-core's serious and critical violations, summed up in the page: its whole result is large,
# and bringing it over to Python took longer than the checks themselves.
#
# Only the rules that can find a serious or critical violation run. axe gives each rule an impact,
# and every violation the rule finds takes it (axe's `finalizeRuleResult`), so a rule whose impact
# is minor or moderate (landmarks, heading order, "region"…) can fail nothing here. Skipping them
# took the layout guard from 47 to 38 CPU seconds (measured on 2 cores). A rule without an impact
# still runs, and so does its violation's impact check below.
AXE_SKIPPED_RULES = """axe._audit.rules
  .filter((rule) => ["minor", "moderate"].includes(rule.impact)).map((rule) => rule.id)"""
AXE_SERIOUS = (
    "async () => {\n  const skipped = "
    + AXE_SKIPPED_RULES
    + """;
  const rules = Object.fromEntries(skipped.map((id) => [id, { enabled: false }]));
  return (await axe.run(document, { resultTypes: ["violations"], rules })).violations
  .filter((violation) => ["serious", "critical"].includes(violation.impact))
  .map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.slice(0, 5).map((node) => node.target),
  }));
}"""
)


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text()


# Resolves once the page's transitions and animations have ended (endless ones aside): axe
# measures contrast on what is drawn, and a popup fading in is not yet its own colour.
ANIMATIONS_ENDED = """async () => {
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const running = document.getAnimations().filter(
    (animation) => animation.effect && animation.effect.getComputedTiming().endTime !== Infinity
  );
  await Promise.allSettled(running.map((animation) => animation.finished));
}"""


def axe_violations(page) -> list[dict]:
    """The serious and critical accessibility violations axe-core finds on the current page."""
    page.evaluate(ANIMATIONS_ENDED)
    # Evaluated, not added as a <script>: the page's policy rightly refuses inline scripts. Once
    # per document: a page measured again after a resize still has it.
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return page.evaluate(AXE_SERIOUS)


def sign_in(page, email: str, language: str | None = None) -> None:
    """Sign in as a user made by the factories; `language` ("en") first switches the site to it."""
    start = f"/language/{language}?next=/auth/login" if language else "/auth/login"
    page.goto(start)
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.locator("#password").press("Enter")
    # Signed in: the menu offers the account (folded behind its button on a phone).
    expect(page.locator("nav a[href='/me']")).to_have_count(1)
