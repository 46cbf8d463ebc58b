"""Demand summaries e-mailed to landlords: who is due one, queueing it once, sending, opting out.

A premises is due a summary when its landlord can be reached (the landlord account's address, or
the contact address staff typed), has not opted out, and residents supported something there since
the end of the period the last summary covered (`Premises.summary_sent_until`). Each summary is
written to the outbox first and then delivered (services/outbox.py). The same (premises, period)
is never queued twice: the premises row is locked while the summary is written, and the message
carries a unique `dedup_key` naming the period, so a second sender running at the same moment
(or a rerun after a crash) finds the work done.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import contains_eager

from wishboard.extensions import db
from wishboard.models import (
    MailOptOut,
    OutboxMessage,
    OutboxStatus,
    Premises,
    PremisesStatus,
    ShopType,
    Support,
    User,
    utcnow,
)
from wishboard.services import outbox
from wishboard.services.demand.counts import TOP_TYPES, demand_for
from wishboard.services.reports.links import link_lifetime, report_key, unsubscribe_key
from wishboard.settings import Settings
from wishboard.urls import external_url

KIND = "report_summary"
# "Send now" pressed twice, or just after the nightly run: the landlord gets one e-mail, not two.
RESEND_AFTER = timedelta(minutes=10)


@dataclass
class SendResult:
    """What one run of `send_reports` did."""

    queued: int = 0  # summaries written to the outbox by this run
    skipped: int = 0  # due when listed, but another sender had just done them
    sent: int = 0  # e-mails delivered (summaries and any other message that was due)
    failed: int = 0  # summaries that could not be written, e-mails not delivered (retried later)


@dataclass(frozen=True)
class NewSupport:
    """How many residents newly supported one shop type during a summary's period."""

    shop_type: ShopType
    count: int


@dataclass(frozen=True)
class LandlordContact:
    """How staff see a premises' landlord contact: the address, and the state of the summaries."""

    address: str | None
    name: str | None
    has_account: bool
    opted_out: bool
    last_summary: datetime | None


def _address_column():
    """The landlord's address as SQL: the account's e-mail when linked, else the contact's."""
    return case((User.id.is_not(None), User.email), else_=Premises.landlord_email)


def landlord_address(premises: Premises) -> str | None:
    """Where `premises`' summaries go: its landlord account's e-mail, else the contact address."""
    if premises.landlord is not None:
        return premises.landlord.email
    return (premises.landlord_email or "").strip() or None


def landlord_name(premises: Premises) -> str | None:
    """The name to greet the landlord by, when known."""
    if premises.landlord is not None:
        return premises.landlord.display_name
    return (premises.landlord_name or "").strip() or None


def landlord_locale(premises: Premises, default_locale: str) -> str:
    """The language of the landlord's e-mails: their account's, else the site's default."""
    if premises.landlord is not None and premises.landlord.locale:
        return premises.landlord.locale
    return default_locale


def landlord_contact(premises: Premises) -> LandlordContact:
    """The landlord contact of `premises` and whether summaries reach it (the staff's box)."""
    address = landlord_address(premises)
    return LandlordContact(
        address=address,
        name=landlord_name(premises),
        has_account=premises.landlord is not None,
        opted_out=address is not None and is_opted_out(address),
        last_summary=premises.summary_sent_until,
    )


def _new_demand_since(since, now: datetime):
    """SQL: residents supported something at the premises after `since` and up to `now`."""
    return exists().where(
        Support.premises_id == Premises.id,
        Support.created_at <= now,
        or_(since.is_(None), Support.created_at > since),
    )


def due_premises(now: datetime | None = None) -> list[Premises]:
    """The premises whose landlord should get a summary now, in one query."""
    now = now or utcnow()
    address = _address_column()
    query = (
        select(Premises)
        .outerjoin(User, User.id == Premises.landlord_id)
        .options(contains_eager(Premises.landlord))
        .where(
            Premises.status != PremisesStatus.WITHDRAWN,
            address.is_not(None),
            func.trim(address) != "",
            ~exists().where(MailOptOut.email == func.lower(func.trim(address))),
            _new_demand_since(Premises.summary_sent_until, now),
        )
        .order_by(Premises.id)
    )
    return list(db.session.scalars(query).unique())


def is_opted_out(email: str) -> bool:
    """True when `email` asked for no more summaries."""
    key = email.strip().lower()
    return db.session.scalar(select(exists().where(MailOptOut.email == key))) or False


def opt_out(email: str) -> None:
    """Stop the summaries sent to `email` (doing it twice changes nothing); commits."""
    key = email.strip().lower()
    if is_opted_out(key):
        return
    db.session.add(MailOptOut(email=key))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same click arrived twice at once: the other one stopped them


def opt_in(email: str) -> None:
    """Send the summaries to `email` again (doing it twice changes nothing); commits."""
    key = email.strip().lower()
    db.session.execute(delete(MailOptOut).where(MailOptOut.email == key))
    db.session.commit()


