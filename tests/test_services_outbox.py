"""The mail outbox: queued in the caller's transaction, delivered once, retried with back-off."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import configure
from tests.mail_server import free_port, smtp_server
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, utcnow
from wishboard.services import outbox
from wishboard.settings import settings as app_settings


def queue_one(**overrides) -> OutboxMessage:
    values = {
        "recipient": "ana@example.org",
        "subject": "Demand report for 12 rue de Belleville",
        "body_text": "Bakery: 14 residents.",
        "body_html": "<p>Bakery: <strong>14</strong> residents.</p>",
        "kind": "report",
    }
    message = outbox.queue(**(values | overrides))
    db.session.commit()
    return message


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def smtp_app(app, port):
    """The app configured to send through an SMTP server on `port` (running or not)."""
    configure(
        app,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_DEFAULT_SENDER="Wishboard <mail@example.org>",
    )
    return app


def test_queue_rides_in_the_callers_transaction(app):
    message = outbox.queue("ana@example.org", "Hello", "Text", kind="test")
    assert message.id is not None
    assert message.status is OutboxStatus.PENDING

    db.session.rollback()

    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_queue_with_a_known_dedup_key_returns_the_first_message(app):
    first = queue_one(dedup_key="summary:landlord-3:2025-05")
    second = outbox.queue(
        "ana@example.org", "Again", "Again", kind="report", dedup_key="summary:landlord-3:2025-05"
    )
    db.session.commit()

    assert second.id == first.id
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_deliver_without_mail_server_prints_it_readably_and_marks_sent(app, capsys):
    message = queue_one(
        subject="Votre résumé : 12 rue de Belleville",
        body_text=(
            "Bonjour Zoé,\n\nBoulangerie : 14 habitants.\n\n"
            "Le rapport : http://127.0.0.1:8000/landlord/premises/3/report?key=a.b-c.\n"
        ),
        body_html=(
            '<p><a href="http://127.0.0.1:8000/landlord/premises/3/report?key=a.b-c">Le rapport</a>'
            ' · <a href="http://127.0.0.1:8000/landlord/unsubscribe?key=x&amp;y=1">Arrêter</a>'
            ' · <a href="mailto:contact@example.org">Écrire</a></p>'
        ),
    )

    assert outbox.deliver(app_settings().mail) == 1

    printed = capsys.readouterr().err.splitlines()
    # As a person reads it, not as an escaped JSON string: one line per line of the e-mail.
    assert "To: ana@example.org" in printed
    assert "Subject: Votre résumé : 12 rue de Belleville" in printed
    body = printed.index("Bonjour Zoé,")
    assert printed[body : body + 3] == ["Bonjour Zoé,", "", "Boulangerie : 14 habitants."]
    links = printed[printed.index("Links:") + 1 : -1]
    assert links == [
        "  http://127.0.0.1:8000/landlord/premises/3/report?key=a.b-c",
        "  http://127.0.0.1:8000/landlord/unsubscribe?key=x&y=1",
    ]
    assert not any(line.startswith("{") for line in printed)
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert outbox.deliver(app_settings().mail) == 0
    assert capsys.readouterr().err == ""


def test_deliver_skips_messages_not_yet_due(app):
    message = queue_one()
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.session.commit()

    assert outbox.deliver(app_settings().mail) == 0
    assert outbox.deliver(app_settings().mail, now=utcnow() + timedelta(minutes=6)) == 1


def test_deliver_only_the_given_messages(app):
    wanted = queue_one(recipient="ana@example.org")
    other = queue_one(recipient="bo@example.org")

    assert outbox.deliver(app_settings().mail, [wanted.id]) == 1

    db.session.refresh(wanted)
    db.session.refresh(other)
    assert wanted.status is OutboxStatus.SENT
    assert other.status is OutboxStatus.PENDING


def test_deliver_through_smtp_sends_text_and_html(smtp_app, port):
    message = queue_one()

    with smtp_server(port) as inbox:
        assert outbox.deliver(app_settings().mail) == 1

    [received] = inbox.messages
    assert inbox.envelopes == [("mail@example.org", ["ana@example.org"])]
    assert received["To"] == "ana@example.org"
    assert received["From"] == "Wishboard <mail@example.org>"
    assert received["Subject"] == "Demand report for 12 rue de Belleville"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert text.get_content().strip() == "Bakery: 14 residents."
    assert html.get_content().strip() == "<p>Bakery: <strong>14</strong> residents.</p>"
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT


def test_text_only_message_is_a_single_part(smtp_app, port):
    queue_one(body_html=None)
    with smtp_server(port) as inbox:
        outbox.deliver(app_settings().mail)
    [received] = inbox.messages
    assert received.get_content_type() == "text/plain"


def test_smtp_down_keeps_the_message_and_sends_it_once_when_back(smtp_app, port):
    message = queue_one()
    before = utcnow()

    assert outbox.deliver(app_settings().mail) == 0  # nothing listens on the port

    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error
    assert message.sent_at is None
    assert message.next_attempt_at >= before + outbox.retry_delay(1)

    with smtp_server(port) as inbox:
        assert outbox.deliver(app_settings().mail) == 0  # not due yet: the back-off is respected
        later = utcnow() + timedelta(minutes=2)
        assert outbox.deliver(app_settings().mail, now=later) == 1
        assert outbox.deliver(app_settings().mail, now=later) == 0

    assert len(inbox.messages) == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
    assert message.attempts == 2
    assert message.last_error is None


def test_a_copy_sent_again_after_a_crash_is_the_same_message(smtp_app, port):
    message = queue_one()

    with smtp_server(port) as inbox:
        outbox.deliver(app_settings().mail)
        # The sender died after the server accepted the e-mail, before marking it sent: once the
        # claim's lease is over, the next sender sends it again.
        message.status, message.sent_at = OutboxStatus.PENDING, None
        db.session.commit()
        outbox.deliver(
            app_settings().mail,
            now=utcnow() + outbox.claim_lease(app_settings().mail) + timedelta(seconds=1),
        )

    first, again = inbox.messages
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].startswith(f"<wishboard.outbox.{message.id}.")
    assert first["Message-ID"].endswith("@example.org>")


def test_message_fails_for_good_after_the_last_attempt(smtp_app):
    message = queue_one()
    now = utcnow()

    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver(app_settings().mail, now=now)
        db.session.refresh(message)
        now = message.next_attempt_at

    assert message.status is OutboxStatus.FAILED
    assert message.attempts == outbox.MAX_ATTEMPTS
    assert outbox.deliver(app_settings().mail, now=now + timedelta(days=1)) == 0


def test_an_unexpected_error_leaves_the_message_pending(app, monkeypatch):
    message = queue_one()

    def broken_send(message, mail):
        raise RuntimeError("template engine on fire")

    monkeypatch.setattr(outbox, "_send", broken_send)

    assert outbox.deliver(app_settings().mail) == 0
    db.session.refresh(message)
    assert message.status is OutboxStatus.PENDING
    assert "template engine on fire" in message.last_error


def test_a_claimed_message_cannot_be_claimed_again(app):
    message = queue_one()
    now = utcnow()

    assert outbox.claim(message.id, now, app_settings().mail) is True
    assert outbox.claim(message.id, now, app_settings().mail) is False
    assert outbox.deliver(app_settings().mail, now=now) == 0  # another sender holds it


def test_retry_delay_doubles():
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_send_mail_command_retries_what_failed(smtp_app, port, runner):
    message = queue_one()
    assert outbox.deliver(app_settings().mail) == 0  # nothing listens yet
    db.session.refresh(message)
    message.next_attempt_at = utcnow() - timedelta(seconds=1)  # its retry is now due
    db.session.commit()

    with smtp_server(port) as inbox:
        result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 e-mail envoyé."
    assert len(inbox.messages) == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT
