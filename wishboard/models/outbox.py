"""E-mail written to the database before it is sent."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import enum_column, utcnow


class OutboxStatus(enum.StrEnum):
    """Where a message stands: waiting to be sent, sent, or given up after repeated failures."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """An OutboxMessage is one e-mail, stored first and then sent; it is never sent twice."""

    __tablename__ = "outbox_messages"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    # Messages that must go out once only (a summary for a period) carry a key.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Where the recipient stops this kind of e-mail in one click (the List-Unsubscribe header).
    list_unsubscribe: Mapped[str | None] = mapped_column(String(500))


class MailOptOut(db.Model):
    """A MailOptOut is an address that asked for no more demand summaries (until it asks again)."""

    __tablename__ = "mail_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
