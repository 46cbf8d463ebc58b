"""Staff's pages about the shops of the directory: edit a shop and its online presence, the shops
to contact about their visibility (and their CSV), contacts, and the corrections people ask for."""

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..forms.premises import ActionForm
from ..htmx import after_change, render
from ..models import CorrectionStatus, Shop, ShopCorrection, utcnow
from ..services.csv_export import csv_bytes, csv_filename
from ..services.shops import management, visibility
from ..services.shops.management import CorrectionError, ShopError
from ..services.shops.visibility import (
    LEVEL_LABELS,
    OUTCOME_LABELS,
    PRESENCE_LABELS,
    ContactError,
    visibility_level,
)
from ..settings import settings
from ..urls import LARGEST_ID, csv_variant, page_number
from . import bp
from .shop_forms import ContactForm, ShopFilterForm, ShopForm, VisibilityFilterForm

SHOP_URL = f"/shops/<int(max={LARGEST_ID}):shop_id>"
CORRECTION_URL = f"/corrections/<int(max={LARGEST_ID}):correction_id>"

bp.app_template_global("open_correction_count")(management.open_correction_count)


@bp.app_template_global("visibility_level")
def level_of(shop: Shop) -> visibility.Level:
    """`{{ visibility_level(shop) }}` in any template."""
    return visibility_level(shop)


def _labels() -> dict:
    return {
        "level_labels": LEVEL_LABELS,
        "presence_labels": PRESENCE_LABELS,
        "outcome_labels": OUTCOME_LABELS,
    }


def _page_size() -> int:
    return current_app.config["WISHBOARD_PAGE_SIZE"]


def _load(shop_id: int) -> Shop:
    """The shop with its type and district, or a 404."""
    return db.get_or_404(
        Shop, shop_id, options=[joinedload(Shop.shop_type), joinedload(Shop.district)]
    )


# The list of shops


@bp.get("/shops")
def shops_list() -> ResponseReturnValue:
    """Every shop of the directory, searchable and filtered by district and visibility."""
    form = ShopFilterForm(request.args)
    if not form.validate():
        return render(
            "moderation/shops.html", "results", status=400, form=form, page=None, **_labels()
        )
    filters = form.filters()
    page = db.paginate(
        management.staff_shops(filters),
        page=page_number(),
        per_page=_page_size(),
        max_per_page=None,
        error_out=True,
        count=True,
    )
    return render(
        "moderation/shops.html",
        "results",
        form=form,
        page=page,
        filter_args=form.url_args(),
        narrowed=filters != management.ShopFilter(),
        **_labels(),
    )


# One shop: its form, its contacts


