"""The report files: a real PDF with the numbers in its text, a CSV that reads back exactly."""

import csv
import http.server
import io
import threading
from datetime import date, datetime

import pytest
from flask import render_template
from markupsafe import Markup
from pypdf import PdfReader

from tests import factories
from tests.conftest import skip_or_fail
from wishboard.extensions import db
from wishboard.models import PremisesStatus
from wishboard.services.reports import formats as report_formats
from wishboard.services.reports.formats import (
    CSV_HEADER,
    PdfUnavailable,
    pdf_available,
    report_csv,
    report_pdf,
    report_stylesheet,
)
from wishboard.services.reports.report import build_report

NOW = datetime(2024, 3, 14, 12, 0)


@pytest.fixture
def pdf_renderer() -> None:
    """Skip (or fail under WISHBOARD_REQUIRE_ALL=1) when WeasyPrint cannot run here."""
    if not pdf_available():
        skip_or_fail("PDF tests need WeasyPrint and its system libraries (apt-get install pango)")


@pytest.fixture
def premises(app):
    """A premises with bakery 3, café 2; a comment that looks like a formula; a shop nearby."""
    place = factories.make_premises(address="12 rue des Essais", latitude=48.872, longitude=2.381)
    for _ in range(3):
        factories.make_support(place).created_at = datetime(2024, 3, 12)
    for _ in range(2):
        factories.make_support(place, code="amenity=cafe").created_at = datetime(2024, 3, 4)
    factories.make_wish(
        place,
        factories.make_user(display_name="@Mallory"),
        comment='=HYPERLINK("http://evil.example","click")',
        created_at=datetime(2024, 3, 2),
    )
    factories.make_shop(name="Au Bon Pain", latitude=48.8730, longitude=2.381)
    db.session.commit()
    return place


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def test_csv_has_every_section_with_exact_numbers(premises):
    rows = _rows(report_csv(build_report(premises, now=NOW), "en"))

    assert list(rows[0]) == list(CSV_HEADER)
    demand = [
        (r["item"], r["shop_type_code"], r["shop_type"], r["count"], r["share_percent"])
        for r in rows
        if r["section"] == "demand"
    ]
    assert demand == [
        ("1", "shop=bakery", "Bakery", "3", "60.0"),
        ("2", "amenity=cafe", "Café", "2", "40.0"),
    ]
    totals = {r["item"]: r["count"] for r in rows if r["section"] == "total"}
    assert totals == {
        "supports": "5",
        "supporters": "5",
        "recent_90_days": "5",
        "poster_scans": "0",
    }
    trend = {
        (r["item"], r["shop_type_code"]): r["count"]
        for r in rows
        if r["section"] == "trend" and r["item"] in ("2024-W10", "2024-W11")
    }
    assert trend == {
        ("2024-W10", ""): "2",
        ("2024-W10", "shop=bakery"): "0",
        ("2024-W10", "amenity=cafe"): "2",
        ("2024-W11", ""): "3",
        ("2024-W11", "shop=bakery"): "3",
        ("2024-W11", "amenity=cafe"): "0",
    }
    competition = [
        (r["item"], r["shop_type_code"], r["distance_m"])
        for r in rows
        if r["section"] == "competition"
    ]
    assert competition == [("Au Bon Pain", "shop=bakery", "111")]
    gaps = [(r["shop_type_code"], r["count"]) for r in rows if r["section"] == "gap"]
    assert gaps == [("amenity=cafe", "2")]
    district = {r["item"]: r["count"] for r in rows if r["section"] == "district"}
    assert district == {"rank": "1", "premises": "1", "ahead_for_top_type": "0"}
    premises_rows = {r["item"]: r["text"] for r in rows if r["section"] == "premises"}
    assert premises_rows["address"] == "12 rue des Essais"


def test_csv_labels_follow_the_locale(premises):
    rows = _rows(report_csv(build_report(premises, now=NOW), "fr"))

    assert [r["shop_type"] for r in rows if r["section"] == "demand"] == ["Boulangerie", "Café"]


def test_csv_neutralises_formula_looking_text(premises):
    rows = _rows(report_csv(build_report(premises, now=NOW), "en"))

    comment = next(r for r in rows if r["section"] == "comment")
    assert comment["text"] == '\'=HYPERLINK("http://evil.example","click")'
    assert comment["item"] == "'@Mallory"
    assert comment["date"] == "2024-03-02"


def test_csv_of_a_let_premises_says_so(premises):
    premises.let_shop_type = factories.shop_type("shop=bakery")
    premises.let_on = date(2024, 3, 13)
    premises.status = PremisesStatus.LET
    db.session.commit()

    rows = _rows(report_csv(build_report(premises, now=NOW), "en"))

    let = next(r for r in rows if r["section"] == "let")
    assert (let["shop_type_code"], let["count"], let["date"]) == ("shop=bakery", "3", "2024-03-13")


def _pdf_text(app, premises, locale: str) -> str:
    report = build_report(premises, now=NOW)
    with app.test_request_context(headers={"Accept-Language": locale}):
        html = render_template(
            "landlord/report_pdf.html",
            report=report,
            locale=locale,
            stylesheet=Markup(report_stylesheet(app.static_folder)),
        )
        body = report_pdf(html, base_url="http://localhost/")
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_is_a_real_pdf_with_the_top_types_and_counts(app, premises, pdf_renderer):
    text = _pdf_text(app, premises, "en")

    assert "Demand report: 12 rue des Essais" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # The last column: the open shops of the type nearby, or a gap said in words.
    assert "1 Bakery 3 60% 1 shop" in lines
    assert "2 Café 2 40% Gap: none" in lines
    assert "Au Bon Pain" in text
    assert "111 m" in text
    # The trend chart is drawn too: its axis labels ("d MMM") come from the SVG alone, the table
    # below it writes whole dates.
    assert {"1 Jan", "15 Jan", "11 Mar"} <= set(lines)


def test_pdf_in_french(app, premises, pdf_renderer):
    text = _pdf_text(app, premises, "fr")

    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any(line.startswith("1 Boulangerie 3 60 %") for line in lines)


def test_pdf_unavailable_is_a_clear_error(app, monkeypatch):
    def missing():
        raise PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(report_formats, "_weasyprint", missing)

    assert pdf_available() is False
    with pytest.raises(PdfUnavailable, match="pango"):
        report_pdf("<p>x</p>", base_url="http://localhost/")


def test_a_missing_system_library_becomes_pdf_unavailable(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': no such file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)

    with pytest.raises(PdfUnavailable, match="libpango"):
        report_formats._weasyprint()


def test_the_pdf_fetches_nothing_whatever_the_document_names(pdf_renderer):
    hits = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"http://127.0.0.1:{server.server_port}"
    try:
        body = report_pdf(
            f'<link rel="stylesheet" href="{address}/style.css"><p>Texte</p>'
            f'<img src="{address}/image.png" alt="">',
            base_url=address,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert body.startswith(b"%PDF-")
    assert hits == []
