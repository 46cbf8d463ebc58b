"""Settings read from environment variables; the defaults are safe for development only."""

import os
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone

from .settings import DEFAULT_AREA_RADIUS_M, DEFAULT_MAP_BOUNDS, DEFAULT_PASSWORD_HASH_METHOD

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
SECRET_KEY_MISSING = (
    "SECRET_KEY is not set: export SECRET_KEY to a long random string "
    '(python -c "import secrets; print(secrets.token_hex(32))").'
)
# How the test suite hashes passwords: one round of PBKDF2, quick (and worthless outside it).
TEST_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"


def _env_int(name: str, default: int) -> int:
    """Read an integer setting, with a readable error when it is not one."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None


def _env_floats(name: str, default: tuple[float, ...], count: int) -> tuple[float, ...]:
    """Read a comma-separated list of numbers such as a map centre or bounds."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise RuntimeError(f"{name} must be {count} comma-separated numbers") from None
    if len(values) != count:
        raise RuntimeError(f"{name} must be {count} comma-separated numbers, got {len(values)}")
    return values


def _env_url(name: str, default: str) -> str:
    """Read a web address shown to visitors: http or https only, so that it is a safe link."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    parts = urlsplit(value)
    # Quotes, brackets and spaces would end the link early in a page or in a Link header.
    unsafe = any(character in value for character in " <>\"'")
    if parts.scheme not in ("http", "https") or not parts.netloc or unsafe:
        raise RuntimeError(f"{name} must be an http or https address, not {raw!r}")
    return value


def check_timezone(name: str) -> str:
    """`name` when it is a time zone of the tz database, else a RuntimeError saying what to set."""
    try:
        # Both libraries must know it: dates are converted with zoneinfo, shown through Babel.
        ZoneInfo(name)
        get_timezone(name)
    except (ZoneInfoNotFoundError, LookupError, ValueError):
        raise RuntimeError(
            f"WISHBOARD_TIMEZONE must be a time zone name from the tz database, such as "
            f"Europe/Paris or America/Montreal, not {name!r}"
        ) from None
    return name


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for a running site, read from the environment when the app is created."""

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'wishboard.sqlite3'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = _env_int("MAIL_PORT", 25)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "Wishboard <no-reply@wishboard.localhost>"
        )
        # How long an e-mail a sender took stays its own: if the sender dies, another sends the
        # e-mail after this. Keep it well above the SMTP timeout (10 s), or two could send it.
        self.WISHBOARD_OUTBOX_LEASE_S = _env_int("WISHBOARD_OUTBOX_LEASE_S", 600)

        self.WISHBOARD_SITE_NAME = os.environ.get("WISHBOARD_SITE_NAME", "Wishboard")
        # The town's look (services/theme.py): a logo beside the name (a path on this site such as
        # /static/theme/logo.svg, or an https address) and the accent of links and buttons, a hex
        # colour darkened at start if it would not read at 4.5:1. Empty: Wishboard's own.
        self.WISHBOARD_LOGO_URL = os.environ.get("WISHBOARD_LOGO_URL", "").strip()
        self.WISHBOARD_ACCENT_COLOUR = os.environ.get("WISHBOARD_ACCENT_COLOUR", "").strip()
        # Paris 19th and 20th arrondissements, where the demo town lies.
        self.WISHBOARD_MAP_CENTER = _env_floats("WISHBOARD_MAP_CENTER", (48.8760, 2.3900), 2)
        self.WISHBOARD_MAP_BOUNDS = _env_floats("WISHBOARD_MAP_BOUNDS", DEFAULT_MAP_BOUNDS, 4)
        self.WISHBOARD_MAP_ZOOM = _env_int("WISHBOARD_MAP_ZOOM", 14)
        # Up to this many premises in its view, the map draws each one (and gathers them itself);
        # more, it shows the server's counts by area until the street zoom (static/js/map.js).
        self.WISHBOARD_MAP_PINS_UP_TO = _env_int("WISHBOARD_MAP_PINS_UP_TO", 1500)
        # An empty value draws the map without a tile layer (no request to a tile server).
        self.WISHBOARD_TILE_URL = os.environ.get(
            "WISHBOARD_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        )
        self.WISHBOARD_TILE_ATTRIBUTION = os.environ.get(
            "WISHBOARD_TILE_ATTRIBUTION",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        )
        self.WISHBOARD_MAX_TYPES_PER_PREMISES = _env_int("WISHBOARD_MAX_TYPES_PER_PREMISES", 3)
        # How many areas (a district, or a circle around a spot) one resident may follow.
        self.WISHBOARD_MAX_FOLLOWED_AREAS = _env_int("WISHBOARD_MAX_FOLLOWED_AREAS", 5)
        # Fresh demand: a support this old (since given or last confirmed) asks its resident to
        # confirm it; unconfirmed this many days after asking, it stops counting (it is kept).
        self.WISHBOARD_SUPPORT_MAX_AGE_DAYS = _env_int("WISHBOARD_SUPPORT_MAX_AGE_DAYS", 365)
        self.WISHBOARD_SUPPORT_GRACE_DAYS = _env_int("WISHBOARD_SUPPORT_GRACE_DAYS", 30)
        self.WISHBOARD_FLAGS_TO_HIDE = _env_int("WISHBOARD_FLAGS_TO_HIDE", 3)
        # Not read from the environment: only the test suite, which hashes many, picks another.
        self.WISHBOARD_PASSWORD_HASH_METHOD = DEFAULT_PASSWORD_HASH_METHOD
        # A resident with this many published comments and none rejected skips the review queue.
        self.WISHBOARD_TRUSTED_AFTER = _env_int("WISHBOARD_TRUSTED_AFTER", 3)
        self.WISHBOARD_TRUST_RESIDENTS = _env_bool("WISHBOARD_TRUST_RESIDENTS", True)
        # The largest premises file an upload may carry, in bytes (larger requests get a 413).
        self.MAX_CONTENT_LENGTH = _env_int("WISHBOARD_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
        self.WISHBOARD_AREA_RADIUS_M = _env_int("WISHBOARD_AREA_RADIUS_M", DEFAULT_AREA_RADIUS_M)
        # Area wishes are public only gathered in cells of this size, never at the pinned point.
        self.WISHBOARD_AREA_CELL_M = _env_int("WISHBOARD_AREA_CELL_M", 200)
        self.WISHBOARD_PAGE_SIZE = _env_int("WISHBOARD_PAGE_SIZE", 20)
        self.WISHBOARD_VERIFY_MAX_AGE_S = _env_int("WISHBOARD_VERIFY_MAX_AGE_S", 3 * 24 * 3600)
        # How long a signed report link e-mailed to a landlord stays valid.
        self.WISHBOARD_REPORT_LINK_DAYS = _env_int("WISHBOARD_REPORT_LINK_DAYS", 30)
        # The site's address as landlords reach it: links in e-mails sent from the command line.
        self.WISHBOARD_BASE_URL = os.environ.get("WISHBOARD_BASE_URL", "http://127.0.0.1:8000")
        self.WISHBOARD_RESET_MAX_AGE_S = _env_int("WISHBOARD_RESET_MAX_AGE_S", 3600)

        # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0: none).
        self.WISHBOARD_PROXIES = _env_int("WISHBOARD_PROXIES", 0)
        secure_cookies = _env_bool("WISHBOARD_SECURE_COOKIES", False)  # true when served on HTTPS
        self.SESSION_COOKIE_SECURE = secure_cookies
        self.REMEMBER_COOKIE_SECURE = secure_cookies

        # Abuse limits (wishboard/limits.py), in Flask-Limiter's notation ("10 per hour;3 per
        # minute"); RATELIMIT_ENABLED=0 turns them all off, the sign-in slowdown included.
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        # Where the counts live: memory (one server) or e.g. redis://host:6379/0 (several).
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "") or "memory://"
        self.WISHBOARD_LIMIT_REGISTER = os.environ.get("WISHBOARD_LIMIT_REGISTER", "10 per hour")
        self.WISHBOARD_LIMIT_LOGIN = os.environ.get(
            "WISHBOARD_LIMIT_LOGIN", "30 per minute;300 per hour"
        )
        self.WISHBOARD_LIMIT_RESET = os.environ.get("WISHBOARD_LIMIT_RESET", "10 per hour")
        self.WISHBOARD_LIMIT_RESET_EMAIL = os.environ.get(
            "WISHBOARD_LIMIT_RESET_EMAIL", "3 per hour"
        )
        self.WISHBOARD_LIMIT_RESEND = os.environ.get("WISHBOARD_LIMIT_RESEND", "3 per hour")
        self.WISHBOARD_LIMIT_WISH = os.environ.get("WISHBOARD_LIMIT_WISH", "30 per hour")
        self.WISHBOARD_LIMIT_SUPPORT = os.environ.get(
            "WISHBOARD_LIMIT_SUPPORT", "60 per minute;600 per day"
        )
        self.WISHBOARD_LIMIT_FLAG = os.environ.get("WISHBOARD_LIMIT_FLAG", "20 per hour")
        self.WISHBOARD_LIMIT_CORRECTION = os.environ.get(
            "WISHBOARD_LIMIT_CORRECTION", "10 per hour"
        )
        # "I'm interested" (each e-mails a landlord) and new shop projects, per account.
        self.WISHBOARD_LIMIT_INTEREST = os.environ.get("WISHBOARD_LIMIT_INTEREST", "20 per day")
        self.WISHBOARD_LIMIT_PROJECT = os.environ.get("WISHBOARD_LIMIT_PROJECT", "10 per day")
        self.WISHBOARD_LIMIT_PDF = os.environ.get("WISHBOARD_LIMIT_PDF", "60 per hour")
        # A window poster's QR code: an address counts once per premises and window.
        self.WISHBOARD_LIMIT_SCAN = os.environ.get("WISHBOARD_LIMIT_SCAN", "1 per hour")
        self.WISHBOARD_LIMIT_REPORT_KEY = os.environ.get(
            "WISHBOARD_LIMIT_REPORT_KEY", "60 per minute"
        )
        self.WISHBOARD_LIMIT_REPORT_KEY_FAILURES = os.environ.get(
            "WISHBOARD_LIMIT_REPORT_KEY_FAILURES", "20 per hour"
        )
        # Sign-in slowdown: failures allowed before attempts pause, per e-mail and per address;
        # then the pause starts at WISHBOARD_SIGNIN_DELAY_S and doubles up to the maximum.
        self.WISHBOARD_SIGNIN_FREE_FAILURES = _env_int("WISHBOARD_SIGNIN_FREE_FAILURES", 5)
        self.WISHBOARD_SIGNIN_ADDRESS_FREE_FAILURES = _env_int(
            "WISHBOARD_SIGNIN_ADDRESS_FREE_FAILURES", 20
        )
        self.WISHBOARD_SIGNIN_DELAY_S = _env_int("WISHBOARD_SIGNIN_DELAY_S", 30)
        self.WISHBOARD_SIGNIN_MAX_DELAY_S = _env_int("WISHBOARD_SIGNIN_MAX_DELAY_S", 15 * 60)
        # The licence of the open data (/data, and a Link header on every export). Shops
        # imported from OpenStreetMap stay under OpenStreetMap's own licence (ODbL) whatever it is.
        self.WISHBOARD_DATA_LICENCE = os.environ.get(
            "WISHBOARD_DATA_LICENCE", "Licence Ouverte / Open Licence 2.0"
        ).strip()
        self.WISHBOARD_DATA_LICENCE_URL = _env_url(
            "WISHBOARD_DATA_LICENCE_URL", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
        )
        # Strict-Transport-Security on HTTPS answers (0: not sent).
        self.WISHBOARD_HSTS_MAX_AGE = _env_int("WISHBOARD_HSTS_MAX_AGE", 365 * 24 * 3600)
        # "json" (one object per line, for a log collector) or "text" (for a terminal).
        self.WISHBOARD_LOG_FORMAT = os.environ.get("WISHBOARD_LOG_FORMAT", "json").strip().lower()

        # The town's time zone: every date and time a person reads is shown in it (stored in UTC).
        self.WISHBOARD_TIMEZONE = os.environ.get("WISHBOARD_TIMEZONE", "").strip() or "Europe/Paris"

        self.BABEL_DEFAULT_LOCALE = "fr"
        self.BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
        self.LANGUAGES = ("fr", "en")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # A form's token lives as long as the session: a phone tab stays open for days.
        self.WTF_CSRF_TIME_LIMIT = None
        # Static files are compressed once and kept (wishboard/assets.py): Flask-Compress would
        # compress them again on every request, and leave their files open.
        self.COMPRESS_STREAMS = False
        # Conditional requests are answered before any work (wishboard/caching.py), not after.
        self.COMPRESS_EVALUATE_CONDITIONAL_REQUEST = False


class TestingConfig(Config):
    """Settings for the test suite: a throw-away database and a fixed secret."""

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "testing-secret-key"
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.WISHBOARD_TILE_URL = ""
        self.MAIL_SERVER = ""
        # Tests that check the limits turn them on.
        self.RATELIMIT_ENABLED = False
        # One round of PBKDF2: scrypt's 0.1 s per hash, at each sign-up, demo town and sign-in
        # with an unknown address, added up to 12 CPU seconds of the suite (measured).
        self.WISHBOARD_PASSWORD_HASH_METHOD = TEST_PASSWORD_HASH_METHOD
