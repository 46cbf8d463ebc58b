"""Telling residents what became of what they asked for: one e-mail a day at most, a digest.

An event (a premises they supported is let, their comment is published, a support of theirs is old
enough to be confirmed) adds a Notification for each person concerned, in the event's own
transaction: nothing is lost if the site stops right after.
`send_digests` (the `wishboard send-notifications` command, run by cron) then gathers each person's
waiting notifications into one e-mail through the outbox, in their language, with a one-click
unsubscribe (RFC 8058). A person gets at most one digest a day (UTC); the rest waits for the next.

Nothing is sent twice: a notification is claimed by a conditional UPDATE before its digest is
written, and a day's digest has a dedup key in the outbox, so two runs at once send one e-mail.
Kinds a person turned off are dropped when their digest is made, without an e-mail.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import (
    AreaFollow,
    DemandCount,
    District,
    Notification,
    NotificationKind,
    Premises,
    Support,
    User,
    Wish,
    utcnow,
)
from wishboard.services import outbox
from wishboard.services.demand import freshness
from wishboard.services.errors import DomainError
from wishboard.services.geometry import distance_m, inside
from wishboard.settings import Settings
from wishboard.urls import external_url

UNSUBSCRIBE_SALT = "notifications-unsubscribe"
KIND = "notifications"  # the outbox's kind for digests


# The radii a person may follow a spot at, in metres.
RADII_M = (300, 500, 1000)


class FollowError(DomainError):
    """Following an area refused for a reason the person can fix; `field` names the culprit."""


def wants(user: User, kind: NotificationKind) -> bool:
    """True when `user` wants e-mails of this kind."""
    return {
        NotificationKind.LET: user.notify_let,
        NotificationKind.PUBLISHED: user.notify_published,
        NotificationKind.AREA_VACANT: user.notify_area,
        NotificationKind.AREA_LET: user.notify_area,
        NotificationKind.CONFIRM: user.notify_confirm,
    }[kind]


# Events


def premises_let(premises: Premises) -> None:
    """Notify everyone who supported `premises` that it is let, and those following its area.

    In the caller's transaction. A supporter who also follows the area hears of it once.
    """
    supporters = set(
        db.session.scalars(
            select(Support.resident_id)
            .where(Support.premises_id == premises.id, Support.resident_id.is_not(None))
            .distinct()
        )
    )
    let_on = premises.let_on.isoformat() if premises.let_on else ""
    for user_id in supporters:
        _add(
            user_id,
            NotificationKind.LET,
            f"let:{premises.id}:{let_on}:{user_id}",
            premises_id=premises.id,
        )
    area_news([premises], NotificationKind.AREA_LET, skip=supporters)


def area_news(
    premises: Sequence[Premises], kind: NotificationKind, skip: set[int] = frozenset()
) -> None:
    """Notify the people following an area that holds one of `premises` (caller's transaction).

    `kind` is AREA_VACANT (new vacant premises) or AREA_LET; `skip` are people told otherwise.
    """
    follows = db.session.execute(
        select(AreaFollow.user_id, AreaFollow.district_id, AreaFollow.latitude,
               AreaFollow.longitude, AreaFollow.radius_m)
        .join(User, User.id == AreaFollow.user_id)
        .where(User.notify_area.is_(True), User.active.is_(True))
    ).all()  # fmt: skip
    if not follows:
        return
    for place in premises:
        marker = (
            place.let_on.isoformat() if kind is NotificationKind.AREA_LET and place.let_on else ""
        )
        told = set(skip)
        for user_id, district_id, latitude, longitude, radius_m in follows:
            if user_id in told or not _inside(place, district_id, latitude, longitude, radius_m):
                continue
            told.add(user_id)
            _add(user_id, kind, f"{kind}:{place.id}:{marker}:{user_id}", premises_id=place.id)


def _inside(place: Premises, district_id, latitude, longitude, radius_m) -> bool:
    if district_id is not None:
        return place.district_id == district_id
    return distance_m(latitude, longitude, place.latitude, place.longitude) <= radius_m


def comment_published(wish: Wish) -> None:
    """Notify the author of a published comment (in the caller's transaction)."""
    if wish.author_id is None or not wish.comment:
        return
    _add(wish.author_id, NotificationKind.PUBLISHED, f"published:{wish.id}", wish_id=wish.id)


# Areas


def follows_of(user: User) -> list[AreaFollow]:
    """The areas `user` follows, oldest first, with their districts."""
    return list(
        db.session.scalars(
            select(AreaFollow)
            .where(AreaFollow.user_id == user.id)
            .options(joinedload(AreaFollow.district))
            .order_by(AreaFollow.created_at, AreaFollow.id)
        )
    )


def may_follow_more(user: User, settings: Settings) -> bool:
    """True while `user` follows fewer areas than the most one may (a setting)."""
    count = db.session.scalar(
        select(func.count()).select_from(AreaFollow).where(AreaFollow.user_id == user.id)
    )
    return count < settings.max_followed_areas


def _room_for_one_more(user: User, settings: Settings) -> None:
    if not may_follow_more(user, settings):
        raise FollowError(
            ngettext(
                "You follow %(num)d area already, the most there can be: stop following one first.",
                "You follow %(num)d areas already, the most there can be: stop following one "
                "first.",
                settings.max_followed_areas,
            )
        )


def follow_district(user: User, district: District | None, settings: Settings) -> AreaFollow:
    """Follow the news of a district; commits. FollowError for none, or one followed already."""
    if district is None:
        raise FollowError(_("Choose a district from the list."), "district")
    taken = select(AreaFollow.id).where(
        AreaFollow.user_id == user.id, AreaFollow.district_id == district.id
    )
    if db.session.scalar(taken) is not None:
        raise FollowError(_("You already follow %(district)s.", district=district.name), "district")
    _room_for_one_more(user, settings)
    follow = AreaFollow(user_id=user.id, district_id=district.id)
    db.session.add(follow)
    db.session.commit()
    return follow


def follow_spot(
    user: User, latitude: float, longitude: float, radius_m: int, settings: Settings
) -> AreaFollow:
    """Follow the news within `radius_m` of a spot of the town; commits."""
    if radius_m not in RADII_M:
        raise FollowError(_("Choose a distance from the list."), "radius")
    if not inside(settings.map_bounds, latitude, longitude):
        raise FollowError(_("This spot is outside the town: choose one inside it."), "latitude")
    _room_for_one_more(user, settings)
    follow = AreaFollow(
        user_id=user.id,
        latitude=round(latitude, 6),
        longitude=round(longitude, 6),
        radius_m=radius_m,
    )
    db.session.add(follow)
    db.session.commit()
    return follow


def unfollow(user: User, follow_id: int) -> bool:
    """Stop following one of `user`'s areas; commits. False when it is not theirs (or gone)."""
    follow = db.session.get(AreaFollow, follow_id)
    if follow is None or follow.user_id != user.id:
        return False
    db.session.delete(follow)
    db.session.commit()
    return True


def _add(user_id: int, kind: NotificationKind, key: str, **about: int) -> None:
    if db.session.scalar(select(Notification.id).where(Notification.key == key)) is None:
        db.session.add(Notification(user_id=user_id, kind=kind, key=key, **about))


# Preferences


def set_preferences(user: User, let: bool, published: bool, area: bool, confirm: bool) -> None:
    """Turn each kind of e-mail on or off for `user`, and commit."""
    user.notify_let, user.notify_published, user.notify_area = let, published, area
    user.notify_confirm = confirm
    db.session.commit()


def unsubscribe_key(user: User, settings: Settings) -> str:
    """A key that turns off every notification e-mail of `user`, without signing in."""
    return URLSafeSerializer(settings.secret_key, salt=UNSUBSCRIBE_SALT).dumps(user.id)


def user_for_key(key: str, settings: Settings) -> User | None:
    """The person an unsubscribe key was made for, or None when it is not one of ours."""
    try:
        user_id = URLSafeSerializer(settings.secret_key, salt=UNSUBSCRIBE_SALT).loads(key)
    except BadSignature:
        return None
    return db.session.get(User, user_id) if isinstance(user_id, int) else None


# Digests


@dataclass
class DigestRun:
    """What one run of `send_digests` did."""

    asked: int = 0  # old supports asked about (services/demand/freshness.py)
    expired: int = 0  # supports left unconfirmed that stopped counting
    digests: int = 0  # e-mails written to the outbox
    dropped: int = 0  # notifications of kinds turned off, or of people who cannot get mail
    waiting: int = 0  # people who already had today's digest
    sent: int = 0  # e-mails delivered
    message_ids: list[int] = field(default_factory=list)


def send_digests(settings: Settings, now: datetime | None = None) -> DigestRun:
    """Write each person's waiting notifications into one e-mail, then deliver them.

    First the supports past their age are asked about (they join the digests); last, those left
    unconfirmed past the grace period stop counting (services/demand/freshness.py).
    """
    now = now or utcnow()
    run = DigestRun(asked=freshness.ask_to_confirm(settings, now))
    waiting = select(Notification.user_id).where(Notification.sent_at.is_(None)).distinct()
    for user_id in db.session.scalars(waiting).all():
        _digest_for(db.session.get(User, user_id), settings, now, run)
    if run.message_ids:
        run.sent = outbox.deliver(settings.mail, run.message_ids, now=now)
    run.expired = freshness.expire(settings, now)
    return run


def _digest_for(user: User, settings: Settings, now: datetime, run: DigestRun) -> None:
    if user.notified_at is not None and user.notified_at.date() == now.date():
        run.waiting += 1
        return
    pending = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.sent_at.is_(None))
            .order_by(Notification.created_at, Notification.id)
        )
    )
    ids = [notification.id for notification in pending]
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != len(ids):  # another run took some of them: it sends them
        db.session.rollback()
        return
    reachable = user.active and user.is_verified
    wanted = [
        item for item in pending if reachable and wants(user, item.kind) and _still_news(item)
    ]
    run.dropped += len(pending) - len(wanted)
    if not wanted:
        db.session.commit()
        return
    try:
        message = _queue_digest(user, wanted, settings, now)
        user.notified_at = now
        db.session.commit()
    except IntegrityError:  # another run wrote today's digest first
        db.session.rollback()
        return
    run.digests += 1
    run.message_ids.append(message.id)


