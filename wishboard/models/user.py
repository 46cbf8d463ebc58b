"""Accounts and their roles."""

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import enum_column, utcnow


class Role(enum.StrEnum):
    """What an account may do; a visitor has no account at all."""

    RESIDENT = "resident"
    LANDLORD = "landlord"
    MODERATOR = "moderator"
    ADMIN = "admin"
    # Plans to open a shop: describes shop projects and meets landlords (issue #18).
    ENTREPRENEUR = "entrepreneur"


class User(UserMixin, db.Model):
    """A User is a person with an account: a resident, a landlord or city staff."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.RESIDENT)
    email_verified_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The language the person last used the site in, for the e-mails sent to them later.
    locale: Mapped[str | None] = mapped_column(String(5))
    # The notifications they want by e-mail (/me/notifications), and when the last digest went.
    notify_let: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_published: Mapped[bool] = mapped_column(default=True, server_default=true())
    # News of the areas they follow (none until they follow one).
    notify_area: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Asked, in the digest, whether a support given long ago is still wanted.
    notify_confirm: Mapped[bool] = mapped_column(default=True, server_default=true())
    notified_at: Mapped[datetime | None]
    # A resident who asked to become a project holder, until staff decide.
    project_role_asked_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in inactive users
        return self.active

    @property
    def is_verified(self) -> bool:
        """True once the person has proved they own the e-mail address."""
        return self.email_verified_at is not None

    @property
    def password_fingerprint(self) -> str:
        """A short digest of the password hash: it changes with the password, reveals nothing."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """The id sessions and remember-me cookies keep: a new password makes the old ones void."""
        return f"{self.id}:{self.password_fingerprint}"

    @property
    def is_staff(self) -> bool:
        """True for moderators and admins, who keep the site clean."""
        return self.has_role(Role.MODERATOR)

    @property
    def is_admin(self) -> bool:
        """True for an admin, who also manages accounts and the taxonomy."""
        return self.role is Role.ADMIN

    @property
    def is_entrepreneur(self) -> bool:
        """True for a person planning to open a shop, who describes shop projects."""
        return self.role is Role.ENTREPRENEUR

    @property
    def is_landlord(self) -> bool:
        """True for an owner of premises, who reads their demand reports."""
        return self.role is Role.LANDLORD

    @property
    def takes_part(self) -> bool:
        """True for a resident: the only accounts that wish and support."""
        return self.role is Role.RESIDENT

    def has_role(self, *roles: Role) -> bool:
        """True when the account holds one of `roles`; admins hold every staff role."""
        return self.role in roles or (self.role is Role.ADMIN and Role.MODERATOR in roles)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
