"""Fixtures shared by the whole suite: an app with a fresh database per test, clients, logins."""

import functools
import gc
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.pool import StaticPool
from werkzeug.routing import Rule

from tests import factories
from wishboard import create_app
from wishboard.config import TestingConfig
from wishboard.extensions import db
from wishboard.models import Role, User
from wishboard.services import taxonomy

POSTGRES_URL_VARIABLE = "WISHBOARD_TEST_POSTGRES_URL"
REDIS_URL_VARIABLE = "WISHBOARD_TEST_REDIS_URL"


# Property tests (hypothesis) try a fifth of their examples in `make test`; CI runs them all with
# HYPOTHESIS_PROFILE=ci (.ci/run sets it). A test states its full count through `examples()`.
settings.register_profile("ci", max_examples=100)  # hypothesis's own default
settings.register_profile("dev", max_examples=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
# The same switch makes the full run of CI: every example above, and every hostile string of
# tests/test_hostile_input.py (`make test` sends one of each kind).
FULL_RUN = os.environ.get("HYPOTHESIS_PROFILE", "dev") == "ci"


def examples(full: int) -> int:
    """How many examples a property test tries: `full` in CI, a fifth of them (at least 5) else."""
    return max(min(full, 5), full * settings.default.max_examples // 100)


def skip_or_fail(reason: str) -> None:
    """Skip a test whose tool is missing, unless WISHBOARD_REQUIRE_ALL=1 asks for everything."""
    if os.environ.get("WISHBOARD_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (WISHBOARD_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


def postgres_url() -> str:
    """The test PostgreSQL database (this xdist worker's own), or a skip when none is configured."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        skip_or_fail(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}")
    return worker_database(url, os.environ.get("PYTEST_XDIST_WORKER", ""))


@functools.cache
def worker_database(url: str, worker: str) -> str:
    """`url`, or for xdist worker `worker` ("gw0") a database of its own beside it.

    Every PostgreSQL test wipes its database: two workers on one database would wipe each other's.
    The worker's database (`wishboard_test_gw0`) is created the first time, which needs the role's
    CREATEDB (scripts/test-postgres.sh grants it).
    """
    if not worker:
        return url
    given = make_url(url)
    own = given.set(database=f"{given.database}_{worker}")
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
            )
            if not exists:
                name = connection.dialect.identifier_preparer.quote(own.database)
                connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


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


def shared_url_builders(compile_builder: Callable) -> Callable:
    """Werkzeug's `Rule._compile_builder`, compiling each route's URL builders once per run.

    Werkzeug compiles two Python functions per route each time an app registers its routes: half
    the cost of `create_app()`, paid again by every test. A builder depends only on the route's
    parsed parts and defaults (the rule itself is an argument when it builds), so the one compiled
    for an earlier app builds the same URLs for the next. Should Werkzeug's internals change,
    routes are compiled as before.
    """
    compiled: dict[tuple, Callable] = {}

    def compile_once(rule: Rule, append_unknown: bool = True) -> Callable:
        try:
            defaults = rule.defaults or {}
            key = (
                rule.rule,
                append_unknown,
                tuple(rule._trace),
                tuple(defaults),
                tuple(
                    (name, rule._converters[name].to_url(value))
                    for name, value in defaults.items()
                    if name in rule._converters
                ),
            )
        except AttributeError:
            return compile_builder(rule, append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    return compile_once


if hasattr(Rule, "_compile_builder"):
    Rule._compile_builder = shared_url_builders(Rule._compile_builder)


def shared_rule_parsing(parse_rule: Callable) -> Callable:
    """Werkzeug's `Rule._parse_rule`, parsing each route's text once per run.

    A route's parts depend only on its text and on its map's converter classes: parsing them again
    for each test's app was a third of what `create_app()` still cost. The converters the route
    names are made again for each rule (they belong to its map), and its trace is the same.
    """
    parsed: dict[tuple, tuple[list, list, list]] = {}

    def parse_once(rule: Rule, text: str) -> list:
        key = (text, tuple(rule.map.converters.items()))
        if key not in parsed:
            converters: list[tuple] = []
            make_converter = rule.get_converter

            def noted(name, converter, args, kwargs):
                converters.append((name, converter, args, kwargs))
                return make_converter(name, converter, args, kwargs)

            rule.get_converter = noted
            start = len(rule._trace)
            try:
                parts = list(parse_rule(rule, text))
            finally:
                del rule.get_converter
            parsed[key] = (parts, rule._trace[start:], converters)
            return list(parts)
        parts, trace, converters = parsed[key]
        for name, converter, args, kwargs in converters:
            rule._converters[name] = rule.get_converter(name, converter, args, kwargs)
            rule.arguments.add(name)
        rule._trace.extend(trace)
        return list(parts)

    return parse_once


if hasattr(Rule, "_parse_rule") and hasattr(Rule, "get_converter"):
    Rule._parse_rule = shared_rule_parsing(Rule._parse_rule)


class EmptyDatabase:
    """An empty in-memory database (schema, triggers, shop types) made once, copied for each test.

    `create_all()` with its triggers and loading the hundred shop types cost each test's app more
    than everything else it does before the test starts; SQLite's backup API copies the finished
    database, page by page, into the new app's connection in a fraction of that.
    """

    def __init__(self) -> None:
        self.template: sqlite3.Connection | None = None

    def fill(self, engine) -> None:
        """Give the in-memory database of `engine` the schema, triggers and shop types."""
        # One connection is the whole database: Flask-SQLAlchemy gives `sqlite://` a StaticPool.
        assert isinstance(engine.pool, StaticPool), engine.pool
        if self.template is None:  # the first app of this process builds it
            db.create_all()
            taxonomy.load_shop_types()
        connection = engine.raw_connection()
        try:
            if self.template is None:
                template = sqlite3.connect(":memory:", check_same_thread=False)
                connection.driver_connection.backup(template)
                self.template = template
            else:
                self.template.backup(connection.driver_connection)
        finally:
            connection.close()


EMPTY_DATABASE = EmptyDatabase()


def make_app(database_url: str = "sqlite://", **overrides) -> Flask:
    """A testing app on `database_url`, with an empty schema and the shop-type taxonomy."""
    app = create_app(
        {**vars(TestingConfig()), "SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    )
    app.test_client_class = FreshGlobalsClient
    app.jinja_env.bytecode_cache = TEMPLATES
    with app.app_context():
        if database_url == "sqlite://":
            EMPTY_DATABASE.fill(db.engine)
            return app
        if database_url.startswith("postgresql"):
            # A clean slate on the shared test database: drop whatever a previous run left.
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        taxonomy.load_shop_types()
    return app


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's cycle collector tuned as wsgi.py tunes it for the site's workers: what is loaded
    once collected is frozen, and a collection runs after 50,000 new objects rather than 700.

    The tests then run as the site does, and take a tenth less CPU (measured on five files of
    page tests, 60 → 54 s), for about 70 MB more memory per worker.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` run first, the rest in their order. xdist hands modules out in this
    order (`make test`: the module of a long test comes first): a long test handed out last keeps
    one worker busy while the other has nothing left."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


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
