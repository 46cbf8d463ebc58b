"""SQLAlchemy models of the whole domain, one module per aggregate."""

from .audit import AuditEvent
from .base import utcnow
from .demand import DataVersion, DemandCount
from .notification import AreaFollow, Notification, NotificationKind
from .outbox import MailOptOut, OutboxMessage, OutboxStatus
from .premises import District, PosterScan, Premises, PremisesStatus
from .project import (
    PITCH_MAX_LENGTH,
    LandlordAnswer,
    ProjectHorizon,
    ProjectInterest,
    ProjectVisibility,
    ShopProject,
)
from .shop import (
    ContactOutcome,
    CorrectionStatus,
    Presence,
    Shop,
    ShopContact,
    ShopCorrection,
)
from .taxonomy import ShopType, ShopTypeGroup
from .user import Role, User
from .wish import COMMENT_MAX_LENGTH, FLAG_REASON_MAX_LENGTH, Flag, Support, Wish, WishStatus

__all__ = [
    "AreaFollow",
    "COMMENT_MAX_LENGTH",
    "AuditEvent",
    "ContactOutcome",
    "CorrectionStatus",
    "DataVersion",
    "DemandCount",
    "District",
    "FLAG_REASON_MAX_LENGTH",
    "Flag",
    "MailOptOut",
    "Notification",
    "NotificationKind",
    "OutboxMessage",
    "OutboxStatus",
    "PosterScan",
    "Premises",
    "PremisesStatus",
    "Presence",
    "PITCH_MAX_LENGTH",
    "ProjectHorizon",
    "ProjectInterest",
    "LandlordAnswer",
    "ProjectVisibility",
    "ShopProject",
    "Role",
    "Shop",
    "ShopContact",
    "ShopCorrection",
    "ShopType",
    "ShopTypeGroup",
    "Support",
    "User",
    "Wish",
    "WishStatus",
    "utcnow",
]
