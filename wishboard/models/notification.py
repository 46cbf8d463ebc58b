"""What residents are told by e-mail about the premises and comments they care about."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .premises import District, Premises
from .user import User
from .wish import Support, Wish


class NotificationKind(enum.StrEnum):
    """What a notification is about; a person turns each kind on or off."""

    LET = "let"  # a premises they supported is let
    PUBLISHED = "published"  # their comment is published
    AREA_VACANT = "area_vacant"  # a new vacant premises in an area they follow
    AREA_LET = "area_let"  # a premises let in an area they follow
    CONFIRM = "confirm"  # a support of theirs is old: do they still want it?


class Notification(db.Model):
    """One event for one person, waiting for their next digest (`sent_at` is then set).

    `key` names the event and the person, so that an event never makes two notifications.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind")
    )
    key: Mapped[str] = mapped_column(String(120), unique=True)
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    wish_id: Mapped[int | None] = mapped_column(ForeignKey("wishes.id", ondelete="CASCADE"))
    support_id: Mapped[int | None] = mapped_column(ForeignKey("supports.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it went out in a digest (or was dropped because its kind was turned off).
    sent_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship()
    premises: Mapped[Premises | None] = relationship()
    wish: Mapped[Wish | None] = relationship()
    support: Mapped[Support | None] = relationship()


class AreaFollow(db.Model):
    """An area a person follows: a district, or a circle around a spot of the map."""

    __tablename__ = "area_follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    radius_m: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District | None] = relationship()