def _shop_page(
    shop: Shop,
    form: ShopForm | None = None,
    contact_form: ContactForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The shop's page: its form, its level, its contacts and the form to record one."""
    today = utcnow().date()
    if contact_form is None:
        contact_form = ContactForm(formdata=None)
        contact_form.contacted_on.data = today
    return render(
        "moderation/shop_form.html",
        status=status,
        shop=shop,
        form=form or ShopForm.of(shop),
        contact_form=contact_form,
        contacts=visibility.contact_history(shop),
        level=visibility_level(shop),
        today=today,
        **_labels(),
    )


@bp.route(SHOP_URL, methods=["GET", "POST"])
def shop_edit(shop_id: int) -> ResponseReturnValue:
    """One shop: its details and online presence to edit, and the contacts staff had with it."""
    shop = _load(shop_id)
    if request.method == "GET":
        return _shop_page(shop)
    form = ShopForm(shop=shop)
    if form.validate_on_submit():
        try:
            changes = management.update_shop(
                current_user, shop, form.values(), settings().map_bounds
            )
        except ShopError as error:
            form.add_problems(error)
        else:
            if changes:
                flash(_("Changes to %(name)s saved.", name=shop.name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("moderation.shop_edit", shop_id=shop.id), 303)
    return _shop_page(_load(shop_id), form=form, status=422)


@bp.post(f"{SHOP_URL}/contacts")
def shop_contact(shop_id: int) -> ResponseReturnValue:
    """Record a contact with a shop about its online visibility."""
    shop = _load(shop_id)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            visibility.record_contact(
                current_user,
                shop,
                form.contacted_on.data,
                form.chosen_outcome(),
                form.note.data or "",
            )
        except ContactError as error:
            form.add_problems(error)
        else:
            flash(_("Contact with %(name)s recorded.", name=shop.name), "success")
            return redirect(url_for("moderation.shop_edit", shop_id=shop.id) + "#contacts", 303)
    return _shop_page(_load(shop_id), contact_form=form, status=422)


# Shops to contact about their visibility


def _visibility_filters() -> tuple[VisibilityFilterForm, bool]:
    form = VisibilityFilterForm(request.args)
    return form, form.validate()


@bp.get("/visibility")
def visibility_list() -> ResponseReturnValue:
    """The shops to contact (no online presence by default), by district, with the last contact."""
    form, valid = _visibility_filters()
    summary = visibility.levels_by_district()
    if not valid:
        return render(
            "moderation/visibility.html",
            "results",
            status=400,
            form=form,
            page=None,
            summary=summary,
            **_labels(),
        )
    page = db.paginate(
        visibility.shops_to_contact(form.filters()),
        page=page_number(),
        per_page=_page_size(),
        max_per_page=None,
        error_out=True,
        count=True,
    )
    return render(
        "moderation/visibility.html",
        "results",
        form=form,
        page=page,
        summary=summary,
        filter_args=form.url_args(),
        last_contacts=visibility.last_contacts([shop.id for shop in page.items]),
        **_labels(),
    )


@bp.get("/visibility.csv")
def visibility_csv() -> ResponseReturnValue:
    """The shops of the list (every page) as a CSV file, with their last contact."""
    variant = csv_variant()
    form, valid = _visibility_filters()
    if not valid:
        abort(400)
    rows = visibility.csv_rows(form.filters())
    body = csv_bytes(visibility.CSV_HEADER, rows, variant, str(get_locale()))
    filename = csv_filename("shops-visibility", variant)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Corrections


def _corrections_page() -> ResponseReturnValue:
    return render(
        "moderation/corrections.html",
        pagination=management.open_corrections(page_number(), _page_size()),
    )


@bp.get("/corrections")
def corrections() -> ResponseReturnValue:
    """The correction requests waiting, oldest first, each with its shop."""
    return _corrections_page()


def _handle(correction_id: int, status: CorrectionStatus, done: str) -> ResponseReturnValue:
    """Done or dismissed: the request in place for htmx, else back to the list with a notice."""
    correction = db.get_or_404(
        ShopCorrection,
        correction_id,
        options=[joinedload(ShopCorrection.shop).joinedload(Shop.shop_type)],
    )
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        management.handle_correction(current_user, correction, status)
    except CorrectionError as error:
        message, category, code = error.message, "info", 409
    else:
        message, category, code = done, "success", 200
    return after_change(
        url_for("moderation.corrections"),
        message,
        lambda: render(
            "moderation/_correction_item.html",
            status=code,
            correction=correction,
            notice=message,
            category=category,
        ),
        category=category,
    )


@bp.post(f"{CORRECTION_URL}/done")
def correction_done(correction_id: int) -> ResponseReturnValue:
    """Mark a correction request as done: the listing was corrected."""
    return _handle(correction_id, CorrectionStatus.DONE, _("Request marked as done."))


@bp.post(f"{CORRECTION_URL}/dismiss")
def correction_dismiss(correction_id: int) -> ResponseReturnValue:
    """Dismiss a correction request: nothing in it needed changing."""
    return _handle(correction_id, CorrectionStatus.DISMISSED, _("Request dismissed."))
