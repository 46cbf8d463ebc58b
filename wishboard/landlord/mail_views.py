"""Stopping and restarting the demand summaries, from the link at the foot of each e-mail."""

from flask import abort, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..caching import keep_private
from ..extensions import csrf
from ..htmx import after_change, render
from ..services.reports import mail as report_mail
from ..services.reports.links import email_for_unsubscribe_key
from ..settings import settings
from . import bp

# The button that sends the summaries again; anything else posted stops them (RFC 8058's
# one-click POST from a mail client carries only "List-Unsubscribe=One-Click").
RESUME = "resume"


def _page(key: str, email: str, notice: str | None = None) -> ResponseReturnValue:
    """The page (its state block for htmx): whether summaries go to `email`, and one button."""
    response = render(
        "landlord/unsubscribe.html",
        "state",
        key=key,
        email=email,
        stopped=report_mail.is_opted_out(email),
        notice=notice,
    )
    return keep_private(response)


@bp.route("/unsubscribe/<key>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST here without a form; the signed key is the proof (idempotent)
def unsubscribe(key: str) -> ResponseReturnValue:
    """Stop (or restart) the summaries sent to the address the key was made for."""
    email = email_for_unsubscribe_key(key, settings())
    if email is None:
        abort(404)
    if request.method == "GET":
        return _page(key, email)
    if request.form.get("action") == RESUME:
        report_mail.opt_in(email)
        notice = _("The summaries will be sent to %(email)s again.", email=email)
    else:
        report_mail.opt_out(email)
        notice = _("No more summaries will be sent to %(email)s.", email=email)
    target = url_for("landlord.unsubscribe", key=key)
    return keep_private(after_change(target, notice, lambda: _page(key, email, notice)))
