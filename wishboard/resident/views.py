"""Residents' pages and actions: wishes, supports, "My wishes", and their account's data."""

import json
import math
from collections.abc import Callable

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..caching import cached_for_person
from ..extensions import db
from ..forms.premises import ActionForm as PlainActionForm
from ..forms.reasons import OTHER
from ..forms.wishes import ActionForm, AreaWishForm, DeleteAccountForm, FlagForm, shop_type_choices
from ..htmx import after_change, fragment_or_page, render
from ..models import Premises, ShopType, Wish, WishStatus
from ..premises_page import load_premises, max_types, premises_page, viewer, wish_form
from ..redirects import local_path
from ..services.demand import freshness, moderation, wishes
from ..services.demand.counts import Demand, count_for
from ..services.people import accounts, projects
from ..services.taxonomy import shop_type_by_code
from ..settings import settings
from ..urls import LARGEST_ID
from . import bp

# Wishes and supports


def _shop_type(code: str, active_only: bool = True) -> ShopType:
    """The shop type of a URL (an active one unless `active_only` is False), or a 404."""
    shop_type = shop_type_by_code(code, active_only)
    if shop_type is None:
        abort(404)
    return shop_type


def _refused(
    error: wishes.NotAllowed, back: str, fragment: Callable[[], ResponseReturnValue]
) -> ResponseReturnValue:
    """Someone who may not wish: the reason in place, or on the page that helps them."""
    targets = {
        wishes.Barrier.SIGN_IN: url_for("auth.login", next=back),
        wishes.Barrier.VERIFY: url_for("auth.check_email"),
        wishes.Barrier.ROLE: back,
    }
    return after_change(targets[error.barrier], error.message, fragment, category="error")


def _trusted(comment: str | None) -> bool:
    """Whether the signed-in resident's comment may skip the review queue."""
    person, config = viewer(), current_app.config
    if person is None or not (comment or "").strip():
        return False
    return moderation.is_trusted(
        person, config["WISHBOARD_TRUSTED_AFTER"], config["WISHBOARD_TRUST_RESIDENTS"]
    )


def _support_button(
    premises: Premises,
    shop_type: ShopType,
    back: str,
    status: int = 200,
    message: str | None = None,
    tap: wishes.Tap | None = None,
) -> ResponseReturnValue:
    """The support button of one shop type at one premises, as it stands now.

    After a tap, `tap` holds the count and the resident's supports as its transaction left them;
    otherwise they are read.
    """
    person = viewer()
    if tap is not None:
        count, standing = tap.count, tap.standing(max_types())
    else:
        count = count_for(premises, shop_type)
        standing = wishes.standing(person, premises, max_types())
    response = make_response(
        render_template(
            "public/_support_button.html",
            premises=premises,
            item=Demand(shop_type, count),
            standing=standing,
            barrier=wishes.barrier_for(person),
            closed=wishes.closed_reason(premises),
            next_url=back,
            message=message,
            locale=str(get_locale()),
        ),
        status,
    )
    if status == 200:
        # The rest of the page (bars, ranking) refreshes itself on this event.
        response.headers["HX-Trigger"] = "demand-changed"
    return response


@bp.post(f"/premises/<int(max={LARGEST_ID}):premises_id>/wishes")
def make_wish(premises_id: int) -> ResponseReturnValue:
    """The "I want here…" form sent: pin a shop type at a premises, with an optional comment."""
    premises = load_premises(premises_id)
    locale = str(get_locale())
    form = wish_form(locale)
    back = url_for("public.premises_detail", premises_id=premises.id)
    if form.validate_on_submit():
        try:
            wish = wishes.make_wish(
                viewer(),
                premises,
                form.chosen_type,
                form.comment.data,
                max_types(),
                trusted=_trusted(form.comment.data),
            )
        except wishes.NotAllowed as error:
            return _refused(error, back, lambda: premises_page(premises, status=403))
        except wishes.WishError as error:
            getattr(form, error.field or "shop_type").errors.append(error.message)
        else:
            label = wish.shop_type.label(locale)
            if wish.status is WishStatus.PENDING:
                notice = _(
                    "Thank you. Your wish for %(type)s will count once a moderator has read"
                    " your comment.",
                    type=label,
                )
            else:
                notice = _("Thank you. Your wish for %(type)s is counted.", type=label)
            return after_change(
                f"{back}#wishes",
                notice,
                lambda: premises_page(premises, form=wish_form(locale, empty=True), notice=notice),
            )
    return premises_page(premises, form=form, status=422)


