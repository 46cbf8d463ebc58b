"""Summaries sent once when several senders run at the same moment, on a real PostgreSQL server."""

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories
from tests.conftest import make_app, postgres_url
from tests.mail_server import free_port, smtp_server
from tests.test_concurrency_postgres import run_together
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, Premises, utcnow
from wishboard.services.reports import mail as report_mail
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def pg_app(port: int) -> Iterator[Flask]:
    # A pool large enough that every thread holds its own connection at the same moment.
    app = make_app(
        postgres_url(),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 0},
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_DEFAULT_SENDER="Wishboard <mail@example.org>",
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def wished_premises(email: str) -> int:
    premises = factories.make_premises(landlord_email=email)
    for code in ("shop=bakery", "shop=bakery", "shop=greengrocer"):
        factories.make_support(premises, code=code)
    db.session.commit()
    return premises.id


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_send_reports_run_four_times_at_once_sends_each_summary_once(pg_app, port):
    ids = [wished_premises(f"owner{i}@example.org") for i in range(10)]

    with smtp_server(port) as inbox:
        results = run_together(pg_app, 4, lambda i: report_mail.send_reports(app_settings()))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(result.queued for result in results) == 10
    assert sum(result.sent for result in results) == 10
    assert sorted(email["To"] for email in inbox.messages) == sorted(
        f"owner{i}@example.org" for i in range(10)
    )
    rows = outbox_rows()
    assert {row.dedup_key for row in rows} == {f"summary:{i}:first" for i in ids}
    assert {row.status for row in rows} == {OutboxStatus.SENT}


def test_send_now_pressed_five_times_at_once_queues_one_summary(pg_app, port):
    premises_id = wished_premises("owner@example.org")
    now = utcnow()

    def press(i: int):
        return report_mail.queue_summary(
            db.session.get(Premises, premises_id), app_settings(), now, force=True
        )

    results = run_together(pg_app, 5, press)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert len([r for r in results if r is not None]) == 1
    assert len(outbox_rows()) == 1


def test_a_run_and_a_send_now_at_once_queue_one_summary(pg_app, port):
    premises_id = wished_premises("owner@example.org")
    now = utcnow()

    def act(i: int):
        if i == 0:
            return report_mail.send_reports(app_settings(), now).queued
        premises = db.session.get(Premises, premises_id)
        return (
            0 if report_mail.queue_summary(premises, app_settings(), now, force=True) is None else 1
        )

    with smtp_server(port) as inbox:
        results = run_together(pg_app, 2, act)
        report_mail.send_reports(
            app_settings(), now
        )  # delivers the one "Send now" queued, if it won

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == 1
    assert len(outbox_rows()) == 1
    assert len(inbox.messages) == 1
