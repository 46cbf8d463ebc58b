"""Public responses by version of the data: ETags, 304s and a small cache in each worker.

Every change that visitors can see adds one to a number in the database (`data_versions`, kept
by triggers: see models/demand.py). A public response depends only on that number, its URL, the
visitor's language and whether htmx asked for a fragment, so:

- its ETag is made of them, and a matching `If-None-Match` is answered 304 before any work;
- each worker keeps what it built in a small cache (least recently used first out, bounded in
  bytes) under those keys, and serves it again until the number changes.

The cache holds no state that must be shared: every request reads the number from the database,
so two workers or two servers never serve data older than the database's. Public pages are cached
for visitors who are not signed in and have no message waiting; their CSRF token, the one
per-visitor part of such a page, is put back into the cached page for each of them.

Signed-in people see their own page (their supports, their role's menu), so theirs is kept apart,
per person, and valid for the *private* version instead: a second number that grows with every
change any signed-in page may show (a wish awaiting review, a flag, a person's role; see
models/demand.py), read in the same query. Any such change anywhere makes every person's page be
built again: never stale, and as fast as a visitor's while nothing changes. The hour is in the
key too, for the few words that depend on the time ("waiting since…").
"""

import gzip
import hashlib
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial, wraps

import brotli
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    make_response,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.pool import StaticPool

from .extensions import db
from .htmx import is_htmx_request
from .models import DataVersion, utcnow
from .security import VERSIONS_READ_WITH_USER, content_security_policy

EXTENSION_KEY = "wishboard.response_cache"
PERSON_EXTENSION_KEY = "wishboard.person_cache"
MEMO_KEY = "wishboard.versioned_memo"
VERSIONS_ENGINE_KEY = "wishboard.versions_engine"
TIMES_KEY = "wishboard.version_times"
# Per worker; a full map's GeoJSON with its compressed copies takes about 2 MB.
CACHE_BYTES = 64 * 1024 * 1024
# Per worker, apart: signed-in people's pages never push the visitors' out.
PERSON_CACHE_BYTES = 32 * 1024 * 1024
# Stands for the visitor's CSRF token in a cached page.
TOKEN_PLACEHOLDER = b"\x00csrf-token\x00"
# Encodings kept ready for cached data, best first (browsers accept both; brotli is smaller).
ENCODINGS = ("br", "gzip")


_VERSIONS_QUERY = select(DataVersion.version, DataVersion.private_version).where(
    DataVersion.id == 1
)
_VERSIONS_SQL = "SELECT version, private_version FROM data_versions WHERE id = 1"


def data_versions() -> tuple[int, int]:
    """The public and the private version of the data, as the database has them now.

    Read on every cached request, so through a pooled connection of its own rather than the ORM
    session: a tenth of the cost. Read before the page's data, they are never newer than that data.
    A signed-in person's request read them with the person (security.user_from_session_id).
    """
    # Only while the request reads: a view that wrote has moved them since.
    read_with_user = g.pop(VERSIONS_READ_WITH_USER, None)
    if read_with_user and has_request_context() and request.method in ("GET", "HEAD"):
        return read_with_user
    if isinstance(db.engine.pool, StaticPool):
        # An in-memory database (the tests) has one connection, shared with the session, whose
        # return to the pool would roll back the session's work: ask through the session.
        row = db.session.execute(_VERSIONS_QUERY).first()
    elif db.session().in_transaction():
        # The session holds a connection already (it loaded the signed-in person): ask on it,
        # rather than take another from the pool (on PostgreSQL: a ping and a rollback more).
        row = db.session.connection().exec_driver_sql(_VERSIONS_SQL).first()
    else:
        row = _read_versions_apart()
    return (row[0], row[1]) if row else (0, 0)


def _read_versions_apart() -> tuple | None:
    """The versions' row through a pooled connection of its own.

    On PostgreSQL through an engine of its own (`_versions_engine`), since every request asks.
    """
    if db.engine.dialect.name != "postgresql":
        return _read_versions(db.engine)
    engine = _versions_engine()
    try:
        return _read_versions(engine)
    except engine.dialect.loaded_dbapi.OperationalError:
        # Its connection was lost (the server restarted): once more, on a new one.
        return _read_versions(engine)


