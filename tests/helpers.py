"""Small helpers the web tests share: a page's parsed HTML, its CSRF token, a table's row count."""

import json

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import func, select

from wishboard.extensions import db
from wishboard.settings import EXTENSION_KEY, Settings


def soup(response) -> BeautifulSoup:
    """The HTML of a test client's response, parsed."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def csrf_token(client: FlaskClient, page: str = "/auth/login", **environ) -> str:
    """The CSRF token the site gives this client's forms and (`data-hx-headers`) htmx requests."""
    response = client.get(page, **environ)
    assert response.status_code == 200, page
    return json.loads(soup(response).body["data-hx-headers"])["X-CSRFToken"]


def count(model, *where) -> int:
    """How many rows of `model` there are (that meet `where`)."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def configure(app, **values) -> None:
    """Change the config of an app already made, and the settings its services are handed.

    create_app builds the settings once (wishboard/settings.py); a test that changes a value
    afterwards (a mail server, a link's lifetime) goes through here so that both agree.
    """
    app.config.update(values)
    app.extensions[EXTENSION_KEY] = Settings.from_config(app.config)


PLAIN = (str, int, float, bool, type(None))


def plain_properties(collection: dict) -> set[str]:
    """The properties of a GeoJSON collection's features, checked to be what GIS software reads
    as columns: plain values (no list, no object), the same names on every feature."""
    names = [tuple(feature["properties"]) for feature in collection["features"]]
    assert len(set(names)) <= 1, "every feature must have the same properties"
    for feature in collection["features"]:
        for name, value in feature["properties"].items():
            assert isinstance(value, PLAIN), f"{name} = {value!r} is not a plain value"
    return set(names[0]) if names else set()
