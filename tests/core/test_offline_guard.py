"""The offline guard itself: internet sockets fail every test; loopback only where marked."""

from __future__ import annotations

import socket
import threading

import pytest


def _listening_port() -> int:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    threading.Thread(target=server.accept, daemon=True).start()
    port: int = server.getsockname()[1]
    return port


def test_unmarked_test_cannot_connect_even_to_loopback() -> None:
    port = _listening_port()
    with pytest.raises(AssertionError, match="network access"):
        socket.create_connection(("127.0.0.1", port))


@pytest.mark.loopback
def test_loopback_marked_test_reaches_loopback_only() -> None:
    port = _listening_port()
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(AssertionError, match="network access"):
        socket.create_connection(("192.0.2.1", 80))
    with pytest.raises(AssertionError, match="network access"):
        socket.getaddrinfo("example.com", 443)