def _still_news(notification: Notification) -> bool:
    """False for a question already answered: the support was confirmed since it was asked."""
    if notification.kind is not NotificationKind.CONFIRM:
        return True
    support = notification.support
    return support.counted and support.confirmation_asked_at is not None


@dataclass(frozen=True)
class News:
    """One piece of news in a digest: a sentence, and the page it is about."""

    sentence: str
    url: str
    link_text: str


def _let_news(user: User, notification: Notification, locale: str) -> News:
    """A premises the person supported is let: to what, whether they asked for it, how many did."""
    premises = notification.premises
    shop_type = premises.let_shop_type
    url = external_url("public.premises_detail", premises_id=premises.id)
    if shop_type is None:
        sentence = _("%(address)s is let.", address=premises.address)
        return News(sentence, url, _("See the premises"))
    count = (
        db.session.scalar(
            select(DemandCount.supports).where(
                DemandCount.premises_id == premises.id,
                DemandCount.shop_type_id == shop_type.id,
            )
        )
        or 0
    )
    mine = db.session.scalar(
        select(Support.id).where(
            Support.premises_id == premises.id,
            Support.resident_id == user.id,
            Support.shop_type_id == shop_type.id,
        )
    )
    label = shop_type.label(locale)
    if mine is not None:
        sentence = ngettext(
            "%(address)s is let: %(type)s has opened, as you had asked. %(num)d resident asked "
            "for it.",
            "%(address)s is let: %(type)s has opened, as you had asked. %(num)d residents asked "
            "for it, you among them.",
            count,
            address=premises.address,
            type=label,
        )
    else:
        sentence = ngettext(
            "%(address)s is let: %(type)s has opened. %(num)d resident had asked for it.",
            "%(address)s is let: %(type)s has opened. %(num)d residents had asked for it.",
            count,
            address=premises.address,
            type=label,
        )
    return News(sentence, url, _("See the premises"))


