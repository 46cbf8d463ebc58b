"""Abuse limits: requests per address and per account, the 429 page, and the sign-in slowdown."""

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import make_app, redis_url
from tests.helpers import csrf_token, soup
from wishboard import limits
from wishboard.extensions import db
from wishboard.models import Role
from wishboard.services.demand import freshness
from wishboard.services.people import accounts, notifications
from wishboard.services.reports.links import report_key
from wishboard.settings import settings as app_settings

# Small limits, so that a test reaches them in a few requests.
TIGHT = {
    "RATELIMIT_ENABLED": True,
    "WISHBOARD_LIMIT_REGISTER": "2 per minute",
    "WISHBOARD_LIMIT_LOGIN": "50 per minute",
    "WISHBOARD_LIMIT_RESET": "5 per minute",
    "WISHBOARD_LIMIT_RESET_EMAIL": "2 per minute",
    "WISHBOARD_LIMIT_RESEND": "1 per minute",
    "WISHBOARD_LIMIT_WISH": "2 per minute",
    "WISHBOARD_LIMIT_SUPPORT": "3 per minute",
    "WISHBOARD_LIMIT_FLAG": "2 per minute",
    "WISHBOARD_LIMIT_CORRECTION": "2 per minute",
    "WISHBOARD_LIMIT_REPORT_KEY": "6 per minute",
    "WISHBOARD_LIMIT_REPORT_KEY_FAILURES": "2 per minute",
    "WISHBOARD_LIMIT_INTEREST": "2 per minute",
    "WISHBOARD_LIMIT_PROJECT": "2 per minute",
    "WISHBOARD_SIGNIN_FREE_FAILURES": 2,
    "WISHBOARD_SIGNIN_ADDRESS_FREE_FAILURES": 4,
    "WISHBOARD_SIGNIN_DELAY_S": 30,
    "WISHBOARD_SIGNIN_MAX_DELAY_S": 100,
}
HTMX = {"HX-Request": "true"}
BAKERY = "shop=bakery"
PAUSED = "Too many failed sign-in attempts. Please try again in 1 minute."


@pytest.fixture
def app() -> Flask:
    """The app with its limits on (the suite's default has them off), tight for the tests."""
    app = make_app(**TIGHT)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def post(client: FlaskClient, url: str, htmx: bool = False, **data):
    value = csrf_token(client)
    if htmx:
        return client.post(url, data=data, headers={**HTMX, "X-CSRFToken": value})
    return client.post(url, data={"csrf_token": value, **data})


def register(client: FlaskClient, n: int):
    password = "lilac bakery window"
    return post(
        client,
        "/auth/register",
        email=f"new{n}@example.org",
        display_name=f"New {n}",
        password=password,
        confirm=password,
    )


def login(client: FlaskClient, email: str, password: str = factories.PASSWORD):
    return post(client, "/auth/login", email=email, password=password)


def from_address(client: FlaskClient, address: str) -> FlaskClient:
    client.environ_base["REMOTE_ADDR"] = address
    return client


def assert_too_many(response, fragment: bool = False) -> None:
    """A 429 saying in words when to come back, with the same in Retry-After."""
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60
    html = soup(response)
    assert ("<html" in response.get_data(as_text=True)) is not fragment
    assert html.select_one("h1").get_text(strip=True) == "Error 429"
    assert "Please try again in 1 minute." in html.select_one(".error-page").get_text()


# The limits per address and per account


def test_sign_ups_are_limited_per_address(client):
    assert [register(client, n).status_code for n in range(2)] == [303, 303]
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    refused = register(client, 3)
    assert_too_many(refused)
    assert soup(refused).html["lang"] == "en"
    # Another address has its own count.
    assert register(from_address(client, "203.0.113.9"), 4).status_code == 303


def test_the_429_page_speaks_the_visitors_language(client):
    for n in range(2):
        register(client, n)
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    refused = register(client, 3)
    assert refused.status_code == 429
    assert soup(refused).html["lang"] == "fr"
    assert soup(refused).select_one("h1").get_text(strip=True) == "Erreur 429"


