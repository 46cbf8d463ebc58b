"""PDF downloads drawn by WeasyPrint: window posters (staff and landlords) and evidence sheets.

Shared by the blueprints; the rules are in services/premises/posters.py (posters and QR codes)
and services/reports/evidence.py (the evidence sheet).
"""

import re

from flask import Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from .caching import keep_private
from .htmx import render
from .models import Premises, ShopType
from .services.premises import posters
from .services.reports.evidence import build_evidence
from .services.reports.formats import PdfUnavailable, report_pdf
from .settings import settings
from .urls import external_url


def poster_size() -> posters.PosterSize:
    """The paper asked for by `?size=` (A4 unless said), or a 400 naming the argument."""
    try:
        return posters.PosterSize(request.args.get("size", "a4").lower())
    except ValueError:
        abort(400, description=_("size must be a4 or a3."))


def short_url(premises: Premises) -> str:
    """The address a poster's QR code holds for `premises`."""
    return external_url("public.short_link", premises_id=premises.id)


def posters_pdf(premises: list[Premises], name: str) -> ResponseReturnValue:
    """A PDF with one poster per premises, as an attachment named after `name` and the size."""
    size = poster_size()
    config = current_app.config
    html = render_template(
        "posters/posters.html",
        posters=posters.posters(premises, short_url),
        size=size,
        town=config["WISHBOARD_SITE_NAME"],
        logo=posters.inline_logo(config["WISHBOARD_LOGO_URL"], current_app.static_folder),
        locale=str(get_locale()),
    )
    return pdf_attachment(html, f"{name}-{size}")


def evidence_pdf(premises: Premises, shop_type: ShopType) -> ResponseReturnValue:
    """The evidence sheet of `shop_type` at `premises`, as a PDF."""
    evidence = build_evidence(premises, shop_type, settings().area_radius_m)
    html = render_template(
        "evidence/evidence.html",
        evidence=evidence,
        town=current_app.config["WISHBOARD_SITE_NAME"],
        page_url=external_url("public.premises_detail", premises_id=premises.id),
        locale=str(get_locale()),
    )
    code = shop_type.code.split("=")[-1]
    return pdf_attachment(html, f"evidence-{premises.reference or premises.id}-{code}")


def pdf_attachment(html: str, name: str) -> ResponseReturnValue:
    """The PDF of a standalone document, as an attachment `<name>.pdf` (letters and digits)."""
    try:
        body = report_pdf(html, base_url=request.url_root)
    except PdfUnavailable:
        message = _("The PDF cannot be made on this server at the moment. Please try again later.")
        return keep_private(render("errors/error.html", status=503, code=503, message=message))
    stem = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "document"
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
    return keep_private(response)
