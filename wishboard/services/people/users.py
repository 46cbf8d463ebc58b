"""Administering accounts: finding them, changing their role, deactivating and reactivating them.

Every function that changes something does it in one transaction with its audit event, and
commits it; when the change is refused it rolls back and raises `UserChangeRefused` saying why.
The site always keeps at least one active administrator: the rows of the active administrators
are locked while that is checked, so two administrators stepping down at once cannot both succeed.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import Role, User
from wishboard.services import audit
from wishboard.services.errors import DomainError
from wishboard.services.people.accounts import other_active_admins

SEARCH_MAX_LENGTH = 100


class UserChangeRefused(DomainError):
    """A change to an account that the rules forbid; `message` says why, for the administrator."""


@dataclass(frozen=True)
class UserSearch:
    """What to look for: words in the e-mail or display name, a role, active or deactivated."""

    text: str = ""
    role: Role | None = None
    active: bool | None = None

    @property
    def narrows(self) -> bool:
        """True when the search leaves some accounts out."""
        return bool(self.text) or self.role is not None or self.active is not None


def search_users(search: UserSearch = UserSearch()) -> Select[tuple[User]]:
    """The accounts matching `search`, by display name then id, as a query to paginate.

    The text matches anywhere in the e-mail address or the display name, whatever the case
    (on SQLite only ASCII letters fold; PostgreSQL folds every letter).
    """
    query = select(User)
    text = search.text.strip().lower()
    if text:
        query = query.where(
            or_(
                func.lower(User.email).contains(text, autoescape=True),
                func.lower(User.display_name).contains(text, autoescape=True),
            )
        )
    if search.role is not None:
        query = query.where(User.role == search.role)
    if search.active is not None:
        query = query.where(User.active.is_(search.active))
    return query.order_by(dictionary_order(User.display_name), User.id)


def change_role(actor: User, user: User, role: Role) -> bool:
    """Give `user` the role `role` and commit; False when they already held it.

    Refused when it would leave the site without an active administrator (an administrator
    stepping down themselves included).
    """
    try:
        others = _lock(user)
        if user.role is role:
            db.session.rollback()
            return False
        if _is_last_admin(user, others):
            raise UserChangeRefused(
                _(
                    "%(name)s is the last active administrator: give the administrator role to "
                    "someone else first.",
                    name=user.display_name,
                )
            )
        before = user.role
        user.role = role
        user.project_role_asked_at = None  # a request to become a project holder is decided
        audit.record(
            actor,
            "user.role_changed",
            audit.USER,
            user.id,
            before={"role": before.value},
            after={"role": role.value},
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def deactivate(actor: User, user: User) -> bool:
    """Deactivate `user` and commit; False when they already were.

    A deactivated account cannot sign in, and its open sessions end at their next request.
    Refused for the last active administrator (oneself included).
    """
    try:
        others = _lock(user)
        if not user.active:
            db.session.rollback()
            return False
        if _is_last_admin(user, others):
            raise UserChangeRefused(
                _(
                    "%(name)s is the last active administrator and cannot be deactivated: give "
                    "the administrator role to someone else first.",
                    name=user.display_name,
                )
            )
        user.active = False
        audit.record(
            actor, "user.deactivated", audit.USER, user.id, {"active": True}, {"active": False}
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def reactivate(actor: User, user: User) -> bool:
    """Let a deactivated `user` sign in again and commit; False when they were active."""
    try:
        _lock(user)
        if user.active:
            db.session.rollback()
            return False
        user.active = True
        audit.record(
            actor, "user.reactivated", audit.USER, user.id, {"active": False}, {"active": True}
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def _lock(user: User) -> int:
    """Lock the active administrators, then `user`, and reload `user`; returns how many others.

    Always in this order, whoever the account is, so that two changes at once wait for each
    other instead of deadlocking; reloaded, so that the rules read the role and state as they
    are now, not as they were when the page was loaded.
    """
    others = other_active_admins(user)
    db.session.refresh(user, with_for_update=True)
    return others


def _is_last_admin(user: User, other_admins: int) -> bool:
    return user.role is Role.ADMIN and user.active and other_admins == 0