def test_supports_are_limited_per_account_with_a_fragment_for_htmx(client, login_as):
    premises = factories.make_premises()
    db.session.commit()
    login_as()
    url = f"/premises/{premises.id}/supports/{BAKERY}"
    withdraw = f"{url}/withdraw"
    answers = [post(client, u, htmx=True).status_code for u in (url, withdraw, url)]
    assert answers == [200, 200, 200]
    refused = post(client, withdraw, htmx=True)
    assert_too_many(refused, fragment=True)
    # Without htmx, the whole page.
    assert_too_many(post(client, url))
    # Another resident on the same address (a household, a café's wifi) is not held back.
    login_as()
    assert post(client, url, htmx=True).status_code == 200


def test_wishes_on_premises_and_area_wishes_share_one_limit(client, login_as):
    premises = factories.make_premises()
    db.session.commit()
    login_as()
    first = post(client, f"/premises/{premises.id}/wishes", shop_type=BAKERY)
    assert first.status_code == 303
    area = post(client, "/area-wishes/new", shop_type=BAKERY, latitude="48.87", longitude="2.38")
    assert area.status_code == 303
    assert_too_many(post(client, f"/premises/{premises.id}/wishes", shop_type="shop=cheese"))


def test_reports_of_comments_are_limited(client, login_as):
    wish = factories.make_wish(comment="Une boulangerie, enfin")
    db.session.commit()
    login_as()
    url = f"/wishes/{wish.id}/report"
    # Refused or not by the form, each attempt counts.
    assert [post(client, url).status_code for _ in range(2)] == [422, 422]
    assert_too_many(post(client, url))


def test_interests_and_new_projects_are_limited_per_account(client, login_as):
    login_as(Role.ENTREPRENEUR)
    place = factories.make_premises()
    db.session.commit()
    # Refused or not (no such project, an empty form), each attempt counts.
    interest = f"/projects/999/interest/{place.id}"
    assert [post(client, interest).status_code for _ in range(2)] == [404, 404]
    assert_too_many(post(client, interest))
    assert [post(client, "/projects/new").status_code for _ in range(2)] == [422, 422]
    assert_too_many(post(client, "/projects/new"))


def test_shop_correction_requests_are_limited_per_address(client):
    shop = factories.make_shop()
    db.session.commit()
    url = f"/shops/{shop.id}/correction"
    assert [post(client, url).status_code for _ in range(2)] == [422, 422]
    assert_too_many(post(client, url))
    assert post(from_address(client, "192.0.2.30"), url).status_code == 422


def test_deleting_an_account_is_limited_like_signing_in(app, client, login_as):
    app.config["WISHBOARD_LIMIT_LOGIN"] = "2 per minute"  # read when each request is checked
    login_as()
    url = "/me/delete"
    answers = [post(client, url, password="a wrong guess").status_code for _ in range(2)]
    assert answers == [422, 422]
    assert_too_many(post(client, url, password="another guess"))


def test_password_resets_are_limited_per_email_whatever_the_address(client):
    for n in range(2):
        answer = post(from_address(client, f"198.51.100.{n}"), "/auth/reset", email="Ana@x.org")
        assert answer.status_code == 303
    refused = post(from_address(client, "198.51.100.7"), "/auth/reset", email=" ana@x.org")
    assert_too_many(refused)
    # Another address (e-mail) is still served.
    assert post(client, "/auth/reset", email="bea@x.org").status_code == 303


def test_verification_resends_are_limited_per_account(client, login_as):
    login_as(verified=False)
    assert post(client, "/auth/verify/resend").status_code == 303
    assert_too_many(post(client, "/auth/verify/resend"))


