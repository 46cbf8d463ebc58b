"""Sessions: cookie flags, a fresh session at sign-in, and sessions ended by a new password."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import make_app
from tests.helpers import csrf_token
from wishboard.extensions import db
from wishboard.services.people import accounts
from wishboard.settings import settings as app_settings

SESSION = "session"
REMEMBER = "remember_token"


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def sign_in(
    client: FlaskClient, email: str, remember: bool = False, https: bool = False, **environ
):
    """Sign in through the form, over HTTPS if asked (as a browser: with a same-site Referer)."""
    if https:
        environ["headers"] = {**environ.get("headers", {}), "Referer": "https://localhost/"}
        if "X-Forwarded-Proto" not in environ["headers"]:
            environ["base_url"] = "https://localhost"
    data = {
        "csrf_token": csrf_token(client, **environ),
        "email": email,
        "password": factories.PASSWORD,
    }
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data, **environ)


def set_cookie_headers(response) -> dict[str, str]:
    """Each cookie the response sets, by name, with its attributes in lower case."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = header.lower()
    return cookies


def signed_in(client: FlaskClient) -> bool:
    """True when the client's cookies open the resident's own page."""
    return client.get("/me").status_code == 200


@pytest.fixture
def ana(app: Flask):
    user = factories.make_user(email="ana@example.org")
    db.session.commit()
    return user


def test_session_and_remember_cookies_are_httponly_and_samesite(client, ana):
    response = sign_in(client, "ana@example.org", remember=True)
    assert response.status_code == 303
    cookies = set_cookie_headers(response)
    for name in (SESSION, REMEMBER):
        assert "; httponly" in cookies[name]
        assert "; samesite=lax" in cookies[name]
        # Plain HTTP in development: a Secure cookie would never come back.
        assert "; secure" not in cookies[name]


def test_cookies_are_secure_on_https(client, ana):
    response = sign_in(client, "ana@example.org", remember=True, https=True)
    cookies = set_cookie_headers(response)
    assert "; secure" in cookies[SESSION]
    assert "; secure" in cookies[REMEMBER]


def test_cookies_are_secure_behind_a_proxy_that_says_https():
    app = make_app(WISHBOARD_PROXIES=1)
    with app.app_context():
        factories.make_user(email="ana@example.org")
        db.session.commit()
        client = app.test_client()
        response = sign_in(
            client,
            "ana@example.org",
            remember=True,
            https=True,
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "localhost"},
        )
        cookies = set_cookie_headers(response)
        assert "; secure" in cookies[SESSION]
        assert "; secure" in cookies[REMEMBER]
        db.session.remove()
        db.engine.dispose()


def test_the_secure_cookies_setting_marks_them_secure_everywhere():
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    with app.app_context():
        factories.make_user(email="ana@example.org")
        db.session.commit()
        client = app.test_client()
        cookies = set_cookie_headers(sign_in(client, "ana@example.org", remember=True))
        assert "; secure" in cookies[SESSION]
        assert "; secure" in cookies[REMEMBER]
        db.session.remove()
        db.engine.dispose()


def test_signing_in_starts_a_fresh_session(client, ana):
    csrf_token(client)  # a visitor's session, with its CSRF token
    with client.session_transaction() as session:
        session["planted"] = "by someone before sign-in"
        before_token = session["csrf_token"]
    assert sign_in(client, "ana@example.org").status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != before_token
        assert session["_user_id"] == ana.get_id()
    assert signed_in(client)


def test_a_cookie_captured_before_sign_in_is_not_signed_in(app, client, ana):
    csrf_token(client)
    captured = client.get_cookie(SESSION).value
    assert sign_in(client, "ana@example.org").status_code == 303
    assert signed_in(client)
    other = app.test_client()
    other.set_cookie(SESSION, captured)
    assert other.get("/me").status_code == 302


def test_a_new_password_ends_every_session_and_remember_cookie(app, client, ana):
    sign_in(client, "ana@example.org", remember=True)
    session_cookie = client.get_cookie(SESSION).value
    remember_cookie = client.get_cookie(REMEMBER).value
    # Before the change, the remember cookie alone signs in (so the test below can fail).
    remembered = app.test_client()
    remembered.set_cookie(REMEMBER, remember_cookie)
    assert signed_in(remembered)

    accounts.reset_password(
        accounts.make_reset_token(ana, app_settings()), "a brand new password", app_settings()
    )

    assert not signed_in(client)
    for name, value in ((SESSION, session_cookie), (REMEMBER, remember_cookie)):
        stolen = app.test_client()
        stolen.set_cookie(name, value)
        assert not signed_in(stolen), name
    # The new password opens a new session.
    again = app.test_client()
    again.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(again),
            "email": "ana@example.org",
            "password": "a brand new password",
        },
    )
    assert signed_in(again)


def test_a_deactivated_account_is_signed_out_at_its_next_request(client, login_as):
    user = login_as()
    assert signed_in(client)
    user.active = False
    db.session.commit()
    response = client.get("/me")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_a_session_naming_only_the_user_id_is_not_signed_in(client, ana):
    with client.session_transaction() as session:
        session["_user_id"] = str(ana.id)
    assert not signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{ana.id}:0000000000000000"
    assert not signed_in(client)
