"""The layout guard: every page of every role, on a phone and on a desktop, reads as it should.

For each page of the sweep (tests/browser/sweep.py) at 360 × 740 and 1280 × 800: the page does
not scroll sideways, no text is squeezed letter by letter, the map's controls neither cover one
another nor stick out of the map, and axe-core finds no serious or critical violation (at 360 px).
Each role signs in once, in a browser context of its own; each page loads once, at 360 px, and
is measured again at 1280 px after a resize. Then the home map: a premises' side panel, and a
popup opened beside each top corner of the map, clear of the map's controls.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import AXE_SCRIPT, axe_violations
from tests.browser.sweep import (
    SIZES,
    RoleTab,
    SweepPage,
    load_sweep_town,
    serve,
    settle,
    sweep_cases,
)
from tests.conftest import make_app

pytestmark = pytest.mark.browser

# A word longer than this may wrap over several lines (an e-mail address, a web address) and
# still read well: it may take one line per LONG_WORD characters. A hyphen ends a word too:
# "Pont-de-Flandre" may take three lines in a narrow column.
LONG_WORD = 16

# axe-core runs at the phone's size only. The markup is the same at both sizes, and what only one
# size gets wrong shows on the phone (a table that scrolls in its box must take the focus there).
# At both sizes the sweep costs a quarter more: 115 instead of 91 CPU seconds, measured.
AXE_SIZES = ("360",)

# What the layout of the page shown gets wrong, as sentences; `longWord` is LONG_WORD. Besides
# a word broken letter by letter, a sentence of six words or more squeezed to about a word per
# line (fewer than 1.5 words a line, in a box narrower than ten letters) is a box far too narrow.
LAYOUT_PROBLEMS = r"""({ longWord, within }) => {
  const width = window.innerWidth;
  const range = document.createRange();
  const SKIPPED = new Set(["script", "style", "noscript", "template", "title", "option",
                           "optgroup", "select", "textarea", "svg"]);

  const describe = (element) => {
    const parts = [];
    for (let node = element; node && node !== document.body && parts.length < 3;
         node = node.parentElement) {
      if (node.id) { parts.unshift(`${node.localName}#${node.id}`); break; }
      const classes = [...node.classList].slice(0, 2).map((name) => `.${name}`).join("");
      parts.unshift(node.localName + classes);
    }
    return parts.join(" > ") || element.localName;
  };
  const quote = (element) => {
    const text = (element.innerText || element.textContent || "").replace(/\s+/g, " ").trim();
    return JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text);
  };
  const ownText = (element) => [...element.childNodes].filter(
    (node) => node.nodeType === Node.TEXT_NODE && node.data.trim());
  const shown = (element) => !element.closest(".visually-hidden")
    && element.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const textRects = (nodes) => nodes.flatMap((node) => {
    range.selectNodeContents(node);
    return [...range.getClientRects()].filter((rect) => rect.width > 0 && rect.height > 0);
  });
  const problems = [];

  const root = within ? document.querySelector(within) : document.body;

  // (a) The document is no wider than the window. Each element that sticks out while its
  // parent does not is named, with the part of it that sticks out furthest.
  const scrollWidth = document.documentElement.scrollWidth;
  if (!within && scrollWidth > width) {
    const reach = (element) => {
      const box = element.getBoundingClientRect();
      const edges = [box.width || box.height ? box.right : -Infinity,
                     ...textRects(ownText(element)).map((rect) => rect.right)];
      return Math.max(...edges) + window.scrollX;
    };
    // True when a box that scrolls or clips sideways holds `element` in: a box between an
    // absolutely positioned element and its containing block does not (it escapes it).
    const heldIn = (element) => {
      for (let node = element; node && node !== document.body;) {
        const style = getComputedStyle(node);
        if (style.position === "fixed") return true; // never widens the document
        let parent = node.parentElement;
        if (style.position === "absolute") {
          while (parent && parent !== node.offsetParent && parent !== document.body)
            parent = parent.parentElement;
        }
        if (!parent || parent === document.body) return false;
        if (getComputedStyle(parent).overflowX !== "visible") return true;
        node = parent;
      }
      return false;
    };
    const out = new Map();
    for (const element of document.body.querySelectorAll("*")) {
      if (SKIPPED.has(element.localName) && element.localName !== "svg") continue;
      const right = reach(element);
      if (right > width + 0.5 && !heldIn(element)) out.set(element, right);
    }
    const offenders = [...out].filter(([element]) => !out.has(element.parentElement))
      .map(([element, right]) => {
        let deepest = element;
        for (const [other, otherRight] of out) {
          if (other !== element && element.contains(other) && otherRight >= out.get(deepest))
            deepest = other;
        }
        return { element, right, deepest };
      });
    offenders.sort((p, q) => q.right - p.right);
    const positioned = (element) =>
      getComputedStyle(element).position === "absolute" ? " (absolutely positioned)" : "";
    const named = offenders.slice(0, 5).map(({ element, right, deepest }) => {
      const inner = deepest === element ? ""
        : `, furthest: ${describe(deepest)} ${quote(deepest)}${positioned(deepest)}`;
      return `${describe(element)} ${quote(element)}${positioned(element)} reaches `
        + `${Math.round(right)} px${inner}`;
    });
    problems.push(`scrolls sideways: the page is ${scrollWidth} px wide in a ${width} px window; `
      + (named.length ? named.join("; ") : "no element found to blame"));
  }

  // (b) No text broken letter by letter: an element's own text takes no more lines than it
  // has words (a long word may take one line per `longWord` characters; hyphens and other
  // places where a line may break end a word).
  for (const element of root.querySelectorAll("*")) {
    if (SKIPPED.has(element.localName) || element.closest("svg")) continue;
    const nodes = ownText(element);
    if (!nodes.length || !shown(element)) continue;
    const words = nodes.map((node) => node.data).join(" ").trim()
      .split(/\s+|(?<=[-\u00ad\u2010\u2013\u2014])|\u200b/).filter(Boolean);
    // Words between spaces: an address of hyphenated names is one word here.
    const spaced = nodes.map((node) => node.data).join(" ").trim().split(/\s+/).length;
    const allowed = words.reduce(
      (sum, word) => sum + Math.max(1, Math.ceil(word.length / longWord)), 0);
    const rects = textRects(nodes).sort((p, q) => p.top - q.top);
    let lines = 0;
    let lineBottom = -Infinity;
    for (const rect of rects) {
      if (rect.top + rect.height / 2 > lineBottom) { lines += 1; lineBottom = rect.bottom; }
    }
    const boxWidth = Math.round(element.getBoundingClientRect().width);
    if (lines > allowed) {
      problems.push(`text broken letter by letter: ${describe(element)} ${quote(element)}: `
        + `${words.length} word${words.length > 1 ? "s" : ""} on ${lines} lines, `
        + `in a box ${boxWidth} px wide`);
    } else if (spaced >= 6 && spaced < 1.5 * lines
               && boxWidth < 10 * parseFloat(getComputedStyle(element).fontSize)) {
      // A sentence squeezed to about a word per line, in a box narrower than ten letters.
      problems.push(`text squeezed to a word per line: ${describe(element)} ${quote(element)}: `
        + `${spaced} words on ${lines} lines, in a box ${boxWidth} px wide`);
    }
  }

  // (c) The controls of each map neither cover one another nor stick out of the map.
  for (const map of within ? [] : document.querySelectorAll(".leaflet-container")) {
    const frame = map.getBoundingClientRect();
    const controls = [...map.querySelectorAll(".leaflet-control")].filter(shown)
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0);
    controls.forEach(({ element, box }, index) => {
      for (const other of controls.slice(index + 1)) {
        const across = Math.min(box.right, other.box.right) - Math.max(box.left, other.box.left);
        const down = Math.min(box.bottom, other.box.bottom) - Math.max(box.top, other.box.top);
        if (across > 0.5 && down > 0.5) {
          problems.push(`map controls overlap: ${describe(element)} and ${describe(other.element)} `
            + `${quote(other.element)} share ${Math.round(across)} × ${Math.round(down)} px`);
        }
      }
      if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5
          || box.top < frame.top - 0.5 || box.bottom > frame.bottom + 0.5) {
        problems.push(`map control cut off: ${describe(element)} ${quote(element)} `
          + `(${Math.round(box.width)} × ${Math.round(box.height)} px) sticks out of its map `
          + `(${Math.round(frame.width)} × ${Math.round(frame.height)} px)`);
      }
    });
  }
  return problems;
}"""


def layout_problems(page, within: str | None = None) -> list[str]:
    """What the layout of the page shown gets wrong, one sentence each (none: all is well).

    With `within` (a CSS selector), only the text inside that element is checked.
    """
    return page.evaluate(LAYOUT_PROBLEMS, {"longWord": LONG_WORD, "within": within})


def _cases() -> list:
    """The sweep's cases, with ids naming role, page and size: "resident-/premises/<…>-360"."""
    return [
        pytest.param(page, size, id=f"{page.role}-{page.path}-{size}")
        for page, size in sweep_cases()
    ]


