"""The rules of wishing and supporting, without a request: services/demand/wishes.py."""

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from wishboard.extensions import db
from wishboard.models import PremisesStatus, Role, Support, Wish, WishStatus
from wishboard.services.demand import moderation, wishes
from wishboard.services.demand.counts import demand_for

CAP = 3
# (south, west, north, east) of a small town around the test premises.
BOUNDS = (48.86, 2.37, 48.89, 2.40)


@pytest.fixture(autouse=True)
def english(request):
    """English messages, inside the test's app (any_db_app, or app where queries are counted)."""
    request.getfixturevalue("app" if "app" in request.fixturenames else "any_db_app")
    with force_locale("en"):
        yield


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(premises) -> dict[str, int]:
    return {item.shop_type.code: item.count for item in demand_for(premises)}


@pytest.mark.parametrize(
    ("make_person", "barrier"),
    [
        (lambda: None, wishes.Barrier.SIGN_IN),
        (lambda: factories.make_user(verified=False), wishes.Barrier.VERIFY),
        (lambda: factories.make_user(role=Role.LANDLORD), wishes.Barrier.ROLE),
        (lambda: factories.make_user(role=Role.MODERATOR), wishes.Barrier.ROLE),
    ],
)
def test_only_verified_residents_wish_support_or_pin_an_area(
    any_db_app, make_person, barrier
) -> None:
    premises, person = factories.make_premises(), make_person()
    bakery = factories.shop_type()
    db.session.commit()

    attempts = [
        lambda: wishes.make_wish(person, premises, bakery, None, CAP),
        lambda: wishes.support(person, premises, bakery, CAP),
        lambda: wishes.withdraw(person, premises, bakery),
        lambda: wishes.make_area_wish(person, 48.87, 2.38, bakery, None, BOUNDS),
    ]
    for attempt in attempts:
        with pytest.raises(wishes.NotAllowed) as refused:
            attempt()
        assert refused.value.barrier is barrier
    assert rows(Wish) == rows(Support) == 0


