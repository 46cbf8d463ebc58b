"""Accounts: creating them, checking passwords, and the signed links that verify and reset.

Every public function that changes something commits its own transaction; the e-mail it writes
goes into the outbox in that same transaction and is delivered after the commit.
"""

import functools
import secrets
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from wishboard.extensions import db
from wishboard.models import (
    AreaFollow,
    AuditEvent,
    Notification,
    OutboxMessage,
    Premises,
    ProjectInterest,
    Role,
    ShopProject,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
    utcnow,
)
from wishboard.services import audit, outbox
from wishboard.services.demand import moderation
from wishboard.services.errors import DomainError
from wishboard.settings import Settings
from wishboard.urls import external_url

DISPLAY_NAME_MAX_LENGTH = 60
EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 10
VERIFY_SALT = "verify-email"
RESET_SALT = "reset-password"
EXPORT_FORMAT = "wishboard-export-1"
# The fields of audit snapshots that may hold a person's words or address.
PERSONAL_SNAPSHOT_KEYS = frozenset({"email", "display_name", "comment", "rejection_reason"})

# Passwords long enough to pass the length rule that people still pick first.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "1q2w3e4r5t",
        "abcdefghij",
        "abcd123456",
        "azertyuiop",
        "azerty1234",
        "azerty123456",
        "qwertyuiop",
        "qwerty1234",
        "qwerty123456",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "motdepasse",
        "motdepasse1",
        "motdepasse123",
        "iloveyou12",
        "iloveyou123",
        "jetaime1234",
        "soleil1234",
        "bonjour123",
        "doudou1234",
        "football123",
        "superman123",
        "letmein123",
        "welcome123",
        "changeme123",
        "administrator",
        "wishboard123",
    }
)


class AccountError(DomainError):
    """An account action refused for a reason the person can fix; `field` names the culprit."""


class InvalidToken(AccountError):
    """A verification or reset link that is forged, out of date or already used."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def normalize_email(email: str) -> str:
    """The form in which e-mail addresses are stored and compared: stripped and lower-cased."""
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why `email` cannot be an account's address, or None when it can."""
    if len(email) > EMAIL_MAX_LENGTH:
        return _("This e-mail address is too long.")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _("Enter a valid e-mail address, such as name@example.org.")
    return None


def email_taken(email: str) -> bool:
    """True when an account already uses this address, whatever its case."""
    return _find_by_email(email) is not None


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Why `password` is too weak for the account with `email`; empty when it is fine."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            _("Use at least %(count)d characters.", count=PASSWORD_MIN_LENGTH),
        )
    if password.isdigit():
        problems.append(_("Use something other than digits only."))
    lowered = password.strip().lower()
    if email:
        address = normalize_email(email)
        local_part = address.rpartition("@")[0]
        if lowered in {address, local_part}:
            problems.append(_("Do not use your e-mail address as your password."))
    if lowered in COMMON_PASSWORDS:
        problems.append(_("This password is too common; choose another one."))
    return problems


# The roles a person may choose for themselves when they sign up.
SELF_CHOSEN_ROLES = (Role.RESIDENT, Role.ENTREPRENEUR)


def register(
    email: str,
    display_name: str,
    password: str,
    settings: Settings,
    locale: str | None = None,
    role: Role = Role.RESIDENT,
) -> User:
    """Create an unverified resident (or project holder) and send the link that verifies it.

    `locale` is the language they signed up in: later e-mails to them are written in it.
    """
    if role not in SELF_CHOSEN_ROLES:
        raise AccountError(_("Choose what you come for from the list."), "role")
    user = _new_user(email, display_name, password, role, settings.password_hash_method)
    user.locale = locale
    message = _queue_verification(user, settings)
    _commit_new_user()
    outbox.deliver(settings.mail, [message.id])
    return user


def create_verified_user(
    email: str, role: Role, password: str, display_name: str, settings: Settings
) -> User:
    """Create an account whose address is taken as verified (staff accounts made on the CLI)."""
    user = _new_user(email, display_name, password, role, settings.password_hash_method)
    user.email_verified_at = utcnow()
    _commit_new_user()
    return user


