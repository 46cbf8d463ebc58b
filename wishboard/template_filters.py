"""Filters the templates share (Flask-Babel's date filters aside)."""

from datetime import UTC, date, datetime


def html_datetime(moment: date | datetime) -> str:
    """A date or a moment as the `datetime` attribute of `<time>` reads it.

    A date stays a date ("2024-03-01"); a moment is written in UTC to the second
    ("2024-03-01T12:34:56Z"): HTML allows at most milliseconds, and nobody reads more than
    seconds. The database keeps moments in UTC without a time zone (models.utcnow).
    """
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return f"{moment.isoformat(timespec='seconds')}Z"
