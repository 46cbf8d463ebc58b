"""Every page of every role is valid HTML: the Nu Html Checker (vnu.jar) finds no error.

The pages are those of the sweep (tests/browser/sweep.py): every GET route of the access table
(tests/test_access.py) that a role opens as a page, with real ids from the demo town and the
sweep's additions. They are rendered by the test client (no browser), written to files, and
checked by one run of the checker: one Java start for the whole batch. The stylesheets that
every page carries are checked once each, in the first page that has them.

The checker is the npm package `vnu-jar`, kept in tests/html/package.json (`make html-checker`
installs it; `make test` does), run with Debian's Java (`apt-get install default-jre-headless`;
.ci/run installs both). Without either the test is skipped, with the reason, unless
WISHBOARD_REQUIRE_ALL=1.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.browser.sweep import SweepPage, load_sweep_town, sweep_pages
from tests.conftest import make_app, skip_or_fail
from tests.test_access import ROLES
from wishboard.extensions import db
from wishboard.models import User

VNU_JAR = Path(__file__).parent / "html" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# A page of the sweep may answer this instead of 200: a link with a bad token explains itself.
EXPECTED_STATUS = (200, 400)
# The checker also checks the stylesheets written into the pages, with a CSS grammar older than
# some of what they use. Only these messages are left out, each one a valid rule it does not
# know: container queries (CSS Containment 3, in every browser since 2023), Leaflet's
# `mix-blend-mode: plus-lighter` (Compositing 2), and Leaflet's `behavior`, an old Internet
# Explorer property that every other browser skips. Any other CSS error still fails.
UNKNOWN_TO_THE_CHECKER = "|".join(
    (
        r"CSS: Unrecognized at-rule .@container.",
        r"CSS: .container-type.: Property .container-type. doesn't exist\.",
        r"CSS: .mix-blend-mode.: .plus-lighter. is not a .mix-blend-mode. value\.",
        r"CSS: .behavior.: Property .behavior. doesn't exist\.",
    )
)


# Java for one short run: a deeper stack (the checker recurses), the quick compiler only and one
# garbage collector thread. With Java's defaults, its optimising compiler and parallel collector
# took this test from 15 to 24 CPU seconds (measured on 2 cores), for a run this short.
JAVA_OPTIONS = ("-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def vnu_command() -> list[str]:
    """The checker's command line, or a skip (a failure in CI) saying what to install."""
    java = shutil.which("java")
    if java is None:
        skip_or_fail("The HTML check needs Java: apt-get install default-jre-headless")
    if not VNU_JAR.is_file():
        skip_or_fail("The HTML check needs vnu.jar from npm: make html-checker")
    return [
        *(java, *JAVA_OPTIONS, "-jar", str(VNU_JAR), "--errors-only", "--format", "json"),
        *("--filterpattern", UNKNOWN_TO_THE_CHECKER),
        # Its guess at each page's language only ever gives a warning, which --errors-only drops.
        "--no-langdetect",
    ]


STYLESHEET = re.compile(rb"(<style\b[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)


def stylesheets_checked_once(html: bytes, seen: set[bytes]) -> bytes:
    """`html` with each stylesheet already in `seen` emptied, and the others added to it.

    Every page carries the site's stylesheets, 30 kB of them: checking them again on each of
    the 226 pages took two thirds of the checker's time (7.4 s, 2.4 s without). Each different
    stylesheet is checked once, in the first page that has it. An emptied one keeps its line
    breaks, so the checker's line numbers are still those of the page.
    """

    def once(match: re.Match) -> bytes:
        opening, stylesheet, closing = match.groups()
        if stylesheet in seen:
            return opening + b"\n" * stylesheet.count(b"\n") + closing
        seen.add(stylesheet)
        return match.group(0)

    return STYLESHEET.sub(once, html)


def _sign_in(client, email: str) -> None:
    user = db.session.scalars(select(User).filter_by(email=email)).one()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


# Each role's pages in French (the default); a visitor's in English too (the texts differ, the
# markup barely: one role is enough).
RUNS = [(role, "fr") for role in ROLES] + [("visitor", "en")]
# Pages the sweep does not open: an error page.
ERROR_PAGES = {"not-found": ("/no-such-page", 404), "no-such-premises": ("/premises/999999", 404)}


def render_pages(app: Flask, folder: Path) -> dict[Path, str]:
    """Every page of the sweep as a file in `folder`; returns each file's "role (language) URL"."""
    values = load_sweep_town(app)
    pages: dict[Path, str] = {}
    stylesheets: set[bytes] = set()

    def keep(client, role: str, language: str, slug: str, url: str, status: tuple) -> None:
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code in status, (role, url, response.status)
        assert response.mimetype == "text/html", (role, url, response.mimetype)
        path = folder / f"{role}-{language}--{slug}.html"
        path.write_bytes(stylesheets_checked_once(response.get_data(), stylesheets))
        pages[path] = f"{role} ({language}) {url}"

    with app.app_context():
        for role, language in RUNS:
            client = app.test_client()
            if role != "visitor":
                _sign_in(client, values["emails"][role])
            page: SweepPage
            for page in sweep_pages(app, roles=(role,), every_role=True):
                keep(client, role, language, page.slug, page.url(values), EXPECTED_STATUS)
        client = app.test_client()
        for slug, (url, status) in ERROR_PAGES.items():
            keep(client, "visitor", "fr", slug, url, (status,))
    return pages


def vnu_errors(command: list[str], files: list[Path]) -> list[dict]:
    """The checker's errors for `files`, each with its file's URL (`url`), line and message."""
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=300
    )
    # The report is JSON on standard error; the exit status is 1 when there are errors.
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar did not answer JSON (exit {result.returncode}):\n{result.stderr}")
    return [message for message in report["messages"] if message.get("type") == "error"]


@pytest.mark.long
def test_every_page_of_every_role_is_valid_html(tmp_path: Path) -> None:
    command = vnu_command()
    app = make_app()
    pages = render_pages(app, tmp_path)

    errors = vnu_errors(command, sorted(pages))

    # vnu names each file by a URL ("file:/tmp/…/visitor--index.html"): its name is enough.
    by_name = {path.name: name for path, name in pages.items()}
    found = [
        f"{by_name.get(error.get('url', '').rpartition('/')[2], error.get('url'))}, "
        f"line {error.get('lastLine')}: {error['message']}"
        for error in errors
    ]
    if found:
        pytest.fail(f"{len(found)} HTML errors:\n" + "\n".join(found), pytrace=False)


def test_a_stylesheet_is_checked_in_the_first_page_that_has_it_only() -> None:
    seen: set[bytes] = set()
    site = b"<style>\nbody { margin: 0 }\np { color: red }\n</style>"
    own = b'<style nonce="a">h1 { color: blue }</style>'

    first = stylesheets_checked_once(b"<head>" + site + b"</head>", seen)
    second = stylesheets_checked_once(b"<head>" + site + own + b"</head>", seen)

    assert first == b"<head>" + site + b"</head>"
    assert second == b"<head><style>\n\n\n</style>" + own + b"</head>"
