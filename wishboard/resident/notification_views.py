"""A person's notification e-mails: choose the kinds at /me/notifications, or stop them all from
the link in any digest (no sign-in needed; a mail client's one-click POST works too)."""

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import csrf
from ..forms.accounts import NotificationSettingsForm
from ..htmx import render
from ..services.people import notifications
from ..settings import settings
from . import bp


@bp.route("/me/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> ResponseReturnValue:
    """The kinds of e-mail the signed-in person gets, each on or off."""
    form = NotificationSettingsForm()
    if request.method == "GET":
        form.let.data = current_user.notify_let
        form.published.data = current_user.notify_published
    elif form.validate_on_submit():
        notifications.set_preferences(current_user, form.let.data, form.published.data)
        flash(_("Your choices are saved."), "success")
        return redirect(url_for("resident.notification_settings"), 303)
    status = 400 if request.method == "POST" else 200
    return render("resident/notifications.html", status=status, form=form)


@bp.route("/notifications/stop/<key>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST here without a form; the signed key is the proof (idempotent)
def stop_notifications(key: str) -> ResponseReturnValue:
    """Turn off every notification e-mail of the person the key was made for; GET only asks."""
    user = notifications.user_for_key(key, settings())
    if user is None:
        abort(404)
    stopped = False
    if request.method == "POST":
        notifications.set_preferences(user, let=False, published=False)
        stopped = True
    response = render(
        "resident/stop_notifications.html", key=key, email=user.email, stopped=stopped
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
