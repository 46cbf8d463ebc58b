"""How a service ends its writes: one commit, or, when the database refuses it, nothing at all.

A service that changes data validates first and raises a DomainError before writing anything; then
it writes and calls `commit`. The database may still refuse the commit when another request won a
race for a unique value (two people saving the same reference at the same moment): the session is
rolled back, so nothing is half written, and the service's own `conflict` error says why.
"""

from sqlalchemy.exc import IntegrityError

from wishboard.extensions import db
from wishboard.services.errors import DomainError


def commit(conflict: DomainError) -> None:
    """Commit the session; on a unique-value race, roll back and raise `conflict`."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict from None
