"""Moderators' premises management: create, edit, withdraw, mark as let, and import."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import db
from ..forms.premises import ActionForm, ImportForm, LetForm, PremisesForm, StaffFilterForm
from ..htmx import render
from ..maps import picker_map
from ..models import District, Premises, utcnow
from ..pdf_downloads import posters_pdf
from ..premises_page import map_settings
from ..services.imports import premises as premises_import
from ..services.imports.reading import ImportConflict
from ..services.premises import management, posters
from ..services.premises.management import PremisesConflict, PremisesError, PremisesValues
from ..settings import settings
from ..urls import LARGEST_ID, page_number
from . import bp

PREMISES_URL = f"/premises/<int(max={LARGEST_ID}):premises_id>"


def _load(premises_id: int) -> Premises:
    """The premises with its district, landlord and let type, or a 404."""
    return db.get_or_404(
        Premises,
        premises_id,
        options=[
            joinedload(Premises.district),
            joinedload(Premises.landlord),
            joinedload(Premises.let_shop_type),
        ],
    )


# The list


@bp.get("/premises")
def premises_list() -> ResponseReturnValue:
    """Every premises, searchable and filtered by status and district, page by page."""
    form = StaffFilterForm(request.args)
    context = {"form": form}
    if not form.validate():
        return render(
            "moderation/premises_list.html",
            block="results",
            status=400,
            page=None,
            filter_args={},
            **context,
        )
    filters = form.filters()
    page = db.paginate(
        management.staff_premises(filters),
        page=page_number(),
        per_page=current_app.config["WISHBOARD_PAGE_SIZE"],
        max_per_page=None,
        error_out=True,
        count=True,
    )
    return render(
        "moderation/premises_list.html",
        block="results",
        page=page,
        filter_args=form.url_args(),
        narrowed=bool(filters.text or filters.status or filters.district_id),
        **context,
    )


# Creating and editing


def _map_labels() -> dict[str, str]:
    return {
        "map": _(
            "Map to choose the position: click or drag the pin, or press Enter for its centre"
        ),
        "chosen": _("Position set: latitude %(latitude)s, longitude %(longitude)s."),
        "outside": _("This spot is outside the town: choose one inside it."),
    }


def _form_page(
    form: PremisesForm, premises: Premises | None = None, status: int = 200
) -> ResponseReturnValue:
    """The premises form (new or edit), with the map that sets its position."""
    config = current_app.config
    latitude = form.latitude.data if isinstance(form.latitude.data, float) else None
    longitude = form.longitude.data if isinstance(form.longitude.data, float) else None
    picker = picker_map(
        latitude,
        longitude,
        center=config["WISHBOARD_MAP_CENTER"],
        zoom=config["WISHBOARD_MAP_ZOOM"],
        bounds=config["WISHBOARD_MAP_BOUNDS"],
        labels=_map_labels(),
        **map_settings(),
    )
    south, west, north, east = config["WISHBOARD_MAP_BOUNDS"]
    return render(
        "moderation/premises_form.html",
        status=status,
        form=form,
        premises=premises,
        map=picker,
        bounds={
            "south": format_decimal(south),
            "west": format_decimal(west),
            "north": format_decimal(north),
            "east": format_decimal(east),
        },
        has_districts=len(form.district.choices) > 1,
        action_form=ActionForm(),
        poster_scans=posters.scans_of(premises) if premises else 0,
        locale=str(get_locale()),
    )


@bp.route("/premises/new", methods=["GET", "POST"])
def premises_create() -> ResponseReturnValue:
    """A new premises: the form, and the premises made from it."""
    form = PremisesForm()
    if form.validate_on_submit():
        try:
            premises = management.create_premises(
                current_user, form.values(), settings().map_bounds
            )
        except PremisesConflict as error:
            form.form_errors.append(error.message)
            return _form_page(form, status=409)
        except PremisesError as error:
            form.add_problems(error)
        else:
            flash(_("Premises %(address)s created.", address=premises.address), "success")
            return redirect(url_for("moderation.premises_edit", premises_id=premises.id), 303)
    return _form_page(form, status=422 if request.method == "POST" else 200)


@bp.route(f"{PREMISES_URL}/edit", methods=["GET", "POST"])
def premises_edit(premises_id: int) -> ResponseReturnValue:
    """One premises: its form, its status and what can be done with it."""
    premises = _load(premises_id)
    if request.method == "GET":
        form = PremisesForm(obj=PremisesValues.of(premises))
        return _form_page(form, premises)
    form = PremisesForm()
    if form.validate_on_submit():
        saved_at = premises.updated_at
        try:
            management.update_premises(current_user, premises, form.values(), settings().map_bounds)
        except PremisesConflict as error:
            form.form_errors.append(error.message)
            return _form_page(form, _load(premises_id), status=409)
        except PremisesError as error:
            form.add_problems(error)
        else:
            if premises.updated_at != saved_at:  # only a real change touches the row
                flash(_("Changes to %(address)s saved.", address=premises.address), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("moderation.premises_edit", premises_id=premises.id), 303)
    return _form_page(form, premises, status=422)


# Status: withdraw, reopen, let


def _status_action(premises_id: int, change, done: str) -> ResponseReturnValue:
    """Run a status change from a plain button, then back to the premises with a notice."""
    premises = _load(premises_id)
    back = url_for("moderation.premises_edit", premises_id=premises.id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(current_user, premises)
    except PremisesError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(back, 303)


@bp.post(f"{PREMISES_URL}/withdraw")
def premises_withdraw(premises_id: int) -> ResponseReturnValue:
    """Withdraw a premises: it leaves the map and the public list."""
    return _status_action(
        premises_id,
        management.withdraw_premises,
        _("Premises withdrawn: it no longer shows on the map or in the list."),
    )


@bp.post(f"{PREMISES_URL}/reopen")
def premises_reopen(premises_id: int) -> ResponseReturnValue:
    """Make a withdrawn or let premises vacant again."""
    return _status_action(
        premises_id,
        management.reopen_premises,
        _("Premises vacant again: residents can wish for it."),
    )


@bp.route(f"{PREMISES_URL}/let", methods=["GET", "POST"])
def premises_let(premises_id: int) -> ResponseReturnValue:
    """Mark a premises as let: the shop type it was let to, and the date."""
    premises = _load(premises_id)
    form = LetForm()
    if request.method == "GET":
        if premises.let_shop_type is not None:
            form.shop_type.data = premises.let_shop_type.code
        form.let_on.data = premises.let_on or utcnow().date()
    if form.validate_on_submit():
        try:
            management.mark_let(current_user, premises, form.chosen_type, form.let_on.data)
        except PremisesError as error:
            form.add_problems(error)
        else:
            flash(_("Premises marked as let."), "success")
            return redirect(url_for("moderation.premises_edit", premises_id=premises.id), 303)
    status = 422 if request.method == "POST" else 200
    return render("moderation/premises_let.html", status=status, form=form, premises=premises)


# Import


def _import_page(
    form: ImportForm,
    report: premises_import.PremisesImportReport | None = None,
    status: int = 200,
    too_large: bool = False,
) -> ResponseReturnValue:
    return render(
        "moderation/premises_import.html",
        status=status,
        form=form,
        report=report,
        too_large=too_large,
        max_size=_size(current_app.config["MAX_CONTENT_LENGTH"]),
        columns=premises_import.COLUMNS,
        required=premises_import.REQUIRED,
    )


def _size(size: int | None) -> str:
    """A size in bytes for people: "5 MB"."""
    if not size:
        return ""
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        return _("%(size)s MB", size=format_decimal(round(megabytes, 1)))
    return _("%(size)s KB", size=format_decimal(round(size / 1024)))


@bp.route("/premises/import", methods=["GET", "POST"])
def premises_import_file() -> ResponseReturnValue:
    """Send a CSV or GeoJSON file: check it only, or import it (all rows or none)."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form, status=422 if request.method == "POST" else 200)
    upload = form.file.data
    dry_run = not form.run.data  # only the Import button writes; anything else checks
    try:
        report = premises_import.import_premises(
            current_user,
            upload.read(),
            upload.filename or "",
            bounds=settings().map_bounds,
            dry_run=dry_run,
            create_districts=form.create_districts.data,
        )
    except ImportConflict as error:
        form.form_errors.append(error.message)
        return _import_page(form, status=409)
    if not report.ok:
        return _import_page(form, report, status=422)
    if dry_run:
        return _import_page(form, report)
    flash(_("Import done: %(summary)s", summary=report.summary()), "success")
    if report.districts_created:
        names = ", ".join(report.districts_created)
        flash(_("New districts: %(names)s.", names=names), "success")
    return redirect(url_for("moderation.premises_import_file"), 303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file over the upload limit: the import page says so, in the person's language."""
    if request.endpoint != "moderation.premises_import_file":
        message = _("What you sent is too large.")
        return render("errors/error.html", "content", status=413, code=413, message=message)
    return _import_page(ImportForm(formdata=None), status=413, too_large=True)


# Window posters


@bp.get(f"{PREMISES_URL}/poster.pdf")
def premises_poster(premises_id: int) -> ResponseReturnValue:
    """The window poster of one premises (`?size=a4` or `a3`), as a PDF."""
    premises = _load(premises_id)
    return posters_pdf([premises], f"poster-{premises.reference or premises.id}")


@bp.get("/posters.pdf")
def district_posters() -> ResponseReturnValue:
    """The posters of every vacant premises of `?district=<id>`, one page each, in one PDF."""
    raw = request.args.get("district", "")
    if not raw.isdigit() or int(raw) > LARGEST_ID:
        abort(400, description=_("district must be the number of a district."))
    district = db.get_or_404(District, int(raw))
    places = posters.district_premises(district)
    if not places:
        abort(404, description=_("%(district)s has no vacant premises.", district=district.name))
    return posters_pdf(places, f"posters-{district.name}")