def test_guessing_report_keys_is_limited_per_address(client):
    premises = factories.make_premises()
    db.session.commit()
    url = f"/landlord/premises/{premises.id}/report"
    good = report_key(premises, app_settings())
    # A good key counts only against the overall limit for keyed requests.
    assert [client.get(f"{url}?key={good}").status_code for _ in range(3)] == [200] * 3
    assert [client.get(f"{url}?key=guess{n}").status_code for n in range(2)] == [404, 404]
    assert_too_many(client.get(f"{url}?key=guess3"))
    # Even the right key waits now: the address was guessing.
    assert client.get(f"{url}?key={good}").status_code == 429
    # Elsewhere, the right key opens the report.
    assert from_address(client, "192.0.2.44").get(f"{url}?key={good}").status_code == 200


def test_guessing_the_keys_that_stop_notification_e_mails_is_limited_too(client):
    ana = factories.make_user()
    db.session.commit()
    good = f"/notifications/stop/{notifications.unsubscribe_key(ana, app_settings())}"
    assert client.get(good).status_code == 200
    assert [client.get(f"/notifications/stop/guess{n}").status_code for n in range(2)] == [404] * 2
    assert_too_many(client.get("/notifications/stop/guess3"))
    assert client.post(good).status_code == 429  # the address was guessing: it waits too
    db.session.refresh(ana)
    assert ana.notify_let  # nothing was stopped


def test_guessing_the_links_that_confirm_old_supports_is_limited_too(client):
    support = factories.make_support(factories.make_premises())
    db.session.commit()
    good = f"/supports/confirm/{freshness.confirm_key(support, app_settings())}"
    assert client.get(good).status_code == 200
    assert [client.get(f"/supports/confirm/guess{n}").status_code for n in range(2)] == [404] * 2
    assert_too_many(client.get("/supports/confirm/guess3"))
    assert client.get(good).status_code == 429  # the address was guessing: it waits too


def test_keyed_requests_have_an_overall_limit(client):
    premises = factories.make_premises()
    db.session.commit()
    url = f"/landlord/premises/{premises.id}/report?key={report_key(premises, app_settings())}"
    assert [client.get(url).status_code for _ in range(6)] == [200] * 6
    assert_too_many(client.get(url))


def test_pages_without_a_key_are_not_counted(client):
    for _ in range(10):
        assert client.get("/landlord/premises/1/report").status_code in (302, 404)


def test_limits_are_off_in_the_tests_default_config():
    app = make_app(**{key: value for key, value in TIGHT.items() if key != "RATELIMIT_ENABLED"})
    with app.app_context():
        client = app.test_client()
        assert [register(client, n).status_code for n in range(4)] == [303] * 4
        db.session.remove()
        db.engine.dispose()


# The sign-in slowdown


def test_sign_in_pauses_after_failures_with_the_same_answer_for_unknown_accounts(client):
    factories.make_user(email="ana@example.org")
    db.session.commit()
    answers = {}
    for email, address in (("ana@example.org", "192.0.2.1"), ("nobody@example.org", "192.0.2.2")):
        from_address(client, address)
        failures = [login(client, email, "wrong password!").status_code for _ in range(2)]
        assert failures == [422, 422]
        paused = login(client, email, "wrong password!")
        answers[email] = (
            paused.status_code,
            paused.headers["Retry-After"],
            soup(paused)
            .select_one("form .form-errors, .error-summary, [role=alert]")
            .get_text(" ", strip=True),
        )
    assert answers["ana@example.org"] == answers["nobody@example.org"]
    status, retry_after, words = answers["ana@example.org"]
    assert status == 429
    assert 0 < int(retry_after) <= 30
    assert PAUSED in words
    # Even the right password waits; the written address's case does not matter.
    from_address(client, "192.0.2.3")
    refused = login(client, " ANA@example.org", factories.PASSWORD)
    assert refused.status_code == 429
    assert PAUSED in soup(refused).get_text(" ", strip=True)


def test_a_pause_ends_and_a_success_clears_the_account(app, client):
    app.config["WISHBOARD_SIGNIN_DELAY_S"] = 1
    factories.make_user(email="ana@example.org")
    db.session.commit()
    for _ in range(2):
        login(client, "ana@example.org", "wrong password!")
    login(client, "ana@example.org", "wrong password!")
    assert login(client, "ana@example.org").status_code == 429
    time.sleep(1.1)
    assert login(client, "ana@example.org").status_code == 303
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    # The account starts afresh: a mistake now is one of its free failures again.
    assert login(client, "ana@example.org", "wrong password!").status_code == 422
    assert login(client, "ana@example.org").status_code == 303


