"""The accounts pages through the test client: register, verify, sign in and out, reset."""

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests import factories
from tests.helpers import configure, soup
from tests.mail_server import free_port
from wishboard.extensions import db
from wishboard.models import OutboxMessage, OutboxStatus, Role, User
from wishboard.services.people import accounts
from wishboard.settings import settings as app_settings

GOOD_PASSWORD = "lilac bakery window"
GENERIC_LOGIN_ERROR = "E-mail or password incorrect."


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    """These tests read the English texts; the French ones are checked where named."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def closed_port() -> int:
    return free_port()


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on the page at `url`, as a browser would send it back."""
    response = client.get(url)
    assert response.status_code == 200
    return soup(response).select_one("input[name=csrf_token]")["value"]


def post_form(client: FlaskClient, url: str, page: str | None = None, **data):
    """Post `data` to `url` with the CSRF token of the form shown at `page` (default `url`)."""
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def register(client: FlaskClient, **overrides):
    values = {
        "email": "ana@example.org",
        "display_name": "Ana",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    return post_form(client, "/auth/register", **(values | overrides))


def login(client: FlaskClient, email: str, password: str = factories.PASSWORD, **extra):
    return post_form(client, "/auth/login", email=email, password=password, **extra)


def signed_in_user_id(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def outbox_rows() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    """The path of the one link to this site in an e-mail's text."""
    match = re.search(r"http://localhost(/auth/\S+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def field_errors(page: BeautifulSoup, field_id: str) -> str:
    """The error text shown with a field, after checking the input is marked and linked to it."""
    field = page.select_one(f"#{field_id}")
    assert field["aria-invalid"] == "true"
    assert f"{field_id}-error" in field["aria-describedby"].split()
    return page.select_one(f"#{field_id}-error").get_text(" ", strip=True)


# Registering


def test_register_page_labels_every_field(client):
    page = soup(client.get("/auth/register"))
    for name in ("email", "display_name", "password", "confirm"):
        assert page.select_one(f"label[for={name}]").get_text(strip=True)
        assert page.select_one(f"input#{name}")["name"] == name
    assert page.select_one("form")["action"] == "/auth/register"


def test_register_creates_unverified_resident_signs_in_and_mails_a_working_link(client):
    response = register(client, email="  Ana.Lopez@Example.ORG ")

    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/check-email"
    user = db.session.scalars(select(User)).one()
    assert user.email == "ana.lopez@example.org"
    assert user.role is Role.RESIDENT
    assert not user.is_verified
    assert check_password_hash(user.password_hash, GOOD_PASSWORD)
    assert signed_in_user_id(client) == user.get_id()

    page = soup(client.get("/auth/check-email"))
    assert page.select_one("h1").get_text(strip=True) == "Check your e-mail"
    assert "ana.lopez@example.org" in page.select_one("main").get_text()

    [message] = outbox_rows()
    assert message.recipient == "ana.lopez@example.org"
    assert message.kind == "verify-email"
    assert message.status is OutboxStatus.SENT  # no MAIL_SERVER in tests: written to the log
    assert message.body_html and "<a href=" in message.body_html

    response = client.get(link_in(message))
    assert response.status_code == 200
    assert "Your wishes and votes now count" in soup(response).select_one("main").get_text()
    db.session.refresh(user)
    assert user.is_verified

    again = client.get(link_in(message))
    assert again.status_code == 200
    assert "already confirmed" in soup(again).select_one("main").get_text()


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"email": "TAKEN@example.org "}, "email", "An account already uses this e-mail address."),
        ({"email": "not-an-address"}, "email", "Enter a valid e-mail address"),
        ({"email": ""}, "email", "Enter your e-mail address."),
        ({"display_name": "x" * 61}, "display_name", "Use at most 60 characters."),
        ({"display_name": "   "}, "display_name", "Enter a display name."),
        ({"password": "short1!", "confirm": "short1!"}, "password", "at least 10 characters"),
        ({"password": "1234567812345", "confirm": "1234567812345"}, "password", "digits only"),
        ({"password": "ana@example.org", "confirm": "ana@example.org"}, "password", "e-mail"),
        (
            {"password": "AnaLopez99", "confirm": "AnaLopez99", "email": "analopez99@example.org"},
            "password",
            "e-mail address",
        ),
        ({"password": "azertyuiop", "confirm": "azertyuiop"}, "password", "too common"),
        ({"confirm": "another password here"}, "confirm", "The two passwords are not the same."),
    ],
)
def test_register_refuses_bad_input_in_the_form_and_writes_nothing(
    client, overrides, field, expected
):
    factories.make_user(email="taken@example.org")
    db.session.commit()

    response = register(client, **overrides)

    assert response.status_code == 422
    page = soup(response)
    assert expected in field_errors(page, field)
    assert page.select_one(".error-summary[role=alert]")
    assert user_count() == 1
    assert outbox_rows() == []
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize("token", [None, "not-the-token"], ids=["missing", "wrong"])
def test_register_with_a_bad_csrf_token_is_refused_and_writes_nothing(client, token):
    data = {
        "email": "ana@example.org",
        "display_name": "Ana",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    if token:
        csrf_token(client, "/auth/register")  # the visitor has a session and a real token
        data["csrf_token"] = token

    response = client.post("/auth/register", data=data)

    assert response.status_code == 400
    assert "session has expired" in soup(response).select_one("main").get_text()
    assert user_count() == 0
    assert outbox_rows() == []


def test_register_succeeds_when_the_mail_server_is_down(app, client, closed_port):
    configure(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)

    response = register(client)

    assert response.status_code == 303
    assert user_count() == 1
    [message] = outbox_rows()
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error


# Verifying


def test_verify_with_a_tampered_token_explains_and_offers_a_new_link(client, login_as):
    login_as(Role.RESIDENT, verified=False)
    user = db.session.scalars(select(User)).one()
    token = accounts.make_verify_token(user, app_settings())

    response = client.get(f"/auth/verify/{factories.tampered_token(token)}")

    assert response.status_code == 400
    page = soup(response)
    assert "This link is not valid." in page.select_one("main").get_text()
    assert page.select_one("form[action='/auth/verify/resend'] button")
    db.session.refresh(user)
    assert not user.is_verified


def test_verify_with_an_expired_token_says_so(app, client):
    user = factories.make_user(verified=False)
    db.session.commit()
    token = accounts.make_verify_token(user, app_settings())
    configure(app, WISHBOARD_VERIFY_MAX_AGE_S=-1)

    response = client.get(f"/auth/verify/{token}")

    assert response.status_code == 400
    page = soup(response)
    assert "This link has expired." in page.select_one("main").get_text()
    # Signed out: the way to a new link goes through signing in.
    assert page.select_one("a[href^='/auth/login']")
    db.session.refresh(user)
    assert not user.is_verified


def test_resend_sends_a_new_link_to_a_signed_in_unverified_user(client, login_as):
    user = login_as(Role.RESIDENT, verified=False)

    response = post_form(client, "/auth/verify/resend", page="/auth/check-email")

    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/check-email"
    [message] = outbox_rows()
    assert message.recipient == user.email
    assert client.get(link_in(message)).status_code == 200
    db.session.refresh(user)
    assert user.is_verified


def test_resend_does_nothing_for_a_verified_user(client, login_as):
    login_as(Role.RESIDENT)
    response = post_form(client, "/auth/verify/resend", page="/auth/check-email")
    assert response.status_code == 303
    assert outbox_rows() == []


def test_resend_needs_a_signed_in_user(client):
    response = post_form(client, "/auth/verify/resend", page="/auth/register")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_without_smtp_the_verification_e_mail_is_printed_with_its_link(client, capsys):
    response = register(client)
    assert response.status_code == 303

    printed = capsys.readouterr().err.splitlines()
    assert "To: ana@example.org" in printed
    [subject] = [line for line in printed if line.startswith("Subject: ")]
    message = db.session.scalars(select(OutboxMessage)).one()
    assert subject == f"Subject: {message.subject}"
    [link] = re.findall(r"^http\S+/auth/verify/\S+$", message.body_text, re.MULTILINE)
    assert link in printed and f"  {link}" in printed  # in the text, and under "Links:"
    assert client.get(urlsplit(link).path).status_code == 200


# Signing in and out


def test_login_signs_in_and_records_the_time(client):
    user = factories.make_user(email="ana@example.org")
    db.session.commit()

    response = login(client, " ANA@example.org")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert signed_in_user_id(client) == user.get_id()
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert client.get_cookie("remember_token") is None


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("ana@example.org", "wrong password here", True),
        ("nobody@example.org", factories.PASSWORD, True),
        ("ana@example.org", factories.PASSWORD, False),
    ],
    ids=["wrong-password", "unknown-email", "inactive-account"],
)
def test_login_refusals_all_say_the_same(client, email, password, active):
    factories.make_user(email="ana@example.org", active=active)
    db.session.commit()

    response = login(client, email, password)

    assert response.status_code == 422
    summary = soup(response).select_one(".error-summary[role=alert]")
    assert summary.select_one("li").get_text(strip=True) == GENERIC_LOGIN_ERROR


