"""Meeting the landlord: a project holder says "I'm interested", the landlord answers.

1. On a premises that suits one of their projects (projects.matches), the holder presses "I'm
   interested". The landlord's contact is told by e-mail, with the report's signed link; the
   demand report lists the interested projects (type, surface, opening, pitch: no identity).
2. The landlord (their account, or the signed link) answers "let's talk" or "not for us", and may
   change their mind until the introduction.
3. When both agree (the holder's interest and the landlord's "let's talk"), each is sent the
   other's e-mail address, through the outbox, once: the interest is claimed by a conditional
   UPDATE (`introduced_at`) before the two e-mails are written, and each has a dedup key. Until
   then no page, file or e-mail shows either address to the other.
4. A premises let to a project's shop type asks the holders interested in it whether it was
   theirs (their projects page); their "yes" counts as a premises let thanks to the board.

Every step is audited.
"""

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from wishboard.extensions import db
from wishboard.models import (
    LandlordAnswer,
    Premises,
    ProjectInterest,
    ShopProject,
    User,
    utcnow,
)
from wishboard.services import audit, outbox
from wishboard.services.errors import DomainError
from wishboard.services.people import projects
from wishboard.services.reports.links import report_key
from wishboard.services.reports.mail import landlord_address, landlord_locale, landlord_name
from wishboard.settings import Settings
from wishboard.urls import external_url

KIND = "meeting"  # the outbox's kind for these e-mails


class MeetingError(DomainError):
    """A step of a meeting refused, with the reason."""


def express_interest(
    holder: User, project: ShopProject, premises: Premises, settings: Settings
) -> ProjectInterest:
    """`holder`'s project is interested in `premises`; tells the landlord; commits.

    Saying it twice is not an error: the first interest stays.
    """
    if project.owner_id != holder.id:
        raise MeetingError(_("This project is not yours."))
    if not holder.is_verified:
        raise MeetingError(_("Confirm your e-mail address first: the landlord will write to it."))
    if not projects.matches(project, premises):
        raise MeetingError(_("This premises does not suit this project."))
    interest = db.session.scalar(
        select(ProjectInterest).where(
            ProjectInterest.project_id == project.id, ProjectInterest.premises_id == premises.id
        )
    )
    if interest is not None:
        return interest
    interest = ProjectInterest(project_id=project.id, premises_id=premises.id)
    db.session.add(interest)
    db.session.flush()
    audit.record(holder, "interest.expressed", "premises", premises.id, after=_state(interest))
    message = _tell_landlord(interest, project, premises, settings)
    db.session.commit()
    if message is not None:
        outbox.deliver(settings.mail, [message.id])
    return interest


def _tell_landlord(interest, project, premises, settings):
    address = landlord_address(premises)
    if address is None:
        return None  # staff see the interest on the premises; the report shows it
    with force_locale(landlord_locale(premises, settings.default_locale)):
        return outbox.queue_template(
            address,
            _("A shop project is interested in %(address)s", address=premises.address),
            "meeting_interest",
            kind=KIND,
            dedup_key=f"interest:{interest.id}:landlord",
            name=landlord_name(premises),
            project=project,
            premises=premises,
            report_url=external_url(
                "landlord.report", premises_id=premises.id, key=report_key(premises, settings)
            ),
        )


def interests_at(premises: Premises) -> list[ProjectInterest]:
    """The projects interested in `premises`, oldest first, with their type (no holder)."""
    return list(
        db.session.scalars(
            select(ProjectInterest)
            .where(ProjectInterest.premises_id == premises.id)
            .options(joinedload(ProjectInterest.project).joinedload(ShopProject.shop_type))
            .order_by(ProjectInterest.created_at, ProjectInterest.id)
        )
    )


def interests_of(holder: User) -> list[ProjectInterest]:
    """`holder`'s interests in premises, newest first, with the premises and project."""
    return list(
        db.session.scalars(
            select(ProjectInterest)
            .join(ShopProject, ShopProject.id == ProjectInterest.project_id)
            .where(ShopProject.owner_id == holder.id)
            .options(
                joinedload(ProjectInterest.premises).joinedload(Premises.district),
                joinedload(ProjectInterest.project).joinedload(ShopProject.shop_type),
            )
            .order_by(ProjectInterest.created_at.desc(), ProjectInterest.id.desc())
        )
    )


