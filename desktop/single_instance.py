"""One Wenku window per data folder: a second launch asks the first to come to the front.

The first instance listens on a local socket (QLocalServer) whose name is a hash of the data
folder; a later launch connects, sends ``raise`` and exits. GUI thread only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:20]
    return f"wenku-{digest}"


def notify_running(data_dir: Path, timeout_ms: int = 500) -> bool:
    """True if another instance owns this data folder (it has been asked to raise its window)."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"raise\n")
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """The listening side; emits :attr:`raise_requested` when another launch knocks."""

    raise_requested = Signal()

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
        if socket.bytesAvailable() or socket.waitForReadyRead(500):
            message = bytes(socket.readAll().data()).strip()
        else:
            message = b""
        socket.abort()
        socket.deleteLater()
        if message == b"raise":
            self.raise_requested.emit()

    def close(self) -> None:
        self._server.close()
