"""Abuse limits: requests per address or account (Flask-Limiter), and the sign-in slowdown.

Every limit is a setting (`WISHBOARD_LIMIT_*`, in Flask-Limiter's notation such as
"10 per hour;3 per minute") and is attached here, by endpoint, when the app is built: the views
stay free of it and the whole policy reads in one table. Counts live in the limiter's storage,
memory by default and Redis when `RATELIMIT_STORAGE_URI` names one, so that several app servers
share them. `RATELIMIT_ENABLED=0` turns everything here off (the benchmark and load tests).

Each app gets a limiter of its own: Flask-Limiter keeps its storage and limits on the extension
object, which would mix two apps' counts (two test apps, or two servers in one test).
"""

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_babel import ngettext
from flask_limiter import Limiter
from flask_login import current_user
from limits import parse_many
from limits.storage import Storage
from werkzeug.exceptions import TooManyRequests

from .services.people.accounts import normalize_email

EXTENSION_KEY = "wishboard.limiter"
# A sign-in failure count is forgotten a day after the first failure of the run.
FAILURE_WINDOW_S = 24 * 3600
KEY_PREFIX = "wishboard"


def by_address() -> str:
    """The client's address (the real one behind a proxy, through ProxyFix)."""
    return f"address:{request.remote_addr or 'unknown'}"


def by_account() -> str:
    """The signed-in account, else the address: one person on many addresses is still one."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return by_address()


def by_email() -> str:
    """The e-mail address typed in the form, normalised and hashed (no address in the store)."""
    return by_email_value(request.form.get("email", ""))


def _has_key() -> bool:
    return bool(request.values.get("key") or (request.view_args or {}).get("key"))


def _bad_key(response) -> bool:
    """A report key that opened nothing: unknown (404) or out of date (410)."""
    return response.status_code in (404, 410)


@dataclass(frozen=True)
class Rule:
    """One limit: the setting holding its value, whom it counts, and on which requests."""

    setting: str
    key: Callable[[], str]
    methods: tuple[str, ...] = ("POST",)
    scope: str | None = None  # endpoints sharing a scope share their count
    only_with_key: bool = False
    deduct_when: Callable | None = None


SUPPORT_ENDPOINTS = ("resident.support", "resident.withdraw", "resident.withdraw_area_wish")
WISH_ENDPOINTS = ("resident.make_wish", "resident.area_wish")

# endpoint -> its limits. Endpoints that do not exist (yet) are skipped.
RULES: dict[str, tuple[Rule, ...]] = {
    "auth.register": (Rule("WISHBOARD_LIMIT_REGISTER", by_address),),
    "auth.login": (Rule("WISHBOARD_LIMIT_LOGIN", by_address),),
    "auth.reset_request": (
        Rule("WISHBOARD_LIMIT_RESET", by_address),
        Rule("WISHBOARD_LIMIT_RESET_EMAIL", by_email),
    ),
    "auth.resend_verification": (Rule("WISHBOARD_LIMIT_RESEND", by_account),),
    **{name: (Rule("WISHBOARD_LIMIT_WISH", by_account, scope="wish"),) for name in WISH_ENDPOINTS},
    **{
        name: (Rule("WISHBOARD_LIMIT_SUPPORT", by_account, scope="support"),)
        for name in SUPPORT_ENDPOINTS
    },
    "resident.report": (Rule("WISHBOARD_LIMIT_FLAG", by_account),),
    # Checks the password: guessing it through a signed-in session counts like signing in.
    "resident.delete_account": (Rule("WISHBOARD_LIMIT_LOGIN", by_account),),
    # Open to visitors (an owner with no account): counted per address for them.
    "public.shop_correction": (Rule("WISHBOARD_LIMIT_CORRECTION", by_account),),
    # Each one e-mails a landlord, or staff: a holder may not send them by the hundred.
    "projects.express_interest": (Rule("WISHBOARD_LIMIT_INTEREST", by_account),),
    "projects.create": (Rule("WISHBOARD_LIMIT_PROJECT", by_account),),
    # A PDF costs the server a fraction of a second: open to all, but not by the thousand.
    "public.evidence_sheet": (Rule("WISHBOARD_LIMIT_PDF", by_address, methods=("GET",)),),
    "resident.ask_project_role": (Rule("WISHBOARD_LIMIT_PROJECT", by_account),),
}
# Pages outside the landlord's blueprint that a signed key in their URL opens.
KEYED_ENDPOINTS = ("resident.stop_notifications", "resident.confirm_support")
KEYED_RULES = (
    Rule(
        "WISHBOARD_LIMIT_REPORT_KEY",
        by_address,
        methods=("GET", "HEAD", "POST"),
        scope="report-key",
        only_with_key=True,
    ),
    Rule(
        "WISHBOARD_LIMIT_REPORT_KEY_FAILURES",
        by_address,
        methods=("GET", "HEAD", "POST"),
        scope="report-key-failures",
        only_with_key=True,
        deduct_when=_bad_key,
    ),
)


def init_app(app: Flask) -> None:
    """Give `app` its limiter and attach every rule; call once the blueprints are registered."""
    limiter = Limiter(
        key_func=by_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"] or "memory://",
        key_prefix=KEY_PREFIX,
        # Redis out of reach: serve without limits (and log it) rather than fail every request.
        swallow_errors=True,
    )
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter
    if not limiter.enabled:
        return
    rules = dict(RULES)
    # Every page opened with a signed key: the landlord's (report, files, "mark as let",
    # unsubscribe) and the link that stops a resident's notification e-mails.
    for endpoint in app.view_functions:
        if endpoint.startswith("landlord.") or endpoint in KEYED_ENDPOINTS:
            rules[endpoint] = rules.get(endpoint, ()) + KEYED_RULES
    for endpoint, endpoint_rules in rules.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        for rule in endpoint_rules:
            view = _decorate(limiter, rule)(view)
        app.view_functions[endpoint] = view


def _decorate(limiter: Limiter, rule: Rule) -> Callable:
    options = {
        "key_func": rule.key,
        "methods": list(rule.methods),
        "deduct_when": rule.deduct_when,
        "exempt_when": (lambda: not _has_key()) if rule.only_with_key else None,
    }

    def value() -> str:
        return current_app.config[rule.setting]

    if rule.scope:
        return limiter.shared_limit(value, scope=rule.scope, **options)
    return limiter.limit(value, **options)


def _limiter() -> Limiter:
    return current_app.extensions[EXTENSION_KEY]


def counts_this_time(subject: str, setting: str) -> bool:
    """Whether this address's request about `subject` counts, under the limit `setting`.

    For a number that strangers could inflate (a poster's scans): the request itself is never
    refused, only not counted past the limit. True when limits are off or the storage fails.
    """
    limiter = _limiter()
    if not limiter.enabled:
        return True
    try:
        item = parse_many(current_app.config[setting])[0]
        return limiter.limiter.hit(item, KEY_PREFIX, "count", subject, by_address())
    except Exception:
        current_app.logger.exception("Counting limit skipped: rate-limit storage failed")
        return True


def _storage() -> Storage | None:
    """The limiter's storage, or None when limits are off."""
    limiter = _limiter()
    return limiter.storage if limiter.enabled else None


def _fail_open(action: Callable[..., None]) -> Callable[..., None]:
    """Run a slowdown step; if the storage is out of reach, log it and let the sign-in go on."""

    @functools.wraps(action)
    def guarded(*args, **kwargs) -> None:
        try:
            action(*args, **kwargs)
        except SignInPaused:
            raise
        except Exception:
            current_app.logger.exception("Sign-in slowdown skipped: rate-limit storage failed")

    return guarded


def retry_after(error: Exception) -> int:
    """Seconds until the limit that refused this request lets the next one through."""
    seconds = getattr(error, "retry_after", None)
    if seconds is None:
        limit = _limiter().current_limit
        # Whole seconds, as Flask-Limiter counts them (its windows end on a whole second).
        seconds = int(limit.reset_at - time.time()) if limit is not None else 60
    return max(1, math.ceil(seconds))


def wait_message(seconds: int) -> str:
    """When to come back, in whole minutes, in the visitor's language."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many requests in a short time. Please try again in %(num)d minute.",
        "Too many requests in a short time. Please try again in %(num)d minutes.",
        minutes,
    )


# Sign-in slowdown: after a few failures for an e-mail address (whether or not it has an
# account) or from a network address, each new attempt waits longer, doubling up to a ceiling.


class SignInPaused(TooManyRequests):
    """Sign-in attempts are paused for this account or address; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def signin_wait_message(seconds: int) -> str:
    """The sign-in form's words for a pause, the same whether or not the account exists."""
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts. Please try again in %(num)d minute.",
        "Too many failed sign-in attempts. Please try again in %(num)d minutes.",
        minutes,
    )


