"""The sweep's definition (no browser): every route is swept or said not to be a page."""

import pytest

from tests.browser.sweep import NOT_PAGES, SweepPage, sweep_pages
from tests.conftest import FULL_RUN
from tests.test_access import ROLES


def _get_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def test_every_get_route_is_a_page_of_some_role_or_named_not_a_page(app):
    swept = {page.endpoint for page in sweep_pages(app)}

    unswept = _get_endpoints(app) - swept - set(NOT_PAGES)

    assert unswept == set(), "no role opens these as a page: name them in NOT_PAGES (sweep.py)"
    assert set(NOT_PAGES) - _get_endpoints(app) == set(), "stale names in NOT_PAGES"


def test_every_role_has_pages_each_with_a_file_name_of_its_own(app):
    pages = sweep_pages(app, every_role=True)  # as the screenshots take them

    for role in ROLES:
        slugs = [page.slug for page in pages if page.role == role]
        assert "index" in slugs, role
        assert len(slugs) == len(set(slugs)), role


def test_a_url_variable_without_a_value_says_where_to_add_one():
    page = SweepPage("visitor", "public.example", "/examples/<int:example_id>")

    assert page.path == "/examples/<example_id>"
    assert page.url({"example_id": 7}) == "/examples/7"
    with pytest.raises(LookupError, match="no value for <example_id>.*load_sweep_town"):
        page.url({})


def test_the_guard_sweeps_a_page_once_per_kind_of_menu(app):
    guarded = sweep_pages(app)
    shown = sweep_pages(app, every_role=True)

    open_roles = {page.role for page in guarded if page.endpoint == "public.stats"}
    # Staff's menu on a page open to all: in the full run only (staff pages show it anyway).
    assert open_roles == ({"visitor", "resident", "admin"} if FULL_RUN else {"visitor", "resident"})
    # A page of residents and other signed-in people: every role that opens it in the full run.
    account_roles = {page.role for page in guarded if page.endpoint == "resident.account"}
    signed_in = {"unverified", "resident", "landlord", "entrepreneur", "admin"}
    assert account_roles == (signed_in if FULL_RUN else {"unverified", "resident"})
    # A staff page: as an admin, whose staff menu is the longer.
    assert {page.role for page in guarded if page.endpoint == "moderation.audit_log"} == {"admin"}
    # The landlord's own pages stay in the guard, with the landlord's menu.
    assert {page.endpoint for page in guarded if page.role == "landlord"} >= {"landlord.index"}
    assert {page.role for page in shown if page.endpoint == "public.stats"} == set(ROLES)