def _read_versions(engine: Engine) -> tuple | None:
    connection = engine.raw_connection()
    try:
        cursor = connection.driver_connection.cursor()
        cursor.execute(_VERSIONS_SQL)
        row = cursor.fetchone()
        cursor.close()
    except engine.dialect.loaded_dbapi.OperationalError:
        connection.invalidate()
        raise
    finally:
        connection.close()
    return row


_versions_engine_lock = threading.Lock()


def _versions_engine() -> Engine:
    """PostgreSQL's engine for the versions' read, in autocommit and without a ping.

    A lone read needs no transaction: without one the driver sends neither BEGIN nor, when the
    connection goes back to the pool, ROLLBACK. And rather than ping the server before each read
    (the site's engine does, at each checkout), a read that finds its connection lost is made
    again on a new one. A request then costs the server one round trip instead of three
    (1.29 -> 0.92 ms a visitor's cached page here, in process, on the metropolis).
    """
    engine = current_app.extensions.get(VERSIONS_ENGINE_KEY)
    if engine is None:
        with _versions_engine_lock:
            engine = current_app.extensions.get(VERSIONS_ENGINE_KEY)
            if engine is None:
                engine = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
                # Its connections go when the site's do (a test app's end, a forked worker).
                event.listen(db.engine, "engine_disposed", lambda _: engine.dispose())
                current_app.extensions[VERSIONS_ENGINE_KEY] = engine
    return engine


def data_version() -> int:
    """The version of everything public (see `data_versions`)."""
    return data_versions()[0]


@dataclass
class _Entry:
    """One cached answer: the version it was built from, its body and its compressed copies."""

    version: int
    body: bytes
    mimetype: str
    headers: dict[str, str] = field(default_factory=dict)
    encoded: dict[str, bytes] = field(default_factory=dict)
    gzipped: "_GzippedPage | None" = None  # a page gzipped once, its token put in for each reader

    @property
    def size(self) -> int:
        spliced = self.gzipped.size if self.gzipped else 0
        return len(self.body) + sum(len(value) for value in self.encoded.values()) + spliced


# A gzip member around raw deflate data: no file name, no date, unknown system (RFC 1952).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# Bytes that UTF-8 text never holds: a page's token is compressed as a stand-in made of them.
_NEVER_IN_TEXT = bytes([0xC0, 0xC1, *range(0xF5, 0x100)])


def _stand_in(length: int) -> bytes:
    """`length` bytes that never occur in UTF-8 text, no three of them twice in the same order
    (the start of a de Bruijn sequence of 3-grams): a copy that deflate makes of any part of
    it lines up with the same part of the token that later takes its place."""
    alphabet, order = len(_NEVER_IN_TEXT), 3
    word = [0] * (alphabet * order)
    sequence: list[int] = []

    def walk(t: int, p: int) -> None:  # the classic recursive construction (Ruskey)
        if len(sequence) >= length:
            return
        if t > order:
            if order % p == 0:
                sequence.extend(word[1 : p + 1])
            return
        word[t] = word[t - p]
        walk(t + 1, p)
        for symbol in range(word[t - p] + 1, alphabet):
            word[t] = symbol
            walk(t + 1, t)

    walk(1, 1)
    return bytes(_NEVER_IN_TEXT[index] for index in sequence[:length])


