"""The mail outbox: every e-mail is stored in the caller's transaction first, then delivered.

`queue` only adds a row; `deliver` sends the rows that are due, by SMTP when the mail settings
(settings.MailSettings, from MAIL_SERVER and the other MAIL_* variables) name a server, and
otherwise (in development) writes them as readable text, links listed, to the `wishboard.mail`
logger: standard error. A failed send is retried later with exponential back-off and
given up after `MAX_ATTEMPTS`; nothing is ever raised to the person who caused the e-mail.
"""

import html
import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import render_template
from sqlalchemy import Select, func, select, update

from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, utcnow
from wishboard.request_log import MAIL_LOGGER_NAME
from wishboard.settings import MailSettings

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
SMTP_TIMEOUT_S = 10
CONSOLE_RULE = "-" * 72
_TEXT_LINK = re.compile(r"https?://[^\s<>\"]+")
_HTML_LINK = re.compile(r"""href\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)


def queue(
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    kind: str = "notice",
    dedup_key: str | None = None,
) -> OutboxMessage:
    """Add an e-mail to the outbox in the caller's transaction (no commit); returns it with its id.

    A message with a `dedup_key` already in the outbox is returned as it is instead of a second one.
    """
    if dedup_key is not None:
        existing = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key)
        )
        if existing is not None:
            return existing
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        dedup_key=dedup_key,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def queue_template(
    recipient: str,
    subject: str,
    template: str,
    kind: str,
    dedup_key: str | None = None,
    **context,
) -> OutboxMessage:
    """Queue `templates/email/<template>.txt` and `.html`, rendered in the current language."""
    body_text = render_template(f"email/{template}.txt", subject=subject, **context)
    body_html = render_template(f"email/{template}.html", subject=subject, **context)
    return queue(recipient, subject, body_text, body_html, kind=kind, dedup_key=dedup_key)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed send: 1, 2, 4… minutes."""
    return FIRST_RETRY * 2 ** (max(attempts, 1) - 1)


def claim_lease(mail: MailSettings) -> timedelta:
    """How long a claimed message stays with its sender (WISHBOARD_OUTBOX_LEASE_S): long enough
    for the slowest SMTP conversation; a sender that dies keeps its claim this long."""
    return timedelta(seconds=mail.lease_s)


def claim(message_id: int, now: datetime, mail: MailSettings) -> bool:
    """Take a due pending message for this sender; False when another sender already has it.

    Claiming counts the attempt and moves the next attempt into the future in one conditional
    UPDATE, so a second sender's UPDATE matches no row; if this sender dies mid-send, the message
    becomes due again once the lease is over.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + claim_lease(mail),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(
    mail: MailSettings, message_ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Send the pending messages that are due (only `message_ids` when given); returns how many.

    Commits its own changes, so call it after the caller's transaction has been committed.
    """
    now = now or utcnow()
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(list(message_ids)))
    sent = 0
    for message_id in db.session.scalars(query).all():
        if not claim(message_id, now, mail):
            continue
        message = db.session.get(OutboxMessage, message_id)
        try:
            _send(message, mail)
        except Exception as error:  # whatever goes wrong, the message stays queued
            _record_failure(message, error, now)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent


def retry_now(message_id: int, mail: MailSettings, now: datetime | None = None) -> bool:
    """Make a pending or failed message due at once (staff's "Retry now"); commits.

    False when it was sent meanwhile, or when a sender has just claimed it: sending it again now
    could deliver it twice.
    """
    now = now or utcnow()
    # A claim moves the next attempt a whole lease ahead: that far ahead, a sender took it within
    # the last minute and may be talking to the SMTP server right now.
    just_claimed = OutboxMessage.next_attempt_at > now + claim_lease(mail) - timedelta(
        seconds=6 * SMTP_TIMEOUT_S
    )
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]),
            ~(just_claimed & (OutboxMessage.status == OutboxStatus.PENDING)),
        )
        .values(status=OutboxStatus.PENDING, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def unsent(status: OutboxStatus | None = None) -> Select:
    """The pending and failed messages (or those of one `status`), newest first."""
    statuses = [status] if status is not None else [OutboxStatus.PENDING, OutboxStatus.FAILED]
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(statuses))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )


def failed_count() -> int:
    """How many messages were given up after repeated failures (staff should look)."""
    return (
        db.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED))
        or 0
    )


def _record_failure(message: OutboxMessage, error: Exception, now: datetime) -> None:
    """Note why the send failed and when to try again, or give up after MAX_ATTEMPTS."""
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.next_attempt_at = now + retry_delay(message.attempts)
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
    logging.getLogger(__name__).warning(
        "E-mail %s to %s failed (attempt %s): %s",
        message.id,
        message.recipient,
        message.attempts,
        message.last_error,
    )


def _send(message: OutboxMessage, mail: MailSettings) -> None:
    """Hand one message to the SMTP server, or write it to the log when none is configured."""
    if not mail.server:
        logging.getLogger(MAIL_LOGGER_NAME).info(console_text(message))
        return
    email = build_email(message, mail.sender)
    with smtplib.SMTP(mail.server, mail.port, timeout=SMTP_TIMEOUT_S) as smtp:
        if mail.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if mail.username:
            smtp.login(mail.username, mail.password)
        smtp.send_message(email)


def links(message: OutboxMessage) -> list[str]:
    """The web links of a message, text version first, each once, in reading order."""
    found = [link.rstrip(".,;:!?)") for link in _TEXT_LINK.findall(message.body_text)]
    found += [html.unescape(link) for link in _HTML_LINK.findall(message.body_html or "")]
    return list(dict.fromkeys(found))


def console_text(message: OutboxMessage) -> str:
    """A message as a developer reads it in a terminal: recipient, subject, text, its links."""
    lines = [
        CONSOLE_RULE,
        "E-mail not sent (no MAIL_SERVER): here is what it says.",
        f"To: {message.recipient}",
        f"Subject: {message.subject}",
        CONSOLE_RULE,
        message.body_text.strip(),
    ]
    found = links(message)
    if found:
        lines += ["", "Links:", *(f"  {link}" for link in found)]
    lines.append(CONSOLE_RULE)
    return "\n".join(lines)


def message_id(message: OutboxMessage, domain: str | None) -> str:
    """The message's Message-ID, the same at every attempt.

    If a sender dies after the SMTP server accepted the e-mail but before marking it sent, the
    copy sent again is the same message to mail systems, which drop duplicates by this header.
    """
    stamp = message.created_at.strftime("%Y%m%d%H%M%S")
    return f"<wishboard.outbox.{message.id}.{stamp}@{domain or 'wishboard.localhost'}>"


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME e-mail for an outbox row: plain text, with the HTML version as an alternative."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now().astimezone())
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    email["Message-ID"] = message_id(message, domain)
    if message.list_unsubscribe:
        # RFC 2369 and RFC 8058: mail clients offer a one-click "unsubscribe" that POSTs here.
        email["List-Unsubscribe"] = f"<{message.list_unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email
