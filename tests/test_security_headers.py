"""Security headers: the Content-Security-Policy (cached pages too), HSTS, and their companions."""

import base64
import hashlib

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import make_app
from wishboard.caching import EXTENSION_KEY as CACHE_KEY
from wishboard.extensions import db
from wishboard.security import (
    content_security_policy,
    script_hashes,
    tile_origin,
    trust_inline_script,
)
from wishboard.services.reports.links import report_key
from wishboard.settings import settings as app_settings


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def inline_script_hashes(response) -> list[str]:
    """The CSP sources of the page's inline scripts, computed from the parsed page."""
    html = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [_source(script.string.encode()) for script in html.select("script:not([src])")]


def _source(script: bytes) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"


@pytest.fixture
def town(app) -> None:
    premises = factories.make_premises()
    factories.make_support(premises)
    db.session.commit()


@pytest.mark.parametrize(
    "url",
    ["/", "/premises", "/auth/login", "/no-such-page", "/static/css/site.css", "/api/premises"],
)
def test_every_response_carries_the_headers(client, town, url):
    with client.get(url) as response:  # a static file stays open until closed
        assert_headers(response)


def assert_headers(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'"
    assert all(source.startswith("'sha256-") for source in directives["script-src"][1:])
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_the_maps_inline_script_is_allowed_by_its_hash_also_from_the_cache(app, client, town):
    first = client.get("/")
    hashes = inline_script_hashes(first)
    assert len(hashes) == 1  # folium's map set-up, and nothing else inline
    assert policy(first)["script-src"] == ["'self'", *hashes]
    assert app.extensions[CACHE_KEY]._entries  # the page is kept for the next visitor

    visitor = app.test_client()
    again = visitor.get("/")
    assert again.get_data() != first.get_data()  # another visitor: their own CSRF token
    assert inline_script_hashes(again) == hashes
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_304_leaves_the_stored_policy_alone(client, town):
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # Its headers would replace the stored page's, and it has no page to hash.
    assert "Content-Security-Policy" not in again.headers
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_a_compressed_page_carries_the_same_policy(client, town):
    plain = client.get("/")
    compressed = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers.get("Content-Encoding") == "gzip"
    assert compressed.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]


def test_pages_without_inline_scripts_allow_only_our_files(client):
    response = client.get("/auth/login")
    assert inline_script_hashes(response) == []
    assert policy(response)["script-src"] == ["'self'"]


def test_htmx_is_configured_not_to_evaluate_code(client):
    html = BeautifulSoup(client.get("/auth/login").get_data(as_text=True), "html.parser")
    config = html.select_one("meta[name=htmx-config]")["content"]
    assert '"allowEval": false' in config
    assert '"includeIndicatorStyles": false' in config
    # Nothing in the page relies on evaluated attributes (hx-on, hx-on:*, hx-vars, in either
    # spelling: htmx reads `data-hx-…` like `hx-…`).
    evaluated = ("hx-on", "hx-vars")
    assert not [
        tag
        for tag in html.find_all(True)
        if any(a.removeprefix("data-").startswith(evaluated) for a in tag.attrs)
    ]
    assert not [tag for tag in html.find_all(True) if any(a.startswith("on") for a in tag.attrs)]


def test_images_may_come_from_the_tile_server():
    app = make_app(WISHBOARD_TILE_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    with app.test_request_context():
        assert "https://*.tiles.example.org" in content_security_policy().split("img-src")[1]
        db.engine.dispose()


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png", "https://*.tile.example.org:8443"),
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_tile_origin(template, origin):
    assert tile_origin(template) == origin


def test_script_hashes_skip_scripts_with_a_source():
    trust_inline_script("go()")
    trust_inline_script("x")
    body = b'<script src="/a.js"></script><script>go()</script><script type="module">x</script>'
    assert script_hashes(body) == [_source(b"go()"), _source(b"x")]


def test_an_inline_script_our_code_did_not_write_is_not_allowed(client, town):
    # Were some text ever written into a page unescaped, its script must stay blocked.
    injected = b"<script>window.__pwned = 1</script>"
    assert script_hashes(injected) == []
    page = client.get("/").get_data()
    assert script_hashes(page.replace(b"</main>", injected + b"</main>")) == script_hashes(page)


def test_report_pages_keep_no_referrer(client):
    premises = factories.make_premises()
    db.session.commit()
    response = client.get(
        f"/landlord/premises/{premises.id}/report?key={report_key(premises, app_settings())}"
    )
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_hsts_over_https_only(client: FlaskClient):
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_hsts_behind_a_proxy_only_when_the_proxy_is_trusted(client):
    forwarded = {"X-Forwarded-Proto": "https"}
    # Not configured: anyone could send the header, so it is not believed.
    assert "Strict-Transport-Security" not in client.get("/", headers=forwarded).headers
    app = make_app(WISHBOARD_PROXIES=1)
    with app.app_context():
        response = app.test_client().get("/auth/login", headers=forwarded)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        db.engine.dispose()