def _signin_subjects(email: str) -> list[tuple[str, str]]:
    """The counters a sign-in touches, with the setting giving each its free failures."""
    return [
        (f"signin:{by_email_value(email)}", "WISHBOARD_SIGNIN_FREE_FAILURES"),
        (f"signin:{by_address()}", "WISHBOARD_SIGNIN_ADDRESS_FREE_FAILURES"),
    ]


def by_email_value(email: str) -> str:
    """The storage key part for an e-mail address, normalised and hashed."""
    return f"email:{_digest(normalize_email(email))}"


@_fail_open
def check_signin(email: str) -> None:
    """Raise SignInPaused while this e-mail address or this client must wait before trying."""
    storage = _storage()
    if storage is None:
        return
    now = time.time()
    waits = [
        storage.get_expiry(f"{KEY_PREFIX}/{subject}/pause") - now
        for subject, _setting in _signin_subjects(email)
        if storage.get(f"{KEY_PREFIX}/{subject}/pause")
    ]
    if waits and max(waits) > 0:
        raise SignInPaused(max(1, math.ceil(max(waits))))


@_fail_open
def signin_failed(email: str) -> None:
    """Count a failed sign-in; past the free failures, pause further attempts, doubling."""
    storage = _storage()
    if storage is None:
        return
    config = current_app.config
    for subject, setting in _signin_subjects(email):
        failures = storage.incr(f"{KEY_PREFIX}/{subject}/failures", FAILURE_WINDOW_S)
        extra = failures - config[setting] + 1  # the last free failure starts the first pause
        if extra > 0:
            delay = min(
                config["WISHBOARD_SIGNIN_DELAY_S"] * 2 ** min(extra - 1, 30),
                config["WISHBOARD_SIGNIN_MAX_DELAY_S"],
            )
            pause = f"{KEY_PREFIX}/{subject}/pause"
            storage.clear(pause)
            storage.incr(pause, delay)


@_fail_open
def signin_succeeded(email: str) -> None:
    """Forget the account's failures; the address's stay (one good account must not reset them)."""
    storage = _storage()
    if storage is None:
        return
    subject = f"signin:{by_email_value(email)}"
    storage.clear(f"{KEY_PREFIX}/{subject}/failures")
    storage.clear(f"{KEY_PREFIX}/{subject}/pause")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]
