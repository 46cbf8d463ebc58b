"""The benchmark (`make bench`) runs end to end on a tiny town, so that it does not rot; on
PostgreSQL it reuses a database that holds its data set already."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from bench import run as bench
from tests.browser.conftest import browser_path
from tests.conftest import postgres_url, skip_or_fail
from wishboard.extensions import db
from wishboard.models import ShopType, Support, User


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def tools() -> str:
    """wrk and the browser of the browser tests, or a skip saying how to install them."""
    if shutil.which("wrk") is None:
        skip_or_fail("The benchmark needs wrk: apt-get install wrk")
    browser = browser_path()
    if browser is None:
        skip_or_fail("The benchmark needs Chromium: apt-get install chromium")
    return browser


# Marked browser: it drives Chromium, and `make test-fast` leaves it out with the others.
@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.long
def test_the_benchmark_measures_every_route_and_the_map(tools: str, tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    # The quickest run: a quarter of a second per route, the baseline measured once, and instead
    # of a second of warm-up a few requests per route that compile its templates (on a busy
    # machine, compiling filled the measured time, which then counted no request).
    arguments = ["--scale", "tiny", "--duration", "0.25", "--warmup", "0", "--baseline-once"]
    # One gunicorn worker and one wrk thread: each route's run then keeps one core busy, not
    # both, and the rest of the suite runs beside it (51 → 33 CPU seconds for this test).
    arguments += ["--connections", "2", "--threads", "1", "--workers", "1"]
    # The map opens in the browser of the browser tests: the headless shell, when installed.
    arguments += ["--browser", tools]
    arguments += ["--port", str(free_port()), "--output", str(output), "--workdir", str(tmp_path)]
    environment = {k: v for k, v in os.environ.items() if k != bench.POSTGRES_VARIABLE}

    # gunicorn's control socket in a directory of this test's, not ~/.gunicorn/gunicorn.ctl,
    # which another gunicorn of the run (or of the machine) may hold at the same time. A short
    # path: a socket's must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="wishboard-bench-") as runtime:
        # As `make bench` runs it: its own process (Playwright's sync API wants no event loop).
        finished = subprocess.run(
            [sys.executable, "-m", "bench.run", *arguments],
            cwd=bench.PROJECT_ROOT,
            env={**environment, "XDG_RUNTIME_DIR": runtime},
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert finished.returncode == 0, finished.stderr[-3000:]

    report = json.loads(output.read_text())
    (run,) = report["runs"]
    assert run["database"] == "sqlite" and run["data"]["premises"] == 60
    routes = {row["key"]: row for row in run["routes"]}
    assert list(routes) == [
        "baseline",
        "home",
        "premises",
        "premises_filtered",
        "premises_detail",
        "geojson",
        "map_cells",
        "map_pins",
        "geojson_304",
        "demand_report",
        "support_toggle",
        "resident_home",
        "resident_premises",
        "resident_premises_detail",
        "resident_wishes",
        "landlord_index",
        "moderator_queue",
    ]
    assert report["settings"]["duration"] == 0.25
    for key, row in routes.items():
        assert row["requests"] > 0, key
        # wrk, asked for a whole second, was stopped after a quarter of one (counted from its own
        # start, a little after it was launched).
        assert 0 < row["duration_s"] < 0.9, (key, row["duration_s"])
        assert row["non_2xx_3xx"] == 0 and row["socket_errors"] == 0, key
        assert row["p99_ms"] >= row["p50_ms"] > 0, key
    assert routes["baseline"]["ratio"] == 1
    # The report is judged on its rebuild too; the full file's rebuild only at city scale.
    assert routes["demand_report"]["target"] == ">=0.3x rebuild<100ms"
    assert "rebuild_ms" in routes["demand_report"] and "rebuild_ms" in routes["geojson"]
    assert routes["geojson"]["target"] == "p50<100ms"
    assert routes["map_cells"]["target"] == routes["map_pins"]["target"] == "rebuild<150ms"
    assert routes["map_cells"]["bytes_per_response"] > 100 and "rebuild_ms" in routes["map_pins"]
    # Headers only (a 304): its CORS and licence headers, never the data.
    assert routes["geojson_304"]["bytes_per_response"] < 1000
    check = run["support_check"]
    assert check["exact"], check
    assert check["after"]["bench_residents"] <= bench.BENCH_RESIDENTS
    sizes = run["geojson_sizes"]
    assert sizes["gzip_content_encoding"] == "gzip" and sizes["gzip"] < sizes["raw"]

    first = run["browser"]["first_visit"]
    assert first["first_pins_ms"] > 0
    # Each pan lands on a premises and sees its pin (PAN gives up after 30 s without one).
    assert len(first["pan_ms"]) == 2 and max(first["pan_ms"]) < 30_000, first["pan_ms"]
    assert first["status"].strip()
    assert {"html", "js", "geojson"} <= set(first["bytes"])
    assert "css" not in first["bytes"]  # the page carries its stylesheets
    assert run["browser"]["repeat_visit"]["transferred"] < first["transferred"]


@pytest.mark.postgres
def test_the_benchmark_reuses_a_postgresql_database_holding_its_data_set() -> None:
    url, key = postgres_url(), secrets.token_hex(16)
    first = bench.build_data("postgresql", url, "tiny", key, fresh=True)
    # What a toggle may leave behind: a benchmark resident's support at the busiest premises.
    with bench._app(url, key).app_context():
        resident = db.session.scalar(select(User).where(User.email == bench.BENCH_EMAIL.format(0)))
        shop_type = db.session.scalar(select(ShopType).where(ShopType.code == first.busiest_code))
        db.session.add(
            Support(resident=resident, premises_id=first.busiest_id, shop_type=shop_type)
        )
        db.session.commit()
        db.session.remove()
    assert bench.support_counts(first, key)["bench_residents"] == 1

    again = bench.build_data("postgresql", url, "tiny", key, fresh=False)

    assert not first.reused and again.reused
    assert again.counts == first.counts
    assert (again.busiest_id, again.busiest_code) == (first.busiest_id, first.busiest_code)
    assert bench.support_counts(again, key)["bench_residents"] == 0
    assert not bench.build_data("postgresql", url, "tiny", key, fresh=True).reused
