"""Wishing and supporting: the rules of how a resident's demand is counted.

Every function that changes something commits its own transaction, or rolls it back and raises a
`WishError` saying why. Duplicates are decided by the database's unique constraints (an insert
that meets one does nothing), so a double tap, a replayed request or two app servers at once never
count twice, and the service treats a duplicate as success.
"""

import enum
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, literal, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import (
    COMMENT_MAX_LENGTH,
    DemandCount,
    Premises,
    PremisesStatus,
    Role,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.services.errors import DomainError


class WishError(DomainError):
    """A wish or support refused for a reason the resident can fix; `field` names the culprit."""


class Barrier(enum.StrEnum):
    """Why an account may not wish or support yet, and so which link helps."""

    SIGN_IN = "sign_in"
    VERIFY = "verify"
    ROLE = "role"


class NotAllowed(WishError):
    """The person may not wish or support: not signed in, e-mail not verified, or not a resident."""

    def __init__(self, barrier: Barrier) -> None:
        messages = {
            Barrier.SIGN_IN: _("Sign in to make a wish or support one."),
            Barrier.VERIFY: _("Confirm your e-mail address to make a wish or support one."),
            Barrier.ROLE: _(
                "Only resident accounts make wishes; staff and landlord accounts do not."
            ),
        }
        super().__init__(messages[barrier])
        self.barrier = barrier


def barrier_for(user: User | None) -> Barrier | None:
    """What stops `user` from wishing and supporting, or None when nothing does."""
    if user is None:
        return Barrier.SIGN_IN
    if not user.is_verified:
        return Barrier.VERIFY
    if user.role is not Role.RESIDENT:
        return Barrier.ROLE
    return None


def closed_reason(premises: Premises) -> str | None:
    """Why `premises` takes no new wishes, or None when it is vacant and takes them."""
    if premises.status is PremisesStatus.LET:
        return _("This premises has been let: it takes no new wishes, and its demand is kept.")
    if premises.status is PremisesStatus.WITHDRAWN:
        return _("This premises has been withdrawn from the board: it takes no new wishes.")
    return None


@dataclass(frozen=True)
class Standing:
    """Where one resident stands at one premises: what they support, what awaits review."""

    supported: frozenset[int] = frozenset()
    max_types: int = 0
    wishes: tuple[Wish, ...] = field(default=())

    @property
    def pending_wishes(self) -> list[Wish]:
        """The resident's own wishes here still awaiting a moderator."""
        return [wish for wish in self.wishes if wish.status is WishStatus.PENDING]

    @property
    def pending(self) -> frozenset[int]:
        """The shop type ids of the pending wishes: not counted yet, but under the cap."""
        return frozenset(wish.shop_type_id for wish in self.pending_wishes)

    @property
    def types_used(self) -> int:
        """How many shop types count against the resident's cap at this premises."""
        return len(self.supported | self.pending)

    @property
    def types_left(self) -> int:
        return max(self.max_types - self.types_used, 0)

    def supports(self, shop_type: ShopType) -> bool:
        return shop_type.id in self.supported


def standing(resident: User | None, premises: Premises, max_types: int) -> Standing:
    """The resident's supports and own wishes at `premises` (an empty standing for a visitor)."""
    return standings(resident, [premises.id], max_types).get(
        premises.id, Standing(max_types=max_types)
    )


def standings(
    resident: User | None, premises_ids: Sequence[int], max_types: int
) -> dict[int, Standing]:
    """The resident's standing at each of many premises, in two queries, keyed by premises id."""
    if resident is None or not premises_ids:
        return {}
    supported: dict[int, set[int]] = defaultdict(set)
    for premises_id, shop_type_id in db.session.execute(
        select(Support.premises_id, Support.shop_type_id).where(
            Support.resident_id == resident.id,
            Support.premises_id.in_(premises_ids),
            Support.counted.is_(True),  # one that stopped counting is given again by a tap
        )
    ):
        supported[premises_id].add(shop_type_id)
    wishes: dict[int, list[Wish]] = defaultdict(list)
    for wish in db.session.scalars(
        select(Wish)
        .options(joinedload(Wish.shop_type))
        .where(Wish.author_id == resident.id, Wish.premises_id.in_(premises_ids))
        .order_by(Wish.created_at, Wish.id)
    ):
        wishes[wish.premises_id].append(wish)
    return {
        premises_id: Standing(
            supported=frozenset(supported[premises_id]),
            max_types=max_types,
            wishes=tuple(wishes[premises_id]),
        )
        for premises_id in premises_ids
    }


def published_comments(premises: Premises) -> list[Wish]:
    """The published wishes with a comment at `premises`, newest first, with author and type."""
    return list(
        db.session.scalars(
            select(Wish)
            .options(joinedload(Wish.author), joinedload(Wish.shop_type))
            .where(
                Wish.premises_id == premises.id,
                Wish.status == WishStatus.PUBLISHED,
                Wish.comment.is_not(None),
            )
            .order_by(Wish.created_at.desc(), Wish.id.desc())
        )
    )


def make_wish(
    resident: User | None,
    premises: Premises,
    shop_type: ShopType,
    comment: str | None,
    max_types: int,
    trusted: bool = False,
) -> Wish:
    """Pin `shop_type` at `premises` for `resident`; with no comment it counts at once.

    A comment makes the wish `pending`: it counts (and its comment is shown) once a moderator
    publishes it, unless the resident is `trusted` (see `moderation.is_trusted`). Wishing again
    for the same type is not an error; a new comment replaces the old one and goes back to review.
    """
    _check_may_wish(resident, premises, shop_type)
    comment = _clean_comment(comment)
    _lock_resident(resident)
    status = WishStatus.PENDING if comment and not trusted else WishStatus.PUBLISHED
    inserted = insert_ignoring_duplicate(
        Wish,
        author_id=resident.id,
        premises_id=premises.id,
        shop_type_id=shop_type.id,
        comment=comment,
        status=status,
        created_at=utcnow(),
    )
    wish = db.session.scalars(
        select(Wish).where(
            Wish.author_id == resident.id,
            Wish.premises_id == premises.id,
            Wish.shop_type_id == shop_type.id,
        )
    ).one()
    if not inserted and comment and comment != wish.comment:
        wish.comment, wish.status = comment, status
        wish.moderated_at = wish.moderated_by_id = wish.rejection_reason = None
    if wish.status is WishStatus.PUBLISHED:
        _insert_support(resident, premises, shop_type)
    commit_within_cap(resident, premises, max_types)
    return wish


@dataclass(frozen=True)
class Tap:
    """What a support or a withdrawal did, read back in its own transaction.

    The support button is drawn from it: nothing the tap loaded is loaded again after the commit.
    """

    changed: bool  # the resident counts now (support), or no longer (withdraw); False: as before
    count: int  # residents who want the type at the premises, after the tap
    supported: frozenset[int]  # the shop types the resident supports at the premises now

    def standing(self, max_types: int) -> Standing:
        """The resident's standing at the premises, as far as the support button needs it."""
        return Standing(supported=self.supported, max_types=max_types)


def support(resident: User | None, premises: Premises, shop_type: ShopType, max_types: int) -> Tap:
    """Count `resident` among those who want `shop_type` at `premises` (unchanged if counted)."""
    _check_may_wish(resident, premises, shop_type)
    _lock_resident(resident)
    inserted = _insert_support(resident, premises, shop_type)
    supported = _within_cap(resident, premises, max_types)
    tap = Tap(inserted, _count(premises, shop_type), supported)
    _commit_keeping_loaded()
    return tap


def withdraw(resident: User | None, premises: Premises, shop_type: ShopType) -> Tap:
    """Take back the resident's support and wish for `shop_type` at `premises`."""
    barrier = barrier_for(resident)
    if barrier is not None:
        raise NotAllowed(barrier)
    if not may_withdraw(premises):
        raise WishError(closed_reason(premises))
    supports = db.session.execute(
        delete(Support).where(
            Support.resident_id == resident.id,
            Support.premises_id == premises.id,
            Support.shop_type_id == shop_type.id,
        )
    )
    wishes = db.session.execute(
        delete(Wish).where(
            Wish.author_id == resident.id,
            Wish.premises_id == premises.id,
            Wish.shop_type_id == shop_type.id,
        )
    )
    supported = db.session.scalars(
        select(Support.shop_type_id).where(
            Support.resident_id == resident.id,
            Support.premises_id == premises.id,
            Support.counted.is_(True),
        )
    )
    tap = Tap(
        bool(supports.rowcount or wishes.rowcount),
        _count(premises, shop_type),
        frozenset(supported),
    )
    _commit_keeping_loaded()
    return tap


def _count(premises: Premises, shop_type: ShopType) -> int:
    """Residents who want `shop_type` at `premises`, as this transaction's triggers left it."""
    number = db.session.scalar(
        select(DemandCount.supports).where(
            DemandCount.premises_id == premises.id, DemandCount.shop_type_id == shop_type.id
        )
    )
    return number or 0


def _commit_keeping_loaded() -> None:
    """Commit a tap without expiring what the session loaded (the premises, the shop type, the
    resident): the tap wrote through Core and changed none of them, so the answer is drawn from
    them as they are, without loading them again."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def may_withdraw(premises: Premises) -> bool:
    """A let premises keeps its demand as it was when let; any other takes withdrawals."""
    return premises.status is not PremisesStatus.LET


def count_published(wish: Wish) -> None:
    """Count a wish a moderator has just published: its author's support (not committed)."""
    if wish.premises_id is not None and wish.author_id is not None:
        _insert_support(wish.author, wish.premises, wish.shop_type)


def make_area_wish(
    resident: User | None,
    latitude: float,
    longitude: float,
    shop_type: ShopType,
    comment: str | None,
    bounds: Sequence[float],
    trusted: bool = False,
) -> Wish:
    """Pin `shop_type` at a point of the town; a resident's earlier pin of that type moves there.

    `bounds` is the town's (south, west, north, east): a point outside is refused. A comment
    waits for review unless the resident is `trusted`.
    """
    barrier = barrier_for(resident)
    if barrier is not None:
        raise NotAllowed(barrier)
    _check_shop_type(shop_type)
    if not inside(latitude, longitude, bounds):
        south, _west, north, _east = bounds
        latitude_fits = math.isfinite(latitude) and south <= latitude <= north
        raise WishError(
            _("Choose a place inside the town."),
            field="longitude" if latitude_fits else "latitude",
        )
    comment = _clean_comment(comment)
    values = {
        "latitude": round(latitude, 6),
        "longitude": round(longitude, 6),
        "comment": comment,
        "status": WishStatus.PENDING if comment and not trusted else WishStatus.PUBLISHED,
        "created_at": utcnow(),
        "moderated_at": None,
        "moderated_by_id": None,
        "rejection_reason": None,
    }
    insert = _dialect_insert(Wish).values(
        author_id=resident.id, shop_type_id=shop_type.id, premises_id=None, **values
    )
    # The partial unique index allows one area wish per resident and type: pinning again moves it.
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=[Wish.author_id, Wish.shop_type_id],
            index_where=Wish.premises_id.is_(None),
            set_=values,
        )
    )
    db.session.commit()
    return db.session.scalars(
        select(Wish).where(
            Wish.author_id == resident.id,
            Wish.premises_id.is_(None),
            Wish.shop_type_id == shop_type.id,
        )
    ).one()


