"""Residents' wishes and their supports: the demand."""

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .premises import Premises
from .taxonomy import ShopType
from .user import User

COMMENT_MAX_LENGTH = 500


class WishStatus(enum.StrEnum):
    """Where a wish stands in moderation; only published wishes show their comment."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"


class Wish(db.Model):
    """A Wish is a resident's pin: a shop type at a premises, or at a point for an area wish."""

    __tablename__ = "wishes"
    __table_args__ = (
        CheckConstraint(
            "(premises_id IS NOT NULL AND latitude IS NULL AND longitude IS NULL)"
            " OR (premises_id IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL)",
            name="premises_or_point",
        ),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint(
            "longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"
        ),
        CheckConstraint(
            f"comment IS NULL OR length(comment) <= {COMMENT_MAX_LENGTH}", name="comment_length"
        ),
        UniqueConstraint("author_id", "premises_id", "shop_type_id"),
        # One area wish per resident and shop type: pinning it again moves it.
        Index(
            "uq_wishes_area_author_shop_type",
            "author_id",
            "shop_type_id",
            unique=True,
            sqlite_where=text("premises_id IS NULL"),
            postgresql_where=text("premises_id IS NULL"),
        ),
        # The newest published comments of a premises, in date order (its demand report).
        Index("ix_wishes_premises_status_created", "premises_id", "status", "created_at"),
        Index("ix_wishes_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    shop_type_id: Mapped[int] = mapped_column(ForeignKey("shop_types.id"))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[WishStatus] = mapped_column(
        enum_column(WishStatus, "wish_status"), default=WishStatus.PUBLISHED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    shop_type: Mapped[ShopType] = relationship()
    premises: Mapped[Premises | None] = relationship()

    @property
    def is_area_wish(self) -> bool:
        return self.premises_id is None


class Support(db.Model):
    """A Support is one resident's vote for a shop type at a premises; demand counts them."""

    __tablename__ = "supports"
    __table_args__ = (
        # The database, not the application, guarantees one support per resident and place.
        UniqueConstraint("resident_id", "premises_id", "shop_type_id"),
        Index("ix_supports_premises_shop_type", "premises_id", "shop_type_id"),
        # A premises' supports by date, and its distinct supporters, from the index alone.
        Index(
            "ix_supports_premises_created",
            "premises_id",
            "created_at",
            "shop_type_id",
            "resident_id",
            "counted",  # only counted supports are demand: still from the index alone
        ),
        # A resident's supports at one premises (the tap's answer), from the index alone: without
        # it SQLite prefers the covering index above and reads every support of a busy premises.
        Index(
            "ix_supports_resident_premises", "resident_id", "premises_id", "counted", "shop_type_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once the resident deleted their account: the count stays, anonymised.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    shop_type_id: Mapped[int] = mapped_column(ForeignKey("shop_types.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Fresh demand: a support is as old as its last confirmation (or, never confirmed, its
    # creation). Past an age the resident is asked; unconfirmed past a grace period it stops
    # being `counted` (demand_counts holds counted supports only) but stays, as history.
    confirmed_at: Mapped[datetime | None]
    confirmation_asked_at: Mapped[datetime | None]
    counted: Mapped[bool] = mapped_column(default=True, server_default=true())

    resident: Mapped[User | None] = relationship()
    premises: Mapped[Premises] = relationship()
    shop_type: Mapped[ShopType] = relationship()

    @property
    def given_or_confirmed_at(self) -> datetime:
        """When the resident last said they want it: its age counts from then."""
        return self.confirmed_at or self.created_at


FLAG_REASON_MAX_LENGTH = 200


class Flag(db.Model):
    """A Flag is one signed-in person's report that a published wish or comment is abusive."""

    __tablename__ = "flags"
    __table_args__ = (
        # One open report per person and wish: three people, not three clicks, hide a comment.
        # Once a moderator has decided, the same person may report the comment again.
        Index(
            "uq_flags_open_report",
            "wish_id",
            "reporter_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_flags_open", "resolved_at", "wish_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wishes.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(FLAG_REASON_MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a moderator decided about the wish; only open flags count towards hiding it.
    resolved_at: Mapped[datetime | None]

    wish: Mapped[Wish] = relationship()
    reporter: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        """True while no moderator has decided about the wish since this report."""
        return self.resolved_at is None