def _support_action(
    premises_id: int, code: str, action: Callable, active_only: bool = True
) -> ResponseReturnValue:
    """Support or withdraw, answered in place for htmx and by a redirect for a plain form."""
    premises = load_premises(premises_id)
    shop_type = _shop_type(code, active_only)
    form = ActionForm()
    back = local_path(form.next.data) or url_for("public.premises_detail", premises_id=premises.id)
    try:
        notice, tap = action(premises, shop_type)
    except wishes.NotAllowed as error:
        refusal = error.message
        return _refused(
            error, back, lambda: _support_button(premises, shop_type, back, 403, refusal)
        )
    except wishes.WishError as error:
        problem = error.message
        return after_change(
            back,
            problem,
            lambda: _support_button(premises, shop_type, back, 422, problem),
            category="error",
        )
    return after_change(back, notice, lambda: _support_button(premises, shop_type, back, tap=tap))


@bp.post(f"/premises/<int(max={LARGEST_ID}):premises_id>/supports/<code>")
def support(premises_id: int, code: str) -> ResponseReturnValue:
    """Count the signed-in resident among those who want this shop type here."""

    def act(premises: Premises, shop_type: ShopType) -> tuple[str, wishes.Tap]:
        tap = wishes.support(viewer(), premises, shop_type, max_types())
        return _("You support %(type)s here.", type=shop_type.label(str(get_locale()))), tap

    return _support_action(premises_id, code, act)


@bp.post(f"/premises/<int(max={LARGEST_ID}):premises_id>/supports/<code>/withdraw")
def withdraw(premises_id: int, code: str) -> ResponseReturnValue:
    """Take back the signed-in resident's support (and wish) for this shop type here."""

    def act(premises: Premises, shop_type: ShopType) -> tuple[str, wishes.Tap]:
        tap = wishes.withdraw(viewer(), premises, shop_type)
        notice = _("You no longer support %(type)s here.", type=shop_type.label(str(get_locale())))
        return notice, tap

    # A support for a type since deactivated can still be taken back.
    return _support_action(premises_id, code, act, active_only=False)


def _area_form(locale: str) -> AreaWishForm:
    form = AreaWishForm()
    form.shop_type.choices = shop_type_choices(locale)
    if not form.is_submitted():
        # The point tapped on the map arrives in the query string; a bad one is just not used.
        for name in ("latitude", "longitude"):
            raw = request.args.get(name, "")
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            getattr(form, name).data = round(value, 6) if math.isfinite(value) else None
    return form


@bp.route("/area-wishes/new", methods=["GET", "POST"])
def area_wish() -> ResponseReturnValue:
    """Wish for a shop type around a spot of the town rather than in one premises."""
    locale = str(get_locale())
    form = _area_form(locale)
    bounds = current_app.config["WISHBOARD_MAP_BOUNDS"]
    context = {"form": form, "barrier": wishes.barrier_for(viewer()), "done": None}
    back = url_for("resident.my_wishes")
    if form.validate_on_submit():
        try:
            wish = wishes.make_area_wish(
                viewer(),
                form.latitude.data,
                form.longitude.data,
                form.chosen_type,
                form.comment.data,
                bounds,
                trusted=_trusted(form.comment.data),
            )
        except wishes.NotAllowed as error:
            here = url_for(
                "resident.area_wish", latitude=form.latitude.data, longitude=form.longitude.data
            )
            return _refused(
                error, here, lambda: render("resident/area_wish.html", "panel", 403, **context)
            )
        except wishes.WishError as error:
            getattr(form, error.field or "shop_type").errors.append(error.message)
        else:
            label = wish.shop_type.label(locale)
            if wish.status is WishStatus.PENDING:
                notice = _(
                    "Thank you. Your wish for %(type)s around this spot will count once a"
                    " moderator has read your comment.",
                    type=label,
                )
            else:
                notice = _(
                    "Thank you. Your wish for %(type)s around this spot is counted.", type=label
                )
            context |= {"done": wish, "notice": notice}

            def fragment() -> ResponseReturnValue:
                response = make_response(render("resident/area_wish.html", "panel", **context))
                response.headers["HX-Trigger"] = "area-wishes-changed"
                return response

            return after_change(back, notice, fragment)
    status = 422 if form.is_submitted() else 200
    return render("resident/area_wish.html", "panel", status, notice=None, **context)


@bp.post("/area-wishes/<code>/withdraw")
def withdraw_area_wish(code: str) -> ResponseReturnValue:
    """Remove the signed-in resident's area wish for a shop type (also one since deactivated)."""
    shop_type = _shop_type(code, active_only=False)
    form = ActionForm()
    back = local_path(form.next.data) or url_for("resident.my_wishes")
    try:
        wishes.withdraw_area_wish(viewer(), shop_type)
    except wishes.NotAllowed as error:
        # Its buttons are plain forms (no hx-post), so htmx never asks for a fragment here.
        return _refused(error, back, lambda: abort(403))
    flash(
        _(
            "Your wish for %(type)s around a spot is withdrawn.",
            type=shop_type.label(str(get_locale())),
        ),
        "success",
    )
    return redirect(back, 303)


