"""The open data in a real browser: the page is accessible, the map's link follows its filters,
and a page of another site can read the files (CORS) but never with the visitor's cookies."""

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageWatch, axe_violations
from tests.browser.serving import serve
from wishboard.services.open_data import EXPORTS

pytestmark = pytest.mark.browser


def test_the_page_passes_axe_on_a_wide_screen(page: Page, watch: PageWatch) -> None:
    # On a phone, the layout guard (test_layout_guard.py) checks its width and axe.
    page.goto("/data")

    expect(page.locator("h1")).to_have_text("Données ouvertes")
    expect(page.locator("section.data-export")).to_have_count(len(EXPORTS))
    assert axe_violations(page) == []
    watch.assert_clean()


def test_a_bad_filter_is_shown_accessibly(page: Page, watch: PageWatch) -> None:
    page.goto("/data?type=%3Cscript%3Ealert(1)%3C/script%3E")

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#filter-type")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    # The console reports the 400 itself; nothing else may go wrong.
    assert watch.page_errors == [] and watch.foreign_requests == []


def test_the_map_link_follows_the_filters(page: Page, watch: PageWatch) -> None:
    page.goto("/")
    link = page.locator("#map-data-link")
    expect(link).to_have_attribute("href", "/data")
    page.locator(".filters-disclosure summary").click()
    code = page.locator("#filter-type option").nth(1).get_attribute("value")

    page.locator("#filter-type").select_option(code)

    expect(link).to_have_attribute("href", f"/data?type={quote(code, safe='')}")
    link.click()
    expect(page.locator("#filter-type")).to_have_value(code)
    href = page.locator("#export-premises .data-links a").first.get_attribute("href")
    assert href == f"/api/premises.geojson?type={quote(code, safe='')}"
    watch.assert_clean()


@pytest.fixture
def other_site() -> Iterator[str]:
    """Another site (another origin: another port) serving one plain page, no policy of ours.

    A real server on this machine: Chromium refuses any request from a page it takes for a
    public site to a local server, whatever the server's headers say.
    """

    def portal(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [b"<!doctype html><html lang='fr'><title>Portail</title></html>"]

    with serve(portal) as url:
        yield f"{url}/"


def test_another_site_reads_the_files_but_not_with_cookies(
    page: Page, live_server: str, other_site: str
) -> None:
    page.goto(other_site)

    result = page.evaluate(
        """async (base) => {
            const url = base + "/api/premises.geojson";
            const first = await fetch(url);
            const data = await first.json();
            const etag = first.headers.get("ETag");
            // If-None-Match is not a simple header: Chromium asks with a preflight first.
            const again = await fetch(url, {headers: {"If-None-Match": etag}});
            const csv = await fetch(base + "/api/demand.csv?variant=spreadsheet");
            const bytes = new Uint8Array(await csv.arrayBuffer());
            const refused = async (init) => {
                try { await fetch(url, init); return false; } catch (error) { return true; }
            };
            return {
                status: first.status,
                features: data.features.length,
                etag: etag,
                link: first.headers.get("Link"),
                again: again.status,
                bom: Array.from(bytes.slice(0, 3)),
                disposition: csv.headers.get("Content-Disposition"),
                putRefused: await refused({method: "PUT"}),
                credentialsRefused: await refused({credentials: "include"}),
            };
        }""",
        live_server,
    )

    assert result["status"] == 200
    assert result["features"] > 0
    assert result["etag"]  # exposed to scripts
    assert 'rel="license"' in result["link"]
    assert result["again"] == 304
    assert result["bom"] == [0xEF, 0xBB, 0xBF]
    assert "spreadsheet" in result["disposition"]
    assert result["putRefused"] is True  # the preflight allows GET and HEAD only
    assert result["credentialsRefused"] is True  # "*" never goes with the visitor's cookies
