"""Security headers on every response, cookies and sessions that end when they should.

The Content-Security-Policy allows only our own scripts, plus the inline script folium writes
for a map, by its sha256 hash. The inline scripts are read from the page itself when it leaves, so
a page served from the response cache (wishboard/caching.py) carries the same policy as when it was
built (a nonce would be stale in a cached copy); but only those that wishboard.maps wrote are
allowed, so a script that reached a page any other way (an injection) stays blocked.

Styles allow 'unsafe-inline': bars, legend dots and the heat scale carry their data (a width, a
colour) in `style` attributes, which CSS cannot read from data attributes; a style cannot run
script, and the text in those attributes is ours, not a visitor's.
"""

import base64
import hashlib
import re
import secrets
import threading
from collections import OrderedDict
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from .extensions import db
from .models import DataVersion, User

# Where the data versions read with the signed-in person wait for caching.data_versions.
VERSIONS_READ_WITH_USER = "wishboard_data_versions"

# An inline script: no src attribute. Folium's map set-up is the only one we write.
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)
SEPARATOR = ":"
# The hashes of the inline scripts wishboard.maps wrote in this process, newest last. A map's
# script depends on the settings and on a premises' position only: a few thousand at most.
TRUSTED_SCRIPTS_MAX = 20_000
_trusted_scripts: OrderedDict[str, None] = OrderedDict()
_trusted_lock = threading.Lock()


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure on HTTPS even when the setting is off."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    """Secure sessions and the headers; call after the compression extension is bound."""
    app.session_interface = SessionInterface()
    app.after_request(add_headers)
    # First in the list, so run last: after Flask-Login has set its remember cookie.
    app.after_request_funcs.setdefault(None, []).insert(0, _secure_cookies_on_https)


def _secure_cookies_on_https(response: Response) -> Response:
    """On HTTPS every cookie we set is Secure (the remember cookie has no per-request switch)."""
    if request.is_secure:
        cookies = response.headers.getlist("Set-Cookie")
        if any("; secure" not in cookie.lower() for cookie in cookies):
            response.headers.remove("Set-Cookie")
            for cookie in cookies:
                secure = "; secure" in cookie.lower()
                response.headers.add("Set-Cookie", cookie if secure else f"{cookie}; Secure")
    return response


def _source(script: bytes) -> str:
    """The CSP source that allows one inline script."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"


def trust_inline_script(script: str) -> None:
    """Allow this inline script, written by our own code, wherever a page carries it."""
    source = _source(script.encode())
    with _trusted_lock:
        _trusted_scripts[source] = None
        _trusted_scripts.move_to_end(source)
        while len(_trusted_scripts) > TRUSTED_SCRIPTS_MAX:
            _trusted_scripts.popitem(last=False)


def script_hashes(body: bytes) -> list[str]:
    """The CSP sources ('sha256-…') of the trusted inline scripts in an HTML body, in order.

    An inline script that our code did not write is left out, and so blocked by the browser.
    """
    hashes = []
    for match in INLINE_SCRIPT.finditer(body):
        source = _source(match.group(1))
        if source in _trusted_scripts and source not in hashes:
            hashes.append(source)
    return hashes


def tile_origin(tile_url: str) -> str | None:
    """The origin of the tile server in a Leaflet URL template (`{s}` stands for any subdomain)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return None
    host = re.sub(r"^\{s\}\.", "*.", parts.netloc)
    return f"{parts.scheme}://{host}"


def content_security_policy(body: bytes | None = None) -> str:
    """The policy for a response whose HTML body is `body` (None for anything but HTML)."""
    scripts = ["'self'", *script_hashes(body or b"")]
    images = ["'self'", "data:"]
    tiles = tile_origin(current_app.config["WISHBOARD_TILE_URL"])
    if tiles:
        images.append(tiles)
    logo = current_app.extensions["wishboard_theme"].logo_origin
    if logo and logo not in images:
        images.append(logo)
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def add_headers(response: Response) -> Response:
    """The security headers every answer carries, cached ones included."""
    body = None
    if (
        response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Content-Encoding" not in response.headers
    ):
        body = response.get_data()
    # A 304's headers replace the stored page's: a policy without the page's hashes would block
    # its map. Send none, and the browser keeps the one that came with the page.
    # A page from the cache carries the policy worked out when it was built (caching.py).
    if response.status_code != 304 and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = content_security_policy(body)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # Report pages set no-referrer themselves: their URL holds a key.
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        max_age = current_app.config["WISHBOARD_HSTS_MAX_AGE"]
        if max_age > 0:
            response.headers["Strict-Transport-Security"] = f"max-age={max_age}"
    return response


# Sessions: the id Flask-Login keeps carries a fingerprint of the password hash (see
# models.User.get_id), so a new password ends every session and remember-me cookie made before.


def user_from_session_id(session_id: str) -> User | None:
    """The active user a session or remember cookie names, if its password is still the same."""
    user_id, _, fingerprint = session_id.partition(SEPARATOR)
    if not user_id.isdigit() or not fingerprint:
        return None
    # With the data versions, which every page for a signed-in person asks next (the response
    # cache): one round trip to the database rather than two.
    row = db.session.execute(
        select(User, DataVersion.version, DataVersion.private_version)
        .outerjoin(DataVersion, DataVersion.id == 1)
        .where(User.id == int(user_id))
    ).first()
    if row is None:
        return None
    user, version, private_version = row
    setattr(g, VERSIONS_READ_WITH_USER, (version or 0, private_version or 0))
    if not user.active:
        return None
    if not secrets.compare_digest(fingerprint, user.password_fingerprint):
        return None
    return user


def renew_session() -> None:
    """Start a fresh session at sign-in: nothing from before carries over into the signed-in one."""
    session.clear()
