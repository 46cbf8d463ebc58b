"""Residents' digests sent once when several runs of send-notifications meet, on PostgreSQL."""

from datetime import date, datetime

import pytest

from tests import factories
from tests.helpers import count
from tests.mail_server import smtp_server
from tests.test_concurrency_postgres import run_together
from tests.test_report_mail_postgres import pg_app, port  # noqa: F401  (fixtures)
from wishboard.extensions import db
from wishboard.models import Notification, NotificationKind, Role
from wishboard.services.people import notifications
from wishboard.services.premises import management
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.postgres


def test_four_runs_at_once_send_each_resident_one_digest(pg_app, port):  # noqa: F811
    residents = [factories.make_user(locale="en") for _ in range(10)]
    premises = factories.make_premises()
    for resident in residents:
        factories.make_support(premises, resident)
    moderator = factories.make_user(Role.MODERATOR)
    db.session.commit()
    management.mark_let(moderator, premises, factories.shop_type("shop=bakery"), date(2026, 12, 1))

    with smtp_server(port) as inbox:
        runs = run_together(pg_app, 4, lambda i: notifications.send_digests(app_settings()))

    assert [run for run in runs if isinstance(run, Exception)] == []
    assert sum(run.digests for run in runs) == 10
    assert sorted(email["To"] for email in inbox.messages) == sorted(r.email for r in residents)


def test_four_runs_at_once_ask_about_each_old_support_once(pg_app, port):  # noqa: F811
    residents = [factories.make_user(locale="en") for _ in range(10)]
    premises = factories.make_premises()
    for resident in residents:
        factories.make_support(premises, resident).created_at = datetime(2024, 1, 1)
    db.session.commit()

    with smtp_server(port) as inbox:
        runs = run_together(pg_app, 4, lambda i: notifications.send_digests(app_settings()))

    assert [run for run in runs if isinstance(run, Exception)] == []
    assert sum(run.asked for run in runs) == 10
    assert sum(run.digests for run in runs) == 10
    assert sorted(email["To"] for email in inbox.messages) == sorted(r.email for r in residents)
    assert count(Notification, Notification.kind == NotificationKind.CONFIRM) == 10