@bp.get("/me/wishes")
@login_required
@cached_for_person
def my_wishes() -> ResponseReturnValue:
    """What the signed-in resident pinned and supported, and where each stands."""
    record = wishes.record_of(current_user)
    town = settings()
    return render_template(
        "resident/my_wishes.html",
        record=record,
        may_withdraw=wishes.may_withdraw,
        freshness_of=lambda support: freshness.freshness_of(support, town),
        locale=str(get_locale()),
    )


# Reports of abuse


def _reported_wish(wish_id: int, closing: bool = False) -> Wish:
    """A published wish someone may report, or a 404 (hidden and pending ones are not shown).

    `closing` the report box also finds a comment that reports have just hidden, to say so.
    """
    wish = db.session.get(Wish, wish_id)
    shown = (WishStatus.PUBLISHED, WishStatus.HIDDEN) if closing else (WishStatus.PUBLISHED,)
    if wish is None or wish.status not in shown or not wish.comment:
        abort(404)
    return wish


def _report_page(
    wish: Wish,
    form: FlagForm,
    status: int = 200,
    done: str | None = None,
    closed: bool = False,
):
    """The report page, or in place its box: the form, the person's earlier report, or a notice."""
    back = local_path(form.next.data) or _wish_place(wish)
    return render(
        "resident/report.html",
        "report",
        status=status,
        wish=wish,
        form=form,
        done=done,
        closed=closed,
        back=back,
        earlier=moderation.earlier_report(current_user, wish),
    )


def _wish_place(wish: Wish) -> str:
    """Where a wish is shown: its premises page, or the map for an area wish."""
    if wish.premises_id is None:
        return url_for("public.index")
    return url_for("public.premises_detail", premises_id=wish.premises_id)


@bp.route(f"/wishes/<int(max={LARGEST_ID}):wish_id>/report", methods=["GET", "POST"])
@login_required
def report(wish_id: int) -> ResponseReturnValue:
    """Report a published comment as abusive; enough reports hide it until a moderator decides.

    In place (htmx), `?closed=1` gives back the "Report this comment" link (Cancel, Close).
    """
    closing = request.method == "GET" and bool(request.args.get("closed"))
    wish = _reported_wish(wish_id, closing)
    form = FlagForm(prefix=f"report-{wish.id}")
    if request.method == "GET":
        form.next.data = local_path(request.args.get("next")) or ""
    if not current_user.is_verified:
        flash(_("Confirm your e-mail address before reporting a comment."), "error")
        return redirect(url_for("auth.check_email"), 303)
    back = local_path(form.next.data) or _wish_place(wish)
    if closing:
        return fragment_or_page(
            lambda: _report_page(wish, form, closed=True), lambda: redirect(back, 303)
        )
    if not form.validate_on_submit():
        return _report_page(wish, form, 422 if request.method == "POST" else 200)
    try:
        reason = moderation.clean_reason(
            None if form.reason.data == OTHER else form.reason.data, form.reason_text.data
        )
        recorded = moderation.flag(
            current_user, wish, reason, current_app.config["WISHBOARD_FLAGS_TO_HIDE"]
        )
    except moderation.ModerationError as error:
        form.reason.errors = [*form.reason.errors, error.message]
        return _report_page(wish, form, 422)
    if recorded and wish.status is WishStatus.HIDDEN:
        done = _("Thank you. The comment is hidden until a moderator reads the reports.")
        category = "success"
    elif recorded:
        done, category = _("Thank you. A moderator will read your report."), "success"
    else:
        done = _("You had already reported this comment. A moderator will read your report.")
        category = "info"
    return after_change(back, done, lambda: _report_page(wish, form, done=done), category)


# Account


@bp.get("/me")
@login_required
def account() -> ResponseReturnValue:
    """The signed-in person's account: who they are, and what they can do with their data."""
    return render_template("resident/account.html")


@bp.post("/me/project-holder")
@login_required
def ask_project_role() -> ResponseReturnValue:
    """A resident asks to become a project holder; an administrator decides."""
    if not PlainActionForm().validate_on_submit():
        abort(400)
    try:
        projects.ask_for_role(current_user)
    except projects.ProjectError as error:
        flash(error.message, "error")
    else:
        flash(_("Your request is sent: an administrator will decide soon."), "success")
    return redirect(url_for("resident.account"), 303)


@bp.get("/me/data.json")
@login_required
def export_data() -> ResponseReturnValue:
    """Everything we hold about the signed-in person, as a JSON file to download."""
    data = accounts.export_data(current_user)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    filename = f"wishboard-data-{data['exported_at'][:10]}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> ResponseReturnValue:
    """Delete one's own account after a confirmation, then sign out."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user._get_current_object(), form.password.data)
        except accounts.AccountError as error:
            if error.field == "password":
                form.password.errors.append(error.message)
            else:
                form.form_errors.append(error.message)
        else:
            logout_user()
            flash(_("Your account has been deleted. Thank you for taking part."), "success")
            return redirect(url_for("public.index"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("resident/delete_account.html", form=form), status
