"""One Wenku window per data folder: a second launch asks the first to come to the front.

The first instance listens on a local socket (QLocalServer) whose name is a hash of the data
folder; a later launch connects, sends ``raise`` (or ``open`` with the files it was given, as one
JSON line: "Open with Wenku" on a PDF while Wenku runs) and exits. GUI thread only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:20]
    return f"wenku-{digest}"


def notify_running(data_dir: Path, files: Sequence[str] = (), timeout_ms: int = 500) -> bool:
    """True if another instance owns this data folder (it has been asked to raise its window and
    to import ``files``, given as absolute paths)."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    message = b"open " + json.dumps(list(files)).encode("utf-8") if files else b"raise"
    socket.write(message + b"\n")
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """The listening side; emits :attr:`raise_requested` when another launch knocks."""

    raise_requested = Signal()
    files_opened = Signal(list)  # absolute paths another launch was asked to open

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.newConnection.connect(self._on_connection)
        name = server_name(data_dir)
        if not self._server.listen(name):
            QLocalServer.removeServer(name)  # a stale socket left by a crashed instance
            self._server.listen(name)

    def _on_connection(self) -> None:
        socket = self._server.nextPendingConnection()
        if socket is None:
            return
        # The message is one short line sent right after connecting: read it here (a knock is rare
        # and the wait is bounded) rather than keeping per-socket slots alive.
        message = b""
        while not message.endswith(b"\n") and (socket.bytesAvailable() or socket.waitForReadyRead(500)):
            message += bytes(socket.readAll().data())
        socket.abort()
        socket.deleteLater()
        message = message.strip()
        if message == b"raise":
            self.raise_requested.emit()
        elif message.startswith(b"open "):
            try:
                files = [str(f) for f in json.loads(message[5:].decode("utf-8"))]
            except (ValueError, TypeError):
                return
            self.raise_requested.emit()
            self.files_opened.emit(files)

    def close(self) -> None:
        self._server.close()
