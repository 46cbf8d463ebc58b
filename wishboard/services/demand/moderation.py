"""Moderation: the review queue, flags, hiding, and which residents are trusted to skip review.

A wish with a comment waits in the queue (`pending`) until a moderator publishes or rejects it.
Any signed-in person with a confirmed address may flag a published wish; at `flags_to_hide` open
flags it is hidden until a moderator decides. Each decision is one conditional UPDATE, so that two
moderators deciding the same item at once cannot both succeed: the second is told it was already
decided. Every function here commits its own single transaction (with its audit events) and then
hands the e-mails it queued to the outbox.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import FLAG_REASON_MAX_LENGTH, Flag, Role, User, Wish, WishStatus, utcnow
from wishboard.services import audit, outbox
from wishboard.services.demand import wishes
from wishboard.services.errors import DomainError
from wishboard.services.people import notifications
from wishboard.settings import MailSettings

# The reasons a moderator (or someone flagging) picks from; anything else is typed.
REASONS = {
    "abusive": _l("Insulting, hateful or abusive"),
    "personal": _l("Gives personal information about someone"),
    "advertising": _l("Advertising or spam"),
    "off_topic": _l("Not about a shop for this place"),
}
REASON_MAX_LENGTH = FLAG_REASON_MAX_LENGTH


class ModerationError(DomainError):
    """A decision that cannot be taken; `message` says why, for the person who tried."""


def reason_label(reason: str | None) -> str:
    """The words of a stored reason: a listed one in the current language, a typed one as is."""
    if reason is None:
        return ""
    return str(REASONS[reason]) if reason in REASONS else reason


@dataclass(frozen=True)
class AuthorRecord:
    """How a resident's earlier comments fared in moderation."""

    published: int = 0
    rejected: int = 0


@dataclass
class Decision:
    """What a publish or reject did: the wishes decided now, and those someone had decided."""

    decided: list[Wish] = field(default_factory=list)
    already_decided: list[Wish] = field(default_factory=list)


@dataclass(frozen=True)
class FlaggedItem:
    """A wish with open flags: the reports grouped under the item they are about."""

    wish: Wish
    flags: list[Flag]


# The queue


def _with_context(statement):
    return statement.options(
        joinedload(Wish.author), joinedload(Wish.shop_type), joinedload(Wish.premises)
    )


def pending_count() -> int:
    """How many wishes wait for review."""
    return db.session.scalar(
        select(func.count()).select_from(Wish).where(Wish.status == WishStatus.PENDING)
    )


def queue(page: int, page_size: int) -> Pagination:
    """One page of the wishes awaiting review, oldest first, with premises, type and author."""
    return db.paginate(
        _with_context(select(Wish))
        .where(Wish.status == WishStatus.PENDING)
        .order_by(Wish.created_at, Wish.id),
        page=page,
        per_page=page_size,
        error_out=False,
    )


def author_records(author_ids: Iterable[int | None]) -> dict[int, AuthorRecord]:
    """Published and rejected comments per author, in one grouped query."""
    ids = {author_id for author_id in author_ids if author_id is not None}
    if not ids:
        return {}
    published = func.sum(case((Wish.status == WishStatus.PUBLISHED, 1), else_=0))
    rejected = func.sum(case((Wish.status == WishStatus.REJECTED, 1), else_=0))
    rows = db.session.execute(
        select(Wish.author_id, published, rejected)
        .where(Wish.author_id.in_(ids), Wish.comment.is_not(None))
        .group_by(Wish.author_id)
    )
    return {author_id: AuthorRecord(int(pub or 0), int(rej or 0)) for author_id, pub, rej in rows}


def is_trusted(resident: User, trusted_after: int, enabled: bool = True) -> bool:
    """True when the resident's comments publish without review.

    That takes `trusted_after` published comments and not a single rejected one.
    """
    if not enabled:
        return False
    record = author_records([resident.id]).get(resident.id, AuthorRecord())
    return record.rejected == 0 and record.published >= trusted_after


def clean_reason(reason: str | None, typed: str | None) -> str:
    """The reason to store: a listed code, or the typed words; ModerationError when neither."""
    typed = " ".join((typed or "").split())
    if reason in REASONS:
        return reason
    if not typed:
        raise ModerationError(_("Choose a reason or type one."))
    if len(typed) > REASON_MAX_LENGTH:
        raise ModerationError(_("Keep the reason under %(max)d characters.", max=REASON_MAX_LENGTH))
    return typed