@dataclass(frozen=True)
class _GzippedPage:
    """A page gzipped once per version, in which each reader's CSRF token is then put.

    The part before the first token is compressed and flushed to a byte boundary; the first
    token goes in as a stored (uncompressed) block; the rest was compressed with a stand-in of
    the token's length (`_stand_in`), so each later token is a copy of the first. A reader's
    answer joins the three, and works out only the trailer: the CRC of the page and its length.
    Compressing the page again for each reader took longer than the rest of a cached answer.
    """

    # The page between its tokens, as it is, for the CRC: kept rather than split from the body
    # for each reader (0.04 to 0.13 ms an answer), and counted in the cache's size.
    parts: tuple[bytes, ...]
    head: bytes  # raw deflate of the first part, flushed
    tail: bytes  # raw deflate of the rest, the last block
    token_length: int

    @classmethod
    def of(cls, body: bytes, token_length: int) -> "_GzippedPage | None":
        """`body`, whose tokens are TOKEN_PLACEHOLDER, ready for tokens of `token_length`; None
        when it cannot be (no token, or a body that is not UTF-8 text)."""
        parts = body.split(TOKEN_PLACEHOLDER)
        if len(parts) < 2 or not 0 < token_length < 0x10000:
            return None
        try:
            body.decode()
        except UnicodeDecodeError:
            return None
        stand_in = _stand_in(token_length)
        first = zlib.compressobj(6, zlib.DEFLATED, -15)  # -15: raw deflate, no header
        head = first.compress(parts[0]) + first.flush(zlib.Z_SYNC_FLUSH)
        # The rest refers back to what the reader will have: the first part and a token.
        window = (parts[0] + stand_in)[-32768:]
        rest = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=window)
        tail = rest.compress(stand_in.join(parts[1:])) + rest.flush()
        page = cls(tuple(parts), head, tail, token_length)
        # Checked once with a token of letters: deflate wrote no byte of the stand-in as such.
        probe = bytes(0x41 + index % 26 for index in range(token_length))
        if zlib.decompress(page._deflated(probe), -15) != probe.join(parts):
            return None
        return page

    @property
    def size(self) -> int:
        return sum(map(len, self.parts)) + len(self.head) + len(self.tail)

    def _deflated(self, token: bytes) -> bytes:
        stored = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF)
        return b"".join((self.head, stored, token, self.tail))

    def with_token(self, token: bytes) -> bytes | None:
        """The gzip file of the page with `token` in it; None for a token of another length."""
        if len(token) != self.token_length:
            return None
        crc = zlib.crc32(self.parts[0])
        for part in self.parts[1:]:
            crc = zlib.crc32(part, zlib.crc32(token, crc))
        length = sum(map(len, self.parts)) + len(token) * (len(self.parts) - 1)
        trailer = struct.pack("<II", crc, length & 0xFFFFFFFF)
        return _GZIP_HEADER + self._deflated(token) + trailer


class ResponseCache:
    """Answers by key, valid for one data version, the least recently used dropped first."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, version: int) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            if entry.size > self.max_bytes:
                return
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def encode(self, key: tuple, entry: _Entry, encoding: str) -> bytes:
        """The entry's body compressed with `encoding`, made once and kept with it."""
        with self._lock:
            ready = entry.encoded.get(encoding)
        if ready is not None:
            return ready
        if encoding == "br":
            ready = brotli.compress(entry.body, quality=5)
        else:
            ready = gzip.compress(entry.body, compresslevel=6, mtime=0)
        with self._lock:
            if encoding not in entry.encoded and self._entries.get(key) is entry:
                entry.encoded[encoding] = ready
                self._bytes += len(ready)
        return ready

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def init_app(app: Flask) -> None:
    """Give the app its response cache, its memo of values by data version and the dates of
    the versions."""
    app.extensions[EXTENSION_KEY] = ResponseCache()
    app.extensions[PERSON_EXTENSION_KEY] = ResponseCache(PERSON_CACHE_BYTES)
    app.extensions[MEMO_KEY] = VersionedMemo()
    app.extensions[TIMES_KEY] = VersionTimes()


def forget_all(app: Flask) -> None:
    """Empty this worker's caches and memo: the next answers are built afresh (tests measure
    that cost; nothing else needs it, since every entry is valid for one version only)."""
    for name in (EXTENSION_KEY, PERSON_EXTENSION_KEY, MEMO_KEY):
        app.extensions[name].clear()


def _cache() -> ResponseCache:
    return current_app.extensions[EXTENSION_KEY]


def _digest(*parts: object) -> str:
    return hashlib.blake2s(repr(parts).encode(), digest_size=9).hexdigest()


def _request_key(per_language: bool = True) -> tuple:
    """What a public answer depends on besides the data version.

    The host is part of it: answers hold absolute URLs (a page's canonical address, the links of
    the open data), which must be the ones of the host that was asked.
    """
    locale = str(get_locale()) if per_language else ""
    return (request.host_url, request.path, request.query_string, locale, is_htmx_request())