def test_a_wish_without_comment_counts_at_once(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()

    wish = wishes.make_wish(resident, premises, factories.shop_type(), "   ", CAP)

    assert wish.status is WishStatus.PUBLISHED and wish.comment is None
    assert counts(premises) == {"shop=bakery": 1}


def test_a_wish_with_comment_waits_for_review_and_counts_once_published(any_db_app) -> None:
    premises, resident, other = factories.make_premises(), factories.make_user(), None
    db.session.commit()

    wish = wishes.make_wish(resident, premises, factories.shop_type(), " Du bon pain ", CAP)

    assert wish.status is WishStatus.PENDING and wish.comment == "Du bon pain"
    assert counts(premises) == {}
    assert wishes.published_comments(premises) == []
    mine = wishes.standing(resident, premises, CAP)
    assert [w.comment for w in mine.wishes] == ["Du bon pain"]
    assert mine.types_used == 1  # a pending wish holds its place under the cap
    assert wishes.standing(other, premises, CAP).wishes == ()

    moderation.publish(factories.make_user(Role.MODERATOR), [wish.id])

    assert counts(premises) == {"shop=bakery": 1}
    assert [w.comment for w in wishes.published_comments(premises)] == ["Du bon pain"]


def test_wishing_twice_is_one_wish_and_one_support(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()

    first = wishes.make_wish(resident, premises, factories.shop_type(), None, CAP)
    again = wishes.make_wish(resident, premises, factories.shop_type(), None, CAP)

    assert first.id == again.id
    assert rows(Wish) == rows(Support) == 1


def test_a_new_comment_on_a_counted_wish_goes_back_to_review(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    wishes.make_wish(resident, premises, factories.shop_type(), None, CAP)

    wish = wishes.make_wish(resident, premises, factories.shop_type(), "Le matin tôt", CAP)

    assert wish.status is WishStatus.PENDING and wish.comment == "Le matin tôt"
    assert counts(premises) == {"shop=bakery": 1}  # the pin itself was already counted


def test_a_comment_over_500_characters_is_refused_and_nothing_written(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()

    with pytest.raises(wishes.WishError) as refused:
        wishes.make_wish(resident, premises, factories.shop_type(), "x" * 501, CAP)

    assert refused.value.field == "comment"
    assert rows(Wish) == rows(Support) == 0
    assert wishes.make_wish(resident, premises, factories.shop_type(), "x" * 500, CAP).comment


@pytest.mark.parametrize("status", [PremisesStatus.LET, PremisesStatus.WITHDRAWN])
def test_a_premises_that_is_not_vacant_takes_no_wish_and_says_why(any_db_app, status) -> None:
    extra = {"let_shop_type": factories.shop_type("shop=books"), "let_on": date(2025, 1, 6)}
    premises = factories.make_premises(status=status, **(extra if status == "let" else {}))
    resident = factories.make_user()
    db.session.commit()

    for attempt in (
        lambda: wishes.make_wish(resident, premises, factories.shop_type(), None, CAP),
        lambda: wishes.support(resident, premises, factories.shop_type(), CAP),
    ):
        with pytest.raises(wishes.WishError) as refused:
            attempt()
        assert refused.value.message == wishes.closed_reason(premises)
    assert "no new wishes" in wishes.closed_reason(premises)
    assert rows(Wish) == rows(Support) == 0


def test_a_deactivated_shop_type_cannot_be_chosen(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    retired = factories.shop_type("shop=video_games")
    retired.active = False
    db.session.commit()

    with pytest.raises(wishes.WishError) as refused:
        wishes.support(resident, premises, retired, CAP)

    assert refused.value.field == "shop_type"
    assert rows(Support) == 0


def test_supporting_twice_counts_once_and_says_so(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()

    assert wishes.support(resident, premises, factories.shop_type(), CAP).changed is True
    assert wishes.support(resident, premises, factories.shop_type(), CAP).changed is False
    assert counts(premises) == {"shop=bakery": 1}


def test_the_cap_refuses_a_fourth_type_and_writes_nothing(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    for code in ("shop=bakery", "shop=cheese", "amenity=cafe"):
        wishes.support(resident, premises, factories.shop_type(code), CAP)

    with pytest.raises(wishes.WishError) as refused:
        wishes.make_wish(resident, premises, factories.shop_type("shop=books"), None, CAP)

    assert "3 shop types" in refused.value.message
    assert rows(Support) == 3 and rows(Wish) == 0
    # A type already counted is not a new one: supporting it again is fine at the cap.
    assert (
        wishes.support(resident, premises, factories.shop_type("shop=cheese"), CAP).changed is False
    )
    # The cap is per premises.
    elsewhere = factories.make_premises()
    db.session.commit()
    assert wishes.support(resident, elsewhere, factories.shop_type("shop=books"), CAP).changed


def test_a_pending_wish_counts_against_the_cap(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    wishes.make_wish(resident, premises, factories.shop_type("shop=cheese"), "Comté", 2)
    wishes.support(resident, premises, factories.shop_type("shop=bakery"), 2)

    with pytest.raises(wishes.WishError):
        wishes.support(resident, premises, factories.shop_type("amenity=cafe"), 2)

    assert wishes.standing(resident, premises, 2).types_left == 0


def test_withdraw_removes_the_support_and_the_wish_and_can_repeat(any_db_app) -> None:
    premises, resident, neighbour = (
        factories.make_premises(),
        factories.make_user(),
        factories.make_user(),
    )
    db.session.commit()
    wishes.make_wish(resident, premises, factories.shop_type(), "Du pain", CAP)
    wishes.support(resident, premises, factories.shop_type(), CAP)
    wishes.support(neighbour, premises, factories.shop_type(), CAP)

    assert wishes.withdraw(resident, premises, factories.shop_type()).changed is True
    assert wishes.withdraw(resident, premises, factories.shop_type()).changed is False

    assert counts(premises) == {"shop=bakery": 1}
    assert rows(Wish) == 0
    # Withdrawing frees a place under the cap.
    assert wishes.standing(resident, premises, CAP).types_used == 0


def test_a_let_premises_keeps_its_demand(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    wishes.support(resident, premises, factories.shop_type(), CAP)
    bakery = factories.shop_type()
    premises.let_shop_type, premises.let_on = bakery, date(2025, 5, 2)
    premises.status = PremisesStatus.LET
    db.session.commit()

    with pytest.raises(wishes.WishError):
        wishes.withdraw(resident, premises, factories.shop_type())

    assert counts(premises) == {"shop=bakery": 1}


def test_standings_of_many_premises_in_one_call(app, count_queries) -> None:
    first, second, resident = (
        factories.make_premises(),
        factories.make_premises(),
        factories.make_user(),
    )
    db.session.commit()
    wishes.support(resident, first, factories.shop_type(), CAP)
    wishes.make_wish(resident, second, factories.shop_type("shop=cheese"), "Comté", CAP)

    ids = [first.id, second.id]
    assert resident.id  # loaded before counting

    with count_queries() as queries:
        found = wishes.standings(resident, ids, CAP)

    assert queries.count == 2
    assert found[first.id].supports(factories.shop_type())
    assert not found[second.id].supports(factories.shop_type("shop=cheese"))
    assert found[second.id].pending == {factories.shop_type("shop=cheese").id}
    assert wishes.standings(None, [first.id], CAP) == {}


def test_an_area_wish_inside_the_town_counts_and_a_second_pin_moves_it(any_db_app) -> None:
    resident = factories.make_user()
    db.session.commit()

    first = wishes.make_area_wish(resident, 48.87, 2.38, factories.shop_type(), None, BOUNDS)
    moved = wishes.make_area_wish(
        resident, 48.8712345678, 2.3898765432, factories.shop_type(), "Près du métro", BOUNDS
    )

    assert rows(Wish) == 1 and first.id == moved.id
    assert (moved.latitude, moved.longitude) == (48.871235, 2.389877)
    assert moved.is_area_wish and moved.status is WishStatus.PENDING
    assert rows(Support) == 0  # area wishes count in reports, not as supports of a premises


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(48.85, 2.38), (48.87, 2.41), (float("nan"), 2.38), (48.87, float("inf"))],
)
def test_an_area_wish_outside_the_town_or_not_a_number_is_refused(
    any_db_app, latitude, longitude
) -> None:
    resident = factories.make_user()
    db.session.commit()

    with pytest.raises(wishes.WishError) as refused:
        wishes.make_area_wish(resident, latitude, longitude, factories.shop_type(), None, BOUNDS)

    assert refused.value.field == ("latitude" if latitude != 48.87 else "longitude")
    assert rows(Wish) == 0


def test_withdraw_an_area_wish(any_db_app) -> None:
    resident = factories.make_user()
    db.session.commit()
    wishes.make_area_wish(resident, 48.87, 2.38, factories.shop_type(), None, BOUNDS)

    assert wishes.withdraw_area_wish(resident, factories.shop_type()) is True
    assert wishes.withdraw_area_wish(resident, factories.shop_type()) is False
    assert rows(Wish) == 0


def test_the_record_of_a_resident_lists_their_wishes_supports_and_area_wishes(any_db_app) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    wishes.make_wish(resident, premises, factories.shop_type(), None, CAP)
    wishes.support(resident, premises, factories.shop_type("shop=cheese"), CAP)
    wishes.make_area_wish(resident, 48.87, 2.38, factories.shop_type("amenity=cafe"), None, BOUNDS)
    factories.make_support(premises)  # someone else's
    db.session.commit()

    record = wishes.record_of(resident)

    assert [w.shop_type.code for w in record.wishes] == ["shop=bakery"]
    assert [w.shop_type.code for w in record.area_wishes] == ["amenity=cafe"]
    assert sorted(s.shop_type.code for s in record.supports) == ["shop=bakery", "shop=cheese"]
