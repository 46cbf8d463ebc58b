"""The directory of open local shops, their online presence, and what is said about them."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .premises import District, coordinate_checks
from .taxonomy import ShopType
from .user import User


class Presence(enum.StrEnum):
    """Whether a shop is known to have one kind of online presence."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Shop(db.Model):
    """A Shop is an open local business listed in the directory, with its contacts."""

    __tablename__ = "shops"
    __table_args__ = (
        *coordinate_checks(),
        # The map's view (a bbox) is a range of latitudes, then of longitudes within it.
        Index("ix_shops_position", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The source's own identifier ("osm:node/123", or the town's): imports upsert by it.
    reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    shop_type_id: Mapped[int] = mapped_column(ForeignKey("shop_types.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    social_url: Mapped[str | None] = mapped_column(String(500))
    opening_hours: Mapped[str | None] = mapped_column(String(255))
    # Online presence, as staff know it: a website, a social account, a listing on a map service.
    has_website: Mapped[Presence] = mapped_column(
        enum_column(Presence, "has_website"), default=Presence.UNKNOWN, server_default="unknown"
    )
    has_social: Mapped[Presence] = mapped_column(
        enum_column(Presence, "has_social"), default=Presence.UNKNOWN, server_default="unknown"
    )
    on_map_service: Mapped[Presence] = mapped_column(
        enum_column(Presence, "on_map_service"), default=Presence.UNKNOWN, server_default="unknown"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shop_type: Mapped[ShopType] = relationship()
    district: Mapped[District | None] = relationship()


class ContactOutcome(enum.StrEnum):
    """How a contact with a shop about its online visibility went."""

    HELPED = "helped"  # the shop now has (or is getting) an online presence
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    NO_ANSWER = "no_answer"


class ShopContact(db.Model):
    """A ShopContact records that staff contacted a shop about its online visibility."""

    __tablename__ = "shop_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    contacted_on: Mapped[date]
    outcome: Mapped[ContactOutcome] = mapped_column(enum_column(ContactOutcome, "contact_outcome"))
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shop: Mapped[Shop] = relationship()
    staff: Mapped[User | None] = relationship()


class CorrectionStatus(enum.StrEnum):
    """Where a correction request stands."""

    OPEN = "open"
    DONE = "done"
    DISMISSED = "dismissed"


class ShopCorrection(db.Model):
    """A ShopCorrection is what a shop's owner (or anyone) asks staff to change in its listing."""

    __tablename__ = "shop_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    requester_name: Mapped[str] = mapped_column(String(120))
    requester_email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[CorrectionStatus] = mapped_column(
        enum_column(CorrectionStatus, "correction_status"), default=CorrectionStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]

    shop: Mapped[Shop] = relationship()
    handled_by: Mapped[User | None] = relationship()
