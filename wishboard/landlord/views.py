"""The landlord's pages: their premises, and each premises' demand report as HTML, PDF and CSV."""

import dataclasses
import re
from functools import partial

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..caching import by_version, cached_for_person, keep_private, reader_page
from ..extensions import db
from ..forms.premises import ActionForm
from ..forms.projects import HORIZON_LABELS
from ..htmx import render
from ..models import LandlordAnswer, ProjectInterest, Role, utcnow
from ..pdf_downloads import posters_pdf
from ..services.csv_export import csv_filename
from ..services.demand.counts import TOP_TYPES, demand_by_premises, total_support
from ..services.people import meetings, projects
from ..services.premises.listing import landlord_premises
from ..services.reports.formats import PdfUnavailable, report_csv, report_pdf, report_stylesheet
from ..services.reports.report import DemandReport, build_report
from ..settings import settings
from ..urls import LARGEST_ID, csv_variant
from . import bp
from .access import Reader, report_reader


@bp.after_request
def _keep_keys_secret(response: Response) -> Response:
    """A page reached with a signed key: no cache keeps it, no other site learns the key."""
    # The key in the URL opens the report to whoever holds it: a shared cache or the Referer
    # header of a link followed from the page must not hand it on.
    if "key" in request.args:
        keep_private(response)
    return response


@bp.get("/")
@login_required
@cached_for_person
def index() -> ResponseReturnValue:
    """The signed-in landlord's premises, each with its total support and its report."""
    # Staff find every premises under /moderation/premises; this page is the landlord's own.
    if current_user.role is not Role.LANDLORD:
        abort(403)
    premises = landlord_premises(current_user)
    demand = demand_by_premises(place.id for place in premises)
    return render(
        "landlord/index.html",
        premises=premises,
        totals={place.id: total_support(demand.get(place.id, [])) for place in premises},
        top={place.id: demand.get(place.id, [])[:TOP_TYPES] for place in premises},
        locale=str(get_locale()),
    )


def _report(reader: Reader) -> DemandReport:
    """The premises' demand report, built once per data version and day in this worker.

    A busy premises' report counts tens of thousands of supports; opened again while nothing
    changed, it costs the data version's query. The day is in the key: the trend ends this week.
    The cached report's premises is swapped for this request's own (its landlord, its status).
    """
    radius = settings().area_radius_m
    key = ("demand_report", reader.premises.id, radius, utcnow().date())
    report = by_version(key, lambda: build_report(reader.premises, radius_m=radius))
    return dataclasses.replace(report, premises=reader.premises)


def _download_stem(report: DemandReport) -> str:
    """A file name safe on every system, less its extension: `demand-report-<reference>-<date>`."""
    # A reference is free text ("P/12 ../x"): letters and digits only reach the file name.
    label = re.sub(r"[^A-Za-z0-9]+", "-", report.premises.reference or "").strip("-")
    day = report.generated_at.date().isoformat()
    return f"demand-report-{label or report.premises.id}-{day}"


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return keep_private(response)


@bp.get("/premises/<int:premises_id>/report")
def report(premises_id: int) -> ResponseReturnValue:
    """The demand report of one premises, for its landlord, staff, or the holder of its link."""
    reader = report_reader(premises_id)
    # Checked on every request (a link expires, a landlord loses a premises); the page itself is
    # kept for its reader until anything it shows changes.
    return keep_private(reader_page(partial(_report_page, reader)))


def _report_page(reader: Reader) -> ResponseReturnValue:
    interests = meetings.interests_at(reader.premises)
    interested = {interest.project_id for interest in interests}
    return render(
        "landlord/report.html",
        report=_report(reader),
        reader=reader,
        # The projects interested already are listed with their answer, not twice.
        projects=[p for p in projects.matching_projects(reader.premises) if p.id not in interested],
        interests=interests,
        may_answer=_may_answer(reader),
        action_form=ActionForm(),
        horizons=HORIZON_LABELS,
        locale=str(get_locale()),
    )


@bp.get("/premises/<int:premises_id>/report.pdf", endpoint="report_pdf")
def report_pdf_download(premises_id: int) -> ResponseReturnValue:
    """The demand report as a PDF: the same content as the page, with the print stylesheet."""
    reader = report_reader(premises_id)
    report = _report(reader)
    html = render_template(
        "landlord/report_pdf.html",
        report=report,
        reader=reader,
        locale=str(get_locale()),
        # Our own file, not user text.
        stylesheet=Markup(report_stylesheet(current_app.static_folder)),
    )
    try:
        body = report_pdf(html, base_url=request.url_root)
    except PdfUnavailable:
        message = _(
            "The PDF cannot be made on this server at the moment. The report page and its CSV "
            "file are available; please try the PDF again later."
        )
        return keep_private(render("errors/error.html", status=503, code=503, message=message))
    return _attachment(body, "application/pdf", f"{_download_stem(report)}.pdf")


@bp.get("/premises/<int:premises_id>/report.csv", endpoint="report_csv")
def report_csv_download(premises_id: int) -> ResponseReturnValue:
    """The demand report's numbers as a CSV file, one section after another.

    `?variant=spreadsheet` gives the file for a spreadsheet (services/csv_export.py).
    """
    reader = report_reader(premises_id)  # first: nobody else learns anything, not even a 400
    variant = csv_variant()
    report = _report(reader)
    body = report_csv(report, str(get_locale()), variant)
    return _attachment(body, "text/csv", csv_filename(_download_stem(report), variant))


@bp.get("/premises/<int:premises_id>/poster.pdf", endpoint="poster_pdf")
def poster_pdf_download(premises_id: int) -> ResponseReturnValue:
    """The premises' window poster (`?size=a4` or `a3`), for the readers of its report."""
    reader = report_reader(premises_id)
    premises = reader.premises
    return posters_pdf([premises], f"poster-{premises.reference or premises.id}")


def _may_answer(reader: Reader) -> bool:
    """The landlord answers projects: through the signed link, or signed in as its landlord."""
    if reader.through_link:
        return True
    return (
        current_user.is_authenticated
        and current_user.role is Role.LANDLORD
        and reader.premises.landlord_id == current_user.id
    )


@bp.post(f"/premises/<int:premises_id>/interests/<int(max={LARGEST_ID}):interest_id>")
def answer_interest(premises_id: int, interest_id: int) -> ResponseReturnValue:
    """The landlord's answer to a project interested in their premises: talk, or not for us."""
    reader = report_reader(premises_id)
    if not _may_answer(reader):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    interest = db.session.get(ProjectInterest, interest_id)
    if interest is None or interest.premises_id != reader.premises.id:
        abort(404)
    try:
        given = LandlordAnswer(request.form.get("answer", ""))
    except ValueError:
        abort(400)
    try:
        introduced = meetings.answer(
            interest, given, None if reader.through_link else current_user, settings()
        )
    except meetings.MeetingError as error:
        flash(error.message, "error")
    else:
        if introduced:
            flash(_("We sent each of you the other's e-mail address."), "success")
        else:
            flash(_("Your answer is saved."), "success")
    back = url_for("landlord.report", premises_id=reader.premises.id, **reader.url_args())
    return redirect(f"{back}#report-interests-title", 303)
