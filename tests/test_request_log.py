"""Request logs: one JSON line per request with its id, and errors with their traceback."""

import json
import logging

import pytest
from bs4 import BeautifulSoup

from tests.conftest import make_app
from wishboard.extensions import db
from wishboard.request_log import LOGGER_NAME, JsonFormatter, TextFormatter

ID_FIELDS = {"time", "level", "logger", "message", "request_id", "method", "path", "status"}


def request_lines(caplog) -> list[dict]:
    """The request log's records as the JSON lines the server writes."""
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == LOGGER_NAME
    ]


@pytest.fixture
def failing_app():
    """The app with one route that fails, as a bug would (and the error page, not the raise)."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("the bug under test")

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_one_json_line_per_request(client, login_as, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    user = login_as()
    response = client.get("/me", environ_base={"REMOTE_ADDR": "192.0.2.5"})
    client.get("/no-such-page")

    first, second = request_lines(caplog)
    assert ID_FIELDS <= first.keys()
    assert first["method"] == "GET"
    assert first["path"] == "/me"
    assert first["status"] == 200
    assert first["level"] == "INFO"
    assert first["user_id"] == user.id
    assert first["remote_addr"] == "192.0.2.5"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["request_id"] == response.headers["X-Request-ID"]
    assert second["status"] == 404
    assert "user_id" not in second or second["user_id"] is None or second["user_id"] == user.id
    assert second["request_id"] != first["request_id"]


def test_a_valid_request_id_is_kept_and_a_bad_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    given = "lb-7f3a9c21-0001"
    kept = client.get("/auth/login", headers={"X-Request-ID": given})
    assert kept.headers["X-Request-ID"] == given
    for bad in ("short", "x" * 200, "two words here", 'quote"break'):
        replaced = client.get("/auth/login", headers={"X-Request-ID": bad})
        assert replaced.headers["X-Request-ID"] != bad
        assert len(replaced.headers["X-Request-ID"]) == 32
    assert [line["request_id"] for line in request_lines(caplog)][0] == given


def test_an_error_is_logged_with_its_traceback_and_its_id_is_on_the_page(failing_app, caplog):
    caplog.set_level(logging.INFO)
    client = failing_app.test_client()
    response = client.get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert request_id in page.select_one(".error-reference").get_text()

    formatter = JsonFormatter()
    [error] = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    line = json.loads(formatter.format(error))
    assert line["request_id"] == request_id
    assert line["level"] == "ERROR"
    assert "RuntimeError: the bug under test" in line["traceback"]
    assert "\n" not in formatter.format(error)  # one line, whatever the traceback
    [finished] = request_lines(caplog)
    assert (finished["status"], finished["level"], finished["request_id"]) == (
        500,
        "ERROR",
        request_id,
    )


def test_other_errors_show_no_reference(client):
    page = BeautifulSoup(client.get("/no-such-page").get_data(as_text=True), "html.parser")
    assert page.select_one(".error-reference") is None


def test_the_app_logger_writes_json_lines_by_default(app):
    [handler] = [h for h in app.logger.handlers if h.get_name() == "wishboard"]
    assert isinstance(handler.formatter, JsonFormatter)


def test_the_text_format_is_a_setting(caplog):
    app = make_app(WISHBOARD_LOG_FORMAT="text")
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    with app.app_context():
        [handler] = [h for h in app.logger.handlers if h.get_name() == "wishboard"]
        assert isinstance(handler.formatter, TextFormatter)
        response = app.test_client().get("/auth/login")
        [record] = [r for r in caplog.records if r.name == LOGGER_NAME]
        line = handler.format(record)
        assert f"[{response.headers['X-Request-ID']}]" in line
        assert "GET /auth/login 200" in line
        db.engine.dispose()