class VersionTimes:
    """When this worker first saw each recent data version: the `Last-Modified` of what it
    serves from that version, the same for the same bytes while the worker lives.

    The database keeps no time with its version, so each worker dates a version when it first
    reads it; a later version always gets a later second (HTTP dates have no fraction), so an
    `If-Modified-Since` never takes a newer version for an older one. Workers may date a version
    a little apart; the ETag, exact everywhere, is what browsers send first.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._times: OrderedDict[int, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, version: int) -> datetime:
        """The time `version` was first seen here, to the second, in UTC."""
        with self._lock:
            known = self._times.get(version)
            if known is not None:
                return known
            now = datetime.now(UTC).replace(microsecond=0)
            newest = max(self._times, default=None)
            if newest is None:
                seen = now
            elif version > newest:
                seen = max(now, self._times[newest] + timedelta(seconds=1))
            else:
                # Read before a newer one was dated (a slow request): older than it, always.
                seen = min(now, self._times[newest] - timedelta(seconds=1))
            self._times[version] = seen
            while len(self._times) > self.max_entries:
                self._times.popitem(last=False)
            return seen

    def clear(self) -> None:
        with self._lock:
            self._times.clear()


def last_modified(version: int) -> datetime:
    """The `Last-Modified` of what is served from `version` of the data (see VersionTimes)."""
    return current_app.extensions[TIMES_KEY].of(version)


def _not_modified(
    etag: str, headers: dict[str, str], modified: datetime | None = None
) -> Response | None:
    """A 304 when the client already holds the answer tagged `etag` or, when it sends no
    `If-None-Match` (which wins, RFC 9110 13.2.2), one dated `modified` or later."""
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    else:
        since = request.if_modified_since
        fresh = modified is not None and since is not None and modified <= since
    if not fresh:
        return None
    response = Response(status=304, headers=headers)
    response.set_etag(etag, weak=True)
    return response


def cached_data(
    build: Callable[[], bytes | ResponseReturnValue],
    mimetype: str,
    per_language: bool = True,
    headers: dict[str, str] | None = None,
) -> Response:
    """Open data built by `build()` once per data version, with an ETag, compressed.

    `build` returns the body, or a response to send as it is and not keep (an error).
    """
    version = data_version()
    modified = last_modified(version)
    key = _request_key(per_language)
    etag = f"v{version}-{_digest(key)}"
    headers = dict(headers or {})
    if per_language:
        # Labels follow the visitor's language, so caches must keep one copy per language.
        headers["Vary"] = "Accept-Language, Cookie"
    not_modified = _not_modified(etag, headers, modified)
    if not_modified is not None:
        return _public(not_modified)
    cache = _cache()
    entry = cache.get(key, version)
    if entry is None:
        built = build()
        if not isinstance(built, bytes):
            return make_response(built)
        entry = _Entry(version, built, mimetype, headers)
        cache.put(key, entry)
    response = Response(mimetype=mimetype, headers=entry.headers)
    encoding = request.accept_encodings.best_match(ENCODINGS)
    if encoding:
        response.set_data(cache.encode(key, entry, encoding))
        response.headers["Content-Encoding"] = encoding
    else:
        response.set_data(entry.body)
    response.vary.add("Accept-Encoding")
    response.set_etag(etag, weak=True)
    response.last_modified = modified
    return _public(response)


def streamed_data(
    prepare: Callable[[], Iterator[bytes] | ResponseReturnValue],
    mimetype: str,
    per_language: bool = True,
) -> Response:
    """Open data too large to build in memory: written as the iterator `prepare()` returns
    yields it, compressed on the way, with the ETag and 304 of `cached_data`. `prepare` may
    return a response to send instead (an error), before anything is written; what it needs
    of the request (the language, the arguments) it reads then, not in the iterator.

    The compressed answer is kept as it goes out (a few hundred kilobytes for a city where the
    built document took many megabytes) and served again, whole, until the data changes. Only an
    answer sent to its end is kept.
    """
    version = data_version()
    modified = last_modified(version)
    encoding = request.accept_encodings.best_match(ENCODINGS)
    key = (*_request_key(per_language), "stream", encoding)
    etag = f"v{version}-{_digest(_request_key(per_language))}"
    headers = {"Vary": "Accept-Language, Cookie"} if per_language else {}
    not_modified = _not_modified(etag, headers, modified)
    if not_modified is not None:
        return _public(not_modified)
    if encoding:
        headers["Content-Encoding"] = encoding
    cache = _cache()
    entry = cache.get(key, version)
    if entry is not None:
        response = Response(entry.body, mimetype=mimetype, headers=entry.headers)
    else:
        chunks = prepare()
        if not isinstance(chunks, Iterator):
            return make_response(chunks)
        app = current_app._get_current_object()

        def written() -> Iterator[bytes]:
            sent: list[bytes] = []
            pieces = _compressed(_in_app_context(app, chunks), encoding)
            try:
                for piece in pieces:
                    sent.append(piece)
                    yield piece
            except GeneratorExit:
                # The reader left (a client's timeout, a benchmark's warm-up): the document is
                # finished all the same and kept, or every request queued behind would build it
                # again, for nobody, as long.
                sent.extend(pieces)
            cache.put(key, _Entry(version, b"".join(sent), mimetype, headers))

        response = Response(written(), mimetype=mimetype, headers=headers)
    response.vary.add("Accept-Encoding")
    response.set_etag(etag, weak=True)
    response.last_modified = modified
    return _public(response)


def _in_app_context(app: Flask, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks`, each read in an application context (and database session).

    The server reads an answer's body after the view has returned and its context is gone: each
    chunk then gets a context of its own, held only while it is read, never across a `yield`
    (the server may drop a body half read). The test client reads it in the test's context.
    """
    while True:
        with nullcontext() if has_app_context() else app.app_context():
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def _compressed(chunks: Iterable[bytes], encoding: str | None) -> Iterator[bytes]:
    """`chunks` compressed as one stream with `encoding` ("br", "gzip", or None for as they are)."""
    if encoding is None:
        yield from chunks
        return
    # Each chunk is flushed: the reader gets a batch as soon as it is written, not when the
    # compressor's window is full (brotli's holds megabytes).
    if encoding == "br":
        compressor = brotli.Compressor(quality=5)

        def squeeze(chunk: bytes) -> bytes:
            return compressor.process(chunk) + compressor.flush()

        finish = compressor.finish
    else:
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer

        def squeeze(chunk: bytes) -> bytes:
            return compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)

        finish = compressor.flush
    for chunk in chunks:
        piece = squeeze(chunk)
        if piece:
            yield piece
    yield finish()


