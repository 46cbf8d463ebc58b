"""`make screenshots`: every page of every role, on a phone and on a desktop, as PNG files.

    python -m scripts.screenshots [--output screenshots] [--role resident --role admin]

Serves the app on the layout guard's data set (tests/browser/sweep.py: the demo town plus what
every page needs, with long names and e-mail addresses) in a temporary SQLite file, opens each
page of the sweep in French at 360 × 740 and 1280 × 800 in Debian's Chromium, and writes
full-page PNGs as <output>/<role>/<width>/<page>.png, so that a person can review the whole site
at a glance before a release. Maps show no background tiles (none are fetched), as in the tests.
"""

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.browser.sweep import SIZES, RoleTab, load_sweep_town, serve, sweep_pages
from tests.conftest import make_app
from tests.test_access import ROLES


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("screenshots"), help="the folder")
    parser.add_argument(
        "--role", action="append", choices=ROLES, help="only this role (repeat for several)"
    )
    return parser.parse_args(argv)


# Chromium refuses to capture a page much taller than this; a longer page is cut here.
TALLEST_PX = 15000


def _screenshot(page, path: Path) -> None:
    """The whole page as a PNG, or its first TALLEST_PX pixels when it is longer."""
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, TALLEST_PX)}
    page.screenshot(path=path, full_page=True, clip=clip)


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; 1 when Chromium is missing."""
    arguments = _arguments(argv)
    chromium = chromium_path()
    if chromium is None:
        print("make screenshots needs Chromium: apt-get install chromium", file=sys.stderr)
        return 1
    roles = tuple(arguments.role or ROLES)
    output: Path = arguments.output
    # A folder of this run only: a page that no longer exists leaves no stale picture behind.
    for role in roles:
        shutil.rmtree(output / role, ignore_errors=True)
    # One line per request would bury the summary.
    for name in ("wishboard.request", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)

    started = time.perf_counter()
    count = 0
    with tempfile.TemporaryDirectory(prefix="wishboard-screenshots-") as folder:
        app = make_app(f"sqlite:///{Path(folder) / 'wishboard.sqlite3'}")
        values = load_sweep_town(app)
        pages = sweep_pages(app, roles, every_role=True)
        with serve(app) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for role in roles:
                tab = RoleTab(browser, base_url, role, values)
                for page in (page for page in pages if page.role == role):
                    url = page.url(values)
                    for size in SIZES:
                        # Loaded at each size: a map frames its pins for the window it opens in.
                        tab.show(url, size, reload=True)
                        path = output / role / size / f"{page.slug}.png"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        _screenshot(tab.page, path)
                        count += 1
                print(f"{role}: {sum(page.role == role for page in pages)} pages", flush=True)
                tab.close()
            browser.close()
    seconds = time.perf_counter() - started
    print(f"{count} screenshots in {output.resolve()} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
