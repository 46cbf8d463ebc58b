"""Editing the shop-type taxonomy: add, rename, deactivate, and merge without double counting."""

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from wishboard.extensions import db
from wishboard.models import (
    AuditEvent,
    Flag,
    Premises,
    PremisesStatus,
    Role,
    Shop,
    ShopType,
    ShopTypeGroup,
    Support,
    Wish,
    WishStatus,
)
from wishboard.services import taxonomy
from wishboard.services.demand import wishes
from wishboard.services.demand.counts import demand_for
from wishboard.services.taxonomy import TaxonomyError


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest) -> Iterator[None]:
    """Messages in English, whatever the site's default language (in the test's own app)."""
    request.getfixturevalue("any_db_app" if "any_db_app" in request.fixturenames else "app")
    with force_locale("en"):
        yield


def group(code: str = "food") -> ShopTypeGroup:
    return db.session.scalars(select(ShopTypeGroup).where(ShopTypeGroup.code == code)).one()


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def last_event(action: str) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


@pytest.fixture
def admin(app: Flask):
    user = factories.make_user(role=Role.ADMIN)
    db.session.commit()
    return user


# Adding


def test_an_admin_adds_a_type_at_the_end_of_its_group(app, admin):
    shop_type = taxonomy.add_shop_type(
        admin, "  shop=kombucha ", "Kombucha", "Kombucha bar", group("cafes_restaurants")
    )

    assert (shop_type.code, shop_type.label_fr, shop_type.active) == (
        "shop=kombucha",
        "Kombucha",
        True,
    )
    # Last of its group: after every type the data file loaded.
    cafes = group("cafes_restaurants").shop_types
    assert cafes[-1] == shop_type and len(cafes) > 1
    assert taxonomy.active_shop_type("shop=kombucha") == shop_type
    event = last_event("shop_type.created")
    assert (event.actor_id, event.object_type, event.object_id) == (
        admin.id,
        "shop_type",
        shop_type.id,
    )
    assert event.after == {
        "code": "shop=kombucha",
        "label_fr": "Kombucha",
        "label_en": "Kombucha bar",
        "group": "cafes_restaurants",
    }


@pytest.mark.parametrize(
    "code",
    ["bakery", "=bakery", "shop=", "shop = tea", "shop=tea=green", "shop=\x00", "a" * 79 + "=b"],
)
def test_a_code_that_is_not_an_osm_tag_is_refused(app, admin, code):
    types_before = count(ShopType)

    with pytest.raises(TaxonomyError) as refused:
        taxonomy.add_shop_type(admin, code, "Thé", "Tea", group())

    assert refused.value.field == "code"
    assert count(ShopType) == types_before
    assert count(AuditEvent) == 0


def test_a_code_already_used_is_refused(app, admin):
    with pytest.raises(TaxonomyError, match="already has this code") as refused:
        taxonomy.add_shop_type(admin, "shop=bakery", "Boulangerie", "Bakery", group())
    assert refused.value.field == "code"


@pytest.mark.parametrize(("fr", "en", "field"), [("", "Tea", "label_fr"), ("Thé", " ", "label_en")])
def test_both_names_are_required(app, admin, fr, en, field):
    with pytest.raises(TaxonomyError) as refused:
        taxonomy.add_shop_type(admin, "shop=kombucha", fr, en, group())
    assert refused.value.field == field


# Renaming and deactivating


def test_relabelling_records_only_what_changed(app, admin):
    bakery = factories.shop_type("shop=bakery")

    assert taxonomy.relabel_shop_type(admin, bakery, "Boulangerie artisanale", " Bakery ") is True
    assert taxonomy.relabel_shop_type(admin, bakery, "Boulangerie artisanale", "Bakery") is False

    assert (bakery.label_fr, bakery.label_en) == ("Boulangerie artisanale", "Bakery")
    event = last_event("shop_type.relabelled")
    assert (event.before, event.after) == (
        {"label_fr": "Boulangerie"},
        {"label_fr": "Boulangerie artisanale"},
    )
    assert count(AuditEvent) == 1


def test_relabelling_refuses_an_empty_name(app, admin):
    bakery = factories.shop_type("shop=bakery")
    with pytest.raises(TaxonomyError):
        taxonomy.relabel_shop_type(admin, bakery, "", "Bakery")
    db.session.expire_all()
    assert factories.shop_type("shop=bakery").label_fr == "Boulangerie"


