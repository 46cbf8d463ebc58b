"""Every form refuses control characters with a message, before any of it reaches the database."""

import pytest
from babel import support
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import DataRequired

from tests import factories
from tests.helpers import count
from wishboard.extensions import db
from wishboard.forms import CONTROL_CHARACTERS, Form, wtforms_messages
from wishboard.models import OutboxMessage, User

GOOD_PASSWORD = "lilac bakery window"
MESSAGE = "Remove the invisible control characters from this text."


def post(client, url: str, **data):
    """Post `data` to `url` with the CSRF token of its form, as an English-speaking visitor."""
    page = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    return client.post(url, data={"csrf_token": token, **data})


def field_error(response, field: str) -> str:
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return page.select_one(f"#{field}-error").get_text(" ", strip=True)


@pytest.fixture
def client(any_db_app):
    client = any_db_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize("field", ["email", "display_name", "password"])
def test_register_refuses_a_nul_character(client, field):
    data = {
        "email": "ana@example.org",
        "display_name": "Ana",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data[field] = data[field][:2] + "\x00" + data[field][2:]

    response = post(client, "/auth/register", **data)

    assert response.status_code == 422
    assert field_error(response, field) == MESSAGE
    assert count(User) == 0 and count(OutboxMessage) == 0


def test_line_breaks_and_tabs_are_text_but_other_control_characters_are_not():
    assert not CONTROL_CHARACTERS.search("Une boulangerie,\r\n\tsvp")
    assert CONTROL_CHARACTERS.search("bell\x07")


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/auth/login", {"email": "ana@exa\x00mple.org", "password": GOOD_PASSWORD}),
        ("/auth/reset", {"email": "ana@exa\x00mple.org"}),
    ],
)
def test_sign_in_and_reset_refuse_a_nul_character(client, url, data):
    factories.make_user(email="ana@example.org")
    db.session.commit()

    response = post(client, url, **data)

    assert response.status_code == 422
    assert field_error(response, "email") == MESSAGE
    assert count(OutboxMessage) == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [("fr", "Ce champ est requis."), ("en", "This field is required.")],
)
def test_wtforms_own_messages_speak_the_readers_language_from_a_catalogue_read_once(
    app, monkeypatch, language: str, message: str
) -> None:
    class Named(Form):
        name = StringField(validators=[DataRequired()])

    wtforms_messages.cache_clear()
    reads = []
    load = support.Translations.load
    monkeypatch.setattr(
        support.Translations,
        "load",
        lambda *args, **kwargs: reads.append(1) or load(*args, **kwargs),
    )
    for _ in range(2):  # two requests, one read
        with app.test_request_context(headers={"Accept-Language": language}):
            form = Named(formdata=MultiDict(), meta={"csrf": False})
            assert not form.validate()
            assert form.name.errors == [message]
    assert len(reads) == 1