def authenticate(
    email: str, password: str, settings: Settings, locale: str | None = None
) -> User | None:
    """The active account with these credentials, now marked as signed in; None otherwise.

    `locale`, the language of the sign-in, becomes the language of later e-mails to them.

    An unknown address still costs one hash check, so that timing does not tell which exist.
    """
    user = _find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(settings.password_hash_method), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    user.locale = locale or user.locale
    db.session.commit()
    return user


def make_verify_token(user: User, settings: Settings) -> str:
    """A signed link token that proves the owner of `user.email` received it."""
    return _serializer(VERIFY_SALT, settings).dumps({"uid": user.id, "email": user.email})


def read_verify_token(token: str, settings: Settings, max_age: int | None = None) -> User:
    """The account a verification token was made for; InvalidToken if bad, old or outdated."""
    if max_age is None:
        max_age = settings.verify_max_age_s
    data = _load(VERIFY_SALT, token, max_age, settings)
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    # A token made for a former address of the account proves nothing about the current one.
    if user is None or user.email != data.get("email"):
        raise InvalidToken(_("This link is not valid."))
    return user


def verify_email(token: str, settings: Settings) -> tuple[User, bool]:
    """Mark the token's address as verified; returns the user and whether this call verified it."""
    user = read_verify_token(token, settings)
    if user.is_verified:
        return user, False
    user.email_verified_at = utcnow()
    db.session.commit()
    return user, True


def resend_verification(user: User, settings: Settings) -> None:
    """Send a fresh verification link to an account that has not verified its address yet."""
    if user.is_verified:
        return
    message = _queue_verification(user, settings)
    db.session.commit()
    outbox.deliver(settings.mail, [message.id])


def make_reset_token(user: User, settings: Settings) -> str:
    """A signed token to choose a new password; it stops working once the password changes."""
    payload = {"uid": user.id, "pw": _password_fingerprint(user)}
    return _serializer(RESET_SALT, settings).dumps(payload)


def read_reset_token(token: str, settings: Settings, max_age: int | None = None) -> User:
    """The account a reset token was made for; InvalidToken if bad, old or already used."""
    if max_age is None:
        max_age = settings.reset_max_age_s
    data = _load(RESET_SALT, token, max_age, settings)
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if (
        user is None
        or not user.active
        or not secrets.compare_digest(str(data.get("pw")), _password_fingerprint(user))
    ):
        raise InvalidToken(_("This link has already been used or is not valid."))
    return user


