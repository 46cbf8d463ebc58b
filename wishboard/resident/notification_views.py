"""A person's notification e-mails: choose the kinds and the areas they follow at
/me/notifications, or stop them all from the link in any digest (no sign-in needed; a mail
client's one-click POST works too)."""

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..caching import keep_private
from ..extensions import csrf, db
from ..forms.accounts import FollowDistrictForm, FollowSpotForm, NotificationSettingsForm
from ..forms.premises import ActionForm
from ..htmx import render
from ..models import District
from ..services.people import notifications
from ..services.premises.management import districts
from ..settings import settings
from ..urls import LARGEST_ID
from . import bp

SETTINGS_URL = "resident.notification_settings"


def _district_form(**kwargs) -> FollowDistrictForm:
    form = FollowDistrictForm(**kwargs)
    form.district.choices = [SelectChoice("", _("Choose a district"))] + [
        SelectChoice(str(district.id), district.name) for district in districts()
    ]
    return form


def _page(
    form: NotificationSettingsForm | None = None,
    district_form: FollowDistrictForm | None = None,
    spot_form: FollowSpotForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The page: the kinds of e-mail, the areas followed, and the two ways to follow one more."""
    if form is None:
        form = NotificationSettingsForm(formdata=None)
        form.let.data = current_user.notify_let
        form.published.data = current_user.notify_published
        form.area.data = current_user.notify_area
        form.confirm.data = current_user.notify_confirm
    if spot_form is None:
        # From the map: "Follow this area" brings the spot tapped.
        spot_form = FollowSpotForm(formdata=request.args if "latitude" in request.args else None)
    follows = notifications.follows_of(current_user)
    return render(
        "resident/notifications.html",
        status=status,
        form=form,
        district_form=district_form or _district_form(formdata=None),
        spot_form=spot_form,
        follows=follows,
        room=notifications.may_follow_more(current_user, settings()),
        max_areas=settings().max_followed_areas,
        action_form=ActionForm(),
    )


@bp.route("/me/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> ResponseReturnValue:
    """The kinds of e-mail the signed-in person gets, each on or off, and the areas they follow."""
    if request.method == "GET":
        return _page()
    form = NotificationSettingsForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    notifications.set_preferences(
        current_user, form.let.data, form.published.data, form.area.data, form.confirm.data
    )
    flash(_("Your choices are saved."), "success")
    return redirect(url_for(SETTINGS_URL), 303)


@bp.post("/me/areas/district")
@login_required
def follow_district() -> ResponseReturnValue:
    """Follow the news of a district."""
    form = _district_form()
    if form.validate_on_submit():
        district = db.session.get(District, int(form.district.data))
        try:
            notifications.follow_district(current_user, district, settings())
        except notifications.FollowError as error:
            form.district.errors = [*form.district.errors, error.message]
        else:
            flash(_("You follow %(district)s.", district=district.name), "success")
            return redirect(url_for(SETTINGS_URL), 303)
    return _page(district_form=form, status=422)


@bp.post("/me/areas/spot")
@login_required
def follow_spot() -> ResponseReturnValue:
    """Follow the news around a spot of the town."""
    form = FollowSpotForm()
    if form.validate_on_submit():
        try:
            notifications.follow_spot(
                current_user,
                form.latitude.data,
                form.longitude.data,
                form.radius.data,
                settings(),
            )
        except notifications.FollowError as error:
            field = form[error.field] if error.field in form else form.latitude
            field.errors = [*field.errors, error.message]
        else:
            flash(_("You follow this area."), "success")
            return redirect(url_for(SETTINGS_URL), 303)
    return _page(spot_form=form, status=422)


@bp.post(f"/me/areas/<int(max={LARGEST_ID}):follow_id>/remove")
@login_required
def unfollow(follow_id: int) -> ResponseReturnValue:
    """Stop following one of the person's areas (someone else's is a 404)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if not notifications.unfollow(current_user, follow_id):
        abort(404)
    flash(_("You no longer follow this area."), "success")
    return redirect(url_for(SETTINGS_URL), 303)


@bp.route("/notifications/stop/<key>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST here without a form; the signed key is the proof (idempotent)
def stop_notifications(key: str) -> ResponseReturnValue:
    """Turn off every notification e-mail of the person the key was made for; GET only asks."""
    user = notifications.user_for_key(key, settings())
    if user is None:
        abort(404)
    stopped = False
    if request.method == "POST":
        notifications.set_preferences(user, let=False, published=False, area=False, confirm=False)
        stopped = True
    response = render(
        "resident/stop_notifications.html", key=key, email=user.email, stopped=stopped
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return keep_private(response)
