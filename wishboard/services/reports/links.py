"""Signed links: a landlord without an account opens one premises' report, or stops the summaries.

A report key names one premises and the premises' `report_link_version`; it is valid for
`WISHBOARD_REPORT_LINK_DAYS` days, and revoking raises the version so that every key given out
before stops working at once. An unsubscribe key names an e-mail address and never expires (the
summaries it stops keep arriving otherwise).
"""

import enum
from datetime import timedelta

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from wishboard.extensions import db
from wishboard.models import Premises, User
from wishboard.services import audit
from wishboard.settings import Settings

REPORT_SALT = "wishboard.report-link"
UNSUBSCRIBE_SALT = "wishboard.unsubscribe"


class KeyProblem(enum.StrEnum):
    """Why a report key opens nothing."""

    INVALID = "invalid"  # tampered with, cut short, or for another premises
    EXPIRED = "expired"
    REVOKED = "revoked"


class ReportKeyError(Exception):
    """A report key that opens nothing, and why (the page says it in words)."""

    def __init__(self, problem: KeyProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem

    @property
    def message(self) -> str:
        return {
            KeyProblem.INVALID: _("This link is not valid."),
            KeyProblem.EXPIRED: _(
                "This link has expired. The summary e-mails carry a new one; the city's staff can "
                "also send you one."
            ),
            KeyProblem.REVOKED: _(
                "This link has been withdrawn. The city's staff can send you a new one."
            ),
        }[self.problem]


def _serializer(salt: str, settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=salt)


def link_lifetime(settings: Settings) -> timedelta:
    """How long a report key stays valid."""
    return timedelta(days=settings.report_link_days)


def report_key(premises: Premises, settings: Settings) -> str:
    """A key to the report of `premises` and of no other, until it expires or is revoked."""
    return _serializer(REPORT_SALT, settings).dumps([premises.id, premises.report_link_version])


def check_report_key(key: str, premises: Premises, settings: Settings) -> None:
    """Raise ReportKeyError unless `key` is a valid, current key for `premises`."""
    try:
        premises_id, version = _serializer(REPORT_SALT, settings).loads(
            key, max_age=int(link_lifetime(settings).total_seconds())
        )
    except SignatureExpired:
        raise ReportKeyError(KeyProblem.EXPIRED) from None
    except (BadSignature, TypeError, ValueError):
        raise ReportKeyError(KeyProblem.INVALID) from None
    if premises_id != premises.id:
        raise ReportKeyError(KeyProblem.INVALID)
    if version != premises.report_link_version:
        raise ReportKeyError(KeyProblem.REVOKED)


def revoke_report_links(actor: User | None, premises: Premises) -> None:
    """Make every report key of `premises` given out so far useless, audited, and commit."""
    before = premises.report_link_version
    premises.report_link_version = before + 1
    audit.record(
        actor,
        "premises.links_revoked",
        audit.PREMISES,
        premises.id,
        {"report_link_version": before},
        {"report_link_version": before + 1},
    )
    db.session.commit()


def unsubscribe_key(email: str, settings: Settings) -> str:
    """A key that stops (and restarts) the demand summaries sent to `email`."""
    return _serializer(UNSUBSCRIBE_SALT, settings).dumps(email.strip().lower())


def email_for_unsubscribe_key(key: str, settings: Settings) -> str | None:
    """The address an unsubscribe key was made for, or None when it is not one of ours."""
    try:
        email = _serializer(UNSUBSCRIBE_SALT, settings).loads(key)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None