def withdraw_area_wish(resident: User | None, shop_type: ShopType) -> bool:
    """Remove the resident's area wish for `shop_type`; False if they had none."""
    barrier = barrier_for(resident)
    if barrier is not None:
        raise NotAllowed(barrier)
    result = db.session.execute(
        delete(Wish).where(
            Wish.author_id == resident.id,
            Wish.premises_id.is_(None),
            Wish.shop_type_id == shop_type.id,
        )
    )
    db.session.commit()
    return bool(result.rowcount)


def inside(latitude: float, longitude: float, bounds: Sequence[float]) -> bool:
    """True when the point is a real number pair within (south, west, north, east)."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    south, west, north, east = bounds
    return south <= latitude <= north and west <= longitude <= east


@dataclass(frozen=True)
class Pinned:
    """One shop type at one premises in a resident's record: their support, wish, or both."""

    premises: Premises
    shop_type: ShopType
    support: Support | None
    wish: Wish | None


@dataclass(frozen=True)
class ResidentRecord:
    """Everything one resident has pinned and supported, for their "My wishes" page."""

    wishes: list[Wish]
    area_wishes: list[Wish]
    supports: list[Support]

    @property
    def pinned(self) -> list[Pinned]:
        """Supports (with the wish behind each, if any), then wishes not counted yet."""
        wish_for = {(w.premises_id, w.shop_type_id): w for w in self.wishes}
        pinned = [
            Pinned(s.premises, s.shop_type, s, wish_for.pop((s.premises_id, s.shop_type_id), None))
            for s in self.supports
        ]
        return pinned + [Pinned(w.premises, w.shop_type, None, w) for w in wish_for.values()]


