"""Small helpers shared by the models."""

import enum
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Enum

# The characters no stored text may hold (a form refuses them, so does an import): the C0 controls
# but tab, line feed and carriage return, and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def max_length(column: Any) -> int:
    """The most characters a String column holds (`max_length(Premises.address)`).

    A text limit is declared once, as the column's length; forms, imports and services read it here.
    """
    return column.property.columns[0].type.length


def utcnow() -> datetime:
    """The current time in UTC, naive, as stored in every timestamp column."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: a VARCHAR with a CHECK constraint, stored by value."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