def send_now_problem(premises: Premises, now: datetime | None = None) -> str | None:
    """Why "Send now" cannot send `premises`' summary now, in words; None when it can."""
    now = now or utcnow()
    address = landlord_address(premises)
    if address is None:
        return _("This premises has no landlord e-mail address: add one to send the summary.")
    if premises.status is PremisesStatus.WITHDRAWN:
        return _("This premises is withdrawn: no summary is sent for it.")
    if is_opted_out(address):
        return _(
            "The landlord (%(email)s) asked for no more summaries: nothing was sent.",
            email=address,
        )
    last = premises.summary_sent_until
    if last is not None and now - last < RESEND_AFTER:
        return ngettext(
            "A summary for this premises was queued %(num)d minute ago: it was not sent again.",
            "A summary for this premises was queued %(num)d minutes ago: it was not sent again.",
            int((now - last).total_seconds() // 60),
        )
    return None


def new_supports(premises: Premises, since: datetime | None, now: datetime) -> list[NewSupport]:
    """How many residents supported each shop type at `premises` after `since` up to `now`."""
    conditions = [Support.premises_id == premises.id, Support.created_at <= now]
    if since is not None:
        conditions.append(Support.created_at > since)
    rows = db.session.execute(
        select(ShopType, func.count(Support.id))
        .join(Support, Support.shop_type_id == ShopType.id)
        .where(and_(*conditions))
        .group_by(ShopType.id)
        .order_by(func.count(Support.id).desc(), ShopType.position)
    ).all()
    return [NewSupport(shop_type, count) for shop_type, count in rows]


def _lock(premises_id: int) -> Premises | None:
    """The premises, read again and locked until the transaction ends (PostgreSQL).

    SQLite has no row locks; there the unique `dedup_key` alone keeps a second sender out.
    """
    return db.session.scalar(
        select(Premises)
        .where(Premises.id == premises_id)
        .with_for_update(of=Premises)
        .execution_options(populate_existing=True)
    )


def _still_due(premises: Premises, now: datetime, force: bool) -> bool:
    """Whether `premises` (freshly locked) should get a summary now."""
    if force:
        return send_now_problem(premises, now) is None
    address = landlord_address(premises)
    if address is None or premises.status is PremisesStatus.WITHDRAWN or is_opted_out(address):
        return False
    return bool(
        db.session.scalar(
            select(_new_demand_since(Premises.summary_sent_until, now)).where(
                Premises.id == premises.id
            )
        )
    )


def dedup_key(premises: Premises) -> str:
    """The key of the summary that starts where the last one ended: one message per period."""
    since = premises.summary_sent_until
    start = since.isoformat() if since is not None else "first"
    return f"summary:{premises.id}:{start}"


def queue_summary(
    premises: Premises, settings: Settings, now: datetime | None = None, force: bool = False
) -> OutboxMessage | None:
    """Write `premises`' summary to the outbox and commit; None when it is not (or no longer) due.

    `force` ("Send now") sends it without new demand, but never to an address that opted out.
    """
    now = now or utcnow()
    premises_id = premises.id
    try:
        locked = _lock(premises_id)
        if locked is None or not _still_due(locked, now, force):
            db.session.rollback()
            return None
        key = dedup_key(locked)
        if db.session.scalar(select(exists().where(OutboxMessage.dedup_key == key))):
            db.session.rollback()  # another sender wrote it and has just committed
            return None
        message = _queue(locked, key, now, settings)
        locked.summary_sent_until = now
        db.session.commit()
    except (IntegrityError, OperationalError):
        # Another sender queued the same period between our check and our insert (a unique
        # key), or, on SQLite, committed first while we were reading ("database is locked"):
        # nothing was written here, and a summary still due is queued by the next run.
        db.session.rollback()
        return None
    return message


def _queue(premises: Premises, key: str, now: datetime, settings: Settings) -> OutboxMessage:
    """Render the summary in the landlord's language and add it to the outbox (no commit)."""
    address = landlord_address(premises)
    locale = landlord_locale(premises, settings.default_locale)
    since = premises.summary_sent_until
    unsubscribe = external_url("landlord.unsubscribe", key=unsubscribe_key(address, settings))
    with force_locale(locale):
        subject = _("What residents want at %(address)s", address=premises.address)
        # One line: a line break in a header value is refused by the e-mail library.
        subject = " ".join(subject.split())[:200]
        message = outbox.queue_template(
            address,
            subject,
            KIND,
            kind=KIND,
            premises=premises,
            name=landlord_name(premises),
            locale=locale,
            top=demand_for(premises)[:TOP_TYPES],
            since=since,
            new=new_supports(premises, since, now),
            report_url=external_url(
                "landlord.report", premises_id=premises.id, key=report_key(premises, settings)
            ),
            link_days=link_lifetime(settings).days,
            unsubscribe_url=unsubscribe,
        )
    # The key is set here rather than passed to `queue`, which would hand back a message another
    # sender has just committed as if it were ours: the unique index refuses it instead.
    message.dedup_key = key
    message.list_unsubscribe = unsubscribe
    # Due from the moment the period closes (a run given an earlier `now` still delivers it).
    message.next_attempt_at = min(message.next_attempt_at, now)
    db.session.flush()
    return message


def send_reports(settings: Settings, now: datetime | None = None) -> SendResult:
    """Queue every due summary, then deliver whatever is due in the outbox (older retries too).

    Safe to run twice at once, and after a crash: a summary queued but not sent by a run that
    died is delivered by the next one.
    """
    now = now or utcnow()
    result = SendResult()
    for premises_id in [premises.id for premises in due_premises(now)]:
        try:
            message = queue_summary(db.session.get(Premises, premises_id), settings, now)
        except Exception:  # one premises that cannot be summed up must not stop the others
            db.session.rollback()
            logging.getLogger(__name__).exception("The summary of premises %s failed", premises_id)
            result.failed += 1
            continue
        if message is None:
            result.skipped += 1
        else:
            result.queued += 1
    db.session.commit()
    due = db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
        )
    ).all()
    result.sent = outbox.deliver(settings.mail, due, now=now)
    db.session.expire_all()
    result.failed += (
        db.session.scalar(
            select(func.count()).where(
                OutboxMessage.id.in_(due),
                OutboxMessage.status != OutboxStatus.SENT,
                OutboxMessage.last_error.is_not(None),
            )
        )
        or 0
    )
    return result
