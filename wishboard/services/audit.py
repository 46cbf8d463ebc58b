"""The audit log: who did what to which object, and when, with the values before and after."""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wishboard.collation import dictionary_order
from wishboard.extensions import db
from wishboard.models import AuditEvent, Premises, Shop, ShopType, User, Wish
from wishboard.services.csv_export import iso_utc

# What an event is about (its `object_type`).
USER = "user"
WISH = "wish"
PREMISES = "premises"
SHOP_TYPE = "shop_type"
SHOP = "shop"

# What the site does by itself (no actor). Any other event without an actor was done by someone
# whose account has since been deleted, or by a landlord through a signed link (LINK_ACTIONS).
SYSTEM_ACTIONS = frozenset({"wish.auto_hidden"})
LINK_ACTIONS = frozenset({"premises.let_by_link"})


def is_automatic(event: AuditEvent) -> bool:
    """True when the site itself acted, not a person."""
    return event.actor_id is None and event.action in SYSTEM_ACTIONS


def actor_label(event: AuditEvent, name: str | None) -> str:
    """Who acted, in words: their name, "automatic", "landlord's link" or "deleted account"."""
    if event.actor_id is not None and name is not None:
        return name
    if is_automatic(event):
        return _("automatic")
    if event.action in LINK_ACTIONS:
        return _("landlord, through the report link")
    return _("deleted account")


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


# Reading the log: the audit page and its CSV export.

# The actions the site records, for the log's "kind" filter (the log may hold others too).
ACTIONS = (
    "wish.published",
    "wish.rejected",
    "wish.hidden",
    "wish.unhidden",
    "wish.auto_hidden",
    "premises.created",
    "premises.updated",
    "premises.withdrawn",
    "premises.let",
    "premises.let_by_link",
    "premises.links_revoked",
    "premises.reopened",
    "premises.imported",
    "user.role_changed",
    "user.deactivated",
    "user.reactivated",
    "account.deleted",
    "shop_type.created",
    "shop_type.relabelled",
    "shop_type.deactivated",
    "shop_type.reactivated",
    "shop_type.merged",
    "shop.updated",
    "shop.contacted",
    "shop.correction_done",
    "shop.correction_dismissed",
)

CSV_HEADER = (
    "id",
    "created_at_utc",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
)


@dataclass(frozen=True)
class AuditFilter:
    """Which events to read: by one actor (or the automatic ones), one action, a range of days.

    The days are those of `timezone` (the site's), both included. `object_type` and `object_id`
    narrow to one object.
    """

    actor_id: int | None = None
    automatic: bool = False
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    object_type: str | None = None
    object_id: int | None = None
    # What a day is, not which events: a filter in another zone narrows nothing more.
    timezone: str = field(default="UTC", compare=False)

    @property
    def narrows(self) -> bool:
        """True when the filter leaves some events out."""
        return self != AuditFilter()


@dataclass(frozen=True)
class ObjectRef:
    """What an event is about, as it stands now: a name to show and where it can be seen."""

    name: str
    premises_id: int | None = None


def _conditions(selected: AuditFilter) -> list:
    """The WHERE conditions on AuditEvent that `selected` stands for."""
    conditions = []
    if selected.automatic:
        conditions.append(AuditEvent.actor_id.is_(None))
        conditions.append(AuditEvent.action.in_(SYSTEM_ACTIONS))
    elif selected.actor_id is not None:
        conditions.append(AuditEvent.actor_id == selected.actor_id)
    if selected.action:
        conditions.append(AuditEvent.action == selected.action)
    if selected.date_from is not None:
        start = _day_start(selected.date_from, selected.timezone)
        conditions.append(AuditEvent.created_at >= start)
    if selected.date_to is not None:
        day_after = _day_start(selected.date_to + timedelta(days=1), selected.timezone)
        conditions.append(AuditEvent.created_at < day_after)
    if selected.object_type is not None:
        conditions.append(AuditEvent.object_type == selected.object_type)
        conditions.append(AuditEvent.object_id == selected.object_id)
    return conditions


def _day_start(day: date, timezone: str) -> datetime:
    """When `day` begins in `timezone`, as a stored (naive UTC) time."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


NEWEST_FIRST = (AuditEvent.created_at.desc(), AuditEvent.id.desc())


def events(selected: AuditFilter, page: int, page_size: int) -> Pagination:
    """One page of the events matching `selected`, newest first, each with its actor loaded.

    A page after the last one is a 404.
    """
    return db.paginate(
        select(AuditEvent)
        .where(*_conditions(selected))
        .options(joinedload(AuditEvent.actor))
        .order_by(*NEWEST_FIRST),
        page=page,
        per_page=page_size,
        max_per_page=None,
        error_out=True,
    )


def event_rows(selected: AuditFilter) -> list[tuple]:
    """Every event matching `selected` as CSV rows following CSV_HEADER, newest first.

    The actor is their display name, "automatic" when the site acted by itself, or "deleted
    account"; `before` and `after` are JSON.
    """
    query = (
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*_conditions(selected))
        .order_by(*NEWEST_FIRST)
    )
    return [
        (
            event.id,
            iso_utc(event.created_at),
            event.actor_id,
            actor_label(event, actor_name),
            event.action,
            event.object_type,
            event.object_id,
            _json(event.before),
            _json(event.after),
        )
        for event, actor_name in db.session.execute(query)
    ]


def _json(snapshot: dict[str, Any] | None) -> str:
    return "" if snapshot is None else json.dumps(snapshot, ensure_ascii=False, sort_keys=True)


def actors() -> list[User]:
    """The people who appear as the actor of at least one event, by display name."""
    acted = select(AuditEvent.actor_id).where(AuditEvent.actor_id.is_not(None))
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(acted))
            .order_by(dictionary_order(User.display_name), User.id)
        )
    )


def actions() -> list[str]:
    """Every action the log may hold: the site's own and any other already recorded, sorted."""
    recorded = db.session.scalars(select(AuditEvent.action).distinct())
    return sorted(set(ACTIONS) | set(recorded))


def objects_of(page_events: list[AuditEvent]) -> dict[tuple[str, int], ObjectRef]:
    """What the events are about, keyed by (object_type, object_id); objects gone are left out.

    One query per kind of object on the page, whatever the number of events.
    """
    wanted: dict[str, set[int]] = {}
    for event in page_events:
        if event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    found: dict[tuple[str, int], ObjectRef] = {}
    if wanted.get(PREMISES):
        rows = db.session.execute(
            select(Premises.id, Premises.address).where(Premises.id.in_(wanted[PREMISES]))
        )
        found.update({(PREMISES, i): ObjectRef(address, premises_id=i) for i, address in rows})
    if wanted.get(USER):
        rows = db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(wanted[USER]))
        )
        found.update({(USER, i): ObjectRef(name) for i, name in rows})
    if wanted.get(SHOP_TYPE):
        rows = db.session.execute(
            select(ShopType.id, ShopType.code).where(ShopType.id.in_(wanted[SHOP_TYPE]))
        )
        found.update({(SHOP_TYPE, i): ObjectRef(code) for i, code in rows})
    if wanted.get(SHOP):
        rows = db.session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(wanted[SHOP])))
        found.update({(SHOP, i): ObjectRef(name) for i, name in rows})
    if wanted.get(WISH):
        rows = db.session.execute(
            select(Wish.id, ShopType.code, Wish.premises_id)
            .join(ShopType, ShopType.id == Wish.shop_type_id)
            .where(Wish.id.in_(wanted[WISH]))
        )
        found.update({(WISH, i): ObjectRef(code, premises_id=p) for i, code, p in rows})
    return found
