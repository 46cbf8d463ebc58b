"""Moderators' pages: the review queue, flags and hidden items."""

from flask import abort, current_app, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from ..access import require_role
from ..caching import cached_for_person
from ..extensions import db
from ..forms.reasons import OTHER, BulkDecisionForm, RejectForm
from ..forms.wishes import ActionForm
from ..htmx import after_change, render
from ..models import Role, Wish
from ..redirects import local_path
from ..services import audit
from ..services.demand import moderation, stats
from ..services.people import meetings
from ..settings import settings
from ..urls import LARGEST_ID, page_number
from . import bp

bp.before_request(require_role(Role.MODERATOR))

WISH_URL = f"/wishes/<int(max={LARGEST_ID}):wish_id>"


@bp.app_template_test("automatic")
def is_automatic(event) -> bool:
    """`{% if event is automatic %}`: an audit event the site did by itself."""
    return audit.is_automatic(event)


@bp.app_template_filter("reason_label")
def reason_label(reason: str | None) -> str:
    """A stored moderation reason in words, for any template."""
    return moderation.reason_label(reason)


def _page_size() -> int:
    return current_app.config["WISHBOARD_PAGE_SIZE"]


def _counts() -> dict[str, int]:
    """The numbers shown on the tabs of every moderation page."""
    return {
        "pending": moderation.pending_count(),
        "flagged": moderation.flagged_count(),
        "hidden": moderation.hidden_count(),
    }


def _load_wish(wish_id: int) -> Wish:
    wish = db.session.get(Wish, wish_id)
    if wish is None:
        abort(404)
    return wish


def _reject_form(wish: Wish) -> RejectForm:
    return RejectForm(prefix=f"wish-{wish.id}")


def _reason(form: RejectForm | BulkDecisionForm) -> str | None:
    """The reason of a valid rejection form, or None with the error added to the form."""
    try:
        return moderation.clean_reason(
            None if form.reason.data == OTHER else form.reason.data, form.reason_text.data
        )
    except moderation.ModerationError as error:
        field = form.reason_text if form.reason.data == OTHER else form.reason
        field.errors = [*field.errors, error.message]
        return None


# The queue


def _queue_page(
    status: int = 200,
    bulk_form: BulkDecisionForm | None = None,
    invalid: tuple[int, RejectForm] | None = None,
    **extra,
) -> ResponseReturnValue:
    """The queue page (its queue block for htmx); `invalid` is (wish id, its form with errors)."""
    pagination = moderation.queue(page_number(), _page_size())
    items = pagination.items
    reject_forms = {wish.id: _reject_form(wish) for wish in items}
    if invalid is not None:
        wish_id, form = invalid
        reject_forms[wish_id] = form
    return render(
        "moderation/queue.html",
        "queue",
        status=status,
        pagination=pagination,
        records=moderation.author_records(wish.author_id for wish in items),
        reject_forms=reject_forms,
        bulk_form=bulk_form or BulkDecisionForm(),
        counts=_counts(),
        tab="moderation.queue",
        **extra,
    )


@bp.get("/")
@cached_for_person
def queue() -> ResponseReturnValue:
    """The wishes and comments awaiting review, oldest first."""
    return _queue_page()


def _decided_item(wish: Wish, message: str, status: int = 200) -> ResponseReturnValue:
    """The queue item after a decision: what happened to it, in place of its buttons."""
    response = render("moderation/_decided_item.html", wish=wish, message=message, status=status)
    response.headers["HX-Trigger"] = "queue-changed"
    return response


def _decided(wish: Wish, decision: moderation.Decision, done: str) -> ResponseReturnValue:
    """The answer to one decision: `done`, or why someone else's decision came first (409)."""
    if decision.decided:
        message, category, status = done, "success", 200
    else:
        message, category, status = moderation.already_decided_message(wish), "info", 409
    return after_change(
        url_for("moderation.queue"),
        message,
        lambda: _decided_item(wish, message, status),
        category=category,
    )


