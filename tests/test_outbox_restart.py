"""The outbox survives a sender killed in the middle of sending: nothing lost, nothing sent twice.

A real SMTP server (aiosmtpd) holds one message without answering its DATA; the sender
(`wishboard send-mail`, a process of its own) is killed with SIGKILL while it waits, that is
before the server accepted the message. A new sender, once the claim lease
(WISHBOARD_OUTBOX_LEASE_S) has run out, sends everything left: each message arrives exactly once,
with the Message-ID of its outbox row.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.conftest import make_app, postgres_url
from tests.mail_server import free_port
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, utcnow
from wishboard.services import outbox

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The `wishboard` command, run by the Python running the tests: no installed script, no path.
WISHBOARD = [sys.executable, "-m", "wishboard.cli"]
HELD = "held@example.org"
LEASE_S = 1
MESSAGES = 6


class HoldingInbox:
    """Keeps every message it accepts; the first one to HELD is held unanswered until released."""

    def __init__(self) -> None:
        self.accepted: list[EmailMessage] = []
        self.holding = threading.Event()  # set once the held message's DATA has arrived
        self.release = threading.Event()
        self.held_once = False

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        if HELD in envelope.rcpt_tos and not self.held_once:
            self.held_once = True
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            # Too late: the sender is gone. Not accepted, so nothing was delivered.
            return "451 4.3.0 Try again later"
        self.accepted.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def holding_server() -> Iterator[tuple[int, HoldingInbox]]:
    port = free_port()
    inbox = HoldingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        inbox.release.set()
        controller.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> Iterator[str]:
    """A database other processes can open: an SQLite file, or the PostgreSQL test database."""
    url = f"sqlite:///{tmp_path / 'outbox.sqlite3'}" if request.param == "sqlite" else None
    app = make_app(url or postgres_url())
    with app.app_context():
        yield app.config["SQLALCHEMY_DATABASE_URI"]
        db.session.remove()
        db.engine.dispose()


def sender(url: str, port: int) -> subprocess.Popen:
    """`wishboard send-mail` in a process of its own, sending through the test's SMTP server."""
    env = {
        **os.environ,
        "SECRET_KEY": "outbox-restart-test",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "WISHBOARD_OUTBOX_LEASE_S": str(LEASE_S),
    }
    return subprocess.Popen(
        [*WISHBOARD, "send-mail"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.long
def test_a_sender_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    database_url, holding_server
):
    port, inbox = holding_server
    recipients = [f"resident{n}@example.org" for n in range(MESSAGES)]
    recipients[2] = HELD  # the third in line: two go out before the sender is stuck
    ids = [
        outbox.queue(recipient, f"Notice {n}", f"Body {n}").id
        for n, recipient in enumerate(recipients)
    ]
    db.session.commit()
    expected_ids = {
        outbox.message_id(db.session.get(OutboxMessage, id_), "wishboard.localhost") for id_ in ids
    }

    first = sender(database_url, port)
    assert inbox.holding.wait(timeout=30), first.communicate(timeout=5)[0]
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=10)  # closes its pipe too
    inbox.release.set()

    db.session.expire_all()
    statuses = dict(db.session.execute(select(OutboxMessage.recipient, OutboxMessage.status)).all())
    assert [statuses[r] for r in recipients[:2]] == [OutboxStatus.SENT] * 2
    assert statuses[HELD] is OutboxStatus.PENDING  # claimed by the dead sender, not sent
    assert len(inbox.accepted) == 2

    held = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == HELD))
    lease_ends = held.next_attempt_at

    # A new sender, once the dead one's lease has run out, sends everything left.
    time.sleep(max(0.0, (lease_ends - utcnow()).total_seconds() + 0.2))
    second = sender(database_url, port)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output

    received = [message["Message-ID"] for message in inbox.accepted]
    assert sorted(received) == sorted(expected_ids)  # every message, and each one once
    assert sorted(message["To"] for message in inbox.accepted) == sorted(recipients)
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert [row.attempts for row in rows] == [2 if row.recipient == HELD else 1 for row in rows]