def _decide(
    moderator: User, wish_ids: Sequence[int], status: WishStatus, reason: str | None = None
) -> Decision:
    """Move pending wishes to `status`; those no longer pending are reported as already decided."""
    ids = list(dict.fromkeys(wish_ids))
    if not ids:
        raise ModerationError(_("Select at least one item."))
    now = utcnow()
    decided_ids = set(
        db.session.scalars(
            update(Wish)
            .where(Wish.id.in_(ids), Wish.status == WishStatus.PENDING)
            .values(
                status=status,
                moderated_at=now,
                moderated_by_id=moderator.id,
                rejection_reason=reason,
            )
            .returning(Wish.id)
            .execution_options(synchronize_session=False)
        )
    )
    wishes_by_id = {
        wish.id: wish
        for wish in db.session.scalars(
            _with_context(select(Wish))
            .where(Wish.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    }
    decision = Decision()
    for wish_id in ids:
        wish = wishes_by_id.get(wish_id)
        if wish is None:
            continue
        (decision.decided if wish_id in decided_ids else decision.already_decided).append(wish)
    return decision


def publish(moderator: User, wish_ids: Sequence[int]) -> Decision:
    """Publish pending wishes: their comments show and they count. Commits."""
    decision = _decide(moderator, wish_ids, WishStatus.PUBLISHED)
    for wish in decision.decided:
        wishes.count_published(wish)
        notifications.comment_published(wish)
        audit.record(
            moderator, "wish.published", audit.WISH, wish.id,
            before={"status": WishStatus.PENDING.value},
            after={"status": WishStatus.PUBLISHED.value},
        )  # fmt: skip
    db.session.commit()
    return decision


def reject(moderator: User, wish_ids: Sequence[int], reason: str, mail: MailSettings) -> Decision:
    """Reject pending wishes with `reason` and tell each author by e-mail. Commits."""
    decision = _decide(moderator, wish_ids, WishStatus.REJECTED, reason)
    messages = []
    for wish in decision.decided:
        audit.record(
            moderator, "wish.rejected", audit.WISH, wish.id,
            before={"status": WishStatus.PENDING.value},
            after={"status": WishStatus.REJECTED.value, "rejection_reason": reason},
        )  # fmt: skip
        if wish.author is not None:
            messages.append(_queue_rejection_notice(wish))
    db.session.commit()
    if messages:
        outbox.deliver(mail, [message.id for message in messages])
    return decision


def _queue_rejection_notice(wish: Wish):
    """The e-mail telling an author why their comment was not published, in their language."""
    author = wish.author
    with force_locale(author.locale or "fr"):
        return outbox.queue_template(
            author.email,
            _("Your comment was not published"),
            "wish_rejected",
            kind="wish_rejected",
            wish=wish,
            author=author,
            reason=reason_label(wish.rejection_reason),
            shop_type_label=wish.shop_type.label(author.locale or "fr"),
        )


# Hiding and flags


def _set_visibility(
    moderator: User | None, wish: Wish, before: WishStatus, after: WishStatus, action: str
) -> None:
    """Move `wish` from `before` to `after`, closing its flags; ModerationError if it had moved."""
    moved = db.session.scalars(
        update(Wish)
        .where(Wish.id == wish.id, Wish.status == before)
        .values(
            status=after,
            moderated_at=utcnow(),
            moderated_by_id=moderator.id if moderator else None,
        )
        .returning(Wish.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.refresh(wish)
    if moved is None:
        raise ModerationError(already_decided_message(wish))
    _resolve_flags(wish)
    audit.record(
        moderator, action, audit.WISH, wish.id,
        before={"status": before.value}, after={"status": after.value},
    )  # fmt: skip


def hide(moderator: User, wish: Wish) -> None:
    """Hide a published wish (its comment no longer shows) and close its flags. Commits."""
    _set_visibility(moderator, wish, WishStatus.PUBLISHED, WishStatus.HIDDEN, "wish.hidden")
    db.session.commit()


def unhide(moderator: User, wish: Wish) -> None:
    """Publish a hidden wish again and dismiss its flags. Commits."""
    _set_visibility(moderator, wish, WishStatus.HIDDEN, WishStatus.PUBLISHED, "wish.unhidden")
    db.session.commit()


def keep_hidden(moderator: User, wish: Wish) -> None:
    """Confirm that a wish hidden by flags stays hidden; its flags are closed. Commits."""
    if wish.status is not WishStatus.HIDDEN:
        raise ModerationError(already_decided_message(wish))
    _resolve_flags(wish)
    audit.record(moderator, "wish.kept_hidden", audit.WISH, wish.id)
    db.session.commit()


def dismiss_flags(moderator: User, wish: Wish) -> None:
    """Decide that a flagged wish is fine: it is published (again) and its flags closed. Commits."""
    if wish.status is WishStatus.HIDDEN:
        unhide(moderator, wish)
        return
    if wish.status is not WishStatus.PUBLISHED or not _resolve_flags(wish):
        raise ModerationError(_("These reports were already dealt with."))
    audit.record(moderator, "wish.flags_dismissed", audit.WISH, wish.id)
    db.session.commit()


def _resolve_flags(wish: Wish) -> int:
    """Close the open flags of `wish`; returns how many there were."""
    result = db.session.execute(
        update(Flag)
        .where(Flag.wish_id == wish.id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def may_moderate(person: User | None) -> bool:
    """True when `person` may publish, reject, hide and show items (moderators and admins)."""
    return person is not None and person.is_authenticated and person.has_role(Role.MODERATOR)


def may_flag(person: User | None, wish: Wish) -> bool:
    """True when `person` may report `wish`: signed in, address confirmed, not its author."""
    return (
        person is not None
        and person.is_authenticated
        and person.is_verified
        and wish.status is WishStatus.PUBLISHED
        and wish.author_id != person.id
    )


def earlier_report(reporter: User, wish: Wish) -> Flag | None:
    """This person's latest report of `wish`, open or decided (`resolved_at` set), or None."""
    return db.session.scalars(
        select(Flag)
        .where(Flag.wish_id == wish.id, Flag.reporter_id == reporter.id)
        .order_by(Flag.created_at.desc(), Flag.id.desc())
        .limit(1)
    ).first()


def flag(reporter: User, wish: Wish, reason: str, flags_to_hide: int) -> bool:
    """Report `wish`; at `flags_to_hide` open flags it is hidden. Commits.

    Returns False when this person's earlier report still waits for a moderator (nothing
    changes): one person counts once. Once a moderator has decided (kept the comment shown), the
    same person may report it again: its author may have rewritten it since (a trusted
    resident's new comment is published at once), or the person sees a reason the moderator
    missed; the earlier report stays as history. The wish's row is locked first, so that reports
    arriving together are counted one after the other.
    """
    if wish.author_id == reporter.id:
        raise ModerationError(_("You cannot report your own wish."))
    db.session.execute(select(Wish.id).where(Wish.id == wish.id).with_for_update())
    db.session.refresh(wish)
    # A report that arrives just after others hid the comment still joins them.
    if wish.status not in (WishStatus.PUBLISHED, WishStatus.HIDDEN):
        raise ModerationError(_("This comment is no longer shown; nothing to report."))
    inserted = wishes.insert_ignoring_duplicate(
        Flag, wish_id=wish.id, reporter_id=reporter.id, reason=reason, created_at=utcnow()
    )
    if inserted:
        open_flags = db.session.scalar(
            select(func.count())
            .select_from(Flag)
            .where(Flag.wish_id == wish.id, Flag.resolved_at.is_(None))
        )
        if open_flags >= flags_to_hide and wish.status is WishStatus.PUBLISHED:
            wish.status = WishStatus.HIDDEN
            wish.moderated_at = utcnow()
            wish.moderated_by_id = None
            audit.record(
                None, "wish.auto_hidden", audit.WISH, wish.id,
                before={"status": WishStatus.PUBLISHED.value},
                after={"status": WishStatus.HIDDEN.value, "flags": open_flags},
            )  # fmt: skip
    db.session.commit()
    return inserted


def flagged_count() -> int:
    """How many wishes have open flags."""
    return db.session.scalar(
        select(func.count(func.distinct(Flag.wish_id))).where(Flag.resolved_at.is_(None))
    )


def flagged(page: int, page_size: int) -> tuple[Pagination, list[FlaggedItem]]:
    """One page of the wishes with open flags, most reported first, with their reports."""
    counts = (
        select(
            Flag.wish_id,
            func.count().label("reports"),
            func.min(Flag.created_at).label("first"),
        )
        .where(Flag.resolved_at.is_(None))
        .group_by(Flag.wish_id)
        .subquery()
    )
    pagination = db.paginate(
        _with_context(select(Wish))
        .join(counts, counts.c.wish_id == Wish.id)
        .order_by(counts.c.reports.desc(), counts.c.first, Wish.id),
        page=page,
        per_page=page_size,
        error_out=False,
    )
    reports: dict[int, list[Flag]] = {wish.id: [] for wish in pagination.items}
    for report in db.session.scalars(
        select(Flag)
        .options(joinedload(Flag.reporter))
        .where(Flag.wish_id.in_(reports), Flag.resolved_at.is_(None))
        .order_by(Flag.created_at, Flag.id)
    ):
        reports[report.wish_id].append(report)
    return pagination, [FlaggedItem(wish, reports[wish.id]) for wish in pagination.items]


def hidden_count() -> int:
    """How many wishes are hidden."""
    return db.session.scalar(
        select(func.count()).select_from(Wish).where(Wish.status == WishStatus.HIDDEN)
    )


def hidden(page: int, page_size: int) -> Pagination:
    """One page of the hidden wishes, most recently hidden first."""
    return db.paginate(
        _with_context(select(Wish))
        .where(Wish.status == WishStatus.HIDDEN)
        .order_by(Wish.moderated_at.desc(), Wish.id.desc()),
        page=page,
        per_page=page_size,
        error_out=False,
    )


def already_decided_message(wish: Wish) -> str:
    """What to tell a moderator whose decision came after another one."""
    messages = {
        WishStatus.PUBLISHED: _("This item was already published."),
        WishStatus.REJECTED: _("This item was already rejected."),
        WishStatus.HIDDEN: _("This item is already hidden."),
        WishStatus.PENDING: _("This item is awaiting review; publish or reject it instead."),
    }
    return messages[wish.status]