@bp.post(f"{WISH_URL}/publish")
def publish(wish_id: int) -> ResponseReturnValue:
    """Publish one wish of the queue."""
    wish = _load_wish(wish_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    decision = moderation.publish(current_user, [wish.id])
    return _decided(wish, decision, _("Published."))


@bp.post(f"{WISH_URL}/reject")
def reject(wish_id: int) -> ResponseReturnValue:
    """Reject one wish of the queue, with a reason the author receives by e-mail."""
    wish = _load_wish(wish_id)
    form = _reject_form(wish)
    reason = _reason(form) if form.validate_on_submit() else None
    if reason is None:
        return _queue_page(status=422, invalid=(wish.id, form))
    decision = moderation.reject(current_user, [wish.id], reason, settings().mail)
    return _decided(wish, decision, _("Rejected; the author is told why."))


@bp.post("/decide")
def decide() -> ResponseReturnValue:
    """Publish or reject every selected wish of the queue at once."""
    form = BulkDecisionForm()
    valid = form.validate_on_submit()
    reason = None
    if valid and form.decision.data == "reject":
        reason = _reason(form)
        valid = reason is not None
    if not valid:
        return _queue_page(status=422, bulk_form=form)
    if form.decision.data == "publish":
        decision = moderation.publish(current_user, form.wish.data)
        done = ngettext(
            "%(num)d item published.", "%(num)d items published.", len(decision.decided)
        )
    else:
        decision = moderation.reject(current_user, form.wish.data, reason, settings().mail)
        done = ngettext("%(num)d item rejected.", "%(num)d items rejected.", len(decision.decided))
    notice = done
    if decision.already_decided:
        notice += " " + ngettext(
            "%(num)d item had already been decided by someone else.",
            "%(num)d items had already been decided by someone else.",
            len(decision.already_decided),
        )
    return after_change(
        url_for("moderation.queue"), notice, lambda: _queue_page(notice=notice), "success"
    )


# Flags and hidden items


def _flags_page(status: int = 200, **extra) -> ResponseReturnValue:
    pagination, items = moderation.flagged(page_number(), _page_size())
    return render(
        "moderation/flags.html",
        "items",
        status=status,
        pagination=pagination,
        items=items,
        counts=_counts(),
        tab="moderation.flags",
        **extra,
    )


@bp.get("/flags")
def flags() -> ResponseReturnValue:
    """The wishes people reported, their reports grouped per item, most reported first."""
    return _flags_page()


@bp.get("/hidden")
def hidden() -> ResponseReturnValue:
    """The hidden wishes, to publish again."""
    return render(
        "moderation/hidden.html",
        "items",
        pagination=moderation.hidden(page_number(), _page_size()),
        counts=_counts(),
        tab="moderation.hidden",
    )


def _visibility_action(wish_id: int, change, done: str) -> ResponseReturnValue:
    """Hide, unhide, keep hidden or dismiss reports; answered in place or by a redirect."""
    wish = _load_wish(wish_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    back = local_path(form.next.data) or url_for("moderation.flags")
    try:
        change(current_user, wish)
    except moderation.ModerationError as error:
        message, category, status = error.message, "info", 409
    else:
        message, category, status = done, "success", 200
    return after_change(
        back, message, lambda: _decided_item(wish, message, status), category=category
    )


@bp.post(f"{WISH_URL}/hide")
def hide(wish_id: int) -> ResponseReturnValue:
    """Hide a published wish: its comment no longer shows anywhere public."""
    return _visibility_action(wish_id, moderation.hide, _("Hidden."))


@bp.post(f"{WISH_URL}/unhide")
def unhide(wish_id: int) -> ResponseReturnValue:
    """Show a hidden wish again; its reports are dismissed."""
    return _visibility_action(wish_id, moderation.unhide, _("Shown again."))


@bp.post(f"{WISH_URL}/keep-hidden")
def keep_hidden(wish_id: int) -> ResponseReturnValue:
    """Agree with the reports: the wish stays hidden and leaves the list of reports."""
    return _visibility_action(wish_id, moderation.keep_hidden, _("Kept hidden."))


@bp.post(f"{WISH_URL}/dismiss-flags")
def dismiss_flags(wish_id: int) -> ResponseReturnValue:
    """Disagree with the reports: the wish is shown and the reports are closed."""
    return _visibility_action(
        wish_id, moderation.dismiss_flags, _("Reports dismissed; the item is shown.")
    )


@bp.get("/matches")
def matches() -> ResponseReturnValue:
    """Staff: every project's interest in a premises, and where it stands."""
    return render(
        "moderation/matches.html",
        interests=meetings.all_interests(),
        let_thanks=stats.let_to_projects(),
        locale=str(get_locale()),
    )
