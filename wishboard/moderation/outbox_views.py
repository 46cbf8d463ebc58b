"""The outbox for staff (e-mails waiting or given up, retried by hand), and per premises:
send the demand summary now, or revoke every report link given out."""

from flask import current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, SelectField

from ..extensions import db
from ..forms import Form
from ..htmx import after_change, render
from ..models import OutboxMessage, OutboxStatus, Premises
from ..services import outbox
from ..services.reports import links as report_links
from ..services.reports import mail as report_mail
from ..settings import settings
from ..urls import LARGEST_ID, page_number
from . import bp

PREMISES_URL = f"/premises/<int(max={LARGEST_ID}):premises_id>"

bp.app_template_global("failed_mail_count")(outbox.failed_count)
bp.app_template_global("landlord_contact")(report_mail.landlord_contact)


class OutboxFilterForm(Form):
    """Which unsent messages to list: pending, failed, or both."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    status = SelectField(
        _l("Status"),
        id="filter-status",
        default="",
        choices=[
            SelectChoice("", _l("Pending and failed")),
            SelectChoice(OutboxStatus.PENDING.value, _l("Pending (will be retried)")),
            SelectChoice(OutboxStatus.FAILED.value, _l("Failed (given up)")),
        ],
        invalid_choice_message=_l("Choose a status from the list."),
    )

    def chosen(self) -> OutboxStatus | None:
        """The status to list, or None for both."""
        return OutboxStatus(self.status.data) if self.status.data else None

    def url_args(self) -> dict[str, str]:
        """The chosen status as a query argument, left out when it is both."""
        return {"status": self.status.data} if self.status.data else {}


def _outbox_page(notice: str | None = None, category: str = "success") -> ResponseReturnValue:
    """The outbox page (its results block for htmx), filtered by the `status` argument."""
    form = OutboxFilterForm(request.args)
    if not form.validate():
        return render("moderation/outbox.html", "results", status=400, form=form, page=None)

    def paginate(number: int, error_out: bool):
        return db.paginate(
            outbox.unsent(form.chosen()),
            page=number,
            per_page=current_app.config["WISHBOARD_PAGE_SIZE"],
            max_per_page=None,
            error_out=error_out,
            count=True,
        )

    # After a retry the list may have lost the last item of its last page: show the one before.
    page = paginate(page_number(), error_out=notice is None)
    if page.pages and page.page > page.pages:
        page = paginate(page.pages, error_out=True)
    return render(
        "moderation/outbox.html",
        "results",
        form=form,
        page=page,
        filter_args=form.url_args(),
        notice=notice,
        category=category,
    )


@bp.get("/outbox")
def outbox_list() -> ResponseReturnValue:
    """The e-mails not sent yet, and those given up, newest first, with their last error."""
    return _outbox_page()


@bp.post(f"/outbox/<int(max={LARGEST_ID}):message_id>/retry")
def outbox_retry(message_id: int) -> ResponseReturnValue:
    """Send a pending or failed message now, whatever its back-off said."""
    message = db.get_or_404(OutboxMessage, message_id)
    recipient = message.recipient
    if not outbox.retry_now(message.id, settings().mail):
        notice, category = _("This e-mail was sent or is being sent: nothing to retry."), "info"
    elif outbox.deliver(settings().mail, [message_id]):
        notice, category = _("The e-mail to %(email)s was sent.", email=recipient), "success"
    else:
        db.session.refresh(message)
        notice = _(
            "The e-mail to %(email)s could not be sent: %(error)s",
            email=recipient,
            error=message.last_error or "",
        )
        category = "warning"
    page_args = {"page": request.args["page"]} if "page" in request.args else {}
    target = url_for(
        "moderation.outbox_list", **OutboxFilterForm(request.args).url_args(), **page_args
    )
    return after_change(target, notice, lambda: _outbox_page(notice, category), category)


# One premises' landlord: the box on its edit page


def _load(premises_id: int) -> Premises:
    return db.get_or_404(Premises, premises_id, options=[joinedload(Premises.landlord)])


def _box_answer(premises: Premises, notice: str, category: str) -> ResponseReturnValue:
    """The landlord box with `notice` for htmx; for a plain form, a flash and back to the page."""
    back = url_for("moderation.premises_edit", premises_id=premises.id)

    def box() -> ResponseReturnValue:
        status = 409 if category == "error" else 200
        return render(
            "moderation/_premises_landlord.html",
            status=status,
            premises=premises,
            notice=notice,
            category=category,
        )

    return after_change(back, notice, box, category)


@bp.post(f"{PREMISES_URL}/send-report")
def premises_send_report(premises_id: int) -> ResponseReturnValue:
    """E-mail the landlord the demand summary now, new demand or not (not twice in a row)."""
    premises = _load(premises_id)
    problem = report_mail.send_now_problem(premises)
    if problem is not None:
        return _box_answer(premises, problem, "error")
    message = report_mail.queue_summary(premises, settings(), force=True)
    if message is None:  # someone pressed it too, or the nightly run sent it, a moment ago
        premises = _load(premises_id)
        problem = report_mail.send_now_problem(premises) or _(
            "Another summary for this premises was queued at the same moment: it was not sent "
            "twice."
        )
        return _box_answer(premises, problem, "error")
    recipient = message.recipient
    if outbox.deliver(settings().mail, [message.id]):
        return _box_answer(
            premises, _("The summary was sent to %(email)s.", email=recipient), "success"
        )
    return _box_answer(
        premises,
        _(
            "The summary to %(email)s is in the outbox but could not be sent yet; it will be "
            "retried. The outbox shows why.",
            email=recipient,
        ),
        "warning",
    )


@bp.post(f"{PREMISES_URL}/revoke-links")
def premises_revoke_links(premises_id: int) -> ResponseReturnValue:
    """Make every report link given out for this premises stop working."""
    premises = _load(premises_id)
    report_links.revoke_report_links(current_user, premises)
    return _box_answer(
        premises,
        _(
            "Every report link given out for this premises no longer works. The next summary "
            "carries a new one."
        ),
        "success",
    )
