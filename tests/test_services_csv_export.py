"""CSV exports: cells a spreadsheet would run as formulas are neutralised, numbers are kept."""

import csv
import io
from decimal import Decimal

import pytest

from wishboard.services.csv_export import (
    BYTE_ORDER_MARK,
    CsvVariant,
    csv_bytes,
    csv_filename,
    neutralise,
    spreadsheet_cell,
)

BOM = BYTE_ORDER_MARK.encode("utf-8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
        ("-2", "'-2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("12 rue de l’Église", "12 rue de l’Église"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-1.5, -1.5),
        (-3, -3),
    ],
)
def test_neutralise(value, expected) -> None:
    assert neutralise(value) == expected


def test_csv_bytes_writes_utf8_with_a_header_and_every_cell_neutralised() -> None:
    body = csv_bytes(["=name", "value"], [("=cmd|' /C calc'!A0", -2.25), ('Zoé, "l\'ami"', 3)])

    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))

    assert rows == [
        ["'=name", "value"],
        ["'=cmd|' /C calc'!A0", "-2.25"],
        ['Zoé, "l\'ami"', "3"],
    ]
    assert body.endswith(b"\r\n")


# The spreadsheet variant.

HEADER = ["name", "latitude", "share", "count", "when"]
ROWS = [
    ('=HYPERLINK("http://evil")', 48.871234, Decimal("12.5"), 3, "2025-03-01"),
    ("-2", -2.25, 0.00001, -7, None),
    ("Zoé; l'amie\n2e ligne", 2.0, 75.0, True, "@x"),
]


def _spreadsheet(locale: str) -> list[list[str]]:
    body = csv_bytes(HEADER, ROWS, CsvVariant.SPREADSHEET, locale)
    assert body.startswith(BOM)
    text = body[len(BOM) :].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_spreadsheet_variant_in_french_uses_decimal_commas() -> None:
    assert _spreadsheet("fr") == [
        HEADER,
        ['\'=HYPERLINK("http://evil")', "48,871234", "12,5", "3", "2025-03-01"],
        ["'-2", "-2,25", "0,00001", "-7", ""],
        ["Zoé; l'amie\n2e ligne", "2,0", "75,0", "True", "'@x"],
    ]


def test_the_spreadsheet_variant_in_english_keeps_decimal_points() -> None:
    assert _spreadsheet("en")[1:3] == [
        ['\'=HYPERLINK("http://evil")', "48.871234", "12.5", "3", "2025-03-01"],
        ["'-2", "-2.25", "0.00001", "-7", ""],
    ]


def test_the_spreadsheet_variant_is_semicolons_crlf_and_a_byte_order_mark() -> None:
    body = csv_bytes(HEADER, ROWS, CsvVariant.SPREADSHEET, "fr")

    assert body[:3] == b"\xef\xbb\xbf"
    first_line = body[3:].split(b"\r\n")[0]
    assert first_line == b"name;latitude;share;count;when"
    assert body.endswith(b"\r\n")
    # The standard file is untouched: no mark, commas, points.
    standard = csv_bytes(HEADER, ROWS)
    assert not standard.startswith(BOM)
    assert (
        standard.split(b"\r\n")[1] == b'"\'=HYPERLINK(""http://evil"")",48.871234,12.5,3,2025-03-01'
    )


def test_a_spreadsheet_cell_is_neutralised_before_its_number_is_written() -> None:
    assert spreadsheet_cell("=1+1", ",") == "'=1+1"
    assert spreadsheet_cell(-1.5, ",") == "-1,5"  # a number: no apostrophe
    assert spreadsheet_cell(12, ",") == 12
    assert spreadsheet_cell(1e21, ",") == "1000000000000000000000"  # never 1e+21
    assert spreadsheet_cell(None, ",") == ""


@pytest.mark.parametrize(
    ("variant", "name"),
    [(CsvVariant.STANDARD, "audit-log.csv"), (CsvVariant.SPREADSHEET, "audit-log-spreadsheet.csv")],
)
def test_the_file_name_says_the_variant(variant, name) -> None:
    assert csv_filename("audit-log", variant) == name
