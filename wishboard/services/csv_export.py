"""CSV files to download: UTF-8, a header row, and no cell a spreadsheet would run as a formula.

Every CSV export of the site is written through `csv_bytes`, so that each one is protected the same
way against formula injection: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return could be run by a spreadsheet as a formula (and, say, send data to a web site);
it gets a leading apostrophe, which spreadsheets show as plain text. Numbers are written as they
are, so a negative longitude stays a number.

Each file comes in two variants. The standard one (RFC 4180: commas, no byte-order mark, decimal
points) is for programs. The spreadsheet one is for Excel and LibreOffice as a French office
opens files with a double click: they split columns on the separator of the system's language
(a semicolon where the decimal separator is a comma), and read a file as UTF-8 only when it
starts with a byte-order mark (without one, "é" shows as "Ã©"). So: semicolons, a byte-order
mark, and decimal numbers written with the decimal separator of the visitor's language ("2,38"
in French, "2.38" in English), so that they stay numbers; whole numbers are the same everywhere.
A moment is written in ISO 8601 in UTC with its offset (`iso_utc`): unambiguous whatever the
reader's zone, and in order when sorted as text.
"""

import csv
import enum
import io
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from babel.numbers import get_decimal_symbol
from sqlalchemy import select

from wishboard.extensions import db
from wishboard.models import District, Premises
from wishboard.services.demand.counts import demand_by_status
from wishboard.services.demand.opportunities import Opportunity
from wishboard.services.premises.listing import MAP_STATUSES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"
SPREADSHEET_DELIMITER = ";"


class CsvVariant(enum.StrEnum):
    """Which CSV a download is: for programs (standard) or for a spreadsheet (see the module)."""

    STANDARD = "standard"
    SPREADSHEET = "spreadsheet"


DEMAND_HEADER = (
    "premises_id",
    "reference",
    "address",
    "district",
    "premises_status",
    "latitude",
    "longitude",
    "shop_type_code",
    "shop_type_label_fr",
    "shop_type_label_en",
    "supports",
)


def iso_utc(moment: datetime) -> str:
    """A stored (naive UTC) moment as ISO 8601 with its offset: 2026-05-04T22:30:00+00:00."""
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds")


def neutralise(value: object) -> object:
    """A cell made safe for spreadsheets: text that could start a formula gets an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _decimal_text(value: float | Decimal, separator: str) -> str:
    """A decimal number in plain notation (never 1e-05) with `separator` before its decimals."""
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    return text.replace(".", separator)


def spreadsheet_cell(value: object, decimal_separator: str) -> object:
    """A neutralised cell whose decimal number, if it is one, uses `decimal_separator`."""
    value = neutralise(value)
    # bool is an int, and whole numbers read the same in every language: left as they are.
    if isinstance(value, float | Decimal) and math.isfinite(value):
        return _decimal_text(value, decimal_separator)
    return value


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    variant: CsvVariant = CsvVariant.STANDARD,
    locale: str = "en",
) -> bytes:
    """A whole CSV file in UTF-8: the header row, then `rows`, every cell neutralised.

    The standard variant is RFC 4180; the spreadsheet one is separated by semicolons, starts
    with a byte-order mark and writes decimals as `locale` does. Both end lines with CRLF.
    """
    buffer = io.StringIO()
    if variant is CsvVariant.SPREADSHEET:
        separator = get_decimal_symbol(locale)
        buffer.write(BYTE_ORDER_MARK)
        writer = csv.writer(buffer, delimiter=SPREADSHEET_DELIMITER)
        writer.writerow([neutralise(name) for name in header])
        for row in rows:
            writer.writerow([spreadsheet_cell(value, separator) for value in row])
    else:
        writer = csv.writer(buffer)  # RFC 4180: comma, double quotes, CRLF line ends
        writer.writerow([neutralise(name) for name in header])
        for row in rows:
            writer.writerow([neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def csv_filename(stem: str, variant: CsvVariant) -> str:
    """The download's file name, which says when it is the spreadsheet variant."""
    suffix = "-spreadsheet" if variant is CsvVariant.SPREADSHEET else ""
    return f"{stem}{suffix}.csv"


def demand_rows() -> list[tuple]:
    """One row per (premises, shop type) with support, for every premises on the public map.

    Rows follow DEMAND_HEADER, by premises id then rank; a premises nobody supports has none.
    """
    premises = {
        row.id: row
        for row in db.session.execute(
            select(
                Premises.id,
                Premises.reference,
                Premises.address,
                District.name.label("district"),
                Premises.status,
                Premises.latitude,
                Premises.longitude,
            )
            .join(District, District.id == Premises.district_id)
            .where(Premises.status.in_(MAP_STATUSES))
        )
    }
    rows = []
    for premises_id, demand in demand_by_status(MAP_STATUSES):
        place = premises.get(premises_id)
        if place is None:  # its status changed between the two queries
            continue
        rows.append(
            (
                place.id,
                place.reference,
                place.address,
                place.district,
                place.status.value,
                round(place.latitude, 6),
                round(place.longitude, 6),
                demand.shop_type.code,
                demand.shop_type.label_fr,
                demand.shop_type.label_en,
                demand.count,
            )
        )
    return rows


OPPORTUNITIES_HEADER = (
    "rank",
    "shop_type_code",
    "shop_type_label_fr",
    "shop_type_label_en",
    "district_id",
    "district",
    "unmet_demand",
    "supports",
    "area_wishes",
    "open_shops_near",
    "premises_count",
    "top_premises_id",
    "top_address",
    "premises_ids",
)


def opportunity_rows(rows: Iterable[Opportunity]) -> list[tuple]:
    """One row per (shop type, district) of `rows`, in their order, following OPPORTUNITIES_HEADER.

    `premises_ids` lists the suitable premises, most supported first, separated by spaces.
    """
    result = []
    for rank, row in enumerate(rows, start=1):
        top = row.premises[0]
        result.append(
            (
                rank,
                row.shop_type.code,
                row.shop_type.label_fr,
                row.shop_type.label_en,
                row.district_id,
                row.district,
                row.unmet,
                row.supports,
                row.area_wishes,
                row.shops_near,
                len(row.premises),
                top.premises_id,
                top.address,
                " ".join(str(place.premises_id) for place in row.premises),
            )
        )
    return result
