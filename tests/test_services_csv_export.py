"""CSV exports: cells a spreadsheet would run as formulas are neutralised, numbers are kept."""

import csv
import io

import pytest

from wishboard.services.csv_export import csv_bytes, neutralise


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