def request_password_reset(email: str, settings: Settings) -> None:
    """E-mail a reset link to the active account with this address; silently nothing otherwise."""
    user = _find_by_email(email)
    if user is None or not user.active:
        return
    link = external_url("auth.reset_password", token=make_reset_token(user, settings))
    message = outbox.queue_template(
        user.email,
        _("Choose a new password"),
        "reset_password",
        kind="reset-password",
        user=user,
        link=link,
        valid_minutes=max(settings.reset_max_age_s // 60, 1),
    )
    db.session.commit()
    outbox.deliver(settings.mail, [message.id])


def reset_password(token: str, new_password: str, settings: Settings) -> User:
    """Set a new password with a reset token, which can then not be used again.

    Following the link proves the person reads the account's mailbox, so it also verifies it.
    """
    user = read_reset_token(token, settings)
    problems = password_problems(new_password, user.email)
    if problems:
        raise AccountError(" ".join(problems), field="password")
    user.password_hash = generate_password_hash(new_password, settings.password_hash_method)
    if not user.is_verified:
        user.email_verified_at = utcnow()
    db.session.commit()
    return user


def _new_user(email: str, display_name: str, password: str, role: Role, hash_method: str) -> User:
    """Check every rule for a new account and add it to the session (not committed)."""
    address = normalize_email(email)
    name = display_name.strip()
    problem = email_problem(address)
    if problem:
        raise AccountError(problem, field="email")
    if email_taken(address):
        raise AccountError(_("An account already uses this e-mail address."), field="email")
    if not name:
        raise AccountError(_("Enter a display name."), field="display_name")
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise AccountError(
            _("Use at most %(count)d characters.", count=DISPLAY_NAME_MAX_LENGTH),
            field="display_name",
        )
    problems = password_problems(password, address)
    if problems:
        raise AccountError(" ".join(problems), field="password")
    user = User(
        email=address,
        display_name=name,
        password_hash=generate_password_hash(password, hash_method),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _commit_new_user() -> None:
    """Commit a new account; two people racing for one address get the same refusal."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError(
            _("An account already uses this e-mail address."), field="email"
        ) from None


def _queue_verification(user: User, settings: Settings) -> OutboxMessage:
    """Put the verification e-mail for `user` in the outbox (in the current transaction)."""
    link = external_url("auth.verify", token=make_verify_token(user, settings))
    return outbox.queue_template(
        user.email,
        _("Confirm your e-mail address"),
        "verify_email",
        kind="verify-email",
        user=user,
        link=link,
        valid_hours=max(settings.verify_max_age_s // 3600, 1),
    )


def _find_by_email(email: str) -> User | None:
    """The account with this address, compared the way addresses are stored."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _serializer(salt: str, settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=salt)


def _load(salt: str, token: str, max_age: int, settings: Settings):
    """The payload of a token, or InvalidToken saying whether it expired or was tampered with."""
    try:
        return _serializer(salt, settings).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken(_("This link has expired."), expired=True) from None
    except BadSignature:
        raise InvalidToken(_("This link is not valid.")) from None


def _password_fingerprint(user: User) -> str:
    """A short digest of the password hash: it changes with the password, and reveals nothing."""
    return user.password_fingerprint


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password, checked when the e-mail is unknown (as slow as a real one)."""
    return generate_password_hash(secrets.token_urlsafe(16), method)


# A person's own data: download it all, or delete the account.


def export_data(user: User) -> dict[str, Any]:
    """Everything Wishboard holds about `user`, as JSON-ready data in the documented shape below.

    Format "wishboard-export-1" (times are ISO 8601 in UTC, absent ones null)::

        {"format": "wishboard-export-1", "exported_at": time,
         "account": {"email", "display_name", "role", "created_at", "email_verified_at",
                     "last_login_at"},
         "wishes": [{"id", "premises": {"id", "address"} or null,
                     "point": {"latitude", "longitude"} or null (an area wish),
                     "shop_type": {"code", "label_fr", "label_en"}, "comment", "status",
                     "rejection_reason", "created_at"}],
         "supports": [{"premises": {"id", "address"}, "shop_type": {...}, "created_at",
                       "confirmed_at" or null, "counted" (false once it stopped counting)}],
         "emails": [{"kind", "subject", "status", "created_at", "sent_at"}],
         "landlord_premises": [{"id", "address"}],
         "staff_actions": [{"action", "object_type", "object_id", "created_at"}],
         "notifications": {"let", "published", "area", "confirm" (the e-mails wanted, true or
                           false),
                           "areas": [{"district" or null, "point": {"latitude", "longitude"}
                                      or null, "radius_m" or null, "created_at"}]},
         "shop_projects": [{"shop_type", "surface_min_m2", "surface_max_m2", "districts",
                            "horizon", "pitch", "visibility", "created_at",
                            "interests": [{"premises", "created_at", "landlord_answer",
                                           "introduced_at", "let_was_theirs"}]}]}
    """
    wishes = db.session.scalars(
        select(Wish)
        .where(Wish.author_id == user.id)
        .options(joinedload(Wish.premises), joinedload(Wish.shop_type))
        .order_by(Wish.created_at, Wish.id)
    )
    supports = db.session.scalars(
        select(Support)
        .where(Support.resident_id == user.id)
        .options(joinedload(Support.premises), joinedload(Support.shop_type))
        .order_by(Support.created_at, Support.id)
    )
    emails = db.session.scalars(
        select(OutboxMessage)
        .where(_addressed_to(user))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    owned = db.session.scalars(
        select(Premises).where(Premises.landlord_id == user.id).order_by(Premises.id)
    )
    actions = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.actor_id == user.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role.value,
            "created_at": _iso(user.created_at),
            "email_verified_at": _iso(user.email_verified_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "wishes": [
            {
                "id": wish.id,
                "premises": _premises_ref(wish.premises) if wish.premises else None,
                "point": (
                    {"latitude": wish.latitude, "longitude": wish.longitude}
                    if wish.is_area_wish
                    else None
                ),
                "shop_type": _shop_type_ref(wish.shop_type),
                "comment": wish.comment,
                "status": wish.status.value,
                "rejection_reason": moderation.reason_label(wish.rejection_reason) or None,
                "created_at": _iso(wish.created_at),
            }
            for wish in wishes
        ],
        "supports": [
            {
                "premises": _premises_ref(support.premises),
                "shop_type": _shop_type_ref(support.shop_type),
                "created_at": _iso(support.created_at),
                "confirmed_at": _iso(support.confirmed_at),
                "counted": support.counted,
            }
            for support in supports
        ],
        "emails": [
            {
                "kind": message.kind,
                "subject": message.subject,
                "status": message.status.value,
                "created_at": _iso(message.created_at),
                "sent_at": _iso(message.sent_at),
            }
            for message in emails
        ],
        "landlord_premises": [_premises_ref(premises) for premises in owned],
        "staff_actions": [
            {
                "action": event.action,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "created_at": _iso(event.created_at),
            }
            for event in actions
        ],
        "notifications": {
            "let": user.notify_let,
            "published": user.notify_published,
            "area": user.notify_area,
            "confirm": user.notify_confirm,
            "areas": [
                {
                    "district": follow.district.name if follow.district else None,
                    "point": (
                        {"latitude": follow.latitude, "longitude": follow.longitude}
                        if follow.district is None
                        else None
                    ),
                    "radius_m": follow.radius_m,
                    "created_at": _iso(follow.created_at),
                }
                for follow in db.session.scalars(
                    select(AreaFollow)
                    .where(AreaFollow.user_id == user.id)
                    .options(joinedload(AreaFollow.district))
                    .order_by(AreaFollow.created_at, AreaFollow.id)
                )
            ],
        },
        "shop_projects": _projects_data(user),
    }


def _projects_data(user: User) -> list[dict]:
    """The person's shop projects and their interests in premises (no landlord's data), in two
    queries (three with districts)."""
    projects = list(
        db.session.scalars(
            select(ShopProject)
            .where(ShopProject.owner_id == user.id)
            .options(selectinload(ShopProject.districts), joinedload(ShopProject.shop_type))
            .order_by(ShopProject.created_at, ShopProject.id)
        )
    )
    interests: dict[int, list[ProjectInterest]] = {project.id: [] for project in projects}
    if projects:
        for interest in db.session.scalars(
            select(ProjectInterest)
            .where(ProjectInterest.project_id.in_(list(interests)))
            .options(joinedload(ProjectInterest.premises))
            .order_by(ProjectInterest.created_at, ProjectInterest.id)
        ):
            interests[interest.project_id].append(interest)
    return [_project_data(project, interests[project.id]) for project in projects]


def _project_data(project: ShopProject, interests: list[ProjectInterest]) -> dict:
    return {
        "shop_type": _shop_type_ref(project.shop_type),
        "surface_min_m2": project.surface_min_m2,
        "surface_max_m2": project.surface_max_m2,
        "districts": [district.name for district in project.districts],
        "horizon": project.horizon.value,
        "pitch": project.pitch,
        "visibility": project.visibility.value,
        "created_at": _iso(project.created_at),
        "interests": [
            {
                "premises": _premises_ref(interest.premises),
                "created_at": _iso(interest.created_at),
                "landlord_answer": interest.answer.value,
                "introduced_at": _iso(interest.introduced_at),
                "let_was_theirs": interest.let_was_theirs,
            }
            for interest in interests
        ],
    }


def delete_account(user: User, password: str) -> None:
    """Delete `user` after checking their password; their supports stay as anonymous counts.

    In one transaction: the comments and rejection reasons of their wishes are cleared and the
    wishes detached from them (wishes still awaiting review are deleted: they never counted),
    their supports lose their resident, the e-mails addressed to them are deleted, and the
    audit trail keeps its events without their name, address or words.
    """
    if not check_password_hash(user.password_hash, password):
        raise AccountError(_("This is not your account's password."), field="password")
    try:
        if user.role is Role.ADMIN and not other_active_admins(user):
            raise AccountError(
                _(
                    "You are the last administrator. Give the administrator role to someone "
                    "else before deleting your account."
                )
            )
        _erase(user)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _erase(user: User) -> None:
    """Remove `user` and their personal data from the current transaction (not committed)."""
    user_id = user.id
    wish_ids = list(db.session.scalars(select(Wish.id).where(Wish.author_id == user_id)))
    _scrub_audit_snapshots(user_id, wish_ids)
    # A wish awaiting review has no support yet; published without its author, it would count
    # a vote nobody can stand behind any more.
    db.session.execute(
        delete(Wish).where(Wish.author_id == user_id, Wish.status == WishStatus.PENDING)
    )
    db.session.execute(
        update(Wish)
        .where(Wish.author_id == user_id)
        .values(author_id=None, comment=None, rejection_reason=None)
    )
    # The foreign keys would do the rest on their own; saying it here keeps the session in step.
    db.session.execute(
        update(Wish).where(Wish.moderated_by_id == user_id).values(moderated_by_id=None)
    )
    db.session.execute(delete(Notification).where(Notification.user_id == user_id))
    db.session.execute(
        update(Support).where(Support.resident_id == user_id).values(resident_id=None)
    )
    db.session.execute(
        update(Premises).where(Premises.landlord_id == user_id).values(landlord_id=None)
    )
    db.session.execute(
        update(AuditEvent).where(AuditEvent.actor_id == user_id).values(actor_id=None)
    )
    db.session.execute(delete(OutboxMessage).where(_addressed_to(user)))
    audit.record(None, "account.deleted", audit.USER, user_id, before={"role": user.role.value})
    db.session.delete(user)


def other_active_admins(user: User) -> int:
    """How many other active administrators there are, their rows locked until the commit."""
    # Locked, so that two last-but-one administrators leaving at once cannot both succeed.
    admin_ids = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)  # always the same order: two lockers wait instead of deadlocking
        .with_for_update()
    )
    return sum(admin_id != user.id for admin_id in admin_ids)


def _scrub_audit_snapshots(user_id: int, wish_ids: list[int]) -> None:
    """Take the person's address, name and words out of the audit snapshots about them."""
    about_them = or_(
        (AuditEvent.object_type == audit.USER) & (AuditEvent.object_id == user_id),
        (AuditEvent.object_type == audit.WISH) & AuditEvent.object_id.in_(wish_ids),
    )
    for event in db.session.scalars(select(AuditEvent).where(about_them)):
        # New dicts, not edits in place: the JSON columns only notice an assignment.
        event.before = _without_personal_keys(event.before)
        event.after = _without_personal_keys(event.after)


def _without_personal_keys(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {key: value for key, value in snapshot.items() if key not in PERSONAL_SNAPSHOT_KEYS}


def _addressed_to(user: User):
    """The condition on outbox messages sent to `user`'s address."""
    return func.lower(OutboxMessage.recipient) == normalize_email(user.email)


def _premises_ref(premises: Premises) -> dict[str, Any]:
    return {"id": premises.id, "address": premises.address}


def _shop_type_ref(shop_type: ShopType) -> dict[str, str]:
    return {"code": shop_type.code, "label_fr": shop_type.label_fr, "label_en": shop_type.label_en}


def _iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with its UTC offset."""
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds") if moment else None