def record_of(resident: User) -> ResidentRecord:
    """The resident's premises wishes, area wishes and supports, newest first, in three queries."""
    wishes = db.session.scalars(
        select(Wish)
        .options(joinedload(Wish.premises).joinedload(Premises.district))
        .options(joinedload(Wish.shop_type))
        .where(Wish.author_id == resident.id)
        .order_by(Wish.created_at.desc(), Wish.id.desc())
    ).all()
    supports = db.session.scalars(
        select(Support)
        .options(joinedload(Support.premises).joinedload(Premises.district))
        .options(joinedload(Support.shop_type))
        .where(Support.resident_id == resident.id)
        .order_by(Support.created_at.desc(), Support.id.desc())
    ).all()
    return ResidentRecord(
        wishes=[wish for wish in wishes if not wish.is_area_wish],
        area_wishes=[wish for wish in wishes if wish.is_area_wish],
        supports=list(supports),
    )


def _check_may_wish(resident: User | None, premises: Premises, shop_type: ShopType) -> None:
    barrier = barrier_for(resident)
    if barrier is not None:
        raise NotAllowed(barrier)
    reason = closed_reason(premises)
    if reason:
        raise WishError(reason)
    _check_shop_type(shop_type)


def _check_shop_type(shop_type: ShopType) -> None:
    if not shop_type.active:
        raise WishError(_("This shop type can no longer be chosen."), field="shop_type")


