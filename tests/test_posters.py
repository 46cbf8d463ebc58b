"""Window posters: a PDF whose QR code a real decoder reads back to the premises' short address,
which redirects to the premises and counts the scan (services/premises/posters.py)."""

import io
from datetime import date

import pypdf
import pypdfium2
import pytest
import zxingcpp

from tests import factories
from tests.conftest import make_app, skip_or_fail
from wishboard.extensions import db
from wishboard.models import PosterScan, PremisesStatus
from wishboard.services.premises import posters
from wishboard.services.reports.formats import pdf_available
from wishboard.services.reports.links import report_key
from wishboard.settings import settings as app_settings

ENGLISH = {"Accept-Language": "en"}
# PDF points (1/72 in) of the paper sizes.
A4, A3 = (595, 842), (842, 1191)


@pytest.fixture
def pdf_renderer() -> None:
    if not pdf_available():
        skip_or_fail("PDF tests need WeasyPrint and its system libraries (apt-get install pango)")


def qr_codes(pdf: bytes) -> list[list[str]]:
    """The text of every QR code on each page, read from the pixels by zxing-cpp."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        image = page.render(scale=2).to_pil()
        pages.append([code.text for code in zxingcpp.read_barcodes(image)])
    document.close()
    return pages


def page_texts(pdf: bytes) -> list[str]:
    return [
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
    ]


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    return [
        (round(page.mediabox.width), round(page.mediabox.height))
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
    ]


def test_a_premises_poster_has_a_qr_code_that_reads_back_to_its_short_address(
    app, client, login_as, pdf_renderer
):
    login_as("moderator")
    place = factories.make_premises(address='8 rue <b>"Haxo"</b> & fils')
    for code, count in (("shop=bakery", 4), ("amenity=cafe", 3), ("shop=cheese", 2)):
        for _ in range(count):
            factories.make_support(place, code=code)
    factories.make_support(place, code="shop=butcher")  # fourth: not on the poster
    db.session.commit()

    response = client.get(f"/moderation/premises/{place.id}/poster.pdf", headers=ENGLISH)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = f'attachment; filename="poster-{place.reference}-a4.pdf"'
    assert response.headers["Content-Disposition"] == disposition
    pdf = response.get_data()
    assert qr_codes(pdf) == [[f"http://localhost/p/{place.id}"]]
    assert page_sizes(pdf) == [A4]
    (text,) = page_texts(pdf)
    assert "What shop would you like here?" in text
    assert '8 rue <b>"Haxo"</b> & fils' in text  # the address as text, not markup
    assert "Bakery — 4 residents" in text and "Café — 3 residents" in text
    assert "Cheese shop — 2 residents" in text and "Butcher" not in text
    assert "Wishboard" in text  # the town's name


def test_a_district_gets_one_poster_per_vacant_premises_on_a3(app, client, login_as, pdf_renderer):
    login_as("moderator")
    district = factories.make_district("Jourdain")
    places = [factories.make_premises(district=district, address=a) for a in ("2 rue B", "1 rue A")]
    factories.make_premises(
        district=district,
        status=PremisesStatus.WITHDRAWN,
        address="3 rue C",
    )
    db.session.commit()

    response = client.get(
        f"/moderation/posters.pdf?district={district.id}&size=a3", headers=ENGLISH
    )

    assert response.status_code == 200
    pdf = response.get_data()
    assert page_sizes(pdf) == [A3, A3]
    # By address, each page with its own code.
    assert qr_codes(pdf) == [[f"http://localhost/p/{p.id}"] for p in reversed(places)]
    assert [text.count("Be the first to say what you miss here.") for text in page_texts(pdf)] == [
        1,
        1,
    ]


def test_poster_requests_that_make_no_sense_are_refused(app, client, login_as):
    login_as("moderator")
    place = factories.make_premises()
    empty = factories.make_district("Sans locaux")
    db.session.commit()

    assert client.get(f"/moderation/premises/{place.id}/poster.pdf?size=a5").status_code == 400
    assert client.get("/moderation/posters.pdf?district=x").status_code == 400
    assert client.get("/moderation/posters.pdf").status_code == 400
    assert client.get("/moderation/posters.pdf?district=999999").status_code == 404
    assert client.get(f"/moderation/posters.pdf?district={empty.id}").status_code == 404


def test_the_landlord_downloads_their_poster_with_the_report_link(app, client, pdf_renderer):
    place = factories.make_premises(landlord_email="owner@example.org")
    db.session.commit()
    key = report_key(place, app_settings())

    response = client.get(f"/landlord/premises/{place.id}/poster.pdf?key={key}")

    assert response.status_code == 200
    assert qr_codes(response.get_data()) == [[f"http://localhost/p/{place.id}"]]
    assert "no-store" in response.headers["Cache-Control"]
    report = client.get(f"/landlord/premises/{place.id}/report?key={key}", headers=ENGLISH)
    assert f"/landlord/premises/{place.id}/poster.pdf?key=" in report.get_data(as_text=True)
    # Without the key, a visitor is asked to sign in; someone else's premises is a 404.
    assert client.get(f"/landlord/premises/{place.id}/poster.pdf").status_code == 302


def test_the_short_address_redirects_and_counts_scans_without_anyone_s_identity(app, client):
    place = factories.make_premises()
    db.session.commit()

    responses = [client.get(f"/p/{place.id}") for _ in range(3)]

    assert {(r.status_code, r.headers["Location"]) for r in responses} == {
        (302, f"/premises/{place.id}")
    }
    assert posters.scans_of(place) == 3  # limits are off in the tests' default config
    (row,) = db.session.scalars(db.select(PosterScan))
    assert (row.premises_id, row.day, row.scans) == (place.id, date.today(), 3)
    assert set(PosterScan.__table__.columns.keys()) == {"premises_id", "day", "scans"}
    assert client.get("/p/999999").status_code == 404


def test_an_address_counts_once_per_window_but_is_always_sent_on():
    app = make_app(RATELIMIT_ENABLED=True, WISHBOARD_LIMIT_SCAN="1 per hour")
    with app.app_context():
        first, second = factories.make_premises(), factories.make_premises()
        db.session.commit()
        client = app.test_client()
        codes = [client.get(f"/p/{place.id}").status_code for place in (first, first, second)]
        assert codes == [302, 302, 302]
        assert (posters.scans_of(first), posters.scans_of(second)) == (1, 1)
        other = app.test_client()
        other.get(f"/p/{first.id}", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert posters.scans_of(first) == 2
        db.session.remove()


def test_staff_and_the_report_see_how_often_the_poster_was_scanned(app, client, login_as):
    login_as("moderator")
    place = factories.make_premises()
    db.session.commit()
    for _ in range(2):
        client.get(f"/p/{place.id}")

    edit = client.get(f"/moderation/premises/{place.id}/edit", headers=ENGLISH)
    report = client.get(f"/landlord/premises/{place.id}/report", headers=ENGLISH)

    assert "its code was scanned 2 times" in edit.get_data(as_text=True)
    assert "window poster was scanned 2 times" in report.get_data(as_text=True)


def test_an_evidence_sheet_sums_up_the_demand_for_one_type_at_one_premises(
    app, client, pdf_renderer
):
    district = factories.make_district("Belleville")
    place = factories.make_premises(district=district, address="5 rue Rébeval", surface_m2=70)
    other = factories.make_premises(district=district)
    for _ in range(3):
        factories.make_support(place)
    factories.make_support(place, code="amenity=cafe")
    factories.make_support(other)
    factories.make_wish(
        place, comment="Une boulangerie au levain, enfin !", shop_type=factories.shop_type()
    )
    factories.make_shop(
        name="Au Bon Pain",
        latitude=place.latitude + 0.001,
        longitude=place.longitude,
        shop_type=factories.shop_type("shop=bakery"),
    )
    db.session.commit()

    response = client.get(f"/premises/{place.id}/evidence.pdf?type=shop=bakery", headers=ENGLISH)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert page_sizes(response.get_data()) == [A4]  # one page
    (text,) = page_texts(response.get_data())
    assert "Demand for Bakery at 5 rue Rébeval" in text
    assert "3 residents want one here" in text
    assert "3 of them said so in the last 90 days" in text
    assert "Ranked 1 of the 2 shop types wished here, with 75 % of the 4 supports." in text
    assert "Au Bon Pain" in text and "(111 m)" in text
    assert "4 residents want one in the vacant premises of Belleville (at 2 premises)" in text
    assert "Une boulangerie au levain, enfin !" in text
    assert client.get(f"/premises/{place.id}/evidence.pdf?type=nope").status_code == 400
    assert client.get(f"/premises/{place.id}/evidence.pdf").status_code == 400
