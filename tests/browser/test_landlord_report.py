"""A landlord without an account opens the e-mailed link, reads the report and downloads the PDF."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import PageWatch, axe_violations
from tests.conftest import skip_or_fail
from wishboard.extensions import db
from wishboard.models import utcnow
from wishboard.services.reports import mail as report_mail
from wishboard.services.reports.formats import pdf_available
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.browser

ADDRESS = "5 rue du Rapport (test)"


@pytest.fixture
def report_link(live_app, live_server, monkeypatch) -> str:
    """The signed link of a premises with demand, read from the summary e-mail sent for it."""
    # The e-mail is written outside a request, as `wishboard send-reports` writes it.
    monkeypatch.setitem(live_app.config, "WISHBOARD_BASE_URL", live_server)
    with live_app.app_context():
        premises = factories.make_premises(
            address=ADDRESS, landlord_name="Mme Propriétaire", landlord_email="owner@example.org"
        )
        for days in (1, 8, 8, 15):
            support = factories.make_support(premises)
            support.created_at = utcnow() - timedelta(days=days)
        factories.make_support(premises, code="amenity=cafe")
        factories.make_wish(premises, comment="Une boulangerie <b>enfin</b>")
        db.session.commit()
        message = report_mail.queue_summary(premises, app_settings())
        [link] = re.findall(r"^(http\S+/report\?key=\S+)$", message.body_text, re.MULTILINE)
    assert link.startswith(f"{live_server}/landlord/premises/")
    return link


def test_a_landlord_opens_the_link_and_downloads_the_pdf(
    page: Page, watch: PageWatch, report_link: str
) -> None:
    if not pdf_available():
        skip_or_fail("The PDF download needs WeasyPrint and its system libraries (pango)")

    page.goto(report_link)

    expect(page.locator("h1")).to_contain_text(ADDRESS)
    rows = page.locator("#report-demand tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Boulangerie")
    expect(rows.first.locator("td").nth(1)).to_have_text("4")
    expect(page.locator(".report-chart svg")).to_be_visible()
    expect(page.locator(".report-comments .comment-text")).to_have_text(
        "Une boulangerie <b>enfin</b>"
    )
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.locator(".report-actions a[href*='report.pdf']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    watch.assert_clean()


def test_the_report_fits_a_phone(page: Page, watch: PageWatch, report_link: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(report_link)

    expect(page.locator("h1")).to_contain_text(ADDRESS)
    # Tables scroll inside their frame; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    watch.assert_clean()


def test_the_landlord_marks_the_premises_let_from_the_link(
    page: Page, watch: PageWatch, report_link: str
) -> None:
    page.goto(report_link)
    page.locator(".report-actions a[href*='/let?key=']").click()

    assert axe_violations(page) == []
    page.locator("#shop_type").select_option("shop=bakery")
    page.locator("#let_on").fill("2026-03-02")
    page.locator("main form button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text(ADDRESS)
    expect(page.locator(".report-let")).to_contain_text("4 habitants en avaient fait la demande")
    expect(page.locator(".report-actions a[href*='/let?key=']")).to_have_count(0)
    watch.assert_clean()
