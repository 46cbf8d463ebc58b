"""Districts and the empty commercial units residents wish for."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .taxonomy import ShopType
from .user import User


def coordinate_checks() -> tuple[CheckConstraint, ...]:
    """Constraints that keep a table's latitude and longitude on the globe."""
    return (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )


class District(db.Model):
    """A District is a named part of the town (a quartier), used to group and filter."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class PremisesStatus(enum.StrEnum):
    """Whether a premises still takes wishes."""

    VACANT = "vacant"
    LET = "let"
    WITHDRAWN = "withdrawn"


class Premises(db.Model):
    """A Premises is an empty (or formerly empty) commercial unit that residents can wish for."""

    __tablename__ = "premises"
    __table_args__ = (
        *coordinate_checks(),
        CheckConstraint("surface_m2 IS NULL OR surface_m2 > 0", name="surface_positive"),
        CheckConstraint(
            "status <> 'let' OR (let_shop_type_id IS NOT NULL AND let_on IS NOT NULL)",
            name="let_has_shop_type",
        ),
        Index("ix_premises_status_district", "status", "district_id"),
        # The map's view (a bbox): for each status on the map, a range of latitudes, then of
        # longitudes within it.
        Index("ix_premises_status_position", "status", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    latitude: Mapped[float]
    longitude: Mapped[float]
    surface_m2: Mapped[int | None]
    status: Mapped[PremisesStatus] = mapped_column(
        enum_column(PremisesStatus, "premises_status"), default=PremisesStatus.VACANT
    )
    landlord_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    landlord_name: Mapped[str | None] = mapped_column(String(120))
    landlord_email: Mapped[str | None] = mapped_column(String(254))
    notes: Mapped[str | None] = mapped_column(Text)
    let_shop_type_id: Mapped[int | None] = mapped_column(ForeignKey("shop_types.id"))
    let_on: Mapped[date | None]
    # Written into every signed report link; raising it revokes them all (services/report_links).
    report_link_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The end of the period the last demand summary e-mailed to the landlord covered.
    summary_sent_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship()
    landlord: Mapped[User | None] = relationship()
    let_shop_type: Mapped[ShopType | None] = relationship()

    @property
    def is_vacant(self) -> bool:
        return self.status is PremisesStatus.VACANT

    def __repr__(self) -> str:
        return f"<Premises {self.id} {self.address!r}>"


class PosterScan(db.Model):
    """How many times the QR code of a premises' window poster was scanned on one day.

    Only numbers: who scanned is not kept (services/premises/posters.py).
    """

    __tablename__ = "poster_scans"
    __table_args__ = (CheckConstraint("scans >= 0", name="scans_not_negative"),)

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    scans: Mapped[int]