def test_a_deactivated_type_leaves_the_choices_but_its_demand_stays(app, admin):
    premises = factories.make_premises()
    factories.make_support(premises, code="shop=cheese")
    resident = factories.make_user()
    db.session.commit()
    cheese = factories.shop_type("shop=cheese")

    assert taxonomy.set_shop_type_active(admin, cheese, False) is True
    assert taxonomy.set_shop_type_active(admin, cheese, False) is False

    assert taxonomy.active_shop_type("shop=cheese") is None
    assert [(d.shop_type.code, d.count) for d in demand_for(premises)] == [("shop=cheese", 1)]
    with pytest.raises(wishes.WishError, match="can no longer be chosen"):
        wishes.support(resident, premises, cheese, max_types=3)
    assert (
        last_event("shop_type.deactivated").before,
        last_event("shop_type.deactivated").after,
    ) == (
        {"active": True},
        {"active": False},
    )

    assert taxonomy.set_shop_type_active(admin, cheese, True) is True
    assert taxonomy.active_shop_type("shop=cheese") == cheese
    assert last_event("shop_type.reactivated").after == {"active": True}


# Merging


def supporters(premises: Premises, code: str) -> set[int | None]:
    return set(
        db.session.scalars(
            select(Support.resident_id).where(
                Support.premises_id == premises.id,
                Support.shop_type_id == factories.shop_type(code).id,
            )
        )
    )


def test_merge_moves_everything_and_counts_nobody_twice(any_db_app):
    admin = factories.make_user(role=Role.ADMIN)
    both, only_source, only_target = (factories.make_user() for _ in range(3))
    premises, elsewhere = factories.make_premises(), factories.make_premises()
    # `both` supports the two types at `premises`: after the merge, one support.
    factories.make_support(premises, both, code="shop=pastry")
    factories.make_support(premises, both, code="shop=bakery")
    factories.make_support(premises, only_source, code="shop=pastry")
    factories.make_support(premises, only_target, code="shop=bakery")
    # At another premises `both` supports only the source: that support moves.
    factories.make_support(elsewhere, both, code="shop=pastry")
    # A support whose resident deleted their account moves too.
    factories.make_support(premises, factories.make_user(), code="shop=pastry").resident_id = None
    pastry, bakery = factories.shop_type("shop=pastry"), factories.shop_type("shop=bakery")
    # Wishes at a premises: the same author wished for both (kept: the target's, with its comment).
    kept = factories.make_wish(premises, both, shop_type=bakery, comment="Du bon pain")
    dropped = factories.make_wish(premises, both, shop_type=pastry, comment="Des éclairs")
    factories.make_wish(premises, only_source, shop_type=pastry)
    db.session.add(Flag(wish=dropped, reporter=only_target, reason="spam"))
    # Area wishes: the same author pinned both types somewhere (one per author and type).
    area_kept = factories.make_wish(None, both, shop_type=bakery, latitude=48.87, longitude=2.38)
    factories.make_wish(None, both, shop_type=pastry, latitude=48.88, longitude=2.39)
    factories.make_wish(None, only_source, shop_type=pastry, latitude=48.88, longitude=2.39)
    # The directory and a premises let to the source type.
    factories.make_shop(shop_type=pastry)
    let = factories.make_premises(
        status=PremisesStatus.LET, let_shop_type=pastry, let_on=date(2024, 5, 1)
    )
    db.session.commit()
    kept_id, dropped_id, area_kept_id = kept.id, dropped.id, area_kept.id
    assert (count(Support), count(Wish), count(Flag)) == (6, 6, 1)
    assert [(d.shop_type.code, d.count) for d in demand_for(premises)] == [
        ("shop=pastry", 3),
        ("shop=bakery", 2),
    ]

    result = taxonomy.merge_shop_types(admin, pastry, bakery)

    assert result == taxonomy.MergeResult(
        supports_moved=3,
        supports_dropped=1,
        wishes_moved=1,
        wishes_dropped=1,
        area_wishes_moved=1,
        area_wishes_dropped=1,
        shops_moved=1,
        premises_moved=1,
    )
    assert (count(Support), count(Wish), count(Flag)) == (5, 4, 0)
    assert count(Support, Support.shop_type_id == pastry.id) == 0
    assert count(Wish, Wish.shop_type_id == pastry.id) == 0
    # Four distinct residents (one anonymous) now want bakery there: never five.
    assert [(d.shop_type.code, d.count) for d in demand_for(premises)] == [("shop=bakery", 4)]
    assert supporters(premises, "shop=bakery") == {both.id, only_source.id, only_target.id, None}
    assert supporters(elsewhere, "shop=bakery") == {both.id}
    assert db.session.get(Wish, kept_id).comment == "Du bon pain"
    assert db.session.get(Wish, dropped_id) is None
    assert db.session.get(Wish, area_kept_id).shop_type_id == bakery.id
    assert count(Shop, Shop.shop_type_id == bakery.id) == 1
    assert db.session.get(Premises, let.id).let_shop_type_id == bakery.id
    assert db.session.get(ShopType, pastry.id).active is False
    event = last_event("shop_type.merged")
    assert (event.actor_id, event.object_id) == (admin.id, pastry.id)
    assert event.before == {"active": True}
    assert event.after == {"active": False, "merged_into": "shop=bakery", **result.as_dict()}