def _confirm_news(notification: Notification, settings: Settings, locale: str) -> News:
    """A support of theirs is old: do they still want it? One link keeps it counting."""
    support = notification.support
    deadline = freshness.freshness_of(support, settings).deadline
    sentence = _(
        "On %(date)s you asked for %(type)s at %(address)s. Do you still want it? Unless you "
        "confirm it by %(deadline)s, it will stop counting (it stays in your wishes).",
        date=format_date(support.given_or_confirmed_at, "long"),
        type=support.shop_type.label(locale),
        address=support.premises.address,
        deadline=format_date(deadline, "long"),
    )
    url = external_url("resident.confirm_support", key=freshness.confirm_key(support, settings))
    return News(sentence, url, _("Yes, I still want it"))


def _news(user: User, notification: Notification, settings: Settings, locale: str) -> News:
    if notification.kind is NotificationKind.LET:
        return _let_news(user, notification, locale)
    if notification.kind is NotificationKind.CONFIRM:
        return _confirm_news(notification, settings, locale)
    if notification.kind is NotificationKind.PUBLISHED:
        return _published_news(notification.wish)
    premises = notification.premises
    url = external_url("public.premises_detail", premises_id=premises.id)
    if notification.kind is NotificationKind.AREA_VACANT:
        sentence = _(
            "New empty premises in an area you follow: %(address)s.", address=premises.address
        )
    elif premises.let_shop_type is not None:
        sentence = _(
            "Let in an area you follow: %(address)s, now %(type)s.",
            address=premises.address,
            type=premises.let_shop_type.label(locale),
        )
    else:
        sentence = _("Let in an area you follow: %(address)s.", address=premises.address)
    return News(sentence, url, _("See the premises"))


def _published_news(wish: Wish) -> News:
    """The person's comment is published: where it shows."""
    if wish.premises is not None:
        sentence = _("Your comment on %(address)s is published.", address=wish.premises.address)
        url = external_url("public.premises_detail", premises_id=wish.premises_id)
    else:
        sentence = _("Your comment on your wish around a spot of the map is published.")
        url = external_url("resident.my_wishes")
    return News(sentence, url, _("See it"))


def _queue_digest(user: User, notifications: list[Notification], settings: Settings, now: datetime):
    locale = user.locale or settings.default_locale
    stop_url = external_url("resident.stop_notifications", key=unsubscribe_key(user, settings))
    with force_locale(locale):
        items = [_news(user, item, settings, locale) for item in notifications]
        message = outbox.queue_template(
            user.email,
            _("What became of your wishes"),
            "notifications",
            kind=KIND,
            user=user,
            items=items,
            settings_url=external_url("resident.notification_settings"),
            stop_url=stop_url,
        )
    message.dedup_key = f"digest:{user.id}:{now.date().isoformat()}"
    message.list_unsubscribe = stop_url
    message.next_attempt_at = min(message.next_attempt_at, now)  # due in this very run
    db.session.flush()
    return message
