"""Progressive indexing: add dense vectors to chunks that are already keyword-searchable.

Embedding is the slow step on a CPU (~6 chunks/s with the default model on 2 cores), so the
import pipeline writes each document's chunks with BM25 vectors only and commits the document as
``indexing``; this indexer then embeds the pending chunks in small batches and marks each
document ``ready`` once none of its chunks lacks a dense vector. Search works throughout (hybrid
search covers pending chunks through BM25).

Runs on the import worker thread. It takes the workspace's store lock per batch only, so a
question can be answered between batches. Resumable: pending chunks are found in the store
itself, so a cancelled or killed run simply continues next time.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace

from core.embeddings import Embedder
from core.ingest import IngestContext
from core.ingest.eta import ThroughputEta

log = logging.getLogger(__name__)

BATCH_CHUNKS = 16


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
        with self._lock:
            total = self._store.pending_count()
        done = 0
        self._progress.update(stage="embedding", chunks_done=0, chunks_total=total, eta_seconds=None)
        eta = ThroughputEta(total)
        touched: Counter[str] = Counter()
        while not self._cancel.cancelled:
            with self._lock:
                batch = self._store.pending_dense(BATCH_CHUNKS)
            if not batch:
                break
            vectors = self._embedder.embed_passages([text for _, _, text in batch])
            with self._lock:
                self._store.set_dense({point_id: vector for (point_id, _, _), vector in zip(batch, vectors, strict=True)})
            touched.update(doc_id for _, doc_id, _ in batch)
            done += len(batch)
            eta.finish(len(batch))
            self._progress.update(chunks_done=done, chunks_total=max(total, done), eta_seconds=eta.seconds_left())
        with self._lock:
            self._store.flush()
            self._mark_ready()
        log.info("event=dense_indexed chunks=%d cancelled=%s", done, self._cancel.cancelled)
        return done

    def _mark_ready(self) -> None:
        """Commit ``ready`` for every ``indexing`` document whose chunks all have dense vectors."""
        for record in self._folder.documents():
            if record.status == "indexing" and self._store.pending_count(record.doc_id) == 0:
                self._folder.commit(add=replace(record, status="ready"))
