"""The page of one premises, shared by the public view and the resident's actions.

The same template gives the whole page and, for htmx, its `panel` block: the panel shown beside
the map when a pin is tapped, and the one a wish or support refreshes.
"""

from flask import current_app, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .extensions import db
from .forms.wishes import WishForm, shop_type_choices
from .htmx import render
from .maps import position_map
from .models import Premises, User
from .services.demand import moderation, wishes
from .services.demand.area import area_demand_near
from .services.demand.counts import asked_for, demand_for
from .services.demand.gaps import coverage_for
from .services.people import projects
from .settings import settings


def viewer() -> User | None:
    """The signed-in account, or None for a visitor."""
    return current_user if current_user.is_authenticated else None


def max_types() -> int:
    """How many shop types one resident may support at one premises."""
    return current_app.config["WISHBOARD_MAX_TYPES_PER_PREMISES"]


def map_settings() -> dict:
    """The tile server settings every map of the site shares."""
    config = current_app.config
    return {
        "tile_url": config["WISHBOARD_TILE_URL"],
        "tile_attribution": config["WISHBOARD_TILE_ATTRIBUTION"],
    }


def load_premises(premises_id: int) -> Premises:
    """The premises with its district and let type, or a 404."""
    return db.get_or_404(
        Premises,
        premises_id,
        options=[joinedload(Premises.district), joinedload(Premises.let_shop_type)],
    )


def wish_form(locale: str, empty: bool = False) -> WishForm:
    """The "I want here…" form with the taxonomy in the visitor's language.

    `empty` leaves out what the request sent: after a wish is made, so that a second tap does
    not send the same wish again.
    """
    form = WishForm(formdata=None) if empty else WishForm()
    form.shop_type.choices = shop_type_choices(locale)
    return form


def premises_page(
    premises: Premises,
    form: WishForm | None = None,
    status: int = 200,
    notice: str | None = None,
) -> ResponseReturnValue:
    """The premises page (its panel for htmx): demand, the viewer's standing, the wish form."""
    locale = str(get_locale())
    demand = demand_for(premises)
    person = viewer()
    radius = settings().area_radius_m
    position = position_map(
        premises.latitude,
        premises.longitude,
        accessible_name=_("Map showing where %(address)s is", address=premises.address),
        **map_settings(),
    )
    return render(
        "public/premises_detail.html",
        block="panel",
        status=status,
        premises=premises,
        demand=demand,
        highest=max((item.count for item in demand), default=0),
        standing=wishes.standing(person, premises, max_types()),
        barrier=wishes.barrier_for(person),
        closed=wishes.closed_reason(premises),
        asked=asked_for(demand, premises.let_shop_type),
        comments=wishes.published_comments(premises),
        may_report=lambda wish: moderation.may_flag(person, wish),
        may_hide=moderation.may_moderate(person),
        nearby=area_demand_near(premises.latitude, premises.longitude, radius),
        # Each wished type with the open shops of its type nearby: none is a gap.
        coverage=coverage_for(premises, demand, radius),
        radius=radius,
        form=form or wish_form(locale),
        notice=notice,
        next_url=url_for("public.premises_detail", premises_id=premises.id),
        map=position,
        projects_near=projects.public_projects_near(premises),
        locale=locale,
    )
