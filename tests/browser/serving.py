"""A WSGI application served in a background thread for the browser tests.

Werkzeug's development server closes a response (and the file a static response holds open) in
a `finally` that first reads what is left of the request; when the browser has already dropped
the connection, that read raises and the close is skipped. The file is then closed by the
garbage collector, later, as an unraisable ResourceWarning in whichever test is running. This
server closes every response once its request is over, whatever happened to the connection.
"""

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

_BODY = "wishboard.tests.body"


class _Body:
    """A response body that is closed once, however many times it is asked to."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._body, "close", None)
            if close is not None:
                close()


def _keeping_body(app):
    """Middleware: the response body, closable once, also kept in the request's environ."""

    def application(environ, start_response):
        body = _Body(app(environ, start_response))
        environ[_BODY] = body
        return body

    return application


class _ClosingRequestHandler(WSGIRequestHandler):
    def connection_dropped(self, error: BaseException, environ=None) -> None:
        if environ is not None and _BODY in environ:
            environ[_BODY].close()
        super().connection_dropped(error, environ)


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve the WSGI `app` on a free local port; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, _keeping_body(app), threaded=True, request_handler=_ClosingRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
