"""Closing the loop: the landlord (signed in, or through the report link) marks a premises let."""

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..forms.premises import LetForm
from ..htmx import render
from ..models import utcnow
from ..services.premises import management
from ..services.premises.management import PremisesError
from . import bp
from .access import report_reader


@bp.route("/premises/<int:premises_id>/let", methods=["GET", "POST"])
def mark_let(premises_id: int) -> ResponseReturnValue:
    """Which shop type the premises was let to, and since when; then back to its report."""
    reader = report_reader(premises_id)
    premises = reader.premises
    form = LetForm()
    if request.method == "GET":
        if premises.let_shop_type is not None:
            form.shop_type.data = premises.let_shop_type.code
        form.let_on.data = premises.let_on or utcnow().date()
    if form.validate_on_submit():
        actor = None if reader.through_link else current_user
        try:
            management.mark_let(
                actor, premises, form.chosen_type, form.let_on.data, reader.through_link
            )
        except PremisesError as error:
            form.add_problems(error)
        else:
            flash(
                _("Thank you: the premises is shown as let, and takes no more wishes."), "success"
            )
            target = url_for("landlord.report", premises_id=premises.id, **reader.url_args())
            return redirect(target, 303)
    status = 422 if request.method == "POST" else 200
    return render("landlord/let.html", status=status, form=form, reader=reader, premises=premises)
