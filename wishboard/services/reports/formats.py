"""The demand report as files to download: a CSV of its numbers, and a PDF of its page.

Both come from the one `DemandReport` (services/reports/report.py). The PDF is the report's HTML
rendered by WeasyPrint with the print stylesheet; WeasyPrint needs system libraries (Pango),
so it is imported only when a PDF is asked for, and its absence is an answer (`PdfUnavailable`),
not a crash.
"""

from pathlib import Path

from wishboard.services.csv_export import CsvVariant, csv_bytes, iso_utc
from wishboard.services.demand.freshness import RECENT_DAYS
from wishboard.services.reports.report import DemandReport

CSV_HEADER = (
    "section",
    "item",
    "shop_type_code",
    "shop_type",
    "count",
    "share_percent",
    "distance_m",
    "date",
    "text",
)
STYLESHEET = "css/report.css"


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (not installed, or its system libraries are missing)."""


def _row(section: str, item: object = "", shop_type=None, locale: str = "en", **values) -> tuple:
    """One CSV row of CSV_HEADER: `section`, `item`, the shop type, then the named values."""
    return (
        section,
        item,
        shop_type.code if shop_type is not None else "",
        shop_type.label(locale) if shop_type is not None else "",
        values.get("count", ""),
        values.get("share_percent", ""),
        values.get("distance_m", ""),
        values.get("date", ""),
        values.get("text", ""),
    )


def report_rows(report: DemandReport, locale: str) -> list[tuple]:
    """The report's numbers as CSV rows, section by section; shop types named in `locale`."""
    premises = report.premises
    rows = [
        _row("premises", "address", text=premises.address),
        _row("premises", "district", text=report.district),
        _row("premises", "status", text=premises.status.value),
        _row("premises", "generated_at", date=iso_utc(report.generated_at)),
        _row("premises", "radius_m", count=report.radius_m),
        _row("total", "supports", count=report.total_supports),
        _row("total", "supporters", count=report.supporters),
        _row(
            "total",
            f"recent_{RECENT_DAYS}_days",
            count=report.recent_supports,
            share_percent=round(report.recent_share * 100, 1),
        ),
        _row("total", "poster_scans", count=report.poster_scans),
    ]
    if report.let is not None:
        rows.append(
            _row(
                "let",
                "let_on",
                report.let.shop_type,
                locale,
                count=report.let.asked,
                date=report.let.let_on.isoformat(),
            )
        )
    rows += [
        _row(
            "demand",
            item.rank,
            item.shop_type,
            locale,
            count=item.count,
            share_percent=item.share_percent,
        )
        for item in report.demand
    ]
    for week in report.trend.weeks:
        rows.append(_row("trend", week.label, count=week.total, date=week.start.isoformat()))
        rows += [
            _row("trend", week.label, shop_type, locale, count=number, date=week.start.isoformat())
            for shop_type, number in zip(report.trend.shop_types, week.by_type, strict=True)
        ]
    rows += [
        _row("area", rank, item.shop_type, locale, count=item.count)
        for rank, item in enumerate(report.area, start=1)
    ]
    # Every wished type with no open shop of its type nearby, not only the top ones.
    rows += [_row("gap", "", item.shop_type, locale, count=item.supports) for item in report.gaps]
    for competition in report.competition:
        rows += [
            _row(
                "competition",
                shop.name,
                competition.shop_type,
                locale,
                distance_m=shop.distance_m,
                text=shop.address,
            )
            for shop in competition.shops
        ]
    comparison = report.comparison
    rows += [
        _row("district", "rank", count=comparison.rank, text=comparison.district),
        _row("district", "premises", count=comparison.premises_count, text=comparison.district),
    ]
    if comparison.top_type is not None:
        rows.append(
            _row(
                "district",
                "ahead_for_top_type",
                comparison.top_type,
                locale,
                count=comparison.ahead_for_top_type,
                text=comparison.district,
            )
        )
    rows.append(_row("comments", "total", count=report.comment_count))
    rows += [
        _row(
            "comment",
            comment.author or "",
            comment.shop_type,
            locale,
            date=comment.created_at.date().isoformat(),
            text=comment.text,
        )
        for comment in report.comments
    ]
    return rows


def report_csv(
    report: DemandReport, locale: str, variant: CsvVariant = CsvVariant.STANDARD
) -> bytes:
    """The report as a CSV file (UTF-8), one section per group of rows, formulas neutralised."""
    return csv_bytes(CSV_HEADER, report_rows(report, locale), variant, locale)


def report_stylesheet(static_folder: str | Path) -> str:
    """The report's stylesheet (screen and print), to inline into the PDF's HTML."""
    return (Path(static_folder) / STYLESHEET).read_text(encoding="utf-8")


def _weasyprint():
    """The WeasyPrint module, or PdfUnavailable when it cannot load here."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: a system library (Pango) is missing
        raise PdfUnavailable(str(error)) from error
    return weasyprint


def pdf_available() -> bool:
    """True when WeasyPrint can render PDFs on this machine."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def report_pdf(html: str, base_url: str) -> bytes:
    """The PDF of a standalone HTML document; relative links resolve against `base_url`.

    The document must carry its styles and images inline (report_pdf.html does): nothing is
    fetched, so rendering never waits on the network, nor on this very server.
    """
    weasyprint = _weasyprint()
    # Everything the report needs is inline: with no protocol allowed, an address in the
    # document is never fetched, whoever wrote it: a PDF never calls another server, nor this one.
    nothing = weasyprint.urls.URLFetcher(allowed_protocols=())
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=nothing).write_pdf()
