"""Public pages: the map, the list of premises, one premises, health and language."""

from datetime import timedelta

from flask import abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..caching import cached_page
from ..extensions import db
from ..forms.filters import MapFilterForm, PremisesFilterForm
from ..htmx import render
from ..i18n import LANGUAGE_COOKIE
from ..limits import counts_this_time
from ..maps import HEAT_LEGEND, SUPPORT_LEVELS, town_map
from ..models import District, PremisesStatus, utcnow
from ..pdf_downloads import evidence_pdf
from ..premises_page import load_premises, map_settings, max_types, premises_page, viewer
from ..redirects import local_path
from ..services.demand import wishes
from ..services.demand.counts import TOP_TYPES, demand_by_premises
from ..services.premises import posters
from ..services.premises.listing import vacant_premises
from ..services.taxonomy import shop_type_by_code
from ..urls import LARGEST_ID, page_number
from . import bp
from .layers import shops_layer

LANGUAGE_COOKIE_AGE = timedelta(days=365)
# Any id works: the placeholder is swapped for each pin's id by map.js.
_ID_PLACEHOLDER = 987654321


@bp.get("/")
@cached_page
def index() -> ResponseReturnValue:
    """The home page: what the site is for, and the map of empty premises."""
    config = current_app.config
    form = MapFilterForm(request.args)
    valid = form.validate()
    filter_args = form.url_args() if valid else {}
    detail_url = url_for("public.premises_detail", premises_id=_ID_PLACEHOLDER)
    labels = {
        "map": _("Map of the empty premises"),
        "total": _("Total support: %(count)s"),
        "top": _("Most wished for:"),
        "item": _("%(label)s: %(count)s"),
        "none": _("No wish yet."),
        "details": _("See this premises"),
        "vacant": _("Vacant"),
        "let": _("Let"),
        "let_result": _("Now open here: %(label)s. Residents who had asked for one: %(count)s."),
        "cluster": _("%(count)s premises close together. Select to zoom in."),
        "loaded": _("%(count)s premises shown on the map."),
        "cells": _(
            "%(count)s premises in this part of the map, counted by area: zoom in to see each one."
        ),
        "failed": _("The map could not load the premises. The list shows the same information."),
        "detail_url": detail_url.replace(str(_ID_PLACEHOLDER), "{id}"),
        "area_url": url_for("resident.area_wish"),
        "area_prompt": _("Wish for a shop around here"),
        "follow_url": url_for("resident.notification_settings"),
        "follow_prompt": _("Follow this area"),
        "outside": _("This spot is outside the town: wishes are made inside it."),
        "heat": _("Area wishes (shading)"),
    }
    # Off at start: the premises are this map's subject, and the shops load only when asked for.
    layers = [shops_layer(shown=False)]
    parts = town_map(
        center=config["WISHBOARD_MAP_CENTER"],
        zoom=config["WISHBOARD_MAP_ZOOM"],
        bounds=config["WISHBOARD_MAP_BOUNDS"],
        geojson_url=url_for("api.premises_geojson", **filter_args),
        clusters_url=url_for("api.premises_clusters_geojson", **filter_args),
        pins_up_to=config["WISHBOARD_MAP_PINS_UP_TO"],
        labels=labels,
        area_wishes_url=url_for("api.area_wishes_geojson"),
        layers=layers,
        **map_settings(),
    )
    return render(
        "public/index.html",
        layers=layers,
        status=200 if valid else 400,
        map=parts,
        levels=SUPPORT_LEVELS,
        heat_legend=HEAT_LEGEND,
        filter_form=form,
        filter_args=filter_args,
    )


@bp.get("/premises")
@cached_page
def premises_list() -> ResponseReturnValue:
    """The vacant premises matching the filters, page by page, with their most wished types."""
    form = PremisesFilterForm(request.args)
    context = {"form": form, "locale": str(get_locale())}
    if not form.validate():
        return render(
            "public/premises_list.html",
            block="results",
            status=400,
            page=None,
            filter_args={},
            district=None,
            **context,
        )
    filters = form.filters()
    # error_out: a page after the last one is a 404, like a malformed one.
    page = db.paginate(
        vacant_premises(filters),
        page=page_number(),
        per_page=current_app.config["WISHBOARD_PAGE_SIZE"],
        max_per_page=None,
        error_out=True,
        count=True,
    )
    demand = demand_by_premises([premises.id for premises in page.items])
    top = {premises_id: ranked[:TOP_TYPES] for premises_id, ranked in demand.items()}
    person = viewer()
    return render(
        "public/premises_list.html",
        block="results",
        page=page,
        top=top,
        # What the support buttons need: the viewer's standing at each premises of the page.
        standings=wishes.standings(person, [p.id for p in page.items], max_types()),
        no_standing=wishes.Standing(max_types=max_types()),
        barrier=wishes.barrier_for(person),
        closed=None,
        next_url=request.full_path.rstrip("?"),
        filters=filters,
        filter_args=form.url_args(),
        # A district's list is a page of its own (in the sitemap), with its own title.
        district=db.session.get(District, filters.district_id) if filters.district_id else None,
        **context,
    )


@bp.get(f"/premises/<int(max={LARGEST_ID}):premises_id>")
@cached_page
def premises_detail(premises_id: int) -> ResponseReturnValue:
    """One premises: where it is, its status, its demand and the "I want here…" form."""
    return premises_page(load_premises(premises_id))


@bp.get(f"/premises/<int(max={LARGEST_ID}):premises_id>/evidence.pdf")
def evidence_sheet(premises_id: int) -> ResponseReturnValue:
    """One page on the demand for `?type=<code>` at a premises, for a bank or a landlord."""
    premises = load_premises(premises_id)
    if premises.status is PremisesStatus.WITHDRAWN:
        abort(404)
    shop_type = shop_type_by_code(request.args.get("type", ""), active_only=False)
    if shop_type is None:
        abort(400, description=_("type must be the code of a shop type."))
    return evidence_pdf(premises, shop_type)


@bp.get(f"/p/<int(max={LARGEST_ID}):premises_id>")
def short_link(premises_id: int) -> ResponseReturnValue:
    """The short address of a window poster's QR code: count the scan, then show the premises."""
    premises = load_premises(premises_id)
    if counts_this_time(f"scan:{premises.id}", "WISHBOARD_LIMIT_SCAN"):
        posters.record_scan(premises, utcnow().date())
    response = redirect(url_for("public.premises_detail", premises_id=premises.id), 302)
    response.headers["Cache-Control"] = "no-store"  # every scan reaches the server
    return response


@bp.get("/language/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Remember the visitor's language for a year, then go back to the page they were on."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    target = request.args.get("next")
    response = redirect(local_path(target) or url_for("public.index"), 303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response


@bp.get("/healthz/live")
def liveness() -> ResponseReturnValue:
    """For process supervisors and the benchmark's baseline: the app answers, nothing else."""
    # No database, session or template: what every request costs before any work of its own.
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """For load balancers and monitoring: is the application up and its database answering?"""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        body, status = {"status": "error", "database": "error"}, 503
    else:
        body, status = {"status": "ok", "database": "ok"}, 200
    return body, status, {"Cache-Control": "no-store"}
