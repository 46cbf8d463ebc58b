"""Names in dictionary order, in SQL on SQLite and PostgreSQL alike, and in Python.

A person looks for "Aïcha" before "Antoine" and "élodie" next to "Eric": letters decide first,
then accents, then case, as in a French or an English dictionary (Unicode's collation algorithm,
whose French and English orders are the same as its root order). A database compares bytes by
default ("C" collation), which puts every capital before every small letter and "Aï" after "Az".

Lists are paginated in SQL, so the order is given there, by `dictionary_order(column)`:
- on PostgreSQL it is the column under the ICU root collation `und-x-icu`, which PostgreSQL
  built with ICU provides (Debian's packages and the official images are);
- on SQLite it is `wishboard_sort_key(column)`, a function registered on every connection that
  returns `sort_key`: a string whose plain (binary) order is the dictionary order. SQLite calls
  it once per row, then sorts the keys itself, which is much cheaper than a collation function
  called for every comparison.
`sort_key` is also the key for lists sorted in Python, so that they read in the same order.

Why not a stored sort-key column instead: every write of a name (forms, both imports, the demo's
bulk inserts, account deletion, merges) would have to keep it right, a migration would fill it,
and PostgreSQL would still need it computed in Python. Here nothing is stored: the cost is one
call per row on SQLite (a few microseconds), none on PostgreSQL, where ICU sorts in C.
"""

import re
import unicodedata

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

ICU_COLLATION = "und-x-icu"
SQLITE_FUNCTION = "wishboard_sort_key"

# Letters a dictionary reads as two (or as another one) at the first level.
_EXPANSIONS = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i"}
# Between the levels of a key; below every character a level holds.
_LEVEL = "\x01"
# The first level: spaces, then punctuation and symbols, then digits and letters (as ICU does).
_SPACE, _SYMBOL = "\x02", "\x03"
# The second and third levels, one unit per letter: no accent first, then small before capital.
_PLAIN, _CAPITAL = "\x02", "\x03"
# Control and invisible formatting characters (a zero-width space) weigh nothing.
_INVISIBLE = frozenset({"Cc", "Cf"})
# Accents and punctuation in the order of Unicode's collation algorithm (read from ICU's root
# collation); any other comes after them, by code point.
_ACCENTS = "\u0301\u0300\u0306\u0302\u030c\u030a\u0308\u030b\u0303\u0307\u0327\u0328\u0304"
_PUNCTUATION = "_-–—,;:!¡?¿.…·'‘’\"“”«»()[]{}§@*/\\&#%`^°+<=>|~$£€"
_WEIGHTS = {
    **{accent: chr(0x20 + rank) for rank, accent in enumerate(_ACCENTS)},
    **{mark: chr(0x20 + rank) for rank, mark in enumerate(_PUNCTUATION)},
}


def _spelled_key(text: str) -> tuple[str, str, str, str]:
    """The four levels of `text`'s key, character by character (see `sort_key`)."""
    primary: list[str] = []
    accents: list[str] = []
    cases: list[str] = []
    for character in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(character):
            if accents:  # an accent belongs to the letter before it
                accents[-1] += _WEIGHTS.get(character, character)
            continue
        folded = character.casefold()
        capital = _CAPITAL if folded != character else _PLAIN
        for letter in _EXPANSIONS.get(folded, folded):
            if letter.isspace():
                primary.append(_SPACE)
            elif letter.isalnum():
                primary.append(letter)
            elif unicodedata.category(letter) in _INVISIBLE:
                continue
            else:
                primary.append(_SYMBOL + _WEIGHTS.get(letter, letter))
            accents.append(_PLAIN)
            cases.append(capital)
    # The text itself last: two names that differ in nothing a dictionary sees keep one order.
    visible = "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE)
    return "".join(primary), "".join(accents), "".join(cases), visible


# Below this code point (Latin letters and their accents), each character's part of every level is
# looked up in a table made once, and str.translate builds a key several times faster. Text with
# a separate accent is spelled out: Unicode may reorder accents that follow one another.
_TABLED = "\u0370"
_COMBINING = re.compile("[\u0300-\u036f]")


def _tables() -> tuple[dict[int, str], ...]:
    levels: tuple[dict[int, str], ...] = ({}, {}, {}, {})
    for code in range(ord(_TABLED)):
        character = chr(code)
        if unicodedata.combining(character):
            parts = ("", _WEIGHTS.get(character, character), "", character)
        else:
            parts = _spelled_key(character)
        for level, part in zip(levels, parts, strict=True):
            level[code] = part
    return levels


_PRIMARY, _ACCENTS_OF, _CASES, _VISIBLE = _tables()


def sort_key(text: str | None) -> str | None:
    """A string whose binary order is the dictionary order of `text` (None stays None).

    Its levels, one after the other: the letters (case and accents removed, punctuation before
    digits before letters), then the accents, then the case, then the text itself.
    """
    if text is None:
        return None
    if not text or (max(text) < _TABLED and not _COMBINING.search(text)):
        levels = (
            text.translate(_PRIMARY),
            text.translate(_ACCENTS_OF),
            text.translate(_CASES),
            text.translate(_VISIBLE),
        )
    else:
        levels = _spelled_key(text)
    return _LEVEL.join(levels)


class dictionary_order(FunctionElement):  # noqa: N801  (used like a SQL function)
    """`dictionary_order(column)`: the column's values in dictionary order, for ORDER BY."""

    type = String()
    inherit_cache = True
    name = "dictionary_order"


@compiles(dictionary_order)
def _compile_sqlite(element, compiler, **kw) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(dictionary_order, "postgresql")
def _compile_postgresql(element, compiler, **kw) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "{ICU_COLLATION}"'


def register_on_sqlite(dbapi_connection) -> None:
    """Make `wishboard_sort_key` available on a new SQLite connection."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, sort_key, deterministic=True)