def test_login_refusal_speaks_french_to_a_french_visitor(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"

    response = login(client, "ana@example.org", "not the password")

    assert response.status_code == 422
    summary = soup(response).select_one(".error-summary[role=alert]")
    title = summary.select_one("h2").get_text(strip=True)
    assert title == "Veuillez corriger les points suivants\u00a0:"
    assert summary.select_one("li").get_text(strip=True) == (
        "Adresse e-mail ou mot de passe incorrect."
    )
    assert signed_in_user_id(client) is None


def test_login_with_remember_me_sets_the_remember_cookie(client):
    factories.make_user(email="ana@example.org")
    db.session.commit()

    response = login(client, "ana@example.org", remember="y")

    assert response.status_code == 303
    assert client.get_cookie("remember_token") is not None


def test_login_returns_to_a_local_next_page(client):
    factories.make_user(email="ana@example.org")
    db.session.commit()
    page = soup(client.get("/auth/login?next=/premises%3Fdistrict%3D2"))
    assert page.select_one("input[name=next]")["value"] == "/premises?district=2"

    response = login(client, "ana@example.org", next="/premises?district=2")

    assert response.headers["Location"] == "/premises?district=2"


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.RESIDENT, "/"),
        (Role.LANDLORD, "/landlord/"),
        (Role.MODERATOR, "/moderation/"),
        (Role.ADMIN, "/moderation/"),
    ],
)
def test_login_without_next_starts_each_role_on_its_own_work(client, role, home):
    factories.make_user(email="ana@example.org", role=role)
    db.session.commit()

    response = login(client, "ana@example.org")

    assert response.status_code == 303
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


