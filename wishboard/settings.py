"""The settings services are handed: one typed object built from the app's config in create_app.

A service does not read `current_app`: a view or a command passes it `settings()` (or the one value
a function needs), and a test passes the values it wants (tests/test_architecture.py holds every
module of services/ to it).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

EXTENSION_KEY = "wishboard.settings"

# The defaults the config reads its environment variables against (config.py), which a service
# function uses when its caller passes nothing (the tests, a shell).
DEFAULT_AREA_RADIUS_M = 300
# The demo town's (south, west, north, east), in Paris's 19th arrondissement.
DEFAULT_MAP_BOUNDS = (48.8450, 2.3600, 48.9030, 2.4170)
# Werkzeug's method for new password hashes: its scrypt, slow on purpose.
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"


@dataclass(frozen=True)
class MailSettings:
    """How the outbox hands e-mails over: an SMTP server, or none (they are written to the log)."""

    server: str = ""
    port: int = 25
    use_tls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "Wishboard <no-reply@wishboard.localhost>"
    lease_s: int = 600  # how long a claimed message stays with its sender

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "MailSettings":
        """The MAIL_* and WISHBOARD_OUTBOX_LEASE_S keys of a Flask config."""
        lease = config.get("WISHBOARD_OUTBOX_LEASE_S")
        return cls(
            server=config.get("MAIL_SERVER") or "",
            port=config.get("MAIL_PORT") or 25,
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or "",
            password=config.get("MAIL_PASSWORD") or "",
            sender=config["MAIL_DEFAULT_SENDER"],
            lease_s=600 if lease is None else lease,
        )


@dataclass(frozen=True)
class Settings:
    """What the domain rules need to know of the town's configuration."""

    area_radius_m: int  # a shop within this distance of a premises counts as near
    map_bounds: tuple[float, float, float, float]  # south, west, north, east
    max_types_per_premises: int  # the shop types a resident may support at one premises
    # Signed links (e-mail verification, password reset, report links) are signed with it.
    secret_key: str = field(default="", repr=False)
    verify_max_age_s: int = 3 * 24 * 3600  # how long an e-mail verification link works
    reset_max_age_s: int = 3600  # how long a password reset link works
    report_link_days: int = 30  # how long a landlord's report link works
    default_locale: str = "fr"  # the language of e-mails to people who chose none
    mail: MailSettings = field(default_factory=MailSettings)
    max_followed_areas: int = 5  # areas one resident may follow for news by e-mail
    support_max_age_days: int = 365  # a support this old asks to be confirmed
    support_grace_days: int = 30  # unconfirmed this long after the asking, it stops counting
    # Werkzeug's method for new password hashes (the tests choose a quick one).
    password_hash_method: str = DEFAULT_PASSWORD_HASH_METHOD

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        """The settings of a Flask config (WISHBOARD_* keys, see config.py)."""
        return cls(
            area_radius_m=config["WISHBOARD_AREA_RADIUS_M"],
            map_bounds=tuple(config["WISHBOARD_MAP_BOUNDS"]),
            max_types_per_premises=config["WISHBOARD_MAX_TYPES_PER_PREMISES"],
            secret_key=config.get("SECRET_KEY") or "",
            verify_max_age_s=config["WISHBOARD_VERIFY_MAX_AGE_S"],
            reset_max_age_s=config["WISHBOARD_RESET_MAX_AGE_S"],
            report_link_days=config["WISHBOARD_REPORT_LINK_DAYS"],
            default_locale=config["BABEL_DEFAULT_LOCALE"],
            mail=MailSettings.from_config(config),
            max_followed_areas=config["WISHBOARD_MAX_FOLLOWED_AREAS"],
            support_max_age_days=config["WISHBOARD_SUPPORT_MAX_AGE_DAYS"],
            support_grace_days=config["WISHBOARD_SUPPORT_GRACE_DAYS"],
            password_hash_method=config["WISHBOARD_PASSWORD_HASH_METHOD"],
        )


def settings() -> Settings:
    """The running app's settings, for views and commands to hand to services."""
    return current_app.extensions[EXTENSION_KEY]
