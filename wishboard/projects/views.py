"""A project holder's shop projects: list, describe, change, delete."""

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..access import require_role
from ..extensions import db
from ..forms.premises import ActionForm
from ..forms.projects import HORIZON_LABELS, VISIBILITY_LABELS, ProjectForm
from ..htmx import render
from ..models import Premises, Role, ShopProject
from ..services.demand.opportunities import premises_for_project
from ..services.people import meetings, projects
from ..settings import settings
from ..urls import LARGEST_ID
from . import bp

bp.before_request(require_role(Role.ENTREPRENEUR))

PROJECT_URL = f"/<int(max={LARGEST_ID}):project_id>"


def _own(project_id: int) -> ShopProject:
    project = projects.own_project(current_user, project_id)
    if project is None:
        abort(404)
    return project


@bp.get("/")
def mine() -> ResponseReturnValue:
    """The signed-in holder's projects."""
    return render(
        "projects/index.html",
        projects=projects.projects_of(current_user),
        interests=meetings.interests_of(current_user),
        horizons=HORIZON_LABELS,
        visibilities=VISIBILITY_LABELS,
        action_form=ActionForm(),
        locale=str(get_locale()),
    )


def _form_page(form: ProjectForm, project: ShopProject | None, status: int) -> ResponseReturnValue:
    return render("projects/form.html", status=status, form=form, project=project)


def _save(form: ProjectForm, project: ShopProject | None) -> ResponseReturnValue:
    """Validate and save `form` (a new project when `project` is None)."""
    if form.validate_on_submit():
        try:
            if project is None:
                projects.create_project(current_user, form.values())
            else:
                projects.update_project(current_user, project, form.values())
        except projects.ProjectError as error:
            field = form[error.field] if error.field in form else form.shop_type
            field.errors = [*field.errors, error.message]
        else:
            flash(_("Your project is saved."), "success")
            return redirect(url_for("projects.mine"), 303)
    return _form_page(form, project, 422 if request.method == "POST" else 200)


@bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    """Describe a new shop project."""
    form = ProjectForm(str(get_locale()))
    if request.method == "GET":
        form.visibility.data = "landlords"
    return _save(form, None)


@bp.route(f"{PROJECT_URL}/edit", methods=["GET", "POST"])
def edit(project_id: int) -> ResponseReturnValue:
    """Change one of the holder's projects (someone else's is a 404)."""
    project = _own(project_id)
    locale = str(get_locale())
    if request.method == "GET":
        form = ProjectForm(locale, formdata=None)
        form.shop_type.data = project.shop_type.code
        form.surface_min_m2.data = project.surface_min_m2
        form.surface_max_m2.data = project.surface_max_m2
        form.districts.data = [district.id for district in project.districts]
        form.horizon.data = project.horizon.value
        form.pitch.data = project.pitch
        form.visibility.data = project.visibility.value
        return _form_page(form, project, 200)
    return _save(ProjectForm(locale), project)


@bp.post(f"{PROJECT_URL}/delete")
def delete(project_id: int) -> ResponseReturnValue:
    """Delete one of the holder's projects."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if not projects.delete_project(current_user, project_id):
        abort(404)
    flash(_("Your project is deleted."), "success")
    return redirect(url_for("projects.mine"), 303)


# Finding premises and meeting landlords


@bp.get(f"{PROJECT_URL}/premises")
def premises(project_id: int) -> ResponseReturnValue:
    """The vacant premises that suit one of the holder's projects, best first."""
    project = _own(project_id)
    interests = {
        interest.premises_id: interest
        for interest in meetings.interests_of(current_user)
        if interest.project_id == project.id
    }
    return render(
        "projects/premises.html",
        project=project,
        ranked=premises_for_project(project, settings()),
        interests=interests,
        action_form=ActionForm(),
        radius=settings().area_radius_m,
        locale=str(get_locale()),
    )


@bp.post(f"{PROJECT_URL}/interest/<int(max={LARGEST_ID}):premises_id>")
def express_interest(project_id: int, premises_id: int) -> ResponseReturnValue:
    """The project's holder is interested in a premises: they ask to meet its landlord."""
    project = _own(project_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    place = db.get_or_404(Premises, premises_id)
    try:
        meetings.express_interest(current_user, project, place, settings())
    except meetings.MeetingError as error:
        flash(error.message, "error")
    else:
        flash(
            _(
                "The landlord of %(address)s is told. You will get their address by e-mail if "
                "they agree to talk.",
                address=place.address,
            ),
            "success",
        )
    return redirect(url_for("projects.premises", project_id=project.id), 303)


@bp.post(f"/interests/<int(max={LARGEST_ID}):interest_id>/let")
def answer_let(interest_id: int) -> ResponseReturnValue:
    """The holder says whether the premises let to their project's type was theirs."""
    if not ActionForm().validate_on_submit() or request.form.get("theirs") not in ("yes", "no"):
        abort(400)
    if not meetings.answer_let(current_user, interest_id, request.form["theirs"] == "yes"):
        abort(404)
    flash(_("Thank you for telling us."), "success")
    return redirect(url_for("projects.mine"), 303)