class Sweep:
    """The sweep's server, data set and one browser tab per role, opened when first needed."""

    def __init__(self, browser: Browser, base_url: str, values: dict[str, object]) -> None:
        self.browser = browser
        self.base_url = base_url
        self.values = values
        self.tabs: dict[str, RoleTab] = {}

    def tab(self, role: str, locale: str = "fr-FR") -> RoleTab:
        key = f"{role}-{locale}"
        if key not in self.tabs:
            tab = RoleTab(self.browser, self.base_url, role, self.values, locale)
            if locale == "fr-FR":
                # axe-core checks each page this tab loads: loaded with every new document, it
                # costs 45 ms of CPU less per page than evaluated into each (measured).
                tab.context.add_init_script(path=AXE_SCRIPT)
            self.tabs[key] = tab
        return self.tabs[key]


@pytest.fixture(scope="session")
def sweep(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    """The sweep's data set served on a SQLite file of its own, and the browser tabs."""
    database = tmp_path_factory.mktemp("sweep") / "wishboard.sqlite3"
    app = make_app(f"sqlite:///{database}")
    values = load_sweep_town(app)
    with serve(app) as base_url:
        swept = Sweep(browser, base_url, values)
        yield swept
        for tab in swept.tabs.values():
            tab.close()


@pytest.mark.parametrize(("swept", "size"), _cases())
def test_page_layout(sweep: Sweep, swept: SweepPage, size: str) -> None:
    tab = sweep.tab(swept.role)
    url = swept.url(sweep.values)
    tab.show(url, size)

    problems = layout_problems(tab.page)
    if size in AXE_SIZES:
        problems += [
            f"axe {violation['impact']}: {violation['id']} ({violation['help']}) at "
            f"{violation['targets']}"
            for violation in axe_violations(tab.page)
        ]
    assert problems == [], f"{url} at {SIZES[size][0]} px:\n  " + "\n  ".join(problems)


# English words are shorter or longer than French ones: the pages residents use are checked in
# English too, on a phone (where a longer word hurts), for their layout.
ENGLISH_ROLES = ("visitor", "resident")


def _english_cases() -> list:
    return [
        pytest.param(page, id=f"{page.role}-{page.path}-360-en")
        for page, size in sweep_cases(ENGLISH_ROLES)
        if size == "360"
    ]


@pytest.mark.parametrize("swept", _english_cases())
def test_page_layout_in_english(sweep: Sweep, swept: SweepPage) -> None:
    tab = sweep.tab(swept.role, "en-GB")
    url = swept.url(sweep.values)
    tab.show(url, "360")

    assert tab.page.locator("html").get_attribute("lang") == "en"
    problems = layout_problems(tab.page)
    assert problems == [], f"{url} at 360 px, in English:\n  " + "\n  ".join(problems)


# The pin of the premises at `address` on the home map, out of its cluster, then panned to `at`
# (pixels from the map's top left corner, negative from its right; the middle when null) and
# the map scrolled into view. Returns where the pin is in the window.
BRING_PIN = """async ({ address, at }) => {
  const container = document.querySelector("[data-map-var][data-geojson-url]");
  const map = window[container.dataset.mapVar];
  let clusters = null;
  map.eachLayer((layer) => { if (layer instanceof L.MarkerClusterGroup) clusters = layer; });
  const pin = clusters.getLayers().find((circle) =>
    circle.getPopup().getContent()().querySelector(".map-popup-title").textContent === address);
  await new Promise((done) => clusters.zoomToShowLayer(pin, done));
  container.scrollIntoView({ block: "center" });
  const size = map.getSize();
  const target = at ? L.point(at[0] < 0 ? size.x + at[0] : at[0], at[1]) : size.divideBy(2);
  map.panBy(map.latLngToContainerPoint(pin.getLatLng()).subtract(target), { animate: false });
  const point = map.latLngToContainerPoint(pin.getLatLng());
  const frame = container.getBoundingClientRect();
  window.sweepPin = pin;
  return [frame.left + point.x, frame.top + point.y];
}"""

# Opens the popup of the pin BRING_PIN brought, lets Leaflet pan it into view, and names each
# map control the popup overlaps.
POPUP_UNDER_CONTROLS = """async () => {
  const pin = window.sweepPin;
  const map = pin._map;
  // Leaflet pans a popup into view (animated) when it does not fit: wait for the end of it.
  let panning = false;
  map.once("autopanstart", () => { panning = true; });
  const moved = new Promise((done) => map.once("moveend", done));
  pin.openPopup();
  if (panning) await moved;
  const popup = map.getContainer().querySelector(".leaflet-popup-content-wrapper");
  const box = popup.getBoundingClientRect();
  return [...map.getContainer().querySelectorAll(".leaflet-control")].flatMap((control) => {
    const other = control.getBoundingClientRect();
    const across = Math.min(box.right, other.right) - Math.max(box.left, other.left);
    const down = Math.min(box.bottom, other.bottom) - Math.max(box.top, other.top);
    return across > 0.5 && down > 0.5
      ? [`${control.className.split(" ").filter((name) => name.startsWith("leaflet-control-"))
          .join(".")} covers ${Math.round(across)} × ${Math.round(down)} px of the popup`]
      : [];
  });
}"""


@pytest.fixture
def map_page(sweep: Sweep):
    """Opens a new tab for `role` on the home map at `size`; closed after the test."""
    opened = []

    def open_map(role: str, size: str):
        page = sweep.tab(role).context.new_page()
        opened.append(page)
        width, height = SIZES[size]
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/")
        settle(page)
        return page

    yield open_map
    for page in opened:
        page.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_map_side_panel_keeps_its_text_readable(sweep: Sweep, map_page, size: str) -> None:
    page = map_page("resident", size)
    x, y = page.evaluate(BRING_PIN, {"address": sweep.values["premises_address"], "at": None})

    page.mouse.click(x, y)

    panel = page.locator("#map-panel .premises-panel .demand-row").first
    panel.wait_for()
    settle(page)
    problems = layout_problems(page, within="#map-panel")
    assert problems == [], f"the map's side panel at {SIZES[size][0]} px:\n  " + "\n  ".join(
        problems
    )


# Where a pin is tapped: 30 px from each top corner of the map, beside its controls.
CORNERS = {"top-left": [30, 30], "top-right": [-30, 30]}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("corner", CORNERS)
def test_a_popup_near_a_corner_of_the_map_is_not_under_its_controls(
    sweep: Sweep, map_page, size: str, corner: str
) -> None:
    page = map_page("visitor", size)
    page.evaluate(BRING_PIN, {"address": sweep.values["premises_address"], "at": CORNERS[corner]})

    problems = page.evaluate(POPUP_UNDER_CONTROLS)

    assert problems == [], (
        f"the popup of a pin at the {corner} of the map at {SIZES[size][0]} px:\n  "
        + "\n  ".join(problems)
    )
