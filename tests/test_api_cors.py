"""CORS and the licence on every answer under /api/: data, 304s, errors, the preflight."""

from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import TooManyRequests

from tests import factories
from wishboard.extensions import db
from wishboard.models import Role
from wishboard.services.open_data import EXPORTS, ODBL

ORIGIN = {"Origin": "https://data.example-city.fr"}
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


def _api_urls(app: Flask) -> list[str]:
    """Every route of the app under /api/ (none takes a URL variable)."""
    urls = sorted(rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/"))
    assert urls, "no route under /api/"
    return urls


@pytest.fixture
def town(app: Flask) -> None:
    premises = factories.make_premises()
    factories.make_support(premises)
    factories.make_shop(reference="osm:node/1")
    db.session.commit()


def assert_cors(response) -> None:
    """Any origin may read it, never with the visitor's cookies, and may read its ETag."""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    exposed = {
        name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"ETag", "Link"} <= exposed


def test_every_api_route_is_an_export_of_the_open_data_page(app: Flask) -> None:
    """The page describes every file; a new route under /api/ must be described there too."""
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
    }
    assert endpoints == {export.endpoint for export in EXPORTS}


def test_data_and_304_carry_cors_and_the_licence(app: Flask, client: FlaskClient, town) -> None:
    for url in _api_urls(app):
        response = client.get(url, headers=ORIGIN)
        assert response.status_code == 200, url
        assert_cors(response)
        assert f'<{LICENCE_URL}>; rel="license"' in response.headers["Link"]
        assert 'rel="describedby"' in response.headers["Link"]

        etag = response.headers["ETag"]
        again = client.get(url, headers={**ORIGIN, "If-None-Match": etag})
        assert again.status_code == 304, url
        assert_cors(again)
        assert again.headers["Link"] == response.headers["Link"]

        head = client.head(url, headers=ORIGIN)
        assert head.status_code == 200, url
        assert_cors(head)


def test_shops_name_the_odbl_too(client: FlaskClient, town) -> None:
    link = client.get("/api/shops.geojson").headers["Link"]

    assert f'<{ODBL.url}>; rel="license"' in link
    assert "title*=UTF-8''" + "Open%20Database%20License" in link
    assert ODBL.url not in client.get("/api/premises.geojson").headers["Link"]


def test_a_licence_name_with_any_character_fits_the_header(
    app: Flask, client: FlaskClient, town
) -> None:
    app.config["WISHBOARD_DATA_LICENCE"] = "Licence « ouverte » de Pessac"

    link = client.get("/api/premises.geojson").headers["Link"]

    title = link.split("title*=UTF-8''")[1].split(",")[0]
    assert unquote(title) == "Licence « ouverte » de Pessac"


def test_errors_under_api_carry_cors(client: FlaskClient, town) -> None:
    bad_filter = client.get("/api/premises.geojson?type=%3Cscript%3E", headers=ORIGIN)
    assert bad_filter.status_code == 400
    assert bad_filter.get_json()["errors"]["type"]
    assert_cors(bad_filter)
    assert "Link" not in bad_filter.headers  # no data, no licence

    bad_variant = client.get("/api/demand.csv?variant=excel", headers=ORIGIN)
    assert bad_variant.status_code == 400
    assert bad_variant.get_json() == {"error": "Bad Request", "status": 400}
    assert_cors(bad_variant)

    missing = client.get("/api/no-such-file.geojson", headers=ORIGIN)
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "Not Found", "status": 404}
    assert_cors(missing)


def test_a_429_under_api_carries_cors(app: Flask) -> None:
    def refused():
        raise TooManyRequests(retry_after=30)

    app.add_url_rule("/api/too-many", "too_many", refused)

    response = app.test_client().get("/api/too-many", headers=ORIGIN)

    assert response.status_code == 429
    assert response.get_json()["status"] == 429
    assert response.headers["Retry-After"] == "30"
    assert_cors(response)
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


def test_the_preflight_allows_get_and_head_only(app: Flask, client: FlaskClient) -> None:
    for url in _api_urls(app):
        response = client.options(
            url,
            headers={
                **ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "if-none-match",
            },
        )
        assert response.status_code == 200, url
        assert_cors(response)
        methods = {
            name.strip() for name in response.headers["Access-Control-Allow-Methods"].split(",")
        }
        assert methods == {"GET", "HEAD"}
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert "if-none-match" in allowed
        assert int(response.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_not_allowed(app: Flask, client: FlaskClient, method: str) -> None:
    for url in _api_urls(app):
        response = client.open(url, method=method, headers=ORIGIN)
        assert response.status_code == 405, url
        assert response.get_json() == {"error": "Method Not Allowed", "status": 405}
        assert "GET" in response.headers["Allow"] and method not in response.headers["Allow"]
        assert_cors(response)


def test_signed_in_the_answer_is_still_anyones(app: Flask, client: FlaskClient, login_as) -> None:
    login_as(Role.MODERATOR)

    response = client.get("/api/premises.geojson", headers=ORIGIN)

    assert response.status_code == 200
    assert_cors(response)
    assert "Set-Cookie" not in response.headers


def test_pages_outside_api_carry_no_cors(client: FlaskClient) -> None:
    for url in ("/", "/data", "/premises", "/no-such-page"):
        response = client.get(url, headers=ORIGIN)
        assert "Access-Control-Allow-Origin" not in response.headers, url
