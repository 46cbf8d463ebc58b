"""Shop projects: a person planning to open a shop says what, how big, where and when.

A project holder (the `entrepreneur` role: chosen at registration, or asked for by a resident and
granted by an admin) describes each project: a shop type, the surface wanted (min–max m², either
may be open), the districts, an opening horizon and a short pitch. A project is private (its
holder alone sees it), shown to the landlords of the premises that match it (in their demand
report), or public (the premises pages of its districts say "a bakery project is looking in this
district"). Nobody but its holder and staff ever sees who holds it.

A premises *matches* a project when it is vacant, lies in one of the project's districts, and its
surface (when known) is within the surface wanted.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from wishboard.extensions import db
from wishboard.models import (
    PITCH_MAX_LENGTH,
    District,
    Premises,
    PremisesStatus,
    ProjectHorizon,
    ProjectVisibility,
    Role,
    ShopProject,
    ShopType,
    User,
    utcnow,
)
from wishboard.models.project import SURFACE_MAX_M2, project_districts
from wishboard.services import audit
from wishboard.services.errors import DomainError


class ProjectError(DomainError):
    """A project refused for a reason its holder can fix; `field` names the culprit."""


@dataclass(frozen=True)
class ProjectValues:
    """What a project holder fills in."""

    shop_type: ShopType | None
    surface_min_m2: int | None
    surface_max_m2: int | None
    district_ids: Sequence[int]
    horizon: ProjectHorizon
    pitch: str
    visibility: ProjectVisibility


def _check(values: ProjectValues) -> list[District]:
    if values.shop_type is None or not values.shop_type.active:
        raise ProjectError(_("Choose a shop type from the list."), "shop_type")
    for field, surface in (
        ("surface_min_m2", values.surface_min_m2),
        ("surface_max_m2", values.surface_max_m2),
    ):
        if surface is not None and not 1 <= surface <= SURFACE_MAX_M2:
            raise ProjectError(
                _("A surface is between 1 and %(max)d m².", max=SURFACE_MAX_M2), field
            )
    low, high = values.surface_min_m2, values.surface_max_m2
    if low is not None and high is not None and low > high:
        raise ProjectError(
            _("The smallest surface cannot be larger than the largest."), "surface_max_m2"
        )
    if len(values.pitch) > PITCH_MAX_LENGTH:
        raise ProjectError(
            _("A pitch has at most %(max)d characters.", max=PITCH_MAX_LENGTH), "pitch"
        )
    districts = list(
        db.session.scalars(select(District).where(District.id.in_(list(values.district_ids))))
    )
    if not districts or len(districts) != len(set(values.district_ids)):
        raise ProjectError(_("Choose at least one district from the list."), "districts")
    return districts


def _check_holder(user: User) -> None:
    if user.role is not Role.ENTREPRENEUR:
        raise ProjectError(_("Only project holders describe shop projects."))


def create_project(holder: User, values: ProjectValues) -> ShopProject:
    """A new project of `holder`; commits. ProjectError says what to fix."""
    _check_holder(holder)
    districts = _check(values)
    project = ShopProject(owner_id=holder.id, districts=districts)
    _fill(project, values)
    db.session.add(project)
    db.session.commit()
    return project


def update_project(holder: User, project: ShopProject, values: ProjectValues) -> None:
    """Change `holder`'s own project; commits."""
    _check_holder(holder)
    if project.owner_id != holder.id:
        raise ProjectError(_("This project is not yours."))
    project.districts = _check(values)
    _fill(project, values)
    db.session.commit()


def _fill(project: ShopProject, values: ProjectValues) -> None:
    project.shop_type_id = values.shop_type.id
    project.surface_min_m2 = values.surface_min_m2
    project.surface_max_m2 = values.surface_max_m2
    project.horizon = values.horizon
    project.pitch = values.pitch.strip()
    project.visibility = values.visibility


def delete_project(holder: User, project_id: int) -> bool:
    """Delete `holder`'s own project; commits. False when it is not theirs (or gone)."""
    project = own_project(holder, project_id)
    if project is None:
        return False
    db.session.delete(project)
    db.session.commit()
    return True


def own_project(holder: User, project_id: int) -> ShopProject | None:
    """`holder`'s project of this id, or None."""
    project = db.session.get(ShopProject, project_id)
    if project is None or project.owner_id != holder.id:
        return None
    return project


def projects_of(holder: User) -> list[ShopProject]:
    """`holder`'s projects, newest first, with their type and districts."""
    return list(
        db.session.scalars(
            select(ShopProject)
            .where(ShopProject.owner_id == holder.id)
            .options(selectinload(ShopProject.districts), selectinload(ShopProject.shop_type))
            .order_by(ShopProject.created_at.desc(), ShopProject.id.desc())
        )
    )


def _in_district(district_id: int, visibilities: Sequence[ProjectVisibility]):
    in_district = select(project_districts.c.project_id).where(
        project_districts.c.district_id == district_id
    )
    return (
        select(ShopProject)
        .join(User, User.id == ShopProject.owner_id)
        .where(
            ShopProject.id.in_(in_district),
            ShopProject.visibility.in_(list(visibilities)),
            User.active.is_(True),
            User.role == Role.ENTREPRENEUR,
        )
        .options(selectinload(ShopProject.shop_type))
        .order_by(ShopProject.created_at, ShopProject.id)
    )


def public_projects_near(premises: Premises) -> list[ShopProject]:
    """The public projects looking in `premises`' district (shown on its page while vacant)."""
    if premises.status is not PremisesStatus.VACANT:
        return []
    query = _in_district(premises.district_id, [ProjectVisibility.PUBLIC])
    return list(db.session.scalars(query))


def matching_projects(premises: Premises) -> list[ShopProject]:
    """The projects a landlord of `premises` may see: shown to landlords or public, matching it."""
    if premises.status is not PremisesStatus.VACANT:
        return []
    query = _in_district(
        premises.district_id, [ProjectVisibility.LANDLORDS, ProjectVisibility.PUBLIC]
    )
    return [p for p in db.session.scalars(query) if p.fits_surface(premises.surface_m2)]


def matches(project: ShopProject, premises: Premises) -> bool:
    """True when `premises` suits `project`: vacant, in its districts, of a surface it wants."""
    return (
        premises.status is PremisesStatus.VACANT
        and premises.district_id in {district.id for district in project.districts}
        and project.fits_surface(premises.surface_m2)
    )


# The role


def ask_for_role(user: User) -> None:
    """A resident asks to become a project holder; an admin decides. Commits."""
    if user.role is not Role.RESIDENT:
        raise ProjectError(_("Only a resident account asks to become a project holder."))
    if user.project_role_asked_at is None:
        user.project_role_asked_at = utcnow()
        audit.record(user, "user.project_role_asked", "user", user.id)
        db.session.commit()


def askers() -> list[User]:
    """The residents waiting for an admin to make them project holders, oldest request first."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.project_role_asked_at.is_not(None), User.role == Role.RESIDENT)
            .order_by(User.project_role_asked_at, User.id)
        )
    )
