"""``wenku serve``: check the options, bind the socket, run uvicorn until Ctrl+C / SIGTERM.

The socket is bound here, not by uvicorn, so a port in use is a one-line :class:`ServeError`
(exit 1) and ``--port 0`` can report the port it got. uvicorn runs one process with one event
loop; the engine's blocking calls run on worker threads (see :mod:`core.api.routes`).
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import TYPE_CHECKING, TextIO

from core.api.security import ServeOptions, checked
from core.errors import ServeError

if TYPE_CHECKING:
    from core.engine import Engine

log = logging.getLogger(__name__)


def bind(options: ServeOptions) -> socket.socket:
    """A listening TCP socket for ``options.host``/``port`` (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((options.host.strip("[]"), options.port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise ServeError(f"cannot listen on {options.host}:{options.port}: {error.strerror or error}") from error
    sock.set_inheritable(True)
    return sock


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(engine: Engine, options: ServeOptions, out: TextIO) -> int:
    """Serve the API over ``engine`` until interrupted; the caller closes the engine afterwards."""
    import uvicorn

    from core.api.app import create_app

    options = checked(options)
    sock = bind(options)
    app = create_app(engine, options)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    url = url_of(sock)
    roots = ("any path" if options.import_roots is None
             else ", ".join(map(str, options.import_roots)) or "none (uploads only)")
    out.write(f"Wenku API listening on {url} ({'token required' if options.token else 'no token: this machine only'}; "
              f"server-side imports from: {roots}). Ctrl+C stops it.\n")
    out.flush()
    log.info("event=serve_started url=%s token=%s", url, options.token is not None)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    # it found: Ctrl+C's KeyboardInterrupt, and ours for SIGTERM, so the engine is closed either way.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    log.info("event=serve_stopped")
    return 0
