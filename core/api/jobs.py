"""Import jobs of the local API: an import runs on one worker thread; clients poll and cancel it.

One worker, like the GUI's import worker (DESIGN §4): on a small CPU two imports at once only
slow each other down, and each workspace serialises its imports anyway. A job is ``queued``,
``running``, then ``done`` (its report says per file what happened, failures included),
``cancelled`` (documents committed before the cancel stay) or ``failed`` (the whole import could
not run: the workspace was deleted, the disk is full). Progress is the engine's pulled
:class:`~core.cancel.ProgressSlot`. The last :data:`KEEP_FINISHED` finished jobs are kept.

Thread-safe: the web server's threads submit, read and cancel; the worker runs the engine.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from core.cancel import CancelToken, ProgressSlot
from core.datatypes import IngestProgress, IngestReport
from core.workspace import now_iso

if TYPE_CHECKING:
    from core.engine import Engine

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "cancelled", "failed"]
KEEP_FINISHED = 100


class JobNotFound(KeyError):
    """No import job has that id (never existed, or finished long ago and was forgotten)."""


@dataclass(frozen=True)
class JobSnapshot:
    """An import job as a client sees it at one moment (plain data, any thread)."""

    id: str
    workspace: str
    sources: tuple[str, ...]
    state: JobState
    progress: IngestProgress
    created: str
    started: str | None = None
    finished: str | None = None
    report: IngestReport | None = None
    #: For ``failed``: the error's class name and message.
    error_type: str | None = None
    error: str | None = None


@dataclass
class _Job:
    id: str
    workspace: str
    sources: tuple[str, ...]
    prune: bool
    created: str = field(default_factory=now_iso)
    state: JobState = "queued"
    started: str | None = None
    finished: str | None = None
    report: IngestReport | None = None
    error_type: str | None = None
    error: str | None = None
    progress: ProgressSlot = field(default_factory=ProgressSlot)
    cancel: CancelToken = field(default_factory=CancelToken)


class ImportJobs:
    """Runs imports one at a time on a worker thread and remembers their outcome."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wenku-import")
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, workspace: str, sources: list[str], *, prune: bool = False) -> JobSnapshot:
        job = _Job(uuid.uuid4().hex, workspace, tuple(sources), prune)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        log.info("event=import_job_queued job=%s workspace=%s sources=%d", job.id, workspace, len(sources))
        self._executor.submit(self._run, job)
        return self._snapshot(job)

    def get(self, job_id: str) -> JobSnapshot:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise JobNotFound(job_id)
            return self._snapshot(job)

    def all(self) -> list[JobSnapshot]:
        with self._lock:
            return [self._snapshot(job) for job in self._jobs.values()]

    def cancel(self, job_id: str) -> JobSnapshot:
        """Ask a job to stop (a queued job never starts); a finished job is left as it is."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise JobNotFound(job_id)
            job.cancel.cancel()
            if job.state == "queued":
                job.state, job.finished = "cancelled", now_iso()
            return self._snapshot(job)

    def shutdown(self) -> None:
        """Cancel every job and wait for the running one to stop at its next safe point."""
        with self._lock:
            for job in self._jobs.values():
                job.cancel.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: _Job) -> None:
        with self._lock:
            if job.state != "queued":
                return
            job.state, job.started = "running", now_iso()
        try:
            report = self._engine.ingest(job.workspace, list(job.sources), progress=job.progress,
                                         cancel=job.cancel, prune=job.prune)
        except Exception as error:  # noqa: BLE001 - the job records the failure as data
            log.warning("event=import_job_failed job=%s error=%s: %s", job.id, type(error).__name__, error)
            with self._lock:
                job.state, job.finished = "failed", now_iso()
                job.error_type, job.error = type(error).__name__, str(error)
            return
        with self._lock:
            job.report, job.finished = report, now_iso()
            job.state = "cancelled" if report.cancelled else "done"
        log.info("event=import_job_finished job=%s state=%s files=%d", job.id, job.state, len(report.files))

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if job.state in ("done", "cancelled", "failed")]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    @staticmethod
    def _snapshot(job: _Job) -> JobSnapshot:
        return JobSnapshot(job.id, job.workspace, job.sources, job.state, job.progress.latest(), job.created,
                           job.started, job.finished, job.report, job.error_type, job.error)
