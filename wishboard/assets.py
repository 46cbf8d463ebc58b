"""Static files under versioned URLs that browsers keep for a year, compressed once.

`url_for("static", filename=…)` adds `?v=` and a hash of the file's content, so a changed file
gets a new URL; an answer to a URL with the current hash may then be kept for a year without
asking again. Scripts and stylesheets are sent compressed (brotli or gzip), each compressed once
per process. Hashes and compressed copies are made again when a file changes on disk.

Stylesheets are not linked but written into the page (`inline_stylesheet`): a linked stylesheet
holds the first paint back until it has arrived, one more round trip on a phone's network.
"""

import gzip
import hashlib
import os
import posixpath
import re
from functools import lru_cache

import brotli
from flask import Flask, Response, current_app, request, url_for
from markupsafe import Markup

STATIC_PREFIX = "/static/"
YEAR_S = 365 * 24 * 3600
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}
ENCODINGS = ("br", "gzip")
# What a stylesheet written into a page leaves out: its comments, and the indentation of its lines.
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
CSS_INDENTATION = re.compile(r"\s*\n\s*")
# A url() of a stylesheet relative to the stylesheet's folder: not a fragment, data, nor absolute.
RELATIVE_URL = re.compile(r"""url\(\s*(['"]?)(?![#/]|[a-z]+:)([^'")\s]+)\1\s*\)""")


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


@lru_cache(maxsize=32)
def _inlined(filename: str, modified_ns: int, script_root: str) -> Markup:
    path = _static_path(filename)
    with open(path, encoding="utf-8") as handle:
        css = handle.read()
    folder = posixpath.dirname(filename)

    def absolute(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(folder, match[2]))
        return f"url({match[1]}{url_for('static', filename=target)}{match[1]})"

    css = CSS_INDENTATION.sub("\n", CSS_COMMENT.sub("", css)).strip()
    css = RELATIVE_URL.sub(absolute, css)
    if "</" in css:
        raise ValueError(f"{filename} cannot be written into a <style> element: it holds '</'")
    return Markup(f"<style>{css}</style>")


def inline_stylesheet(filename: str) -> Markup:
    """Template global: the stylesheet `filename` of static/ as a <style> element.

    `filename` is relative to static/, or a "/static/…" path as wishboard.maps names its assets.
    Without its comments and indentation (our stylesheets hold no "/*" inside a string); its
    relative url()s are made to point at the static files, as they would from the file.
    Read again when the file changes on disk.
    """
    filename = filename.removeprefix(STATIC_PREFIX)
    modified = os.stat(_static_path(filename)).st_mtime_ns
    return _inlined(filename, modified, request.script_root)


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
    app.add_template_global(inline_stylesheet)
