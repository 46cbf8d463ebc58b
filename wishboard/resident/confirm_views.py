"""Keeping a support counting: from the link in a digest (no sign-in needed) or from My wishes.

The link in the e-mail opens a page with one button; a plain GET confirms nothing, so that a mail
scanner that follows every link does not keep every old support alive.
"""

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..caching import keep_private
from ..forms.premises import ActionForm
from ..htmx import render
from ..models import Support
from ..premises_page import max_types
from ..services.demand import freshness, wishes
from ..settings import settings
from ..urls import LARGEST_ID
from . import bp


def _confirmed_message(support: Support) -> str:
    return _(
        "Thank you: your support for %(type)s at %(address)s keeps counting.",
        type=support.shop_type.label(str(get_locale())),
        address=support.premises.address,
    )


@bp.route("/supports/confirm/<key>", methods=["GET", "POST"])
def confirm_support(key: str) -> ResponseReturnValue:
    """The support a digest asked about: GET asks, POST (with the page's CSRF token) confirms."""
    support = freshness.support_for_key(key, settings())
    if support is None:
        abort(404)
    form = ActionForm()
    error, done = None, False
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            freshness.confirm(support, max_types())
        except wishes.WishError as refused:
            error = refused.message
        else:
            done = True
    response = render(
        "resident/confirm_support.html",
        status=422 if error else 200,
        support=support,
        key=key,
        form=form,
        error=error,
        done=done,
        message=_confirmed_message(support) if done else None,
        locale=str(get_locale()),
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return keep_private(response)


@bp.post(f"/me/supports/<int(max={LARGEST_ID}):support_id>/confirm")
@login_required
def confirm_own_support(support_id: int) -> ResponseReturnValue:
    """From My wishes: the signed-in resident still wants this support (someone else's is a 404)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    support = freshness.own_support(current_user, support_id)
    if support is None:
        abort(404)
    try:
        freshness.confirm(support, max_types())
    except wishes.WishError as refused:
        flash(refused.message, "error")
    else:
        flash(_confirmed_message(support), "success")
    return redirect(url_for("resident.my_wishes"), 303)
