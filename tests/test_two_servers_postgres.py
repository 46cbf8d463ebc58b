"""Two gunicorn servers on one PostgreSQL database, under load, with a worker killed mid-way.

`scripts/load.py` sends concurrent supports, withdrawals and wishes through both servers and
works out, from the answers alone, what the database must hold. A worker of the first server is
killed with SIGKILL during the load: its requests in flight may be lost (the script marks them
unknown), but every acknowledged write must be there, the demand counts exact, and both
servers still answering.
"""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from tests import factories
from tests.conftest import postgres_url
from wishboard import config, create_app
from wishboard.extensions import db
from wishboard.models import DemandCount, Premises, ShopType, Support, User, Wish
from wishboard.services import taxonomy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOAD_SCRIPT = PROJECT_ROOT / "scripts" / "load.py"
SECRET_KEY = "two-servers-test-secret"
RESIDENTS = 10
ACTIONS_PER_RESIDENT = 16
KILL_AFTER = 40  # answers
CODES = ["shop=bakery", "shop=butcher", "amenity=cafe", "shop=books"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """`gunicorn wsgi:app` with 2 workers on 127.0.0.1:`port`, as the README deploys it."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        # Its control socket in a directory of its own, not ~/.gunicorn/gunicorn.ctl, which the
        # other server (or another gunicorn of the run) would take over; a short path, as a
        # socket's must fit in 108 bytes.
        self.runtime = tempfile.TemporaryDirectory(prefix="wishboard-gunicorn-")
        env = {
            **os.environ,
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": "0",
            "WISHBOARD_TILE_URL": "",
            "MAIL_SERVER": "",
            "XDG_RUNTIME_DIR": self.runtime.name,
        }
        command = [sys.executable, "-m", "gunicorn", "--workers", "2"]
        command += ["--bind", f"127.0.0.1:{self.port}", "wsgi:app"]
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def workers(self) -> list[int]:
        """The pids of the master's children, read from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that ended while we looked
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz/live", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn stopped; see {self.log.name}"
            if self.answers() and len(self.workers()) == 2:
                return
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within {timeout} s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.runtime.cleanup()


@pytest.fixture
def seeded_database() -> Iterator[dict]:
    """The PostgreSQL test database, migrated, with premises, shop types and verified residents."""
    url = postgres_url()
    app = create_app({**vars(config.TestingConfig()), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        taxonomy.load_shop_types()
        premises = [factories.make_premises() for _ in range(3)]
        residents = [
            factories.make_user(email=f"load-{number:02d}@example.org")
            for number in range(RESIDENTS)
        ]
        db.session.commit()
        plan = {
            "emails": [resident.email for resident in residents],
            "password": factories.PASSWORD,
            "premises": [item.id for item in premises],
            "codes": CODES,
        }
        yield {"url": url, "app": app, "plan": plan}
        db.session.remove()
        db.engine.dispose()


def database_states(plan: dict) -> dict[tuple[str, int, str], list]:
    """For each (resident, premises, shop type), [wish status or None, supported] as stored."""
    emails = dict(db.session.execute(select(User.id, User.email)).all())
    codes = dict(db.session.execute(select(ShopType.id, ShopType.code)).all())
    states: dict[tuple[str, int, str], list] = {}
    for author_id, premises_id, shop_type_id, status in db.session.execute(
        select(Wish.author_id, Wish.premises_id, Wish.shop_type_id, Wish.status)
    ):
        key = (emails[author_id], premises_id, codes[shop_type_id])
        states[key] = [status.value, False]
    for resident_id, premises_id, shop_type_id in db.session.execute(
        select(Support.resident_id, Support.premises_id, Support.shop_type_id)
    ):
        key = (emails[resident_id], premises_id, codes[shop_type_id])
        states.setdefault(key, [None, False])[1] = True
    return states


@pytest.mark.postgres
def test_two_servers_lose_no_acknowledged_write_when_a_worker_is_killed(seeded_database, tmp_path):
    url, plan = seeded_database["url"], seeded_database["plan"]
    plan_file, output = tmp_path / "plan.json", tmp_path / "result.json"
    plan_file.write_text(json.dumps(plan))
    servers = [Gunicorn(url, tmp_path / f"gunicorn-{n}.log") for n in (1, 2)]
    load = None
    try:
        for server in servers:
            server.wait_ready()
        load = subprocess.Popen(
            [sys.executable, str(LOAD_SCRIPT), "--plan", str(plan_file), "--output", str(output)]
            + ["--actions", str(ACTIONS_PER_RESIDENT), "--progress-every", "10"]
            + [arg for server in servers for arg in ("--base", server.base)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert load.stdout.readline() == "ready\n", load.communicate()
        # A quarter into the load, whatever the machine's speed: SIGKILL a worker of the first.
        while (line := load.stdout.readline()) and line != f"done {KILL_AFTER}\n":
            pass
        assert line, load.communicate()
        killed = servers[0].workers()[0]
        killed_at = time.time()
        os.kill(killed, signal.SIGKILL)
        _, errors = load.communicate(timeout=90)
        assert load.returncode == 0, errors
        result = json.loads(output.read_text())

        # Both servers still answer, the first with a new worker in place of the killed one.
        for server in servers:
            assert server.answers()
        servers[0].wait_ready()
        assert killed not in servers[0].workers()
    finally:
        if load is not None and load.poll() is None:
            load.kill()
            load.communicate()
        for server in servers:
            server.stop()

    outcomes = result["outcomes"]
    assert result["errors"] == []
    assert result["requests"] == RESIDENTS * ACTIONS_PER_RESIDENT
    # Refusals are the cap of shop types per premises, nothing else (no CSRF or server error).
    assert {o["status"] for o in outcomes if o["result"] == "refused"} <= {422}
    assert result["unknown"] <= RESIDENTS  # at most the requests in flight at the kill
    # Both servers took writes after the kill.
    for server in servers:
        assert any(
            o["server"] == server.base and o["result"] == "ok" and o["started"] > killed_at
            for o in outcomes
        ), server.base
    print(
        f"\n{result['requests']} requests in {result['ended'] - result['started']:.1f} s:"
        f" {result['ok']} ok, {result['refused']} refused, {result['unknown']} unknown"
    )

    with seeded_database["app"].app_context():
        stored = database_states(plan)
        expected = {
            (item["resident"], item["premises_id"], item["code"]): item["states"]
            for item in result["expected"]
        }
        # Every key holds a state the answers allow: each acknowledged write is there, each
        # refused one is not, and a key the script never touched holds nothing.
        wrong = {
            key: (stored.get(key, [None, False]), states)
            for key, states in expected.items()
            if stored.get(key, [None, False]) not in states
        }
        assert wrong == {}
        assert set(stored) <= set(expected)
        uncertain = sum(1 for states in expected.values() if len(states) > 1)
        assert uncertain <= result["unknown"]

        # The kept demand counts equal a fresh count of the supports.
        kept = {
            (row.premises_id, row.shop_type_id): row.supports
            for row in db.session.scalars(select(DemandCount))
        }
        fresh = {
            (premises_id, shop_type_id): count
            for premises_id, shop_type_id, count in db.session.execute(
                select(Support.premises_id, Support.shop_type_id, func.count()).group_by(
                    Support.premises_id, Support.shop_type_id
                )
            )
        }
        assert kept == fresh
        assert sum(fresh.values()) > 0
        # The wishes: one per key that must hold one, at most one per key that may.
        stored_wishes = db.session.scalar(select(func.count(Wish.id)))
        at_least = sum(1 for states in expected.values() if all(s[0] for s in states))
        at_most = sum(1 for states in expected.values() if any(s[0] for s in states))
        assert 0 < at_least <= stored_wishes <= at_most
        assert db.session.scalar(select(func.count(Premises.id))) == len(plan["premises"])


def load_script():
    """scripts/load.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("load_script", LOAD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("answers", "states"),
    [
        # Acknowledged writes decide the state; a refusal changes nothing.
        ([("wish", "ok"), ("support", "refused")], [["published", True]]),
        ([("wish_comment", "ok"), ("wish", "ok")], [["pending", False]]),
        ([("support", "ok"), ("wish_comment", "ok")], [["pending", True]]),
        ([("wish", "ok"), ("withdraw", "ok")], [[None, False]]),
        # An unknown answer leaves both possibilities, until an acknowledged one decides.
        ([("support", "ok"), ("withdraw", "unknown")], [[None, False], [None, True]]),
        ([("support", "unknown"), ("withdraw", "ok")], [[None, False]]),
    ],
)
def test_the_load_script_expects_what_the_answers_say(answers, states):
    load = load_script()
    outcomes = [
        load.Outcome("r@example.org", action, 1, "shop=bakery", "base", None, result, n, n)
        for n, (action, result) in enumerate(answers)
    ]

    expected = load.expected_states(outcomes)[("r@example.org", 1, "shop=bakery")]

    assert sorted(map(list, expected), key=str) == sorted(states, key=str)