def _clean_comment(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise WishError(
            _("A comment has at most %(max)d characters.", max=COMMENT_MAX_LENGTH),
            field="comment",
        )
    return comment or None


def _lock_resident(resident: User) -> None:
    """Take the resident's row lock (PostgreSQL), so that their cap is checked one at a time.

    SQLite needs no lock, and is not asked: the first insert of the transaction takes the
    database's write lock.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return
    db.session.execute(select(User.id).where(User.id == resident.id).with_for_update())


def _dialect_insert(model):
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model)


def insert_ignoring_duplicate(model, **values) -> bool:
    """Insert a row unless a unique constraint already holds one like it; True if inserted."""
    # RETURNING, not rowcount: an ORM insert through psycopg reports no row count.
    statement = _dialect_insert(model).values(**values).on_conflict_do_nothing()
    return db.session.execute(statement.returning(model.id)).first() is not None


def _insert_support(resident: User, premises: Premises, shop_type: ShopType) -> bool:
    """Count the resident's support; True if it did not count before.

    A new support is inserted; one that had stopped counting (services/demand/freshness.py)
    counts again, confirmed now, and keeps the day it was first given.
    """
    now = utcnow()
    statement = (
        _dialect_insert(Support)
        .values(
            resident_id=resident.id,
            premises_id=premises.id,
            shop_type_id=shop_type.id,
            created_at=now,
        )
        .on_conflict_do_update(
            index_elements=[Support.resident_id, Support.premises_id, Support.shop_type_id],
            set_={"counted": True, "confirmed_at": now, "confirmation_asked_at": None},
            where=Support.counted.is_(False),
        )
    )
    return db.session.execute(statement.returning(Support.id)).first() is not None


def commit_within_cap(resident: User, premises: Premises, max_types: int) -> None:
    """Commit, unless the resident now holds more shop types at `premises` than the cap allows."""
    _within_cap(resident, premises, max_types)
    db.session.commit()


def _within_cap(resident: User, premises: Premises, max_types: int) -> frozenset[int]:
    """The types the resident supports at `premises`, once checked against the cap.

    Counted after the insert, inside the same transaction, so that two requests at once cannot
    both slip under the cap. Over it, the transaction is rolled back and WishError raised.
    """
    supported = select(Support.shop_type_id.label("shop_type_id"), literal(True)).where(
        Support.resident_id == resident.id,
        Support.premises_id == premises.id,
        Support.counted.is_(True),
    )
    pending = select(Wish.shop_type_id, literal(False)).where(
        Wish.author_id == resident.id,
        Wish.premises_id == premises.id,
        Wish.status == WishStatus.PENDING,
    )
    rows = db.session.execute(union(supported, pending)).all()
    if len({shop_type_id for shop_type_id, _ in rows}) > max_types:
        db.session.rollback()
        raise WishError(
            _(
                "You already support %(max)d shop types here: withdraw one to choose another.",
                max=max_types,
            ),
            field="shop_type",
        )
    return frozenset(shop_type_id for shop_type_id, is_support in rows if is_support)
