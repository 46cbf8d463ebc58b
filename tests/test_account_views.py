"""The account pages through the test client: /me, the data download and the deletion."""

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests import factories
from tests.helpers import soup
from wishboard.extensions import db
from wishboard.models import Role, Support, User, utcnow
from wishboard.services.demand.counts import demand_for


@pytest.fixture(autouse=True)
def english_visitor(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def delete_form(client: FlaskClient, **data):
    """Post the deletion form with the CSRF token of the confirmation page."""
    page = soup(client.get("/me/delete"))
    token = page.select_one("input[name=csrf_token]")["value"]
    return client.post("/me/delete", data={"csrf_token": token, **data})


def signed_in_user_id(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/me"), ("get", "/me/data.json"), ("get", "/me/delete"), ("post", "/me/delete")],
)
def test_visitors_are_sent_to_sign_in(client, method, url):
    # A valid CSRF token, so that the refusal comes from the sign-in rule and not from CSRF.
    token = soup(client.get("/auth/login")).select_one("input[name=csrf_token]")["value"]
    response = getattr(client, method)(url, data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("role", list(Role))
def test_every_signed_in_role_sees_its_account_page(client, login_as, role):
    user = login_as(role, display_name="Ana <b>Lopez</b>")

    response = client.get("/me")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1").get_text(strip=True) == "My account"
    facts = page.select_one("main dl").get_text(" ", strip=True)
    assert "Ana <b>Lopez</b>" in facts
    assert user.email in facts
    assert "Confirmed" in facts
    assert page.select_one("main dl b") is None
    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Download my data"] == "/me/data.json"
    assert links["Delete my account"] == "/me/delete"
    # Only residents wish: the others are not offered a list that would stay empty, nor the
    # menu's link to it.
    wishes = links.get("See what I pinned and supported")
    assert wishes == ("/me/wishes" if role is Role.RESIDENT else None)
    assert (page.select_one("header nav a[href='/me/wishes']") is not None) is (
        role is Role.RESIDENT
    )
    assert page.select_one("nav a[href='/me']").get_text(strip=True) == "My account"


def test_an_unverified_account_page_offers_a_new_link(client, login_as):
    login_as(verified=False)

    page = soup(client.get("/me"))

    assert "Not confirmed yet" in page.select_one("main dl").get_text()
    assert page.select_one("main form[action='/auth/verify/resend'] button")


def test_a_verified_account_page_has_no_resend_form(client, login_as):
    login_as()

    assert soup(client.get("/me")).select_one("main form[action='/auth/verify/resend']") is None


def test_the_data_downloads_as_a_dated_json_file_that_is_not_cached(client, login_as):
    user = login_as(email="ana@example.org")
    premises = factories.make_premises(address="1 rue des Lilas")
    factories.make_wish(premises, user, comment="Du pain, s'il vous plaît")
    db.session.commit()

    response = client.get("/me/data.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="wishboard-data-{utcnow().date().isoformat()}.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "wishboard-export-1"
    assert data["account"]["email"] == "ana@example.org"
    [wish] = data["wishes"]
    assert wish["comment"] == "Du pain, s'il vous plaît"
    assert wish["premises"]["address"] == "1 rue des Lilas"


def test_the_download_is_only_the_signed_in_persons_data(client, login_as):
    other = factories.make_user(email="bob@example.org")
    factories.make_wish(author=other, comment="Bob's words")
    login_as(email="ana@example.org")

    data = client.get("/me/data.json").get_json()

    assert data["account"]["email"] == "ana@example.org"
    assert data["wishes"] == []


def test_the_confirmation_page_says_what_goes_and_what_stays(client, login_as):
    login_as()

    response = client.get("/me/delete")

    assert response.status_code == 200
    page = soup(response)
    headings = [h.get_text(strip=True) for h in page.select("main h2")]
    assert headings == ["What is deleted", "What stays", "Confirm"]
    assert "anonymous" in page.select_one("main").get_text()
    form = page.select_one("main form[method=post]")
    assert form["action"] == "/me/delete"
    assert form.select_one("label[for=password]")
    assert form.select_one("input#password")["type"] == "password"
    assert form.select_one("input#password")["autocomplete"] == "current-password"
    assert form.select_one("input#understood")["type"] == "checkbox"
    assert "cannot be undone" in form.select_one("label[for=understood]").get_text()
    assert form.select_one("button[type=submit]").get_text(strip=True) == "Delete my account"


def test_a_wrong_password_shows_the_form_again_and_keeps_the_account(client, login_as):
    user = login_as()
    user_id = user.id

    response = delete_form(client, password="not my password", understood="y")

    assert response.status_code == 422
    page = soup(response)
    password = page.select_one("#password")
    assert password["aria-invalid"] == "true"
    assert "password-error" in password["aria-describedby"].split()
    assert "password" in page.select_one("#password-error").get_text()
    assert page.select_one(".error-summary a[href='#password']")
    assert db.session.get(User, user_id) is not None
    assert signed_in_user_id(client) == db.session.get(User, user_id).get_id()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"password": factories.PASSWORD}, "understood"), ({"understood": "y"}, "password")],
)
def test_a_missing_answer_shows_the_form_again(client, login_as, data, field):
    user = login_as()
    user_id = user.id

    response = delete_form(client, **data)

    assert response.status_code == 422
    assert soup(response).select_one(f"#{field}")["aria-invalid"] == "true"
    assert db.session.get(User, user_id) is not None


def test_the_last_admin_is_told_why_they_cannot_leave(client, login_as):
    admin = login_as(Role.ADMIN)
    admin_id = admin.id

    response = delete_form(client, password=factories.PASSWORD, understood="y")

    assert response.status_code == 422
    assert "last administrator" in soup(response).select_one(".error-summary").get_text()
    assert db.session.get(User, admin_id) is not None


def test_deleting_signs_out_keeps_the_counts_and_forbids_signing_in_again(client, login_as):
    user = login_as(email="ana@example.org")
    premises = factories.make_premises()
    factories.make_support(premises, user)
    factories.make_support(premises)
    db.session.commit()
    user_id = user.id

    response = delete_form(client, password=factories.PASSWORD, understood="y")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert signed_in_user_id(client) is None
    assert db.session.get(User, user_id) is None
    assert [demand.count for demand in demand_for(premises)] == [2]
    assert db.session.scalar(select(func.count()).where(Support.resident_id.is_(None))) == 1
    home = soup(client.get("/"))
    assert "Your account has been deleted" in home.select_one(".flashes").get_text()
    assert client.get("/me").status_code == 302

    login_page = soup(client.get("/auth/login"))
    token = login_page.select_one("input[name=csrf_token]")["value"]
    again = client.post(
        "/auth/login",
        data={"csrf_token": token, "email": "ana@example.org", "password": factories.PASSWORD},
    )
    assert again.status_code == 422
    assert signed_in_user_id(client) is None
