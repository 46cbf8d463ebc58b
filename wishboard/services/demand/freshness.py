"""Fresh demand: a support counts while its resident still wants it.

A support is as old as the last time its resident said they want it: when they gave it, or last
confirmed it (`Support.given_or_confirmed_at`). Past `support_max_age_days` the resident is asked,
once, in their next digest, with a one-click link (`ask_to_confirm`). Left unconfirmed
`support_grace_days` after the asking, it stops counting (`expire`): `counted` becomes false, the
database's triggers take it out of `demand_counts`, and so out of the map, the lists, the GeoJSON,
the CSV and the reports at once. It is kept, as history: the resident sees it in their wishes and
may confirm it, or tap "support" again, to make it count again.

A support nobody can be asked about (the account was deleted, or its owner turned these e-mails
off) stops counting at the same age plus the grace period. Only vacant premises age: a let one
keeps its demand as it was when let, and a withdrawn one shows none.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select, update

from wishboard.extensions import db
from wishboard.models import (
    Notification,
    NotificationKind,
    Premises,
    PremisesStatus,
    Support,
    User,
    utcnow,
)
from wishboard.services.demand.wishes import WishError, closed_reason, commit_within_cap
from wishboard.settings import Settings

CONFIRM_SALT = "support-confirm"
# How many supports one statement asks about: a first run on a large town goes by batches.
BATCH = 1000
# The landlord report says how much of the demand was given or confirmed this recently.
RECENT_DAYS = 90


@dataclass(frozen=True)
class Freshness:
    """Where one support stands: counting, asked about (until `deadline`), or no longer counted."""

    counted: bool
    asked: bool
    deadline: datetime | None  # when it stops counting unless confirmed (None: not any more)


def freshness_of(support: Support, settings: Settings) -> Freshness:
    """Where `support` stands, for the resident's list of wishes."""
    if not support.counted:
        return Freshness(counted=False, asked=False, deadline=None)
    grace = timedelta(days=settings.support_grace_days)
    if support.confirmation_asked_at is not None:
        return Freshness(True, True, support.confirmation_asked_at + grace)
    aged = support.given_or_confirmed_at + timedelta(days=settings.support_max_age_days)
    return Freshness(True, False, aged + grace)


def recent_supports(premises: Premises, now: datetime, shop_type_id: int | None = None) -> int:
    """Counted supports at `premises` (of one type, when given) given or confirmed in the last
    RECENT_DAYS days: how much of its demand is recent (the report, the evidence sheet)."""
    since = now - timedelta(days=RECENT_DAYS)
    conditions = [
        Support.premises_id == premises.id,
        Support.counted.is_(True),
        or_(Support.created_at >= since, Support.confirmed_at >= since),
    ]
    if shop_type_id is not None:
        conditions.append(Support.shop_type_id == shop_type_id)
    return db.session.scalar(select(func.count()).where(*conditions)) or 0


def _given_or_confirmed_before(moment: datetime):
    """Supports last wanted before `moment` (confirmed_at, when set, is never before created_at)."""
    return and_(
        Support.created_at <= moment,
        or_(Support.confirmed_at.is_(None), Support.confirmed_at <= moment),
    )


def _on_vacant_premises():
    vacant = select(Premises.id).where(Premises.status == PremisesStatus.VACANT)
    return Support.premises_id.in_(vacant)


def ask_to_confirm(settings: Settings, now: datetime | None = None) -> int:
    """Ask, in each resident's next digest, about their supports past the age; commits.

    Each support is asked about once per age: it is claimed by a conditional UPDATE before its
    notification is written, so two runs at once ask once. Returns how many were asked about.
    """
    now = now or utcnow()
    aged = now - timedelta(days=settings.support_max_age_days)
    due = (
        select(Support.id)
        .join(User, User.id == Support.resident_id)
        .where(
            Support.counted.is_(True),
            Support.confirmation_asked_at.is_(None),
            _given_or_confirmed_before(aged),
            _on_vacant_premises(),
            User.active.is_(True),
            User.email_verified_at.is_not(None),
            User.notify_confirm.is_(True),
        )
        .order_by(Support.id)
        .limit(BATCH)
    )
    asked = 0
    while ids := db.session.scalars(due).all():
        claimed = db.session.execute(
            update(Support)
            .where(Support.id.in_(ids), Support.confirmation_asked_at.is_(None))
            .values(confirmation_asked_at=now)
            .returning(Support.id, Support.resident_id, Support.premises_id)
            .execution_options(synchronize_session=False)
        ).all()
        for support_id, resident_id, premises_id in claimed:
            db.session.add(
                Notification(
                    user_id=resident_id,
                    kind=NotificationKind.CONFIRM,
                    key=f"confirm:{support_id}:{now.isoformat()}",
                    support_id=support_id,
                    premises_id=premises_id,
                )
            )
        db.session.commit()
        asked += len(claimed)
    return asked


def expire(settings: Settings, now: datetime | None = None) -> int:
    """Stop counting the supports left unconfirmed past the grace period; commits.

    Returns how many stopped counting. They are kept, with the day they were given.
    """
    now = now or utcnow()
    grace = timedelta(days=settings.support_grace_days)
    aged = now - timedelta(days=settings.support_max_age_days) - grace
    result = db.session.execute(
        update(Support)
        .where(
            Support.counted.is_(True),
            _given_or_confirmed_before(aged),
            or_(
                Support.confirmation_asked_at.is_(None),
                Support.confirmation_asked_at <= now - grace,
            ),
            _on_vacant_premises(),
        )
        .values(counted=False)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def confirm(support: Support, max_types: int, now: datetime | None = None) -> None:
    """The resident still wants `support`: it counts again, as if given now; commits.

    WishError when its premises takes no wishes any more, or when counting it again would put
    the resident over the cap of shop types at the premises.
    """
    reason = closed_reason(support.premises)
    if reason:
        raise WishError(reason)
    support.counted = True
    support.confirmed_at = now or utcnow()
    support.confirmation_asked_at = None
    commit_within_cap(support.resident, support.premises, max_types)


def own_support(resident: User, support_id: int) -> Support | None:
    """`resident`'s support of this id, or None when it is not theirs (or gone)."""
    support = db.session.get(Support, support_id)
    if support is None or support.resident_id != resident.id:
        return None
    return support


def confirm_key(support: Support, settings: Settings) -> str:
    """A key that confirms `support` without signing in (the link in the digest)."""
    serializer = URLSafeSerializer(settings.secret_key, salt=CONFIRM_SALT)
    return serializer.dumps([support.id, support.resident_id])


def support_for_key(key: str, settings: Settings) -> Support | None:
    """The support a confirm key was made for, or None when it is not ours or no longer there."""
    try:
        payload = URLSafeSerializer(settings.secret_key, salt=CONFIRM_SALT).loads(key)
    except BadSignature:
        return None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(value, int) and not isinstance(value, bool) for value in payload)
    ):
        return None
    support_id, resident_id = payload
    support = db.session.get(Support, support_id)
    if support is None or support.resident_id != resident_id or support.resident is None:
        return None
    return support
