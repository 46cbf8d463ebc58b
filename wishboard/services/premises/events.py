"""What became of the town's premises, for anyone to follow: the entries of the Atom feeds.

An entry is a public step in a premises' life, read from the audit log: it was added as vacant,
it was let (to which shop type, and how many residents had asked for that type there), or it was
made vacant again. A premises withdrawn since is left out altogether, as it is from the map. What
staff wrote about it (notes, the landlord's contact) never shows: only the address, the district
and the shop type.
"""

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import AuditEvent, DemandCount, Premises, PremisesStatus, ShopType
from wishboard.services import audit

# How many entries a feed holds: the most recent.
FEED_SIZE = 50


class EventKind(enum.StrEnum):
    """The public steps in a premises' life."""

    VACANT = "vacant"  # added to the board: residents may say what they want there
    LET = "let"  # a shop took it
    REOPENED = "reopened"  # vacant again


ACTIONS = {
    "premises.created": EventKind.VACANT,
    "premises.let": EventKind.LET,
    "premises.let_by_link": EventKind.LET,
    "premises.reopened": EventKind.REOPENED,
}


@dataclass(frozen=True)
class PremisesEvent:
    """One entry: what happened, when, to which premises; for a letting, to what and who asked."""

    id: int  # the audit event's, which never changes
    kind: EventKind
    at: datetime  # UTC
    premises: Premises
    shop_type: ShopType | None = None  # what it was let to
    asked: int = 0  # residents who had asked for that shop type there


def public_events(district_id: int | None = None, limit: int = FEED_SIZE) -> list[PremisesEvent]:
    """The latest public events of the town's premises (or of one district's), newest first."""
    query = (
        select(AuditEvent, Premises)
        .join(Premises, Premises.id == AuditEvent.object_id)
        .where(
            AuditEvent.object_type == audit.PREMISES,
            AuditEvent.action.in_(list(ACTIONS)),
            Premises.status != PremisesStatus.WITHDRAWN,
        )
        .options(joinedload(Premises.district), joinedload(Premises.let_shop_type))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if district_id is not None:
        query = query.where(Premises.district_id == district_id)
    rows = db.session.execute(query).all()

    codes = {_let_code(event, premises) for event, premises in rows} - {None}
    types = {}
    if codes:
        found = db.session.scalars(select(ShopType).where(ShopType.code.in_(codes)))
        types = {shop_type.code: shop_type for shop_type in found}
    pairs = {
        (premises.id, types[code].id)
        for event, premises in rows
        if (code := _let_code(event, premises)) in types
    }
    asked = {}
    if pairs:
        counts = db.session.execute(
            select(DemandCount.premises_id, DemandCount.shop_type_id, DemandCount.supports).where(
                tuple_(DemandCount.premises_id, DemandCount.shop_type_id).in_(list(pairs))
            )
        )
        asked = {(premises_id, type_id): supports for premises_id, type_id, supports in counts}

    events = []
    for event, premises in rows:
        kind = ACTIONS[event.action]
        shop_type = types.get(_let_code(event, premises)) if kind is EventKind.LET else None
        count = asked.get((premises.id, shop_type.id), 0) if shop_type is not None else 0
        events.append(PremisesEvent(event.id, kind, event.created_at, premises, shop_type, count))
    return events


def _let_code(event: AuditEvent, premises: Premises) -> str | None:
    """The code of the shop type a letting was to: the event's, else the premises' own.

    Marking a premises let again with only a new date records no type: it is the one it has.
    """
    if ACTIONS.get(event.action) is not EventKind.LET:
        return None
    code = event.after.get("let_shop_type") if isinstance(event.after, dict) else None
    if isinstance(code, str):
        return code
    return premises.let_shop_type.code if premises.let_shop_type is not None else None