def test_many_accounts_tried_from_one_address_pause_that_address(client):
    for n in range(4):
        assert login(client, f"guess{n}@example.org", "wrong password!").status_code == 422
    assert login(client, "guess9@example.org", "wrong password!").status_code == 429
    assert login(from_address(client, "192.0.2.50"), "guess9@example.org", "x").status_code == 422


def test_the_pause_doubles_up_to_its_ceiling(app):
    seen = []
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.60"}):
        for _ in range(5):
            limits.signin_failed("ana@example.org")
            try:
                limits.check_signin("ana@example.org")
            except limits.SignInPaused as pause:
                seen.append(pause.retry_after)
            else:
                seen.append(0)
    assert seen[0] == 0
    assert [round(wait, -1) for wait in seen[1:]] == [30, 60, 100, 100]


def test_a_paused_attempt_checks_no_password_known_or_not(client, monkeypatch):
    factories.make_user(email="ana@example.org")
    db.session.commit()
    checks = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: checks.append(1) or real(*a))
    counts = {}
    for n, email in enumerate(("ana@example.org", "nobody@example.org")):
        from_address(client, f"192.0.2.7{n}")
        checks.clear()
        for _ in range(2):
            login(client, email, "wrong password!")
        before = len(checks)
        login(client, email, "wrong password!")
        counts[email] = (before, len(checks) - before)
    # Two checks for the free failures, none while paused: the same work for both.
    assert counts == {"ana@example.org": (2, 0), "nobody@example.org": (2, 0)}


# Storage shared by several servers


def test_in_memory_counts_are_per_app():
    """Two apps without shared storage count apart (the case Redis exists for)."""
    first, second = make_app(**TIGHT), make_app(**TIGHT)
    for one in (first, second):
        with one.app_context():
            client = one.test_client()
            assert [register(client, n).status_code for n in range(2)] == [303, 303]
            db.session.remove()
            db.engine.dispose()


def test_two_servers_share_their_counts_in_redis():
    url = redis_url()
    apps = [make_app(**TIGHT, RATELIMIT_STORAGE_URI=url) for _ in range(2)]
    apps[0].extensions[limits.EXTENSION_KEY].reset()
    try:
        with apps[0].app_context():
            client = apps[0].test_client()
            client.environ_base["REMOTE_ADDR"] = "192.0.2.80"
            assert [register(client, n).status_code for n in range(2)] == [303, 303]
            with apps[0].test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.81"}):
                for _ in range(3):
                    limits.signin_failed("ana@example.org")
            db.session.remove()
        with apps[1].app_context():
            client = apps[1].test_client()
            client.environ_base |= {"REMOTE_ADDR": "192.0.2.80", "HTTP_ACCEPT_LANGUAGE": "en"}
            assert_too_many(register(client, 3))
            other = apps[1].test_client()
            other.environ_base["REMOTE_ADDR"] = "192.0.2.82"
            paused = login(other, "ana@example.org")
            assert paused.status_code == 429
            db.session.remove()
    finally:
        apps[0].extensions[limits.EXTENSION_KEY].reset()
        for one in apps:
            with one.app_context():
                db.engine.dispose()


def test_with_its_storage_out_of_reach_the_site_serves_without_limits(caplog):
    app = make_app(**TIGHT, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")  # nothing listens
    with app.app_context():
        factories.make_user(email="ana@example.org")
        db.session.commit()
        client = app.test_client()
        assert [register(client, n).status_code for n in range(3)] == [303] * 3
        other = app.test_client()
        assert login(other, "ana@example.org", "wrong password!").status_code == 422
        assert login(other, "ana@example.org").status_code == 303
        assert any("slowdown skipped" in record.getMessage() for record in caplog.records)
        db.session.remove()
        db.engine.dispose()
