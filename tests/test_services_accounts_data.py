"""A person's own data: the JSON export, and deleting the account without losing the counts."""

import json
from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests import factories
from tests.helpers import count
from wishboard.extensions import db
from wishboard.models import (
    AuditEvent,
    OutboxMessage,
    OutboxStatus,
    ProjectHorizon,
    ProjectInterest,
    Role,
    ShopProject,
    Support,
    User,
    Wish,
    WishStatus,
)
from wishboard.services import outbox
from wishboard.services.demand.counts import demand_for
from wishboard.services.people import accounts, notifications
from wishboard.settings import settings as app_settings

CREATED = datetime(2024, 5, 2, 9, 30, 15)


@pytest.fixture
def town(app):
    """Ana's wishes (premises, pending, rejected, area), supports, e-mails; Bob's alongside."""
    ana = factories.make_user(email="ana@example.org", display_name="Ana", created_at=CREATED)
    bob = factories.make_user(email="bob@example.org")
    corner = factories.make_premises(address="1 rue des Lilas")
    square = factories.make_premises(address="2 place des Fêtes")
    bakery = factories.shop_type("shop=bakery")
    cafe = factories.shop_type("amenity=cafe")
    published = factories.make_wish(
        corner, ana, shop_type=bakery, comment="Du bon pain, enfin", created_at=CREATED
    )
    pending = factories.make_wish(
        square, ana, shop_type=cafe, comment="Un café calme", status=WishStatus.PENDING
    )
    rejected = factories.make_wish(
        square,
        ana,
        shop_type=bakery,
        comment="Rude words",
        status=WishStatus.REJECTED,
        rejection_reason="Insults",
    )
    area = factories.make_wish(
        None, ana, shop_type=cafe, latitude=48.875, longitude=2.39, comment="Près du parc"
    )
    factories.make_support(corner, ana, code="shop=bakery")
    factories.make_support(square, ana, code="shop=bakery")
    factories.make_support(corner, bob, code="shop=bakery")
    factories.make_support(corner, bob, code="amenity=cafe")
    outbox.queue("ana@example.org", "Confirm your e-mail address", "Hello", kind="verify-email")
    outbox.queue("bob@example.org", "Confirm your e-mail address", "Hello", kind="verify-email")
    db.session.commit()
    return {
        "ana": ana,
        "bob": bob,
        "corner": corner,
        "square": square,
        "published": published.id,
        "pending": pending.id,
        "rejected": rejected.id,
        "area": area.id,
    }


def counts(premises) -> list[tuple[str, int]]:
    return [(demand.shop_type.code, demand.count) for demand in demand_for(premises)]


def test_export_has_a_fixed_format_and_is_json(town):
    data = accounts.export_data(town["ana"])

    assert data["format"] == "wishboard-export-1"
    assert set(data) == {
        "format",
        "exported_at",
        "account",
        "wishes",
        "supports",
        "emails",
        "landlord_premises",
        "staff_actions",
        "notifications",
        "shop_projects",
    }
    assert json.loads(json.dumps(data)) == data
    assert datetime.fromisoformat(data["exported_at"]).utcoffset().total_seconds() == 0


def test_export_holds_the_account(town):
    account = accounts.export_data(town["ana"])["account"]

    assert account["email"] == "ana@example.org"
    assert account["display_name"] == "Ana"
    assert account["role"] == "resident"
    assert account["created_at"] == "2024-05-02T09:30:15+00:00"
    assert account["email_verified_at"].endswith("+00:00")
    assert account["last_login_at"] is None


def test_export_holds_every_wish_with_its_place_or_point(town):
    wishes = {wish["id"]: wish for wish in accounts.export_data(town["ana"])["wishes"]}

    assert set(wishes) == {town["published"], town["pending"], town["rejected"], town["area"]}
    published = wishes[town["published"]]
    assert published["premises"] == {"id": town["corner"].id, "address": "1 rue des Lilas"}
    assert published["point"] is None
    assert published["shop_type"] == {
        "code": "shop=bakery",
        "label_fr": factories.shop_type("shop=bakery").label_fr,
        "label_en": factories.shop_type("shop=bakery").label_en,
    }
    assert published["comment"] == "Du bon pain, enfin"
    assert published["status"] == "published"
    assert published["created_at"] == "2024-05-02T09:30:15+00:00"
    assert wishes[town["pending"]]["status"] == "pending"
    assert wishes[town["rejected"]]["rejection_reason"] == "Insults"
    area = wishes[town["area"]]
    assert area["premises"] is None
    assert area["point"] == {"latitude": 48.875, "longitude": 2.39}
    assert area["shop_type"]["code"] == "amenity=cafe"


