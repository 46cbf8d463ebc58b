"""Settings come from the environment, and a real site refuses unsafe ones."""

import re

import pytest
from flask import url_for
from sqlalchemy import text

from wishboard import create_app
from wishboard.config import Config
from wishboard.extensions import db
from wishboard.settings import MailSettings, Settings, settings


def test_a_site_without_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app()


def test_development_runs_without_secret_key_but_with_a_random_one(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    app = create_app()
    assert app.debug and len(app.config["SECRET_KEY"]) == 64


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db/wishboard")
    monkeypatch.setenv("WISHBOARD_MAP_BOUNDS", "44.78,-0.70,44.83,-0.60")
    monkeypatch.setenv("WISHBOARD_MAX_TYPES_PER_PREMISES", "5")
    monkeypatch.setenv("MAIL_USE_TLS", "yes")
    settings = Config()
    assert settings.SECRET_KEY == "s3cret"
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@db/wishboard"
    assert settings.WISHBOARD_MAP_BOUNDS == (44.78, -0.70, 44.83, -0.60)
    assert settings.WISHBOARD_MAX_TYPES_PER_PREMISES == 5
    assert settings.MAIL_USE_TLS is True


def test_the_services_settings_are_built_from_the_finished_config(monkeypatch):
    # From the environment, then the overrides create_app is given: the last word wins.
    monkeypatch.setenv("WISHBOARD_MAP_BOUNDS", "44.78,-0.70,44.83,-0.60")
    monkeypatch.setenv("WISHBOARD_AREA_RADIUS_M", "450")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_PASSWORD", "mail-secret")
    monkeypatch.setenv("WISHBOARD_REPORT_LINK_DAYS", "45")
    app = create_app({"SECRET_KEY": "x", "WISHBOARD_MAX_TYPES_PER_PREMISES": 5, "MAIL_PORT": 587})

    with app.app_context():
        handed = settings()

    assert handed == Settings(
        area_radius_m=450,
        map_bounds=(44.78, -0.70, 44.83, -0.60),
        max_types_per_premises=5,
        secret_key="x",
        verify_max_age_s=app.config["WISHBOARD_VERIFY_MAX_AGE_S"],
        reset_max_age_s=app.config["WISHBOARD_RESET_MAX_AGE_S"],
        report_link_days=45,
        default_locale=app.config["BABEL_DEFAULT_LOCALE"],
        mail=MailSettings(
            server="smtp.example.org",
            port=587,
            password="mail-secret",
            sender=app.config["MAIL_DEFAULT_SENDER"],
            lease_s=app.config["WISHBOARD_OUTBOX_LEASE_S"],
        ),
    )
    # Secrets stay out of logs and tracebacks that print the settings.
    assert "mail-secret" not in repr(handed) and "secret_key" not in repr(handed)


def test_the_data_licence_is_a_setting(monkeypatch):
    assert Config().WISHBOARD_DATA_LICENCE == "Licence Ouverte / Open Licence 2.0"
    assert Config().WISHBOARD_DATA_LICENCE_URL == (
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
    monkeypatch.setenv("WISHBOARD_DATA_LICENCE", "CC BY 4.0")
    monkeypatch.setenv("WISHBOARD_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/")
    settings = Config()
    assert settings.WISHBOARD_DATA_LICENCE == "CC BY 4.0"
    assert settings.WISHBOARD_DATA_LICENCE_URL == "https://creativecommons.org/licenses/by/4.0/"


def test_secure_cookies_when_served_on_https(monkeypatch):
    assert Config().SESSION_COOKIE_SECURE is False
    monkeypatch.setenv("WISHBOARD_SECURE_COOKIES", "true")
    settings = Config()
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.REMEMBER_COOKIE_SECURE is True


@pytest.mark.parametrize(
    ("proxies", "expected"), [(0, "http://app:8000/"), (1, "https://wish.example/")]
)
def test_links_use_the_public_address_only_behind_a_declared_proxy(proxies, expected):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WISHBOARD_PROXIES": proxies}
    )
    app.add_url_rule("/link", "link", lambda: url_for("public.index", _external=True))
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wish.example"}

    response = app.test_client().get("/link", base_url="http://app:8000", headers=forwarded)

    assert response.get_data(as_text=True) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WISHBOARD_MAP_BOUNDS", "48.8,2.3,48.9", "4 comma-separated numbers"),
        ("WISHBOARD_MAP_CENTER", "north,east", "2 comma-separated numbers"),
        ("WISHBOARD_PAGE_SIZE", "twenty", "whole number"),
        ("WISHBOARD_DATA_LICENCE_URL", "javascript:alert(1)", "http or https address"),
        ("WISHBOARD_DATA_LICENCE_URL", 'https://example.org/"><b>', "http or https address"),
    ],
)
def test_a_malformed_setting_is_named_in_the_error(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=f"{name} must be .*{message}"):
        Config()


def test_the_site_time_zone_is_paris_unless_set(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.delenv("WISHBOARD_TIMEZONE", raising=False)
    assert create_app().config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Paris"

    monkeypatch.setenv("WISHBOARD_TIMEZONE", "America/Montreal")
    assert create_app().config["BABEL_DEFAULT_TIMEZONE"] == "America/Montreal"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Paris", "+02:00", "../../etc/passwd"])
def test_an_unknown_time_zone_is_refused_at_start(monkeypatch, zone):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("WISHBOARD_TIMEZONE", zone)
    named = r"WISHBOARD_TIMEZONE must be a time zone name .* such as Europe/Paris"
    with pytest.raises(RuntimeError, match=rf"{named}.* not {re.escape(repr(zone))}$"):
        create_app()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        db.engine.dispose()


def test_templates_are_found_whatever_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.jinja_env.get_template("base.html") is not None
    assert app.static_folder is not None and app.static_folder.endswith("static")


def test_each_database_connection_is_set_up_for_its_dialect(any_db_app) -> None:
    if db.engine.dialect.name == "postgresql":
        # Compiling costly queries took longer than running them (the list at 50,000).
        assert db.session.scalar(text("SHOW jit")) == "off"
    else:
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
