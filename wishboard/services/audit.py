"""The audit log: who did what to which object, and when, with the values before and after."""

from typing import Any

from ..extensions import db
from ..models import AuditEvent, User

# What an event is about (its `object_type`).
USER = "user"
WISH = "wish"
PREMISES = "premises"
SHOP_TYPE = "shop_type"


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (no commit); `actor` None is the system.

    `action` reads "<object>.<verb>" ("wish.published", "premises.updated", "user.role_changed");
    `before` and `after` hold only the fields that changed, as JSON-ready values.
    """
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