def _public(response: Response) -> Response:
    # Anyone may keep it, but must ask again each time: a new support changes it.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _no_message() -> bool:
    """No message waits to be shown: the page is the same on every visit."""
    return "_flashes" not in session


def _anonymous() -> bool:
    """A visitor who is not signed in and has no message waiting: their page is everyone's."""
    return not current_user.is_authenticated and _no_message()


def cached_page(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Serve a public page from the cache to anonymous visitors, with an ETag, and to each
    signed-in person their own copy; see the module."""

    @wraps(view)
    def cached_view(*args, **kwargs) -> ResponseReturnValue:
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        if current_user.is_authenticated:
            return reader_page(partial(view, *args, **kwargs))
        if not _anonymous():
            return view(*args, **kwargs)
        version = data_version()
        key = _request_key()
        generate_csrf()  # the visitor's own token; starts their session when they have none
        # Their session's token is in the page: a copy made for another session must not match.
        etag = f"v{version}-{_digest(key, session.get('csrf_token'))}"
        headers = {"Vary": "Cookie, Accept-Language"}
        not_modified = _not_modified(etag, headers)
        if not_modified is not None:
            return _private(not_modified)
        build = partial(view, *args, **kwargs)
        response = _from_cache(_cache(), key, version, build, _anonymous)
        if response.status_code == 200 and not response.direct_passthrough:
            response.vary.update(("Cookie", "Accept-Language"))
            response.set_etag(etag, weak=True)
        return _private(response)

    return cached_view


def cached_for_person(
    view: Callable[..., ResponseReturnValue],
) -> Callable[..., ResponseReturnValue]:
    """Serve a signed-in person's page (their wishes, their premises, a staff list) from their
    own copy while nothing changed; see the module. Under the view's access checks."""

    @wraps(view)
    def cached_view(*args, **kwargs) -> ResponseReturnValue:
        if request.method not in ("GET", "HEAD") or not current_user.is_authenticated:
            return view(*args, **kwargs)
        return reader_page(partial(view, *args, **kwargs))

    return cached_view


def reader_page(build: Callable[[], ResponseReturnValue]) -> Response:
    """The page `build()` makes, kept for its reader while the private version stays the same.

    The reader is the signed-in person, or for a visitor the holder of the URL's signed key (a
    landlord's report link): call it after the access checks, which run on every request.
    """
    if not _no_message():
        return make_response(build())
    _, version = data_versions()
    person = current_user.id if current_user.is_authenticated else None
    key = (*_request_key(), person, utcnow().strftime("%Y-%m-%d %H"))

    def still_for() -> bool:
        now = current_user.id if current_user.is_authenticated else None
        return now == person and _no_message()

    cache = current_app.extensions[PERSON_EXTENSION_KEY]
    response = _from_cache(cache, key, version, build, still_for)
    response.vary.update(("Cookie", "Accept-Language"))
    # Only their browser may keep it, and must ask again: the page changes with their actions.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _from_cache(
    cache: ResponseCache,
    key: tuple,
    version: int,
    build: Callable[[], ResponseReturnValue],
    still_for: Callable[[], bool],
) -> Response:
    """The page kept under `key` at `version`, with this session's CSRF token put back in, or
    the one `build()` makes now, kept when it is a whole page and `still_for()` the same reader
    (the view set no message, nobody signed in or out)."""
    token = generate_csrf().encode()  # the reader's own; starts their session when they have none
    entry = cache.get(key, version)
    if entry is not None:
        return _with_token(entry, token)
    response = make_response(build())
    if response.status_code != 200 or response.direct_passthrough or not still_for():
        return response
    kept = {name: value for name, value in response.headers if name == "Vary"}
    body = response.get_data().replace(token, TOKEN_PLACEHOLDER)
    entry = _Entry(version, body, response.mimetype, kept)
    if response.mimetype == "text/html":
        # Worked out once, like the page: the inline scripts' hashes do not change with it.
        entry.headers["Content-Security-Policy"] = content_security_policy(body)
        entry.gzipped = _GzippedPage.of(body, len(token))
    cache.put(key, entry)
    return response


