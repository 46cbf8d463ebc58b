"""URL arguments every blueprint reads the same way: row ids and page numbers."""

from flask import abort, request

# Ids and page numbers past a 32-bit integer exist nowhere; the database would refuse them.
LARGEST_ID = 2**31 - 1


def page_number() -> int:
    """The `page` query argument; anything but a positive whole number does not exist (404)."""
    raw = request.args.get("page", "1")
    # ASCII digits only ("²" and "١" are digits to Python too), and few enough for the database.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= LARGEST_ID:
        abort(404)
    return int(raw)
