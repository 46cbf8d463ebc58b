"""The `wishboard` command line: loading the demo town, city- and metropolis-scale data."""

import functools

from sqlalchemy import func, select

from wishboard.data import demo
from wishboard.extensions import db
from wishboard.models import Premises, Shop, Support


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_demo_prints_the_logins(runner):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for role, email in [
        ("landlord", "landlord@demo.wishboard.test"),
        ("moderator", "moderator@demo.wishboard.test"),
        ("admin", "admin@demo.wishboard.test"),
        ("resident", "camille@demo.wishboard.test"),
    ]:
        assert any(line.split() == [role, email, demo.DEMO_PASSWORD] for line in lines), role


def test_demo_run_twice_keeps_the_same_counts(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    first = table_counts()

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert table_counts() == first
    assert first["premises"] == 43 and first["shops"] == 200


def test_demo_at_city_scale_loads_in_bulk(runner, monkeypatch):
    # The real sizes take seconds; the command path is the same with a small city.
    small = functools.partial(
        demo.load_city, premises=30, residents=40, supports=120, area_wishes=10
    )
    monkeypatch.setattr(demo, "load_city", small)

    result = runner.invoke(args=["demo", "--scale", "city"])

    assert result.exit_code == 0, result.output
    assert "30 locaux" in result.output and "120 soutiens" in result.output
    assert db.session.scalar(select(func.count(Support.id))) == 120
    assert db.session.scalar(select(func.count(Premises.id))) == 30


def test_demo_at_metropolis_scale_loads_in_bulk_and_says_how_to_frame_the_map(runner, monkeypatch):
    small = functools.partial(
        demo.load_metropolis, premises=30, residents=40, supports=120, area_wishes=10, shops=8
    )
    monkeypatch.setattr(demo, "load_metropolis", small)

    result = runner.invoke(args=["demo", "--scale", "metropolis"])

    assert result.exit_code == 0, result.output
    assert "30" in result.output and "120" in result.output and "40" in result.output
    assert "WISHBOARD_MAP_BOUNDS=48.767,2.147,48.947,2.557" in result.output
    assert db.session.scalar(select(func.count(Support.id))) == 120
    assert db.session.scalar(select(func.count(Shop.id))) == 8
