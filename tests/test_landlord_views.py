"""The landlord pages and the report routes: who may read them, signed links, downloads."""

import csv
import io
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import TimestampSigner

from tests import factories
from tests.conftest import skip_or_fail
from wishboard.caching import forget_all
from wishboard.extensions import db
from wishboard.models import Role, utcnow
from wishboard.services.reports import formats as report_formats
from wishboard.services.reports.links import report_key, revoke_report_links
from wishboard.settings import settings as app_settings


@pytest.fixture(autouse=True)
def english(client) -> None:
    """English unless a test asks for another language (the default one is French)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def pdf_renderer() -> None:
    """Skip (or fail under WISHBOARD_REQUIRE_ALL=1) when WeasyPrint cannot run here."""
    if not report_formats.pdf_available():
        skip_or_fail("PDF tests need WeasyPrint and its system libraries (apt-get install pango)")


@pytest.fixture
def premises(app):
    """A vacant premises with bakery 3 and café 1, and a comment that looks like markup."""
    place = factories.make_premises(address="12 rue des Essais", reference="P/12 ../x")
    for _n in range(3):
        factories.make_support(place)
    factories.make_support(place, code="amenity=cafe")
    factories.make_wish(place, comment="<script>alert(1)</script>")
    db.session.commit()
    return place


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def report_url(premises, suffix: str = "", **args) -> str:
    query = "&".join(f"{name}={value}" for name, value in args.items())
    return f"/landlord/premises/{premises.id}/report{suffix}" + (f"?{query}" if query else "")


def own(premises, landlord) -> None:
    premises.landlord_id = landlord.id
    db.session.commit()


# Signed in: the landlord of the premises, other landlords, staff, residents, visitors.


def test_the_landlord_reads_the_report_of_their_premises(client, login_as, premises):
    own(premises, login_as(Role.LANDLORD))

    response = client.get(report_url(premises), headers={"Accept-Language": "en"})

    assert response.status_code == 200
    html = page(response)
    assert html.select_one("h1").get_text(strip=True) == "Demand report: 12 rue des Essais"
    demand = [
        [cell.get_text(strip=True) for cell in row.select("th, td")]
        for row in html.select("#report-demand tbody tr")
    ]
    # No open shop is near: both wished types are marked as gaps, in words.
    assert demand == [
        ["1", "Bakery", "3", "75%", "Gap: none"],
        ["2", "Café", "1", "25%", "Gap: none"],
    ]
    assert html.select_one("#report-demand caption")
    assert [th["scope"] for th in html.select("#report-demand th")] == ["col"] * 5 + ["row"] * 2
    # The chart is drawn on the server, named, and its numbers are in the table below it.
    chart = html.select_one(".report-chart svg")
    assert chart["role"] == "img"
    assert chart.select_one("title").get_text(strip=True).startswith("Bar chart: 4 supports")
    assert html.select("#report-trend tbody tr")[-1].select_one("td").get_text() == "4"
    # Without a key, the links carry none.
    links = {a.get_text(strip=True): a["href"] for a in html.select(".report-actions a")}
    assert links == {
        "Download the report (PDF)": f"/landlord/premises/{premises.id}/report.pdf",
        "Download the numbers (CSV)": f"/landlord/premises/{premises.id}/report.csv",
        "Download the numbers for a spreadsheet (Excel, LibreOffice)": (
            f"/landlord/premises/{premises.id}/report.csv?variant=spreadsheet"
        ),
        "Download the window poster (PDF, A4)": f"/landlord/premises/{premises.id}/poster.pdf",
        "Download the window poster (PDF, A3)": (
            f"/landlord/premises/{premises.id}/poster.pdf?size=a3"
        ),
        "Mark as let": f"/landlord/premises/{premises.id}/let",
    }
    assert response.headers["Cache-Control"] == "private, no-store"


def test_comments_reach_the_page_as_text(client, login_as, premises):
    own(premises, login_as(Role.LANDLORD))

    html = page(client.get(report_url(premises)))

    assert html.select_one(".report-comments .comment-text").get_text() == (
        "<script>alert(1)</script>"
    )
    assert html.select(".report-comments script") == []


def test_another_landlords_premises_does_not_exist(client, login_as, premises):
    own(premises, factories.make_user(role=Role.LANDLORD))
    login_as(Role.LANDLORD)

    for suffix in ("", ".pdf", ".csv"):
        assert client.get(report_url(premises, suffix)).status_code == 404


def test_a_resident_gets_a_404(client, login_as, premises):
    login_as(Role.RESIDENT)

    assert client.get(report_url(premises)).status_code == 404


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_staff_read_every_report(client, login_as, premises, role):
    login_as(role)

    response = client.get(report_url(premises))

    assert response.status_code == 200
    assert page(response).select_one("#report-demand")


def test_a_visitor_is_sent_to_sign_in(client, premises):
    response = client.get(report_url(premises))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_an_unknown_premises_is_a_404(client, login_as):
    login_as(Role.MODERATOR)

    assert client.get("/landlord/premises/999999/report").status_code == 404
    assert client.get("/landlord/premises/99999999999/report").status_code == 404


# Signed links.


def test_a_signed_link_opens_the_report_without_an_account(client, premises):
    key = report_key(premises, app_settings())

    response = client.get(report_url(premises, key=key))

    assert response.status_code == 200
    html = page(response)
    assert html.select_one("h1").get_text(strip=True) == "Demand report: 12 rue des Essais"
    hrefs = [urlsplit(a["href"]) for a in html.select(".report-actions a")]
    assert len(hrefs) == 6  # the report's files, the two posters and "Mark as let"
    assert all(parse_qs(href.query)["key"] == [key] for href in hrefs)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_says_so(app, client, premises, monkeypatch):
    days = app.config["WISHBOARD_REPORT_LINK_DAYS"]
    made = time.time() - timedelta(days=days, minutes=1).total_seconds()
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(made))
        key = report_key(premises, app_settings())

    response = client.get(report_url(premises, key=key))

    assert response.status_code == 410
    assert "This link has expired." in page(response).select_one("main").get_text()
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_link_expires_on_time_though_its_page_was_kept(app, client, premises, monkeypatch):
    key = report_key(premises, app_settings())
    assert client.get(report_url(premises, key=key)).status_code == 200

    # Nothing changed since, so the page is kept; the key is checked all the same.
    days = app.config["WISHBOARD_REPORT_LINK_DAYS"]
    later = time.time() + timedelta(days=days, minutes=1).total_seconds()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(later))
    assert client.get(report_url(premises, key=key)).status_code == 410


def test_a_link_just_within_its_lifetime_opens(app, client, premises, monkeypatch):
    days = app.config["WISHBOARD_REPORT_LINK_DAYS"]
    made = time.time() - timedelta(days=days, minutes=-5).total_seconds()
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(made))
        key = report_key(premises, app_settings())

    assert client.get(report_url(premises, key=key)).status_code == 200


def test_a_tampered_link_is_a_404(client, premises):
    key = factories.tampered_token(report_key(premises, app_settings()))

    for suffix in ("", ".pdf", ".csv"):
        assert client.get(report_url(premises, suffix, key=key)).status_code == 404


def test_a_link_for_another_premises_is_a_404(client, premises):
    other = factories.make_premises()
    db.session.commit()
    key = report_key(other, app_settings())

    for suffix in ("", ".pdf", ".csv"):
        assert client.get(report_url(premises, suffix, key=key)).status_code == 404
    assert client.get(report_url(other, key=key)).status_code == 200


def test_a_revoked_link_is_gone_at_once(client, premises):
    key = report_key(premises, app_settings())
    assert client.get(report_url(premises, key=key)).status_code == 200

    revoke_report_links(None, premises)
    db.session.commit()

    # Not served again from any cache: the page is made for each request.
    for suffix in ("", ".pdf", ".csv"):
        response = client.get(report_url(premises, suffix, key=key))
        assert response.status_code == 410
        assert "withdrawn" in page(response).select_one("main").get_text()
    assert (
        client.get(report_url(premises, key=report_key(premises, app_settings()))).status_code
        == 200
    )


def test_a_link_opens_that_report_and_nothing_else(client, premises):
    key = report_key(premises, app_settings())
    client.get(report_url(premises, key=key))

    # The key is no sign-in: without it, the same browser is a visitor again.
    assert client.get(report_url(premises)).status_code == 302
    assert client.get("/landlord/").status_code == 302
    assert client.get("/moderation/premises").status_code == 302


# Downloads.


def test_the_csv_with_a_key(client, premises):
    response = client.get(report_url(premises, ".csv", key=report_key(premises, app_settings())))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition == f'attachment; filename="demand-report-P-12-x-{utcnow().date()}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["shop_type_code"], r["count"]) for r in rows if r["section"] == "demand"] == [
        ("shop=bakery", "3"),
        ("amenity=cafe", "1"),
    ]
    comment = next(r for r in rows if r["section"] == "comment")
    assert comment["text"] == "<script>alert(1)</script>"  # text, not a formula: kept as is
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_pdf_with_a_key(client, premises, pdf_renderer):
    response = client.get(report_url(premises, ".pdf", key=report_key(premises, app_settings())))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="demand-report-P-12-x-{utcnow().date()}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_pdf_for_the_signed_in_landlord(client, login_as, premises, pdf_renderer):
    own(premises, login_as(Role.LANDLORD))

    response = client.get(report_url(premises, ".pdf"))

    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")


def test_without_weasyprint_the_pdf_is_a_503_page(client, premises, monkeypatch):
    def missing():
        raise report_formats.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(report_formats, "_weasyprint", missing)

    response = client.get(
        report_url(premises, ".pdf", key=report_key(premises, app_settings())),
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 503
    assert "The PDF cannot be made on this server" in page(response).select_one("main").get_text()
    assert "Content-Disposition" not in response.headers


# Languages.


def test_headings_in_english_and_french(client, premises):
    key = report_key(premises, app_settings())

    english = page(client.get(report_url(premises, key=key), headers={"Accept-Language": "en"}))
    french = page(client.get(report_url(premises, key=key), headers={"Accept-Language": "fr"}))

    assert english.select_one("html")["lang"] == "en"
    assert english.select_one("#report-demand-title").get_text() == "What residents want here"
    assert english.select_one("#report-demand tbody th").get_text() == "Bakery"
    assert french.select_one("html")["lang"] == "fr"
    assert french.select_one("#report-demand tbody th").get_text() == "Boulangerie"
    with force_locale("fr"):
        heading = _("What residents want here")
        title = _("Demand report: %(address)s", address="12 rue des Essais")
    assert french.select_one("#report-demand-title").get_text() == heading
    assert french.select_one("h1").get_text(strip=True) == title


# The landlord's list of premises.


def test_the_landlord_sees_their_premises_with_totals(client, login_as, premises):
    landlord = login_as(Role.LANDLORD)
    own(premises, landlord)
    quiet = factories.make_premises(address="1 rue Vide", landlord_id=landlord.id)
    factories.make_premises(address="9 rue d'Autrui", landlord=factories.make_user())
    db.session.commit()

    response = client.get("/landlord/", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    rows = {
        row.select_one("th").get_text(strip=True): row for row in page(response).select("tbody tr")
    }
    assert set(rows) == {"12 rue des Essais", "1 rue Vide"}
    assert rows["12 rue des Essais"].select_one("td.numeric").get_text() == "4"
    assert rows["1 rue Vide"].select_one("td.numeric").get_text() == "0"
    assert rows["12 rue des Essais"].select_one("a")["href"] == report_url(premises)
    assert rows["1 rue Vide"].select_one("a")["href"] == report_url(quiet)
    assert page(response).select_one("header nav a[href='/landlord/']").text == "My premises"


def test_the_list_is_for_landlords(client, login_as):
    assert client.get("/landlord/").status_code == 302
    login_as(Role.MODERATOR)
    assert client.get("/landlord/").status_code == 403


def test_a_landlord_without_premises_is_told_why(client, login_as):
    login_as(Role.LANDLORD)

    response = client.get("/landlord/", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert "No premises is linked to your account yet." in page(response).select_one("main").text


def test_the_page_costs_the_same_queries_however_much_data(
    client, login_as, premises, count_queries
):
    login_as(Role.MODERATOR)
    url, district = report_url(premises), premises.district
    client.get(url)  # the first request loads what every request shares
    db.session.expunge_all()  # each request starts with an empty session, as in production
    forget_all(client.application)  # the report built again, as after a change
    with count_queries() as small:
        assert client.get(url).status_code == 200

    premises = db.session.merge(premises)
    for n in range(20):
        factories.make_support(premises, code="shop=books")
        factories.make_wish(premises, comment=f"Avis {n}", shop_type=factories.make_shop_type())
        factories.make_shop(name=f"Boutique {n}", latitude=premises.latitude, longitude=2.381)
        factories.make_support(factories.make_premises(district_id=district.id))
    db.session.commit()
    db.session.expunge_all()
    forget_all(client.application)
    with count_queries() as large:
        assert client.get(url).status_code == 200

    assert large.count == small.count


def test_a_report_opened_again_while_nothing_changed_is_not_counted_again(
    client, login_as, premises, count_queries
):
    login_as(Role.MODERATOR)
    url = report_url(premises)
    first = client.get(url, headers={"Accept-Language": "en"})
    db.session.expunge_all()
    with count_queries() as again:
        second = client.get(url, headers={"Accept-Language": "en"})

    def summary(response) -> str:
        return page(response).select_one(".report-summary").get_text()

    assert again.count <= 8  # who reads it, the data version, the projects: not the demand
    assert summary(second) == summary(first)

    factories.make_support(db.session.merge(premises), code="shop=books")
    db.session.commit()
    changed = client.get(url, headers={"Accept-Language": "en"})
    assert summary(changed) != summary(first)


def test_a_signed_in_landlord_finds_the_way_back_to_their_list_and_a_link_reader_does_not(
    client, login_as, premises
):
    landlord = login_as(Role.LANDLORD)
    own(premises, landlord)
    db.session.commit()
    back = "nav.breadcrumb a[href='/landlord/']"

    assert page(client.get(report_url(premises))).select_one(back) is not None
    let_url = f"/landlord/premises/{premises.id}/let"
    assert page(client.get(let_url)).select_one(back) is not None
    # Through the signed link the reader may have no account: no way to a list they lack.
    key = report_key(premises, app_settings())
    assert page(client.get(report_url(premises, key=key))).select_one(back) is None
    assert page(client.get(f"{let_url}?key={key}")).select_one(back) is None