def _with_token(entry: _Entry, token: bytes) -> Response:
    """A kept page with the reader's CSRF token put in: gzipped when their browser takes it."""
    takes_gzip = entry.gzipped is not None and request.accept_encodings["gzip"]
    gzipped = entry.gzipped.with_token(token) if takes_gzip else None
    if gzipped is not None:
        response = Response(gzipped, mimetype=entry.mimetype, headers=entry.headers)
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
    body = entry.body.replace(TOKEN_PLACEHOLDER, token)
    return Response(body, mimetype=entry.mimetype, headers=entry.headers)


class VersionedMemo:
    """Values built once per data version and key, the least recently used dropped first.

    For what is costly to compute and changes only with the data (a busy premises' demand
    report): the page around it is still built for each reader, the numbers are not.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: tuple, build: Callable[[], object]) -> object:
        version = data_version()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == version:
                self._entries.move_to_end(key)
                return found[1]
        value = build()
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def by_version(key: tuple, build: Callable[[], object]) -> object:
    """`build()`, or what it gave for `key` at this very data version (this worker's memo)."""
    return current_app.extensions[MEMO_KEY].get_or_build(key, build)


def keep_private(response: Response) -> Response:
    """A report (or a page reached with a signed key) is for its reader alone: never cached,
    and never named in a Referer."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _private(response: Response) -> Response:
    # The page holds the visitor's CSRF token: only their own browser may keep it.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
