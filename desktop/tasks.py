"""All of the desktop app's threading (DESIGN §4): widgets never start threads themselves.

Three executors: one worker for imports, one for answers (one llama.cpp context), and a small
pool for short engine calls and file I/O. Results come back to the GUI thread through Qt signals
(queued connections: the signal objects live in the GUI thread). Import progress is pulled from a
:class:`core.cancel.ProgressSlot` by a 10 Hz timer; answer events are pushed, tagged with a request
id so a superseded stream is dropped by the receiver. Cancellation is a
:class:`core.cancel.CancelToken`. Every public method here must be called from the GUI thread.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from core.cancel import CancelToken, ProgressSlot
from core.datatypes import AnswerEvent, AskRequest, IngestProgress, IngestReport

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object, str)  # exception, formatted traceback
    event = Signal(int, object)  # request id, answer event


class _Job(QRunnable):
    def __init__(self, fn: Callable[[_Signals], Any], signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._signals = signals

    def run(self) -> None:  # worker thread
        try:
            result = self._fn(self._signals)
        except BaseException as error:
            log.exception("event=task_failed")
            self._signals.failed.emit(error, traceback.format_exc())
        else:
            self._signals.done.emit(result)


class IngestJob(QObject):
    """A running import: :attr:`progress` ticks at 10 Hz on the GUI thread until :attr:`finished`."""

    progress = Signal(object)  # IngestProgress
    finished = Signal(object)  # IngestReport
    failed = Signal(object, str)

    def __init__(self, workspace: str, sources: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.sources = list(sources)
        self.slot = ProgressSlot()
        self.cancel_token = CancelToken()
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.progress.emit(self.slot.latest())

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def latest(self) -> IngestProgress:
        return self.slot.latest()


class Tasks(QObject):
    """The executors and the helpers that run engine calls on them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._io = QThreadPool(self)
        self._io.setMaxThreadCount(2)
        self._ingest = QThreadPool(self)
        self._ingest.setMaxThreadCount(1)
        self._answer = QThreadPool(self)
        self._answer.setMaxThreadCount(1)
        self._live: set[_Signals] = set()

    def _start(self, pool: QThreadPool, fn: Callable[[_Signals], Any],
               on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException, str], None] | None,
               on_event: Callable[[int, Any], None] | None = None) -> None:
        signals = _Signals()
        self._live.add(signals)

        def finish() -> None:
            self._live.discard(signals)
            signals.deleteLater()

        if on_event is not None:
            signals.event.connect(on_event)
        if on_done is not None:
            signals.done.connect(on_done)
        if on_error is not None:
            signals.failed.connect(on_error)
        signals.done.connect(finish)
        signals.failed.connect(finish)
        pool.start(_Job(fn, signals))

    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException, str], None] | None = None) -> None:
        """Run a short engine call or file operation on the I/O pool."""
        self._start(self._io, lambda _s: fn(), on_done, on_error)

    def ingest(self, engine: Any, workspace: str, sources: Sequence[str | Path]) -> IngestJob:
        """Start an import on the import worker; connect to the job's signals right away."""
        job = IngestJob(workspace, [str(s) for s in sources], self)

        def work(_signals: _Signals) -> IngestReport:
            report: IngestReport = engine.ingest(workspace, job.sources, progress=job.slot, cancel=job.cancel_token)
            return report

        def done(report: Any) -> None:
            job._timer.stop()
            job._tick()
            job.finished.emit(report)

        def failed(error: BaseException, details: str) -> None:
            job._timer.stop()
            job.failed.emit(error, details)

        job._timer.start()
        self._start(self._ingest, work, done, failed)
        return job

    def ask(self, engine: Any, request: AskRequest, request_id: int, cancel: CancelToken,
            on_event: Callable[[int, Any], None], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException, str], None] | None = None) -> None:
        """Stream an answer on the answer worker; each event arrives as ``on_event(request_id, event)``."""

        def work(signals: _Signals) -> None:
            events: Iterator[AnswerEvent] = engine.ask(request, cancel=cancel)
            for event in events:
                signals.event.emit(request_id, event)

        self._start(self._answer, work, on_done, on_error, on_event)

    def wait(self, msecs: int = 30000) -> bool:
        """Wait for every executor to drain (shutdown and tests only)."""
        return all(pool.waitForDone(msecs) for pool in (self._answer, self._ingest, self._io))