def test_export_holds_only_the_persons_supports_and_emails(town):
    data = accounts.export_data(town["ana"])

    supports = sorted(
        (s["premises"]["address"], s["shop_type"]["code"], s["counted"], s["confirmed_at"])
        for s in data["supports"]
    )
    assert supports == [
        ("1 rue des Lilas", "shop=bakery", True, None),
        ("2 place des Fêtes", "shop=bakery", True, None),
    ]
    assert [(email["kind"], email["status"], email["sent_at"]) for email in data["emails"]] == [
        ("verify-email", "pending", None)
    ]
    assert data["emails"][0]["subject"] == "Confirm your e-mail address"
    assert data["landlord_premises"] == []
    assert data["staff_actions"] == []


def test_export_of_a_landlord_and_staff_member_lists_their_premises_and_actions(app):
    landlord = factories.make_user(role=Role.LANDLORD)
    premises = factories.make_premises(landlord=landlord, address="5 rue Rébeval")
    db.session.add(
        AuditEvent(actor=landlord, action="premises.let", object_type="premises", object_id=1)
    )
    db.session.commit()

    data = accounts.export_data(landlord)

    assert data["landlord_premises"] == [{"id": premises.id, "address": "5 rue Rébeval"}]
    assert [action["action"] for action in data["staff_actions"]] == ["premises.let"]


def test_export_takes_the_same_few_queries_whatever_the_amount_of_data(town, count_queries):
    for _ in range(5):
        factories.make_support(factories.make_premises(), town["ana"])
    db.session.commit()
    ana = db.session.get(User, town["ana"].id)

    with count_queries() as queries:
        accounts.export_data(ana)

    # One per section: wishes, supports, e-mails, premises owned, staff actions, areas followed,
    # shop projects (their districts and interests only when there are projects).
    assert queries.count <= 7


def test_a_project_holder_s_export_holds_their_projects_and_interests(app, count_queries):
    holder = factories.make_user(role=Role.ENTREPRENEUR)
    landlord_place = factories.make_premises(landlord_email="owner@example.org")
    for code in ("shop=bakery", "amenity=cafe"):
        project = ShopProject(
            owner=holder,
            shop_type=factories.shop_type(code),
            horizon=ProjectHorizon.YEAR,
            districts=[landlord_place.district],
            pitch="Levain",
        )
        db.session.add(project)
        db.session.flush()
        db.session.add(ProjectInterest(project_id=project.id, premises_id=landlord_place.id))
    db.session.commit()

    with count_queries() as queries:
        data = accounts.export_data(holder)

    assert queries.count <= 10  # the sections, then the projects' districts and interests
    bakery, cafe = data["shop_projects"]
    assert (bakery["shop_type"]["code"], bakery["horizon"], bakery["pitch"]) == (
        "shop=bakery",
        "year",
        "Levain",
    )
    assert [i["landlord_answer"] for i in bakery["interests"] + cafe["interests"]] == [
        "pending",
        "pending",
    ]
    assert "owner@example.org" not in json.dumps(data)


def test_deleting_keeps_supports_as_exact_anonymous_counts(town):
    before = {name: counts(town[name]) for name in ("corner", "square")}
    supports_before = count(Support)

    accounts.delete_account(town["ana"], factories.PASSWORD)

    assert {name: counts(town[name]) for name in ("corner", "square")} == before
    assert count(Support) == supports_before
    assert count(Support, Support.resident_id.is_(None)) == 2


def test_deleting_removes_the_user_their_comments_and_their_emails(town):
    ana_id = town["ana"].id

    accounts.delete_account(town["ana"], factories.PASSWORD)

    assert db.session.get(User, ana_id) is None
    assert count(Wish, Wish.author_id == ana_id) == 0
    published = db.session.get(Wish, town["published"])
    assert (published.author_id, published.comment) == (None, None)
    assert published.status is WishStatus.PUBLISHED
    rejected = db.session.get(Wish, town["rejected"])
    assert (rejected.comment, rejected.rejection_reason) == (None, None)
    area = db.session.get(Wish, town["area"])
    assert (area.author_id, area.comment, area.latitude) == (None, None, 48.875)
    # A wish awaiting review never counted, and without its author it never could.
    assert db.session.get(Wish, town["pending"]) is None
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == ["bob@example.org"]
    assert db.session.get(User, town["bob"].id) is not None


