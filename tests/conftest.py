"""Fixtures shared by the whole suite: an app with a fresh database per test, clients, logins."""

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import event, text

from tests import factories
from wishboard import create_app
from wishboard.config import TestingConfig
from wishboard.extensions import db
from wishboard.models import Role, User
from wishboard.services import taxonomy

POSTGRES_URL_VARIABLE = "WISHBOARD_TEST_POSTGRES_URL"
REDIS_URL_VARIABLE = "WISHBOARD_TEST_REDIS_URL"


def skip_or_fail(reason: str) -> None:
    """Skip a test whose tool is missing, unless WISHBOARD_REQUIRE_ALL=1 asks for everything."""
    if os.environ.get("WISHBOARD_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (WISHBOARD_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


def postgres_url() -> str:
    """The test PostgreSQL database, or a skip when none is configured."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        skip_or_fail(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}")
    return url


def redis_url() -> str:
    """The test Redis server (its rate-limit keys get cleared), or a skip without one."""
    url = os.environ.get(REDIS_URL_VARIABLE)
    if not url:
        skip_or_fail(f"Redis tests need {REDIS_URL_VARIABLE}")
    return url


class FreshGlobalsClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The `app` fixture keeps one application context open for the whole test, and Flask reuses it
    for the client's requests; without this, a signed-in user cached on `g` would leak into the
    next request.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            vars(g).clear()
        return super().open(*args, **kwargs)


class SharedTemplates(BytecodeCache):
    """Compiled templates kept in memory for every test app of the run.

    Each test builds its own app, and each app would compile again every template it renders.
    A template's key includes a checksum of its source, so an edited template is compiled anew.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedTemplates()


def make_app(database_url: str = "sqlite://", **overrides) -> Flask:
    """A testing app on `database_url`, with an empty schema and the shop-type taxonomy."""
    app = create_app(
        {**vars(TestingConfig()), "SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    )
    app.test_client_class = FreshGlobalsClient
    app.jinja_env.bytecode_cache = TEMPLATES
    with app.app_context():
        if database_url.startswith("postgresql"):
            # A clean slate on the shared test database: drop whatever a previous run left.
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        taxonomy.load_shop_types()
    return app


@pytest.fixture
def app() -> Iterator[Flask]:
    """An app on an in-memory SQLite database, inside an application context."""
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_app(request) -> Iterator[Flask]:
    """The same test on SQLite and on PostgreSQL (when WISHBOARD_TEST_POSTGRES_URL is set)."""
    url = "sqlite://" if request.param == "sqlite" else postgres_url()
    app = make_app(url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., User]:
    """Sign `client` in as a new user of `role` (a verified resident by default)."""

    def login(role: Role | str = Role.RESIDENT, **overrides) -> User:
        user = factories.make_user(role=Role(role), **overrides)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return login


class QueryCount:
    """How many SQL statements ran inside a `count_queries()` block."""

    count = 0


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], AbstractContextManager[QueryCount]]:
    """`with count_queries() as queries:` counts the statements the app's engine executes."""

    @contextmanager
    def counting() -> Iterator[QueryCount]:
        counter = QueryCount()

        def count(*args) -> None:
            counter.count += 1

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    return counting
