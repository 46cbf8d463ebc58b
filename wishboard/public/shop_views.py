"""The directory of open shops: the list with its map, one shop, and a correction request."""

from flask import abort, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ..caching import cached_page
from ..extensions import db
from ..forms.shops import CorrectionForm, ShopFilterForm
from ..htmx import after_change, render
from ..maps import position_map, town_map
from ..models import Shop
from ..premises_page import map_settings
from ..services.shops import directory as shops
from ..urls import LARGEST_ID, page_number
from . import bp
from .layers import shops_layer


def _load_shop(shop_id: int) -> Shop:
    shop = shops.get_shop(shop_id)
    if shop is None:
        abort(404)
    return shop


@bp.get("/shops")
@cached_page
def shop_list() -> ResponseReturnValue:
    """The open shops matching the filters, on a map and as a list, page by page."""
    config = current_app.config
    form = ShopFilterForm(request.args)
    valid = form.validate()
    filter_args = form.url_args() if valid else {}
    layers = [shops_layer(shown=True, **filter_args)]
    town = town_map(
        center=config["WISHBOARD_MAP_CENTER"],
        zoom=config["WISHBOARD_MAP_ZOOM"],
        bounds=config["WISHBOARD_MAP_BOUNDS"],
        geojson_url="",  # the shops alone: no premises on this map
        labels={"map": _("Map of the open shops")},
        layers=layers,
        **map_settings(),
    )
    context = {
        "form": form,
        "map": town,
        "layers": layers,
        "locale": str(get_locale()),
        "filter_args": filter_args,
        "web_link": shops.web_link,
        "link_text": shops.link_text,
    }
    if not valid:
        return render("public/shops.html", block="results", status=400, page=None, **context)
    filters = form.shop_filter()
    # error_out: a page after the last one is a 404, like a malformed one.
    page = db.paginate(
        shops.directory(filters),
        page=page_number(),
        per_page=config["WISHBOARD_PAGE_SIZE"],
        max_per_page=None,
        error_out=True,
        count=True,
    )
    return render("public/shops.html", block="results", page=page, filters=filters, **context)


@bp.get(f"/shops/<int(max={LARGEST_ID}):shop_id>")
@cached_page
def shop_detail(shop_id: int) -> ResponseReturnValue:
    """One open shop: what it is, where, its contacts and opening hours."""
    shop = _load_shop(shop_id)
    place = position_map(
        shop.latitude,
        shop.longitude,
        accessible_name=_("Map showing where %(name)s is", name=shop.name),
        **map_settings(),
    )
    return render(
        "public/shop_detail.html",
        shop=shop,
        map=place,
        locale=str(get_locale()),
        web_link=shops.web_link,
        link_text=shops.link_text,
    )


@bp.route(f"/shops/<int(max={LARGEST_ID}):shop_id>/correction", methods=["GET", "POST"])
def shop_correction(shop_id: int) -> ResponseReturnValue:
    """Ask the moderators to correct a shop's listing: anyone may, with a name and an address."""
    shop = _load_shop(shop_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        shops.request_correction(shop, form.name.data, form.email.data, form.message.data)
        return _after_correction(shop)
    status = 422 if form.is_submitted() else 200
    return render(
        "public/shop_correction.html",
        block="correction",
        status=status,
        shop=shop,
        form=form,
        locale=str(get_locale()),
    )


def _after_correction(shop: Shop) -> ResponseReturnValue:
    """Thank the sender on the shop's page (a 303), or in place for htmx."""
    return after_change(
        url_for("public.shop_detail", shop_id=shop.id),
        _("Thank you. Your request was sent to the moderators, who will check it."),
        lambda: render(
            "public/shop_correction.html",
            block="correction",
            shop=shop,
            form=None,
            locale=str(get_locale()),
        ),
    )
