"""Opportunities: where a new shop of each type is most wanted and missing, for shop planners."""

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from ..caching import cached_page
from ..forms.filters import MapFilterForm
from ..htmx import render
from ..services.demand.opportunities import PREMISES_SHOWN, opportunities
from ..settings import settings
from . import bp


@bp.get("/opportunities")
@cached_page
def opportunities_page() -> ResponseReturnValue:
    """Shop types × districts ranked by unmet demand, with the vacant premises that suit each.

    Takes the map's filters (`type`, `group`, `district`); a value that does not exist is a 400
    with the form's error, like the list of premises.
    """
    form = MapFilterForm(request.args)
    context = {
        "form": form,
        "locale": str(get_locale()),
        "radius": settings().area_radius_m,
        "premises_shown": PREMISES_SHOWN,
    }
    if not form.validate():
        return render(
            "public/opportunities.html",
            block="results",
            status=400,
            rows=(),
            filter_args={},
            narrows=False,
            **context,
        )
    filters = form.filters()
    return render(
        "public/opportunities.html",
        block="results",
        rows=opportunities(settings(), filters),
        filter_args=form.url_args(),
        narrows=filters.narrows,
        **context,
    )
