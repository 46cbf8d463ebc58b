"""The Alembic migrations build the same schema as the models, on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from tests import factories
from tests.conftest import postgres_url
from wishboard import config, create_app
from wishboard.extensions import db
from wishboard.models import DemandCount, Role
from wishboard.services import taxonomy


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL test database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    url = postgres_url()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_database_url):
    app = create_app(
        {**vars(config.TestingConfig()), "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "premises", "wishes", "supports", "shops", "outbox_messages"} <= tables
        # A model change without its migration shows up here.
        assert differences == []
        _the_migrated_triggers_count_counted_supports_only()

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _the_migrated_triggers_count_counted_supports_only() -> None:
    """The triggers the migrations made (not create_all's) keep demand_counts to counted ones."""
    taxonomy.load_shop_types()
    # The role CHECK widened in place on SQLite (0013) takes the new role.
    factories.make_user(role=Role.ENTREPRENEUR)
    place = factories.make_premises()
    supports = [factories.make_support(place) for _ in range(3)]
    supports[0].counted = False
    db.session.commit()
    key = (place.id, supports[0].shop_type_id)
    assert db.session.get(DemandCount, key).supports == 2
    supports[1].counted = False
    db.session.delete(supports[0])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(DemandCount, key).supports == 1
    db.session.remove()