@pytest.mark.parametrize("role", [Role.LANDLORD, Role.MODERATOR, Role.ADMIN])
def test_login_with_a_local_next_wins_over_the_role_home(client, role):
    factories.make_user(email="ana@example.org", role=role)
    db.session.commit()

    response = login(client, "ana@example.org", next="/premises?district=2")

    assert response.headers["Location"] == "/premises?district=2"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/path"])
def test_login_with_an_unsafe_next_sends_a_landlord_home(client, target):
    factories.make_user(email="ana@example.org", role=Role.LANDLORD)
    db.session.commit()

    response = login(client, "ana@example.org", next=target)

    assert response.headers["Location"] == "/landlord/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "premises",
    ],
)
def test_login_refuses_to_redirect_off_site(client, target):
    factories.make_user(email="ana@example.org")
    db.session.commit()
    page = soup(client.get("/auth/login", query_string={"next": target}))
    assert page.select_one("input[name=next]")["value"] == ""

    response = login(client, "ana@example.org", next=target)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_logout_signs_out_and_forgets_the_device(client):
    factories.make_user(email="ana@example.org")
    db.session.commit()
    login(client, "ana@example.org", remember="y")
    assert client.get_cookie("remember_token") is not None

    response = post_form(client, "/auth/logout", page="/auth/check-email")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert signed_in_user_id(client) is None
    assert client.get_cookie("remember_token") is None