def test_deleting_frees_the_address_and_nobody_can_sign_in_with_it(town):
    accounts.delete_account(town["ana"], factories.PASSWORD)

    assert accounts.authenticate("ana@example.org", factories.PASSWORD, app_settings()) is None
    assert not accounts.email_taken("ana@example.org")


def test_a_wrong_password_is_refused_and_changes_nothing(town):
    ana_id = town["ana"].id

    with force_locale("en"), pytest.raises(accounts.AccountError) as refused:
        accounts.delete_account(town["ana"], "not my password")

    assert refused.value.field == "password"
    assert "password" in refused.value.message
    assert db.session.get(User, ana_id) is not None
    assert count(Support, Support.resident_id == ana_id) == 2
    assert db.session.get(Wish, town["published"]).comment == "Du bon pain, enfin"
    assert count(OutboxMessage) == 2


def test_the_last_active_admin_cannot_delete_their_account(app):
    admin = factories.make_user(role=Role.ADMIN)
    factories.make_user(role=Role.ADMIN, active=False)
    db.session.commit()

    with force_locale("en"), pytest.raises(accounts.AccountError) as refused:
        accounts.delete_account(admin, factories.PASSWORD)

    assert refused.value.field is None
    assert "last administrator" in refused.value.message
    assert db.session.get(User, admin.id) is not None


def test_an_admin_can_leave_when_another_admin_remains(app):
    admin = factories.make_user(role=Role.ADMIN)
    factories.make_user(role=Role.ADMIN)
    db.session.commit()
    admin_id = admin.id

    accounts.delete_account(admin, factories.PASSWORD)

    assert db.session.get(User, admin_id) is None


def test_deleting_keeps_the_audit_trail_without_the_persons_data(town):
    ana = town["ana"]
    moderator = factories.make_user(role=Role.MODERATOR)
    ana_id = ana.id
    db.session.add_all(
        [
            AuditEvent(
                actor=ana,
                action="wish.flagged",
                object_type="wish",
                object_id=town["published"],
            ),
            AuditEvent(
                actor=moderator,
                action="wish.rejected",
                object_type="wish",
                object_id=town["rejected"],
                before={"status": "pending", "comment": "Rude words"},
                after={"status": "rejected", "rejection_reason": "Insults"},
            ),
            AuditEvent(
                actor=moderator,
                action="user.role_changed",
                object_type="user",
                object_id=ana_id,
                before={"role": "resident", "email": "ana@example.org"},
                after={"role": "landlord", "email": "ana@example.org"},
            ),
        ]
    )
    db.session.commit()

    accounts.delete_account(ana, factories.PASSWORD)

    events = {event.action: event for event in db.session.scalars(select(AuditEvent))}
    assert set(events) == {"wish.flagged", "wish.rejected", "user.role_changed", "account.deleted"}
    assert events["wish.flagged"].actor_id is None
    assert events["wish.rejected"].actor_id == moderator.id
    assert events["wish.rejected"].before == {"status": "pending"}
    assert events["wish.rejected"].after == {"status": "rejected"}
    assert events["user.role_changed"].after == {"role": "landlord"}
    deleted = events["account.deleted"]
    assert (deleted.object_type, deleted.object_id, deleted.actor_id) == ("user", ana_id, None)
    assert "ana@example.org" not in json.dumps([(e.before, e.after) for e in events.values()])


def test_a_sent_message_is_exported_with_its_time(app):
    ana = factories.make_user()
    message = outbox.queue(ana.email, "Hello", "Body", kind="notice")
    message.status = OutboxStatus.SENT
    message.sent_at = CREATED
    db.session.commit()

    (email,) = accounts.export_data(ana)["emails"]

    assert email["sent_at"] == "2024-05-02T09:30:15+00:00"


def test_export_holds_the_e_mails_wanted_and_the_areas_followed(town, app):
    ana = town["ana"]
    district = factories.make_district("Jourdain")
    db.session.commit()
    notifications.set_preferences(ana, let=True, published=False, area=True, confirm=False)
    notifications.follow_district(ana, district, app_settings())
    notifications.follow_spot(ana, 48.8722, 2.381, 500, app_settings())

    exported = accounts.export_data(ana)["notifications"]

    assert (exported["let"], exported["published"], exported["area"], exported["confirm"]) == (
        True,
        False,
        True,
        False,
    )
    first, second = exported["areas"]
    assert (first["district"], first["point"], first["radius_m"]) == ("Jourdain", None, None)
    assert second["district"] is None and second["radius_m"] == 500
    assert second["point"] == {"latitude": 48.8722, "longitude": 2.381}
