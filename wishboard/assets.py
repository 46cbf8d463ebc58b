"""Static files under versioned URLs that browsers keep for a year, compressed once.

`url_for("static", filename=…)` adds `?v=` and a hash of the file's content, so a changed file
gets a new URL; an answer to a URL with the current hash may then be kept for a year without
asking again. Scripts and stylesheets are sent compressed (brotli or gzip), each compressed once
per process. Hashes and compressed copies are made again when a file changes on disk.
"""

import gzip
import hashlib
import os
from functools import lru_cache

import brotli
from flask import Flask, Response, current_app, request, url_for

STATIC_PREFIX = "/static/"
YEAR_S = 365 * 24 * 3600
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
ENCODINGS = ("br", "gzip")


@lru_cache(maxsize=512)
def _hash(path: str, modified_ns: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.blake2s(handle.read(), digest_size=6).hexdigest()


@lru_cache(maxsize=256)
def _compressed(path: str, modified_ns: int, encoding: str) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    if encoding == "br":
        return brotli.compress(data, quality=6)
    return gzip.compress(data, compresslevel=9, mtime=0)


def _static_path(filename: str) -> str | None:
    folder = current_app.static_folder
    return None if folder is None else os.path.join(folder, filename)


def static_version(filename: str) -> str | None:
    """The hash of a static file's content, or None when there is no such file."""
    path = _static_path(filename)
    if path is None:
        return None
    try:
        modified = os.stat(path).st_mtime_ns
    except (OSError, ValueError):
        return None
    return _hash(path, modified)


def _add_version(endpoint: str, values: dict) -> None:
    """url_defaults: `url_for("static", …)` carries the file's hash."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def _static_response(response: Response) -> Response:
    """after_request for static files: a year of caching under the current hash; compressed."""
    if request.endpoint != "static":
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version and response.status_code in (200, 304) and version == static_version(filename):
        # A file asked for under its current hash never changes: keep it a year.
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_S
        response.cache_control.immutable = True
    response.vary.add("Accept-Encoding")
    encoding = request.accept_encodings.best_match(ENCODINGS)
    path = _static_path(filename)
    if (
        response.status_code != 200
        or request.method != "GET"
        or response.mimetype not in COMPRESSIBLE
        or not encoding
        or path is None
    ):
        return response
    try:
        body = _compressed(path, os.stat(path).st_mtime_ns, encoding)
    except OSError:
        return response
    etag, _ = response.get_etag()
    response.close()  # the file Flask opened to send it
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    if etag:
        # The same file, encoded: a weak tag, still matched by the browser's If-None-Match.
        response.set_etag(etag, weak=True)
    return response


def static_url(path: str) -> str:
    """Template filter: a "/static/…" path (as wishboard.maps names its assets), versioned."""
    if path.startswith(STATIC_PREFIX):
        return url_for("static", filename=path.removeprefix(STATIC_PREFIX))
    return path


def init_app(app: Flask) -> None:
    """Version the static URLs, let browsers keep those files, and send them compressed."""
    app.url_defaults(_add_version)
    app.after_request(_static_response)
    app.add_template_filter(static_url)
