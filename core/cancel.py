"""Cooperative cancellation and pulled progress.

A :class:`CancelToken` is set by any thread (the GUI thread, a signal handler) and polled by the
worker at safe points (per page, per batch, per token). Cancelling is not an error: the worker
returns early with what it finished.

:class:`ProgressSlot` is a latest-value slot: the worker overwrites it, the GUI reads it at its own
pace (about 10 Hz), so a fast worker never floods the event loop. Both are thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from core.datatypes import IngestProgress


class CancelToken:
    """A flag one thread sets and another polls. Safe to share between threads."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the worker to stop at its next safe point."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


NEVER_CANCELLED = CancelToken()


class ProgressSlot:
    """Holds the latest :class:`IngestProgress`; written by the worker, read by anyone.

    ``callback`` (optional) is called on the worker thread after each update; the CLI uses it to
    print a progress line, the GUI does not (it polls :meth:`latest`).
    """

    def __init__(self, callback: Callable[[IngestProgress], None] | None = None) -> None:
        self._value = IngestProgress()
        self._lock = threading.Lock()
        self._callback = callback

    def update(self, **changes: object) -> None:
        """Overwrite some fields of the latest value (worker thread)."""
        with self._lock:
            self._value = replace(self._value, **changes)  # type: ignore[arg-type]
            value = self._value
        if self._callback is not None:
            self._callback(value)

    def latest(self) -> IngestProgress:
        """The most recent value (any thread)."""
        with self._lock:
            return self._value
