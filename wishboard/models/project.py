"""Shop projects: people planning to open a shop, and where they are looking."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .premises import District, Premises
from .taxonomy import ShopType
from .user import User

PITCH_MAX_LENGTH = 500
# The largest surface a project may ask for, in m² (a department store is not a neighbourhood shop).
SURFACE_MAX_M2 = 10_000


class ProjectVisibility(enum.StrEnum):
    """Who sees a project: its holder only, landlords of premises that match it, or everyone."""

    PRIVATE = "private"
    LANDLORDS = "landlords"
    PUBLIC = "public"


class ProjectHorizon(enum.StrEnum):
    """When the holder means to open."""

    SOON = "soon"  # within six months
    YEAR = "year"  # in six to twelve months
    LATER = "later"  # in more than a year


project_districts = Table(
    "project_districts",
    db.metadata,
    Column("project_id", ForeignKey("shop_projects.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
)


class ShopProject(db.Model):
    """A ShopProject is one person's plan to open a shop of a type, in some districts."""

    __tablename__ = "shop_projects"
    __table_args__ = (
        CheckConstraint(
            f"surface_min_m2 IS NULL OR surface_min_m2 BETWEEN 1 AND {SURFACE_MAX_M2}",
            name="surface_min_range",
        ),
        CheckConstraint(
            f"surface_max_m2 IS NULL OR surface_max_m2 BETWEEN 1 AND {SURFACE_MAX_M2}",
            name="surface_max_range",
        ),
        CheckConstraint(
            "surface_min_m2 IS NULL OR surface_max_m2 IS NULL OR surface_min_m2 <= surface_max_m2",
            name="surface_order",
        ),
        CheckConstraint(f"length(pitch) <= {PITCH_MAX_LENGTH}", name="pitch_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shop_type_id: Mapped[int] = mapped_column(ForeignKey("shop_types.id"))
    surface_min_m2: Mapped[int | None]
    surface_max_m2: Mapped[int | None]
    horizon: Mapped[ProjectHorizon] = mapped_column(enum_column(ProjectHorizon, "project_horizon"))
    pitch: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[ProjectVisibility] = mapped_column(
        enum_column(ProjectVisibility, "project_visibility"), default=ProjectVisibility.PRIVATE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    shop_type: Mapped[ShopType] = relationship()
    districts: Mapped[list[District]] = relationship(
        secondary=project_districts, order_by=District.name
    )

    def fits_surface(self, surface_m2: int | None) -> bool:
        """True when a premises of `surface_m2` (None: unknown) is within the surface wanted."""
        if surface_m2 is None:
            return True
        low, high = self.surface_min_m2, self.surface_max_m2
        return (low is None or surface_m2 >= low) and (high is None or surface_m2 <= high)


class LandlordAnswer(enum.StrEnum):
    """What the landlord said to a project's interest in their premises."""

    PENDING = "pending"
    TALK = "talk"  # "let's talk": with the holder's interest, both agree
    DECLINED = "declined"  # "not for us"


class ProjectInterest(db.Model):
    """A project holder's "I'm interested" in one premises, and the landlord's answer.

    The two e-mail addresses are exchanged once both agree (`introduced_at`), never before.
    """

    __tablename__ = "project_interests"
    __table_args__ = (UniqueConstraint("project_id", "premises_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("shop_projects.id", ondelete="CASCADE"), index=True
    )
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[LandlordAnswer] = mapped_column(
        enum_column(LandlordAnswer, "landlord_answer"), default=LandlordAnswer.PENDING
    )
    answered_at: Mapped[datetime | None]
    introduced_at: Mapped[datetime | None]  # when each side was sent the other's address
    # The premises was let to the project's shop type: was it this holder? (None: not asked yet,
    # or no answer.)
    let_asked_at: Mapped[datetime | None]
    let_was_theirs: Mapped[bool | None]

    project: Mapped[ShopProject] = relationship()
    premises: Mapped[Premises] = relationship()