def test_merging_again_moves_what_reached_the_source_since(any_db_app):
    admin = factories.make_user(role=Role.ADMIN)
    premises = factories.make_premises()
    pastry, bakery = factories.shop_type("shop=pastry"), factories.shop_type("shop=bakery")
    db.session.commit()
    taxonomy.merge_shop_types(admin, pastry, bakery)
    # A support that slipped in on the source while the merge ran.
    factories.make_support(premises, code="shop=pastry")
    db.session.commit()

    result = taxonomy.merge_shop_types(admin, pastry, bakery)

    assert result.supports_moved == 1
    assert last_event("shop_type.merged").before == {"active": False}


def test_merging_a_type_into_itself_is_refused(any_db_app):
    admin = factories.make_user(role=Role.ADMIN)
    bakery = factories.shop_type("shop=bakery")
    factories.make_support(factories.make_premises())
    db.session.commit()

    with pytest.raises(TaxonomyError, match="into itself"):
        taxonomy.merge_shop_types(admin, bakery, bakery)

    assert bakery.active is True
    assert count(Support, Support.shop_type_id == bakery.id) == 1
    assert count(AuditEvent) == 0


def test_merging_into_an_inactive_type_is_refused_and_changes_nothing(any_db_app):
    admin = factories.make_user(role=Role.ADMIN)
    factories.make_support(factories.make_premises(), code="shop=pastry")
    pastry, bakery = factories.shop_type("shop=pastry"), factories.shop_type("shop=bakery")
    bakery.active = False
    db.session.commit()

    with pytest.raises(TaxonomyError, match="Reactivate") as refused:
        taxonomy.merge_shop_types(admin, pastry, bakery)

    assert refused.value.field == "target"
    db.session.expire_all()
    assert count(Support, Support.shop_type_id == pastry.id) == 1
    assert db.session.get(ShopType, pastry.id).active is True
    assert count(AuditEvent) == 0


# The list


def test_usage_by_group_counts_every_type_in_one_query(app, count_queries):
    premises = factories.make_premises()
    for _ in range(3):
        factories.make_support(premises, code="shop=cheese")
    factories.make_wish(premises, shop_type=factories.shop_type("shop=cheese"))
    factories.make_wish(None, latitude=48.87, longitude=2.38, status=WishStatus.PENDING)
    factories.make_shop(shop_type=factories.shop_type("shop=cheese"))
    factories.shop_type("shop=books").active = False
    db.session.commit()
    db.session.expire_all()

    with count_queries() as queries:
        groups = taxonomy.usage_by_group()
        usage = {item.shop_type.code: item for _, items in groups for item in items}
        labels = [group.label_en for group, _ in groups]

    assert queries.count == 1
    assert len(usage) == count(ShopType)
    assert labels[0] == "Food"
    cheese = usage["shop=cheese"]
    assert (cheese.supports, cheese.wishes, cheese.shops) == (3, 1, 1)
    assert (usage["shop=bakery"].wishes, usage["shop=bakery"].supports) == (1, 0)
    assert usage["shop=books"].shop_type.active is False
