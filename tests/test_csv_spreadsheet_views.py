"""Every CSV download in its spreadsheet variant: semicolons, a byte-order mark, the decimal
separator of the visitor's language, formulas neutralised, and a file name that says so."""

import csv
import io
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests import factories
from wishboard.extensions import db
from wishboard.models import Presence, Role, utcnow
from wishboard.services import audit
from wishboard.services.reports.links import report_key
from wishboard.settings import settings as app_settings

BOM = b"\xef\xbb\xbf"
FRENCH = {"Accept-Language": "fr"}
ENGLISH = {"Accept-Language": "en"}
FORMULA = '=HYPERLINK("http://evil.example","clic")'


def spreadsheet_rows(response) -> list[dict[str, str]]:
    """The rows of a spreadsheet CSV, read the way a French spreadsheet reads it."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(BOM)
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")  # CRLF, and no bare LF
    text = body[len(BOM) :].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def disposition(response) -> str:
    return response.headers["Content-Disposition"]


# The open data: /api/demand.csv


@pytest.fixture
def demand(app) -> dict:
    premises = factories.make_premises(
        address=FORMULA, reference="@ref", latitude=48.871234, longitude=2.381234
    )
    factories.make_support(premises, code="shop=bakery")
    factories.make_support(premises, code="shop=bakery")
    db.session.commit()
    return {"premises": premises}


def test_the_open_demand_for_a_french_spreadsheet(client: FlaskClient, demand) -> None:
    response = client.get("/api/demand.csv?variant=spreadsheet", headers=FRENCH)

    (row,) = spreadsheet_rows(response)
    assert disposition(response) == 'attachment; filename="wishboard-demand-spreadsheet.csv"'
    assert (row["latitude"], row["longitude"]) == ("48,871234", "2,381234")
    assert row["supports"] == "2"  # whole numbers unchanged
    assert row["address"] == f"'{FORMULA}"  # still no formula
    assert row["reference"] == "'@ref"
    assert row["shop_type_label_fr"] == "Boulangerie"


def test_the_open_demand_for_an_english_spreadsheet(client: FlaskClient, demand) -> None:
    response = client.get("/api/demand.csv?variant=spreadsheet", headers=ENGLISH)

    (row,) = spreadsheet_rows(response)
    assert (row["latitude"], row["longitude"]) == ("48.871234", "2.381234")


def test_the_standard_open_demand_is_unchanged(client: FlaskClient, demand) -> None:
    response = client.get("/api/demand.csv", headers=FRENCH)

    body = response.get_data()
    assert not body.startswith(BOM)
    assert disposition(response) == 'attachment; filename="wishboard-demand.csv"'
    (row,) = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert row["latitude"] == "48.871234"
    # The standard file is the same in every language: one copy for every cache.
    assert "Accept-Language" not in response.headers.get("Vary", "")


def test_each_variant_and_language_has_its_own_etag(client: FlaskClient, demand) -> None:
    standard = client.get("/api/demand.csv", headers=FRENCH)
    french = client.get("/api/demand.csv?variant=spreadsheet", headers=FRENCH)
    english = client.get("/api/demand.csv?variant=spreadsheet", headers=ENGLISH)

    etags = {standard.headers["ETag"], french.headers["ETag"], english.headers["ETag"]}
    assert len(etags) == 3
    assert "Accept-Language" in french.headers["Vary"]
    # A client holding the French file is told it is current; one holding the English file,
    # asking in French, gets the French file.
    again = client.get(
        "/api/demand.csv?variant=spreadsheet",
        headers={**FRENCH, "If-None-Match": french.headers["ETag"]},
    )
    assert again.status_code == 304
    other = client.get(
        "/api/demand.csv?variant=spreadsheet",
        headers={**FRENCH, "If-None-Match": english.headers["ETag"]},
    )
    assert other.status_code == 200
    assert other.get_data() == french.get_data()
    # The cache serves each from its own entry, not the other's.
    assert client.get("/api/demand.csv?variant=spreadsheet", headers=ENGLISH).get_data() == (
        english.get_data()
    )


@pytest.mark.parametrize("variant", ["excel", "", "SPREADSHEET", "<b>"])
def test_an_unknown_variant_is_a_400(client: FlaskClient, demand, variant: str) -> None:
    response = client.get("/api/demand.csv", query_string={"variant": variant})

    assert response.status_code == 400


# The landlord's demand report


@pytest.fixture
def report_premises(app):
    """Bakery 3 and café 1: shares of 75 % and 25 %."""
    place = factories.make_premises(address="12 rue des Essais", reference="P/12")
    for _n in range(3):
        factories.make_support(place)
    factories.make_support(place, code="amenity=cafe")
    factories.make_wish(place, comment="=1+2")
    db.session.commit()
    return place


def _report_csv(client: FlaskClient, premises, headers: dict, **args) -> object:
    query = {"key": report_key(premises, app_settings()), **args}
    return client.get(
        f"/landlord/premises/{premises.id}/report.csv", query_string=query, headers=headers
    )


def test_the_report_for_a_french_spreadsheet(client: FlaskClient, report_premises) -> None:
    response = _report_csv(client, report_premises, FRENCH, variant="spreadsheet")

    rows = spreadsheet_rows(response)
    demand = [
        (r["shop_type_code"], r["count"], r["share_percent"])
        for r in rows
        if r["section"] == "demand"
    ]
    assert demand == [("shop=bakery", "3", "75,0"), ("amenity=cafe", "1", "25,0")]
    comment = next(r for r in rows if r["section"] == "comment")
    assert comment["text"] == "'=1+2"
    day = utcnow().date().isoformat()
    assert disposition(response) == (
        f'attachment; filename="demand-report-P-12-{day}-spreadsheet.csv"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_report_for_an_english_spreadsheet(client: FlaskClient, report_premises) -> None:
    rows = spreadsheet_rows(_report_csv(client, report_premises, ENGLISH, variant="spreadsheet"))

    shares = [r["share_percent"] for r in rows if r["section"] == "demand"]
    assert shares == ["75.0", "25.0"]


def test_the_report_variant_is_checked_after_the_reader(
    client: FlaskClient, report_premises
) -> None:
    url = f"/landlord/premises/{report_premises.id}/report.csv?variant=excel"
    # Nobody learns anything without a right to the report, not even that the variant is wrong.
    assert client.get(url).status_code == 302
    assert _report_csv(client, report_premises, ENGLISH, variant="excel").status_code == 400


# The audit log and the visibility list (staff)


@pytest.fixture
def staff_data(app, client: FlaskClient, login_as) -> dict:
    moderator = login_as(Role.MODERATOR, display_name="=cmd|' /C calc'!A0")
    premises = factories.make_premises(address="5 rue des Lilas")
    event = audit.record(moderator, "premises.updated", audit.PREMISES, premises.id)
    event.created_at = datetime(2025, 3, 1, 9, 30)
    district = factories.make_district("Jourdain")
    factories.make_shop(
        name="@Boulangerie",
        phone="+33 1 42 00 00 00",
        district=district,
        has_website=Presence.NO,
        has_social=Presence.NO,
        on_map_service=Presence.NO,
    )
    db.session.commit()
    return {"district": district}


def test_the_audit_log_for_a_spreadsheet(client: FlaskClient, staff_data) -> None:
    response = client.get("/moderation/audit.csv?variant=spreadsheet", headers=FRENCH)

    (row,) = spreadsheet_rows(response)
    assert row["actor"] == "'=cmd|' /C calc'!A0"
    assert row["action"] == "premises.updated"
    assert disposition(response) == 'attachment; filename="audit-log-spreadsheet.csv"'
    assert client.get("/moderation/audit.csv?variant=excel").status_code == 400


def test_the_visibility_list_for_a_spreadsheet(client: FlaskClient, staff_data) -> None:
    district = staff_data["district"].id
    response = client.get(f"/moderation/visibility.csv?district={district}&variant=spreadsheet")

    (row,) = spreadsheet_rows(response)
    assert (row["name"], row["phone"]) == ("'@Boulangerie", "'+33 1 42 00 00 00")
    assert row["district"] == "Jourdain"
    assert disposition(response) == 'attachment; filename="shops-visibility-spreadsheet.csv"'
    assert client.get("/moderation/visibility.csv?variant=excel").status_code == 400


def _variant_links(page: BeautifulSoup, path: str) -> dict[str, dict[str, list[str]]]:
    """The page's links to `path`, by variant, with their query arguments."""
    links = {}
    for a in page.select("a[href]"):
        url = urlsplit(a["href"])
        if url.path == path:
            query = parse_qs(url.query)
            links[query.pop("variant", ["standard"])[0]] = query
    return links


def test_staff_pages_offer_both_variants_with_the_filters(client: FlaskClient, staff_data) -> None:
    district = str(staff_data["district"].id)

    audit_page = BeautifulSoup(
        client.get("/moderation/audit?action=premises.updated", headers=ENGLISH).data, "html.parser"
    )
    assert _variant_links(audit_page, "/moderation/audit.csv") == {
        "standard": {"action": ["premises.updated"]},
        "spreadsheet": {"action": ["premises.updated"]},
    }
    texts = [a.get_text(strip=True) for a in audit_page.select("a[download]")]
    assert texts == [
        "Download these events as CSV",
        "Download these events for a spreadsheet (Excel, LibreOffice)",
    ]

    visibility_page = BeautifulSoup(
        client.get(f"/moderation/visibility?district={district}", headers=ENGLISH).data,
        "html.parser",
    )
    assert _variant_links(visibility_page, "/moderation/visibility.csv") == {
        "standard": {"district": [district]},
        "spreadsheet": {"district": [district]},
    }
