"""Counts stay exact when many requests support at once, on a real PostgreSQL server."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests import factories
from tests.conftest import make_app, postgres_url
from wishboard.extensions import db
from wishboard.models import (
    AuditEvent,
    Flag,
    Premises,
    Role,
    ShopType,
    Support,
    User,
    Wish,
    WishStatus,
)
from wishboard.services.demand import moderation, wishes
from wishboard.services.demand.counts import demand_for
from wishboard.settings import settings as app_settings

pytestmark = pytest.mark.postgres
CAP = 3


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    # A pool large enough that every thread holds its own connection at the same moment.
    app = make_app(postgres_url(), SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 60, "max_overflow": 0})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def run_together(app: Flask, count: int, action: Callable[[int], object]) -> list:
    """Run `action(i)` in `count` threads released at the same instant; results or exceptions."""
    start = Barrier(count)

    def one(i: int):
        with app.app_context():
            start.wait()
            try:
                return action(i)
            except Exception as error:  # returned, so that the test shows every failure
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def load(premises_id: int, user_id: int, code: str) -> tuple[User, Premises, ShopType]:
    """The resident, premises and shop type in this thread's own session."""
    return (
        db.session.get(User, user_id),
        db.session.get(Premises, premises_id),
        db.session.query(ShopType).filter_by(code=code).one(),
    )


def test_twenty_taps_of_one_resident_count_once(pg_app: Flask) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    ids = (premises.id, resident.id)

    def tap(i: int) -> bool:
        return wishes.support(*load(*ids, "shop=bakery"), CAP) if i % 2 else _wish(ids)

    results = run_together(pg_app, 20, tap)

    assert [r for r in results if isinstance(r, Exception)] == []
    db.session.expire_all()
    assert [(d.shop_type.code, d.count) for d in demand_for(premises)] == [("shop=bakery", 1)]


def _wish(ids: tuple[int, int]) -> bool:
    resident, premises, shop_type = load(*ids, "shop=bakery")
    wishes.make_wish(resident, premises, shop_type, None, CAP)
    return True


def test_fifty_residents_at_once_are_fifty_supports(pg_app: Flask) -> None:
    premises = factories.make_premises()
    residents = [factories.make_user() for _ in range(50)]
    db.session.commit()
    premises_id, resident_ids = premises.id, [resident.id for resident in residents]

    results = run_together(
        pg_app,
        50,
        lambda i: wishes.support(*load(premises_id, resident_ids[i], "shop=bakery"), CAP),
    )

    assert [result.changed for result in results] == [True] * 50
    db.session.expire_all()
    assert [(d.shop_type.code, d.count) for d in demand_for(premises)] == [("shop=bakery", 50)]


def test_the_cap_holds_when_one_resident_picks_six_types_at_once(pg_app: Flask) -> None:
    premises, resident = factories.make_premises(), factories.make_user()
    db.session.commit()
    ids = (premises.id, resident.id)
    codes = [
        "shop=bakery",
        "shop=cheese",
        "amenity=cafe",
        "shop=books",
        "shop=florist",
        "shop=deli",
    ]

    results = run_together(pg_app, 6, lambda i: wishes.support(*load(*ids, codes[i]), CAP))

    refused = [r for r in results if isinstance(r, wishes.WishError)]
    counted = [r for r in results if isinstance(r, wishes.Tap) and r.changed]
    assert len(refused) == 3 and len(counted) == 3
    db.session.expire_all()
    assert sum(d.count for d in demand_for(premises)) == 3


def test_moderators_deciding_one_item_at_once_decide_it_once(pg_app: Flask) -> None:
    wish = factories.make_wish(
        factories.make_premises(), comment="Du pain", status=WishStatus.PENDING
    )
    staff = [factories.make_user(Role.MODERATOR) for _ in range(10)]
    db.session.commit()
    ids = [user.id for user in staff]

    def decide(i: int) -> int:
        moderator = db.session.get(User, ids[i])
        if i % 2:
            return len(moderation.publish(moderator, [wish.id]).decided)
        return len(moderation.reject(moderator, [wish.id], "abusive", app_settings().mail).decided)

    results = run_together(pg_app, 10, decide)

    assert sorted(results) == [0] * 9 + [1]
    db.session.expire_all()
    decided = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == wish.id)
    )
    assert decided == 1
    supports = db.session.scalar(select(func.count()).select_from(Support))
    assert supports == (1 if db.session.get(Wish, wish.id).status is WishStatus.PUBLISHED else 0)


def test_reports_arriving_together_hide_the_comment_once(pg_app: Flask) -> None:
    wish = factories.make_wish(factories.make_premises(), comment="Insulte")
    people = [factories.make_user() for _ in range(6)]
    db.session.commit()
    ids = [person.id for person in people]

    def report(i: int) -> bool:
        return moderation.flag(
            db.session.get(User, ids[i]), db.session.get(Wish, wish.id), "abusive", 3
        )

    results = run_together(pg_app, 6, report)

    assert results == [True] * 6
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).status is WishStatus.HIDDEN
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 6
    hidden_events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "wish.auto_hidden")
    )
    assert hidden_events == 1
