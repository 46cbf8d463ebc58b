"""The browser tests' server closes every response, even when the browser drops the connection.

Werkzeug's own server skips the close when the client is gone before it has read the rest of the
request; the open file then surfaces later, in another test, as an unraisable ResourceWarning.
"""

import gc
import socket
import struct
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from tests.browser.serving import serve


def test_a_static_file_is_closed_when_the_browser_drops_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 3_000_000)
    app = Flask(__name__, static_folder=tmp_path, static_url_path="/static")
    unclosed: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unclosed.append)

    with serve(app) as url:
        port = int(url.rsplit(":", 1)[1])
        for _ in range(20):
            # A request followed by bytes the server reads after answering, then a reset.
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /static/big.txt HTTP/1.1\r\nHost: test\r\n\r\nmore")
            time.sleep(0.005)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
    gc.collect()

    assert [hook.object for hook in unclosed] == []
