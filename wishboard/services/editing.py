"""What staff edits of a premises and of a shop share: cleaning what was typed, and auditing it.

A form or an import gives a frozen dataclass of values; `clean` strips its texts (empty becomes
None), puts single-line texts on one line, lower-cases the e-mail address and rounds the position.
The checks then read the cleaned values; `changed_columns` says what an edit really changes, and
`snapshot_value` how the audit log keeps a value.
"""

import enum
import math
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

# Tabs and every character str.splitlines() breaks a line at, except those refused as controls.
LINE_BREAKS = re.compile(r"[\t\n\r\x85\u2028\u2029]+")
# About 10 cm: more digits are noise, and rounding makes a re-import compare equal.
COORDINATE_DIGITS = 6


def clean(
    values: Any,
    texts: Iterable[str],
    required: Iterable[str],
    email: str,
    multiline: frozenset[str] = frozenset(),
) -> Any:
    """`values` stripped: empty texts None, e-mail lower-cased, latitude and longitude rounded.

    Texts not in `multiline` go on one line: a line break in an address would end up in an
    e-mail's Subject header (where it is refused, or starts a new header) and split CSV rows and
    map popups. `required` texts stay strings, so that the checks can call them missing.
    """
    changes: dict[str, Any] = {}
    for name in texts:
        text = getattr(values, name)
        if isinstance(text, str):
            if name not in multiline:
                text = LINE_BREAKS.sub(" ", text)
            text = text.strip() or None
        changes[name] = text
    if changes[email]:
        changes[email] = changes[email].lower()
    for name in ("latitude", "longitude"):
        number = getattr(values, name)
        if isinstance(number, float) and math.isfinite(number):
            changes[name] = round(number, COORDINATE_DIGITS)
    for name in required:
        changes[name] = changes[name] or ""
    return replace(values, **changes)


def is_decimal(number: Any) -> bool:
    """True for a finite number (a position that was typed as one)."""
    return (
        isinstance(number, float | int) and not isinstance(number, bool) and math.isfinite(number)
    )


def changed_columns(row: Any, columns: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{column: (now, then)} for the columns whose value would change."""
    return {
        name: (getattr(row, name), value)
        for name, value in columns.items()
        if getattr(row, name) != value
    }


def snapshot_value(value: Any) -> Any:
    """A column's value as the audit log keeps it (JSON-ready)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value
