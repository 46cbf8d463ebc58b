"""Every date and time a person reads is in the site's time zone (WISHBOARD_TIMEZONE, Paris here).

Times are stored in UTC. Each moment below falls on another day, or another hour, in Paris: 23:15
UTC on 31 December is 00:15 on 1 January (UTC+1), 22:30 UTC on 5 July is 00:30 on 6 July (UTC+2).
"""

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests import factories
from tests.helpers import configure
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, Role, WishStatus
from wishboard.services.demand import moderation
from wishboard.services.reports import mail as report_mail
from wishboard.settings import settings as app_settings

NEW_YEAR_UTC = datetime(2025, 12, 31, 23, 15)
SUMMER_NIGHT_UTC = datetime(2025, 7, 5, 22, 30)


@pytest.fixture(autouse=True)
def english(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_site_runs_on_paris_time_by_default(app) -> None:
    assert app.config["WISHBOARD_TIMEZONE"] == "Europe/Paris"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Paris"


def test_the_outbox_shows_the_next_attempt_in_paris_time(client, login_as) -> None:
    login_as(Role.MODERATOR)
    db.session.add(
        OutboxMessage(
            recipient="ana@example.org",
            subject="Hello",
            body_text="Hello",
            kind="notice",
            status=OutboxStatus.PENDING,
            attempts=1,
            next_attempt_at=NEW_YEAR_UTC,
        )
    )
    db.session.commit()

    page = soup(client.get("/moderation/outbox"))

    moment = page.select_one("table.outbox-table tbody time")
    assert moment.get_text() == "2026-01-01 00:15"
    assert moment["datetime"] == "2025-12-31T23:15:00Z"  # machine-readable, with its offset
    assert "Europe/Paris" in page.select_one(".lead").get_text()
    assert "UTC" not in page.select_one("table.outbox-table thead").get_text()


def test_accounts_show_sign_in_and_creation_in_paris_time(client, login_as) -> None:
    login_as(Role.ADMIN)
    rose = factories.make_user(
        display_name="Rose", created_at=NEW_YEAR_UTC, last_login_at=SUMMER_NIGHT_UTC
    )
    db.session.commit()

    row = soup(client.get("/admin/users")).select_one(f"#user-{rose.id}")
    detail = soup(client.get(f"/admin/users/{rose.id}")).select_one("dl.facts")

    assert row.select_one("time").get_text() == "2025-07-06 00:30"
    assert row.select_one("time")["datetime"] == "2025-07-05T22:30:00Z"
    assert [time.get_text() for time in detail.select("time")] == [
        "2026-01-01 00:15",
        "2025-07-06 00:30",
    ]
    assert "UTC" not in detail.get_text()


def test_the_moderation_queue_and_reports_show_paris_time(client, login_as) -> None:
    login_as(Role.MODERATOR)
    waiting = factories.make_wish(
        factories.make_premises(), comment="Une fromagerie", status=WishStatus.PENDING
    )
    waiting.created_at = NEW_YEAR_UTC
    reported = factories.make_wish(factories.make_premises(), comment="Hors sujet")
    db.session.commit()
    reporter = factories.make_user()
    moderation.flag(reporter, reported, "off_topic", 3)
    moderation.earlier_report(reporter, reported).created_at = SUMMER_NIGHT_UTC
    db.session.commit()

    queue = soup(client.get("/moderation/")).select_one(f"#wish-{waiting.id} time")
    flags = soup(client.get("/moderation/flags")).select_one(".flag-reports time")

    assert queue.get_text() == "Jan 1, 2026, 12:15:00\u202fAM"
    assert flags.get_text().startswith("7/6/25")


def test_a_comment_on_the_premises_page_is_dated_in_paris(client) -> None:
    wish = factories.make_wish(
        factories.make_premises(), comment="Vivement", created_at=NEW_YEAR_UTC
    )
    db.session.commit()

    page = soup(client.get(f"/premises/{wish.premises_id}"))

    assert page.select_one(".comment-meta").get_text().endswith("Jan 1, 2026")


def test_a_landlord_summary_e_mail_says_since_when_in_paris_time(app) -> None:
    configure(app, BABEL_DEFAULT_LOCALE="en")
    premises = factories.make_premises(landlord_name="Ana", landlord_email="ana@example.org")
    factories.make_support(premises).created_at = datetime(2025, 2, 1)
    db.session.commit()
    assert (
        report_mail.queue_summary(premises, app_settings(), now=datetime(2025, 3, 1, 23, 30))
        is not None
    )
    factories.make_support(premises, code="shop=greengrocer").created_at = datetime(2025, 3, 2, 9)
    db.session.commit()

    second = report_mail.queue_summary(premises, app_settings(), now=datetime(2025, 3, 9, 10))

    assert "New since March 2, 2025:" in second.body_text
