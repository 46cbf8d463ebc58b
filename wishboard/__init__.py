"""Wishboard: residents pin the shops they miss in empty premises; landlords read the demand."""

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets, caching, collation, limits, request_log, security
from .api import headers as api_headers
from .config import INSTANCE_DIR, SECRET_KEY_MISSING, Config, check_timezone
from .extensions import babel, compress, csrf, db, login_manager, migrate
from .i18n import select_locale
from .services import theme
from .settings import EXTENSION_KEY as SETTINGS_KEY
from .settings import Settings
from .template_filters import html_datetime
from .urls import canonical_url


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `config` is a Config object or a mapping of overrides."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(INSTANCE_DIR),
    )
    settings = config if isinstance(config, Config) else Config()
    app.config.from_object(settings)
    if isinstance(config, Mapping):
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        if not (app.debug or app.testing):
            raise RuntimeError(SECRET_KEY_MISSING)
        app.config["SECRET_KEY"] = secrets.token_hex(32)  # development: sessions end at restart

    # Refused at start rather than at the first page that shows a time.
    app.config["BABEL_DEFAULT_TIMEZONE"] = check_timezone(app.config["WISHBOARD_TIMEZONE"])
    # The settings handed to services, built once from the finished config.
    app.extensions[SETTINGS_KEY] = Settings.from_config(app.config)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(exist_ok=True)

    app.jinja_env.undefined = StrictUndefined
    app.add_template_filter(html_datetime)
    app.add_template_global(canonical_url)
    try:
        app.extensions["wishboard_theme"] = theme.site_theme(
            app.config["WISHBOARD_LOGO_URL"], app.config["WISHBOARD_ACCENT_COLOUR"]
        )
    except theme.ThemeError as error:
        raise RuntimeError(f"Theme settings: {error}") from None
    # First of all hooks: its clock starts before any other work, and it names every request.
    request_log.init_app(app)
    # Notices (an e-mail written to the log when no SMTP server is set) are worth reading; Python
    # would drop them below WARNING.
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)
    proxies = app.config["WISHBOARD_PROXIES"]
    if proxies:  # links in e-mails must use the public scheme and host, not the proxy's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    compress.init_app(app)
    caching.init_app(app)
    assets.init_app(app)
    security.init_app(app)  # after compress: the CSP reads the page before it is compressed
    api_headers.init_app(app)  # CORS and the licence on everything under /api/, errors too

    from . import models  # noqa: F401  (registers the models on the metadata)
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .cli import register_commands
    from .errors import register_error_handlers
    from .landlord import bp as landlord_bp
    from .moderation import bp as moderation_bp
    from .projects import bp as projects_bp
    from .public import bp as public_bp
    from .resident import bp as resident_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(resident_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(landlord_bp, url_prefix="/landlord")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(projects_bp, url_prefix="/projects")
    register_error_handlers(app)
    register_commands(app)
    limits.init_app(app)  # once every route exists: it attaches the limits by endpoint

    @login_manager.user_loader
    def load_user(user_id: str) -> models.User | None:
        # A deactivated account, or one whose password changed, is signed out of every session
        # at its next request.
        return security.user_from_session_id(user_id)

    site_theme = app.extensions["wishboard_theme"]
    if site_theme.accent and site_theme.accent.adjusted:
        app.logger.warning(
            "WISHBOARD_ACCENT_COLOUR %s does not read at 4.5:1 on a light background: "
            "the site uses %s instead",
            site_theme.accent.asked,
            site_theme.accent.colour,
        )

    @app.context_processor
    def site_context() -> dict[str, Any]:
        return {
            "site_name": app.config["WISHBOARD_SITE_NAME"],
            "theme": site_theme,
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "site_timezone": app.config["WISHBOARD_TIMEZONE"],
        }

    return app


@event.listens_for(Engine, "connect")
def _configure_connection(dbapi_connection, connection_record) -> None:
    """SQLite: write-ahead log, enforced foreign keys, patience with concurrent writers, and the
    sort key that puts names in dictionary order (wishboard/collation.py).

    PostgreSQL: no just-in-time compilation. It starts on queries the planner thinks costly
    (the list of 50,000 premises by demand), and compiling took longer than the query itself,
    a second more for every such page built.
    """
    module = type(dbapi_connection).__module__
    if module.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
        return
    if module.startswith("sqlite3"):
        collation.register_on_sqlite(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
