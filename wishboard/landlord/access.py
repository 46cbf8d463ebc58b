"""Who may read a premises' report: its landlord, staff, or whoever holds its signed link."""

from dataclasses import dataclass

from flask import abort, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..extensions import db, login_manager
from ..htmx import render
from ..models import Premises, Role
from ..services.reports.links import KeyProblem, ReportKeyError, check_report_key
from ..settings import settings
from ..urls import LARGEST_ID


@dataclass(frozen=True)
class Reader:
    """The premises a request may read, and the signed key it came with (None when signed in).

    Links from a page opened with a key carry the key on, so that the PDF, the CSV and the
    "mark as let" form open for the same reader.
    """

    premises: Premises
    key: str | None

    @property
    def through_link(self) -> bool:
        return self.key is not None

    def url_args(self) -> dict[str, str]:
        """The query arguments that keep this reader's access on the next page."""
        return {"key": self.key} if self.key is not None else {}


def owns(premises: Premises) -> bool:
    """True when the signed-in person is this premises' landlord, or staff."""
    if not current_user.is_authenticated:
        return False
    if current_user.has_role(Role.MODERATOR):
        return True
    return current_user.role is Role.LANDLORD and premises.landlord_id == current_user.id


def report_reader(premises_id: int) -> Reader:
    """The reader of `premises_id`'s report, or the answer that refuses them.

    With a `key` argument: the key must be a current one for this very premises (404 when it is
    not one; 410 with the reason when it expired or was revoked). Without: a visitor is sent to
    sign in, and anyone but the premises' landlord and staff gets a 404, so that nobody learns
    which premises another landlord owns.
    """
    premises = None
    if premises_id <= LARGEST_ID:
        premises = db.session.get(
            Premises,
            premises_id,
            options=[joinedload(Premises.district), joinedload(Premises.let_shop_type)],
        )
    key = request.values.get("key")
    if key:
        if premises is None:
            abort(404)
        try:
            check_report_key(key, premises, settings())
        except ReportKeyError as error:
            if error.problem is KeyProblem.INVALID:
                abort(404)
            page = render("errors/error.html", status=410, code=410, message=error.message)
            abort(page)
        return Reader(premises, key)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if premises is None or not owns(premises):
        abort(404)
    return Reader(premises, None)
