"""Administering accounts: search, role changes, deactivation, and the last administrator."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from tests.conftest import make_app, postgres_url
from wishboard.extensions import db
from wishboard.models import AuditEvent, Role, User
from wishboard.services.people import accounts, users
from wishboard.services.people.users import UserChangeRefused, UserSearch
from wishboard.settings import settings as app_settings


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest) -> Iterator[None]:
    """Messages in English, whatever the site's default language (in the test's own app)."""
    request.getfixturevalue("pg_app" if "pg_app" in request.fixturenames else "app")
    with force_locale("en"):
        yield


def events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def found(search: UserSearch) -> list[str]:
    return [user.display_name for user in db.session.scalars(users.search_users(search))]


# Search


def test_search_matches_email_or_name_whatever_the_case(app):
    factories.make_user(display_name="Amina Diallo", email="amina@example.org")
    factories.make_user(display_name="Bruno", email="b.martin@Mairie.example")
    factories.make_user(display_name="Chloé", email="chloe@example.org")
    db.session.commit()

    assert found(UserSearch(text="DIALLO")) == ["Amina Diallo"]
    assert found(UserSearch(text="mairie")) == ["Bruno"]
    assert found(UserSearch(text="  example.org ")) == ["Amina Diallo", "Chloé"]
    assert found(UserSearch(text="nobody")) == []


def test_search_treats_like_wildcards_as_text(app):
    factories.make_user(display_name="100% local", email="percent@example.org")
    factories.make_user(display_name="Plain", email="plain@example.org")
    db.session.commit()

    assert found(UserSearch(text="%")) == ["100% local"]
    assert found(UserSearch(text="_")) == []


def test_search_by_role_and_state(app):
    factories.make_user(display_name="Mod", role=Role.MODERATOR)
    factories.make_user(display_name="Gone", active=False)
    factories.make_user(display_name="Here")
    db.session.commit()

    assert found(UserSearch(role=Role.MODERATOR)) == ["Mod"]
    assert found(UserSearch(active=False)) == ["Gone"]
    assert found(UserSearch(role=Role.RESIDENT, active=True)) == ["Here"]
    assert not UserSearch().narrows and UserSearch(active=False).narrows


# Roles


def test_changing_a_role_records_before_and_after(app):
    admin = factories.make_user(role=Role.ADMIN)
    resident = factories.make_user()
    db.session.commit()

    assert users.change_role(admin, resident, Role.MODERATOR) is True

    db.session.expire_all()
    assert db.session.get(User, resident.id).role is Role.MODERATOR
    [event] = events("user.role_changed")
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "user", resident.id)
    assert (event.before, event.after) == ({"role": "resident"}, {"role": "moderator"})


def test_giving_the_same_role_again_changes_and_records_nothing(app):
    admin = factories.make_user(role=Role.ADMIN)
    moderator = factories.make_user(role=Role.MODERATOR)
    db.session.commit()

    assert users.change_role(admin, moderator, Role.MODERATOR) is False
    assert events() == []


def test_the_last_admin_cannot_step_down(app):
    admin = factories.make_user(role=Role.ADMIN, display_name="Solo")
    db.session.commit()

    with pytest.raises(UserChangeRefused, match="Solo is the last active administrator"):
        users.change_role(admin, admin, Role.RESIDENT)

    db.session.expire_all()
    assert db.session.get(User, admin.id).role is Role.ADMIN
    assert events() == []


def test_a_deactivated_admin_does_not_count_as_another_admin(app):
    admin = factories.make_user(role=Role.ADMIN)
    factories.make_user(role=Role.ADMIN, active=False)
    db.session.commit()

    with pytest.raises(UserChangeRefused):
        users.change_role(admin, admin, Role.MODERATOR)


def test_an_admin_may_step_down_when_another_remains(app):
    first, second = factories.make_user(role=Role.ADMIN), factories.make_user(role=Role.ADMIN)
    db.session.commit()

    assert users.change_role(first, first, Role.MODERATOR) is True
    # Now the second is the last one, and stays.
    with pytest.raises(UserChangeRefused):
        users.change_role(second, second, Role.RESIDENT)
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN))
        == 1
    )


def test_a_deactivated_admin_may_lose_the_role(app):
    admin = factories.make_user(role=Role.ADMIN)
    dormant = factories.make_user(role=Role.ADMIN, active=False)
    db.session.commit()

    assert users.change_role(admin, dormant, Role.RESIDENT) is True


def test_the_rule_reads_the_role_as_it_is_now_not_as_loaded(app):
    first, second = factories.make_user(role=Role.ADMIN), factories.make_user(role=Role.ADMIN)
    db.session.commit()
    first_id = first.id
    # Another request demoted `second` after this one loaded it.
    db.session.execute(
        User.__table__.update().where(User.id == second.id).values(role=Role.RESIDENT.value)
    )
    db.session.commit()

    with pytest.raises(UserChangeRefused):
        users.change_role(first, db.session.get(User, first_id), Role.RESIDENT)


# Deactivation


def test_deactivating_and_reactivating_record_events(app):
    admin = factories.make_user(role=Role.ADMIN)
    resident = factories.make_user()
    db.session.commit()

    assert users.deactivate(admin, resident) is True
    assert users.deactivate(admin, resident) is False
    assert resident.active is False
    assert accounts.authenticate(resident.email, factories.PASSWORD, app_settings()) is None
    assert users.reactivate(admin, resident) is True
    assert users.reactivate(admin, resident) is False
    assert accounts.authenticate(resident.email, factories.PASSWORD, app_settings()) is not None

    recorded = [(e.action, e.before, e.after) for e in events() if e.action.startswith("user.")]
    assert recorded == [
        ("user.deactivated", {"active": True}, {"active": False}),
        ("user.reactivated", {"active": False}, {"active": True}),
    ]


def test_the_last_admin_cannot_be_deactivated_not_even_by_themselves(app):
    admin = factories.make_user(role=Role.ADMIN)
    db.session.commit()

    with pytest.raises(UserChangeRefused, match="cannot be deactivated"):
        users.deactivate(admin, admin)

    db.session.expire_all()
    assert db.session.get(User, admin.id).active is True
    assert events() == []


def test_an_admin_may_deactivate_another_admin_or_themselves_when_one_remains(app):
    first, second = factories.make_user(role=Role.ADMIN), factories.make_user(role=Role.ADMIN)
    db.session.commit()

    assert users.deactivate(first, second) is True
    with pytest.raises(UserChangeRefused):
        users.deactivate(first, first)
    assert users.reactivate(first, second) is True
    assert users.deactivate(first, first) is True


def test_account_deletion_still_keeps_the_last_admin(app):
    admin = factories.make_user(role=Role.ADMIN)
    db.session.commit()

    with pytest.raises(accounts.AccountError, match="last administrator"):
        accounts.delete_account(admin, factories.PASSWORD)
    assert accounts.other_active_admins(admin) == 0


# Two administrators stepping down at the same instant (PostgreSQL: rows locked).


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    app = make_app(postgres_url(), SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("action", ["demote", "deactivate"])
def test_two_last_admins_leaving_at_once_leave_one(pg_app: Flask, action: str) -> None:
    admin_ids = [factories.make_user(role=Role.ADMIN).id for _ in range(2)]
    db.session.commit()
    start = Barrier(2)

    def leave(admin_id: int):
        with pg_app.app_context():
            admin = db.session.get(User, admin_id)
            start.wait()
            try:
                if action == "demote":
                    return users.change_role(admin, admin, Role.RESIDENT)
                return users.deactivate(admin, admin)
            except UserChangeRefused as error:
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(leave, admin_ids))

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["UserChangeRefused", "bool"]
    db.session.expire_all()
    remaining = db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    )
    assert remaining == 1
