"""The domain's rules that the database itself enforces, on SQLite and on PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from tests import factories
from wishboard.extensions import db
from wishboard.models import (
    OutboxMessage,
    Premises,
    PremisesStatus,
    Role,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
)

pytestmark = pytest.mark.usefixtures("any_db_app")


def assert_refused(build) -> None:
    """The database refuses what `build` writes, and the session can go on afterwards."""
    with pytest.raises((IntegrityError, StatementError)):
        with db.session.begin_nested():
            build()
            db.session.flush()


def test_a_resident_supports_a_shop_type_at_a_premises_once():
    premises, resident = factories.make_premises(), factories.make_user()
    factories.make_support(premises, resident, "shop=bakery")

    assert_refused(lambda: factories.make_support(premises, resident, "shop=bakery"))
    factories.make_support(premises, resident, "amenity=cafe")
    assert db.session.scalar(select(func.count(Support.id))) == 2


def test_supports_of_deleted_accounts_stay_as_anonymous_counts():
    premises = factories.make_premises()
    first, second = factories.make_user(), factories.make_user()
    factories.make_support(premises, first)
    factories.make_support(premises, second)
    db.session.commit()

    db.session.delete(first)
    db.session.delete(second)
    db.session.commit()
    db.session.expire_all()

    supports = db.session.scalars(select(Support)).all()
    assert [support.resident_id for support in supports] == [None, None]


@pytest.mark.parametrize(
    "overrides",
    [
        {"latitude": 91.0},
        {"latitude": -90.5},
        {"longitude": 181.0},
        {"surface_m2": 0},
        {"status": PremisesStatus.LET},  # let without the shop type it was let to
    ],
    ids=["latitude-high", "latitude-low", "longitude", "surface", "let-without-type"],
)
def test_premises_constraints(overrides):
    assert_refused(lambda: factories.make_premises(**overrides))


def test_a_let_premises_records_its_shop_type_and_date():
    premises = factories.make_premises(
        status=PremisesStatus.LET, let_shop_type=factories.shop_type(), let_on=date(2026, 3, 1)
    )
    db.session.commit()
    assert db.session.get(Premises, premises.id).let_shop_type.code == "shop=bakery"


def test_premises_status_outside_the_enum_is_refused_by_the_database():
    premises = factories.make_premises()
    db.session.commit()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(
                text("UPDATE premises SET status = 'demolished' WHERE id = :id"),
                {"id": premises.id},
            )
    assert db.session.get(Premises, premises.id).status is PremisesStatus.VACANT


def test_a_wish_is_at_a_premises_or_at_a_point_never_both_nor_neither():
    premises = factories.make_premises()
    author = factories.make_user()
    assert_refused(lambda: factories.make_wish(premises, author, latitude=48.88, longitude=2.38))
    assert_refused(lambda: db.session.add(Wish(author=author, shop_type=factories.shop_type())))

    area_wish = factories.make_wish(author=author, premises=None, latitude=48.88, longitude=2.38)
    assert area_wish.is_area_wish
    assert not factories.make_wish(premises, author).is_area_wish


def test_an_area_wish_stays_on_the_globe():
    assert_refused(lambda: factories.make_wish(premises=None, latitude=95.0, longitude=2.38))


def test_a_resident_pins_a_shop_type_at_a_premises_once():
    premises, author = factories.make_premises(), factories.make_user()
    factories.make_wish(premises, author)
    assert_refused(lambda: factories.make_wish(premises, author))


def test_a_wish_comment_is_at_most_500_characters():
    factories.make_wish(comment="x" * 500)
    assert_refused(lambda: factories.make_wish(comment="x" * 501))


def test_wish_and_role_statuses_outside_their_enums_are_refused():
    wish = factories.make_wish(status=WishStatus.PENDING)
    user = factories.make_user(role=Role.MODERATOR)
    db.session.commit()
    for statement in (
        text("UPDATE wishes SET status = 'lost' WHERE id = :id").bindparams(id=wish.id),
        text("UPDATE users SET role = 'mayor' WHERE id = :id").bindparams(id=user.id),
    ):
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                db.session.execute(statement)


def test_e_mail_addresses_are_unique():
    factories.make_user(email="camille@example.org")
    assert_refused(lambda: factories.make_user(email="camille@example.org"))


def test_references_are_unique():
    factories.make_premises(reference="P-19-001")
    assert_refused(lambda: factories.make_premises(reference="P-19-001"))
    factories.make_shop(reference="S-1")
    assert_refused(lambda: factories.make_shop(reference="S-1"))


def test_deleting_a_premises_takes_its_wishes_and_supports_with_it():
    premises = factories.make_premises()
    factories.make_wish(premises)
    factories.make_support(premises)
    db.session.commit()

    db.session.delete(premises)
    db.session.commit()
    assert db.session.scalar(select(func.count(Wish.id))) == 0
    assert db.session.scalar(select(func.count(Support.id))) == 0


def test_foreign_keys_are_enforced():
    assert_refused(
        lambda: db.session.add(Support(resident_id=None, premises_id=999_999, shop_type_id=1))
    )


def test_shop_type_codes_are_openstreetmap_tags():
    group_id = db.session.scalars(select(ShopType.group_id)).first()
    assert_refused(
        lambda: db.session.add(
            ShopType(code="bakery", group_id=group_id, label_fr="Boulangerie", label_en="Bakery")
        )
    )
    bakery = factories.shop_type("shop=bakery")
    assert (bakery.osm_key, bakery.osm_value) == ("shop", "bakery")


def test_outbox_deduplication_key_is_unique():
    def message(key):
        return OutboxMessage(
            recipient="a@example.org", subject="s", body_text="t", kind="summary", dedup_key=key
        )

    db.session.add(message("summary:1:2026-W10"))
    db.session.add(message(None))
    db.session.add(message(None))
    db.session.flush()
    assert_refused(lambda: db.session.add(message("summary:1:2026-W10")))


def test_staff_roles():
    admin = factories.make_user(role=Role.ADMIN)
    moderator = factories.make_user(role=Role.MODERATOR)
    resident = factories.make_user(role=Role.RESIDENT, verified=False)
    assert admin.has_role(Role.MODERATOR) and moderator.has_role(Role.MODERATOR)
    assert not resident.has_role(Role.MODERATOR)
    assert not resident.is_verified
    assert db.session.scalar(select(func.count(User.id))) == 3