def test_logout_without_csrf_token_is_refused(client, login_as):
    user = login_as(Role.RESIDENT)
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert signed_in_user_id(client) == user.get_id()


def test_logout_is_post_only(client, login_as):
    login_as(Role.RESIDENT)
    assert client.get("/auth/logout").status_code == 405


# Resetting a password


def test_reset_end_to_end(client):
    user = factories.make_user(email="ana@example.org", verified=False)
    db.session.commit()

    response = post_form(client, "/auth/reset", email="Ana@Example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/reset/sent"
    [message] = outbox_rows()
    assert message.kind == "reset-password"
    assert message.recipient == "ana@example.org"
    reset_path = link_in(message)

    form_page = soup(client.get(reset_path))
    assert form_page.select_one("form")["action"] == reset_path

    weak = post_form(client, reset_path, password="1234567890", confirm="1234567890")
    assert weak.status_code == 422
    assert "digits only" in field_errors(soup(weak), "password")

    new_password = "a brand new secret"
    done = post_form(client, reset_path, password=new_password, confirm=new_password)
    assert done.status_code == 303
    assert done.headers["Location"] == "/auth/login"
    flashes = soup(client.get("/auth/login")).select_one(".flashes").get_text()
    assert "Your password has been changed." in flashes

    db.session.refresh(user)
    assert check_password_hash(user.password_hash, new_password)
    assert user.is_verified  # the link proved they read the mailbox
    assert login(client, "ana@example.org", factories.PASSWORD).status_code == 422
    assert login(client, "ana@example.org", new_password).status_code == 303

    reused = client.get(reset_path)
    assert reused.status_code == 400
    assert "already been used" in soup(reused).select_one("main").get_text()
    assert soup(reused).select_one("a[href='/auth/reset']")


def test_reset_request_answers_the_same_for_an_unknown_address(client):
    response = post_form(client, "/auth/reset", email="nobody@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/reset/sent"
    assert "If an account exists" in soup(client.get("/auth/reset/sent")).get_text()
    assert outbox_rows() == []


def test_reset_request_sends_nothing_to_an_inactive_account(client):
    factories.make_user(email="ana@example.org", active=False)
    db.session.commit()
    response = post_form(client, "/auth/reset", email="ana@example.org")
    assert response.headers["Location"] == "/auth/reset/sent"
    assert outbox_rows() == []


def test_reset_request_with_a_malformed_address_shows_the_error(client):
    response = post_form(client, "/auth/reset", email="ana-at-example")
    assert response.status_code == 422
    assert "valid e-mail address" in field_errors(soup(response), "email")


def test_reset_with_an_expired_token_is_refused(app, client):
    user = factories.make_user()
    db.session.commit()
    token = accounts.make_reset_token(user, app_settings())
    configure(app, WISHBOARD_RESET_MAX_AGE_S=-1)

    response = client.get(f"/auth/reset/{token}")

    assert response.status_code == 400
    assert "This link has expired." in soup(response).select_one("main").get_text()


def test_reset_post_with_an_expired_token_changes_nothing(app, client):
    user = factories.make_user()
    db.session.commit()
    token = accounts.make_reset_token(user, app_settings())
    csrf = csrf_token(client, f"/auth/reset/{token}")
    configure(app, WISHBOARD_RESET_MAX_AGE_S=-1)

    response = client.post(
        f"/auth/reset/{token}",
        data={"csrf_token": csrf, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )

    assert response.status_code == 400
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, factories.PASSWORD)


def test_reset_with_a_verify_token_is_refused(client):
    user = factories.make_user()
    db.session.commit()
    response = client.get(f"/auth/reset/{accounts.make_verify_token(user, app_settings())}")
    assert response.status_code == 400
