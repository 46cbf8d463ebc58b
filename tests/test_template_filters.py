"""The filters the templates share."""

from datetime import UTC, date, datetime, timedelta, timezone

from wishboard.template_filters import html_datetime


def test_a_moment_is_written_in_utc_to_the_second_as_html_allows():
    # HTML's `datetime` takes at most milliseconds: the database's microseconds are dropped.
    assert html_datetime(datetime(2026, 12, 4, 21, 13, 56, 680022)) == "2026-12-04T21:13:56Z"
    paris = timezone(timedelta(hours=1))
    assert html_datetime(datetime(2026, 12, 4, 22, 0, tzinfo=paris)) == "2026-12-04T21:00:00Z"
    assert html_datetime(datetime(2026, 12, 4, 21, 0, tzinfo=UTC)) == "2026-12-04T21:00:00Z"


def test_a_date_stays_a_date():
    assert html_datetime(date(2024, 3, 1)) == "2024-03-01"
