"""Keeps embedded workspaces' HNSW indexes built, on one background thread.

Why: a workspace that grew past :data:`THRESHOLD` unindexed vectors (a big import) is searched by
exact scan, which grows linearly (0.5 s at 1M chunks). After imports end, the engine asks this
builder to index it; the build runs on a copy in another process (:mod:`core.store.edge_index`),
so searches, answers and new imports go on meanwhile. The copy is made with imports and removals
held off (a copy must not see half a write) but searches going on; searches pause only while the
shard is flushed and for the switch to the indexed copy (a settings write and a pointer).

One build at a time, engine-wide: it uses every core it can get, at low priority.

Threads: :meth:`VectorIndexBuilder.schedule`, :meth:`cancel`, :meth:`state`, :meth:`wait` and
:meth:`close` may be called from any thread; the building runs on the builder's own thread, which
takes a workspace's ``import_lock``, ``write_gate`` and ``lock`` (the engine's order) and never
the engine's lock.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.cancel import CancelToken
from core.errors import WenkuError
from core.store import edge_index
from core.store import factory as stores
from core.store.edge import EdgeStore

log = logging.getLogger(__name__)

#: Unindexed dense vectors from which a workspace's index is (re)built. Below it, exact scan is
#: fast (~5 ms at 20k chunks) and a build would cost more than it saves.
THRESHOLD = 20_000
LOCK_POLL_SECONDS = 0.2

BuildState = Literal["queued", "building"]


@dataclass
class _Job:
    name: str
    cancel: CancelToken = field(default_factory=CancelToken)
    state: BuildState = "queued"
    done: threading.Event = field(default_factory=threading.Event)


class VectorIndexBuilder:
    """Builds the HNSW index of the workspaces it is given, one after another.

    ``lookup(name)`` returns the engine's open workspace (an object with ``folder``, ``store``,
    ``lock``, ``import_lock`` and ``write_gate``) or None; it must not take the engine's lock (a caller holding it may be
    waiting for this builder)."""

    def __init__(self, lookup: Callable[[str], Any], *, threshold: int = THRESHOLD,
                 indexing_threshold_kb: int | None = None) -> None:
        self._lookup = lookup
        self.threshold = threshold
        #: Qdrant's segment size above which a segment gets a graph (tests lower it).
        self.indexing_threshold_kb = indexing_threshold_kb
        self._jobs: deque[_Job] = deque()
        self._current: _Job | None = None
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: The last build's outcome per workspace, for status displays and tests, and how long its
        #: steps took (``flush_s`` and ``swap_s`` are the pauses searches saw; ``copy_s`` and
        #: ``open_s`` (open the copy, replay the journal) the time writes waited; ``child_s`` the build).
        self.last_result: dict[str, str] = {}
        self.last_timings: dict[str, dict[str, float]] = {}

    # --- any thread -------------------------------------------------------------------------------

    def schedule(self, name: str) -> None:
        """Check ``name`` soon and build its index if it needs one (no-op if queued or building)."""
        with self._condition:
            if self._closed or self._job(name) is not None:
                return
            self._jobs.append(_Job(name))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wenku-vector-index", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def state(self, name: str) -> BuildState | None:
        with self._condition:
            job = self._job(name)
            return None if job is None else job.state

    def wait(self, name: str, cancel: CancelToken | None = None, timeout: float | None = None) -> bool:
        """Wait until ``name`` has no build queued or running; False if cancelled or timed out."""
        with self._condition:
            job = self._job(name)
        if job is None:
            return True
        waited = 0.0
        while not job.done.wait(LOCK_POLL_SECONDS):
            waited += LOCK_POLL_SECONDS
            if (cancel is not None and cancel.cancelled) or (timeout is not None and waited >= timeout):
                return False
        return True

    def cancel(self, name: str, *, wait: bool = True) -> None:
        """Drop ``name``'s queued build or stop its running one (the copy is deleted)."""
        with self._condition:
            job = self._job(name)
            if job is None:
                return
            job.cancel.cancel()
            if job is not self._current:
                self._jobs.remove(job)
                job.done.set()
        if wait:
            job.done.wait()

    def close(self) -> None:
        """Stop everything (the running build is killed) and wait for the thread."""
        with self._condition:
            self._closed = True
            for job in [*self._jobs, *([self._current] if self._current else [])]:
                job.cancel.cancel()
            self._condition.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _job(self, name: str) -> _Job | None:
        if self._current is not None and self._current.name == name:
            return self._current
        return next((job for job in self._jobs if job.name == name), None)

    # --- the builder thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._jobs and not self._closed:
                    self._condition.wait()
                if self._closed:
                    for job in self._jobs:
                        job.done.set()
                    self._jobs.clear()
                    return
                job = self._jobs.popleft()
                job.state = "building"
                self._current = job
            try:
                self.last_result[job.name] = self._build(job)
            except (WenkuError, OSError) as error:
                self.last_result[job.name] = f"failed: {error}"
                log.warning("event=hnsw_build_failed workspace=%s error=%s", job.name, error)
            except Exception:  # a bug must not kill the thread that serves every workspace
                self.last_result[job.name] = "failed"
                log.exception("event=hnsw_build_crashed workspace=%s", job.name)
            finally:
                with self._condition:
                    self._current = None
                    job.done.set()

    def _build(self, job: _Job) -> str:
        ws = self._lookup(job.name)
        store = getattr(ws, "store", None)
        if not isinstance(store, EdgeStore):
            return "not embedded"
        if not self._acquire(ws.import_lock, job.cancel):
            return "cancelled"
        try:
            with ws.write_gate:  # with import_lock: no write until the copy is done; searches go on
                with ws.lock:
                    if ws.store is not store:
                        return "store changed"
                    unindexed = store.unindexed_vectors(pending := store.pending_count())
                    if pending or unindexed < self.threshold:
                        return f"not needed ({unindexed} unindexed, {pending} pending)"
                    started = time.perf_counter()
                    store.flush()
                    flushed = time.perf_counter() - started
                entry = stores.index_copy_entry()  # a new shard folder beside the live one
                copy = stores.embedded_folder(entry, ws.folder.path)
                edge_index.copy_shard(store.path, copy)
                store.start_journal()  # still before any write: the gates are held
                timings = self.last_timings[job.name] = {"flush_s": flushed, "copy_s": time.perf_counter() - started}
                log.info("event=hnsw_copied workspace=%s unindexed=%d seconds=%.2f", job.name, unindexed,
                         timings["copy_s"])
        finally:
            ws.import_lock.release()
        try:
            return self._optimize_and_switch(job, ws, store, entry, copy, timings)
        finally:
            store.take_journal()
            if stores.embedded_folder(stores.current(ws.folder.settings), ws.folder.path) != copy:
                shutil.rmtree(copy, ignore_errors=True)  # not switched to: of no use

    def _optimize_and_switch(self, job: _Job, ws: Any, store: EdgeStore, entry: dict[str, Any], copy: Path,
                             timings: dict[str, float]) -> str:
        """Build the copy's graph in the child, then, with writes held off again but searches going
        on, open it and replay the writes made meanwhile; the switch itself (one settings write and
        a pointer) is all that searches wait for."""
        seconds = edge_index.optimize_in_child(copy, store.dimension, job.cancel,
                                               indexing_threshold_kb=self.indexing_threshold_kb)
        if seconds is None or not self._acquire(ws.import_lock, job.cancel):
            return "cancelled"
        timings["child_s"] = seconds
        try:
            with ws.write_gate:
                journal = store.take_journal()
                if ws.store is not store or job.cancel.cancelled:
                    return "store changed" if ws.store is not store else "cancelled"
                if journal is None:
                    return "given up: too many writes during the build; rebuilt after the next import"
                started = time.perf_counter()
                indexed = EdgeStore(copy, store.dimension)
                try:
                    indexed.replay(journal)
                    indexed.flush()
                    timings["open_s"] = time.perf_counter() - started
                    with ws.lock:
                        started = time.perf_counter()
                        replaced = stores.current(ws.folder.settings)
                        # One atomic write: the copy is the store from now on, the old shard is to delete.
                        ws.folder.update_settings(store=entry, replaced_shard=replaced)
                        ws.store = indexed
                        timings["swap_s"] = time.perf_counter() - started
                except BaseException:
                    indexed.close()
                    raise
        finally:
            ws.import_lock.release()
        store.close()
        stores.destroy_store(replaced, ws.folder.path)
        with ws.lock:
            ws.folder.update_settings(drop=("replaced_shard",))  # a crash before this: deleted on open
        log.info("event=hnsw_built workspace=%s seconds=%.1f replayed=%d open_seconds=%.2f", job.name, seconds,
                 len(journal), timings["open_s"])
        return f"built in {seconds:.1f} s"

    @staticmethod
    def _acquire(lock: Any, cancel: CancelToken) -> bool:
        """Take ``lock``, giving up when ``cancel`` is set (an import may hold it for minutes)."""
        while not lock.acquire(timeout=LOCK_POLL_SECONDS):
            if cancel.cancelled:
                return False
        return True