def answer(
    interest: ProjectInterest,
    answer_given: LandlordAnswer,
    actor: User | None,
    settings: Settings,
    now: datetime | None = None,
) -> bool:
    """The landlord's answer (`actor` None: through the signed link); commits.

    Returns True when this answer introduced the two sides (their addresses sent, once).
    """
    if answer_given is LandlordAnswer.PENDING:
        raise MeetingError(_("Choose “Let's talk” or “Not for us”."))
    if interest.introduced_at is not None:
        raise MeetingError(
            _("You have already agreed to talk: each of you has the other's address.")
        )
    now = now or utcnow()
    before = _state(interest)
    interest.answer, interest.answered_at = answer_given, now
    action = "interest.answered" if actor is not None else "interest.answered_by_link"
    audit.record(actor, action, "premises", interest.premises_id, before, _state(interest))
    messages = []
    if answer_given is LandlordAnswer.TALK:
        claimed = db.session.execute(
            update(ProjectInterest)
            .where(ProjectInterest.id == interest.id, ProjectInterest.introduced_at.is_(None))
            .values(introduced_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            interest.introduced_at = now
            messages = _introduce(interest, settings)
            audit.record(actor, "interest.introduced", "premises", interest.premises_id)
    db.session.commit()
    if messages:
        outbox.deliver(settings.mail, [message.id for message in messages])
    return bool(messages)


def _introduce(interest: ProjectInterest, settings: Settings) -> list:
    """The two e-mails that give each side the other's address (caller's transaction)."""
    project, premises = interest.project, interest.premises
    holder = project.owner
    landlord = landlord_address(premises)
    messages = []
    if landlord is not None:
        with force_locale(holder.locale or settings.default_locale):
            messages.append(
                outbox.queue_template(
                    holder.email,
                    _("The landlord of %(address)s wants to talk", address=premises.address),
                    "meeting_introduction",
                    kind=KIND,
                    dedup_key=f"introduction:{interest.id}:holder",
                    name=holder.display_name,
                    premises=premises,
                    project=project,
                    other_name=landlord_name(premises),
                    other_email=landlord,
                    to_holder=True,
                )
            )
        with force_locale(landlord_locale(premises, settings.default_locale)):
            messages.append(
                outbox.queue_template(
                    landlord,
                    _(
                        "Meet the %(type)s project for %(address)s",
                        type=project.shop_type.label(
                            landlord_locale(premises, settings.default_locale)
                        ),
                        address=premises.address,
                    ),
                    "meeting_introduction",
                    kind=KIND,
                    dedup_key=f"introduction:{interest.id}:landlord",
                    name=landlord_name(premises),
                    premises=premises,
                    project=project,
                    other_name=holder.display_name,
                    other_email=holder.email,
                    to_holder=False,
                )
            )
    return messages


def _state(interest: ProjectInterest) -> dict:
    return {
        "project": interest.project_id,
        "answer": interest.answer.value if interest.answer else LandlordAnswer.PENDING.value,
    }


# After the let


def ask_if_theirs(premises: Premises, now: datetime | None = None) -> None:
    """`premises` was let: ask the holders of projects of its shop type interested in it whether
    it was theirs (their projects page). In the caller's transaction."""
    if premises.let_shop_type_id is None:
        return
    same_type = select(ShopProject.id).where(ShopProject.shop_type_id == premises.let_shop_type_id)
    db.session.execute(
        update(ProjectInterest)
        .where(
            ProjectInterest.premises_id == premises.id,
            ProjectInterest.project_id.in_(same_type),
            ProjectInterest.let_asked_at.is_(None),
        )
        .values(let_asked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def answer_let(holder: User, interest_id: int, theirs: bool) -> bool:
    """The holder says whether the let premises was theirs; commits. False: not theirs to say."""
    interest = db.session.get(ProjectInterest, interest_id)
    if interest is None or interest.project.owner_id != holder.id or interest.let_asked_at is None:
        return False
    interest.let_was_theirs = theirs
    audit.record(
        holder, "interest.let_answered", "premises", interest.premises_id, after={"theirs": theirs}
    )
    db.session.commit()
    return True


def all_interests() -> list[ProjectInterest]:
    """Every interest, newest first, for staff."""
    return list(
        db.session.scalars(
            select(ProjectInterest)
            .options(
                joinedload(ProjectInterest.premises),
                joinedload(ProjectInterest.project).joinedload(ShopProject.shop_type),
            )
            .order_by(ProjectInterest.created_at.desc(), ProjectInterest.id.desc())
        )
    )
