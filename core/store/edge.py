"""The embedded store: one Qdrant Edge shard per workspace (``qdrant-edge-py``).

Each point has a named dense vector ``dense`` (cosine) and a sparse vector ``bm25`` (Qdrant
Edge's own BM25 model, multilingual tokenizer, IDF modifier) so that keyword search can be added
without re-importing. Payload: doc_id, file name, 1-based page, span start/end, text, ocr flag,
and for OCR'd text ``boxes`` (the covered lines' rectangles, flattened to 4 numbers each, rounded
to 0.1 pt: ~25 bytes a line, a few hundred bytes a chunk) and ``ocr_conf``; text-layer chunks
carry neither, so their payload does not grow. The payload and the BM25 encoding are shared with
the server adapter (:mod:`core.store.common`).

Not thread-safe: the engine serialises calls with a per-workspace lock.

HNSW: Qdrant Edge searches a segment without an HNSW graph by exact scan; the graph is built by
:mod:`core.store.edge_index` on a copy in another process, which replays this store's write
journal (:meth:`EdgeStore.start_journal`) before the copy replaces the shard folder.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from core.errors import DiskFull, StoreError
from core.store import ChunkRecord, SearchMode, StoredHit, StoredPoint
from core.store.common import (
    DENSE,
    LSH_FIELD,
    MAX_CANDIDATES,
    RRF_K,
    SCROLL_PAGE,
    SPARSE,
    Bm25Encoder,
    chunk_payload,
    collapse_duplicates,
    count_by_document,
    duplicate_candidate,
    final_hits,
    named_vectors,
    pending_entry,
    point_hit,
    qdrant_edge,
    samples_by_document,
    search_depths,
    sorted_in_reading_order,
    stored_point,
)

log = logging.getLogger(__name__)

__all__ = ["EdgeStore", "collapse_duplicates", "edge_config"]

#: Writes journaled while an index is built on a copy, beyond which the build is given up (each
#: entry is one batch of points; a journal that long means a big import ran meanwhile, whose end
#: schedules a new build anyway).
MAX_JOURNAL_OPERATIONS = 20_000


def edge_config(dimension: int, *, indexing_threshold_kb: int | None = None) -> Any:
    """The shard configuration every Wenku shard has (also used by the index builder's child
    process). ``indexing_threshold_kb``: segments larger than this get an HNSW graph when
    optimised (Qdrant's default, 10 MB, when None; tests lower it)."""
    qe = qdrant_edge()
    optimizers = None if indexing_threshold_kb is None else qe.EdgeOptimizersConfig(indexing_threshold=indexing_threshold_kb)
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        optimizers=optimizers,
    )


class EdgeStore:
    """A Qdrant Edge shard in a folder, created on first open."""

    def __init__(self, path: Path, dimension: int) -> None:
        qe = qdrant_edge()
        self._qe = qe
        self._dimension = dimension
        self.path = path
        self._journal: list[Any] | None = None
        self._journal_overflow = False
        config = edge_config(dimension)
        try:
            if path.is_dir() and any(path.iterdir()):
                self._shard = qe.EdgeShard.load(str(path), config)
            else:
                self._shard = qe.EdgeShard.create(str(path), config)
        except Exception as error:  # the binding raises plain exceptions
            raise StoreError(f"cannot open the index at {path}: {error}") from error
        self._bm25 = Bm25Encoder()
        self._ensure_lsh_index()

    def _ensure_lsh_index(self) -> None:
        """Keyword-index the near-duplicate band keys (idempotent; added to older shards on open)."""
        if LSH_FIELD not in self._shard.info().payload_schema:
            self._apply(self._qe.UpdateOperation.create_field_index(LSH_FIELD, self._qe.PayloadSchemaType.Keyword))

    @property
    def dimension(self) -> int:
        return self._dimension

    def unindexed_vectors(self, pending_dense: int = 0) -> int:
        """About how many dense vectors lie outside any HNSW graph (searched by exact scan).

        Qdrant Edge's ``indexed_vectors_count`` also counts the sparse BM25 vectors (always
        indexed) and keeps counting replaced points until a segment is vacuumed, so this is an
        estimate: every point has one sparse and, unless ``pending_dense``, one dense vector."""
        info = self._shard.info()
        return max(0, 2 * int(info.points_count) - int(pending_dense) - int(info.indexed_vectors_count))

    def start_journal(self) -> None:
        """Record every write from now on (the index builder's copy replays them)."""
        self._journal, self._journal_overflow = [], False

    def take_journal(self) -> list[Any] | None:
        """Stop recording; the writes since :meth:`start_journal`, or None if there were too many
        (or no journal was on)."""
        journal, overflow = self._journal, self._journal_overflow
        self._journal, self._journal_overflow = None, False
        return None if overflow else journal

    def replay(self, operations: Sequence[Any]) -> None:
        """Apply writes journaled by another store of the same shard (in their order)."""
        for operation in operations:
            self._apply(operation)

    def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        qe = self._qe
        points = [qe.Point(id=chunk.point_id, vector=self._vectors(chunk), payload=chunk_payload(chunk))
                  for chunk in chunks]
        self._apply(qe.UpdateOperation.upsert_points(points))

    def near_duplicate_candidates(
        self, lsh: Sequence[str], exclude_doc_ids: Sequence[str]
    ) -> list[tuple[str, str, str]]:
        if not lsh:
            return []
        qe = self._qe
        must_not = [qe.FieldCondition(key="doc_id", match=qe.MatchAny(any=list(exclude_doc_ids)))] if exclude_doc_ids else None
        request = qe.ScrollRequest(
            limit=MAX_CANDIDATES,
            filter=qe.Filter(must=[qe.FieldCondition(key=LSH_FIELD, match=qe.MatchAny(any=list(lsh)))], must_not=must_not),
            with_payload=["dup_group", "minhash"],
            with_vector=False,
        )
        records, _ = self._shard.scroll(request)
        return [duplicate_candidate(record.id, record.payload or {}) for record in records]

    def _vectors(self, chunk: ChunkRecord) -> dict[str, Any]:
        return named_vectors(self._bm25.document(chunk), chunk.vector)

    def set_dense(self, vectors: dict[str, Sequence[float]]) -> None:
        """Add dense vectors; points deleted meanwhile (a document removed or replaced while it was
        being embedded on another thread) are skipped."""
        qe = self._qe
        points = [qe.PointVectors(id=point_id, vector={DENSE: list(map(float, v))}) for point_id, v in vectors.items()]
        try:
            self._apply(qe.UpdateOperation.update_vectors(points))
        except StoreError as error:
            if "No point with id" not in str(error):
                raise
            for point in points:  # one by one, skipping the missing ones
                try:
                    self._apply(qe.UpdateOperation.update_vectors([point]))
                except StoreError as missing:
                    if "No point with id" not in str(missing):
                        raise

    def _pending_filter(self, doc_id: str | None) -> Any:
        qe = self._qe
        must = [qe.FieldCondition(key="doc_id", match=qe.MatchValue(doc_id))] if doc_id else None
        return qe.Filter(must=must, must_not=[qe.HasVectorCondition(DENSE)])

    def pending_dense(self, limit: int) -> list[tuple[str, str, str]]:
        request = self._qe.ScrollRequest(limit=limit, filter=self._pending_filter(None),
                                         with_payload=["doc_id", "file_name", "text"], with_vector=False)
        records, _ = self._shard.scroll(request)
        return [pending_entry(r.id, r.payload or {}) for r in records]

    def pending_count(self, doc_id: str | None = None) -> int:
        return int(self._shard.count(self._qe.CountRequest(exact=True, filter=self._pending_filter(doc_id))))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        qe = self._qe
        condition = qe.FieldCondition(key="doc_id", match=qe.MatchAny(any=list(doc_ids)))
        self._apply(qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=[condition])))

    def search(self, vector: Sequence[float], text: str, limit: int, mode: SearchMode) -> list[StoredHit]:
        return final_hits(self._search(vector, text, limit, mode), text, limit, mode)

    def _search(self, vector: Sequence[float], text: str, wanted: int, mode: SearchMode) -> list[StoredHit]:
        limit, depth = search_depths(wanted)
        qe = self._qe
        dense = list(map(float, vector))
        dense_query = qe.Query.Nearest(dense, using=DENSE)
        sparse_query = qe.Query.Nearest(self._bm25.query(text), using=SPARSE)
        if mode == "dense":
            request = qe.QueryRequest(limit=limit, query=dense_query, with_payload=True, with_vector=[DENSE])
        elif mode == "sparse":
            request = qe.QueryRequest(limit=limit, query=sparse_query, with_payload=True, with_vector=[DENSE])
        else:
            fusion = qe.Fusion.Rrf(k=RRF_K) if mode == "hybrid-rrf" else qe.Fusion.Dbsf()
            request = qe.QueryRequest(
                limit=limit,
                prefetches=[qe.Prefetch(limit=depth, query=dense_query), qe.Prefetch(limit=depth, query=sparse_query)],
                query=fusion,
                with_payload=True,
                with_vector=[DENSE],
            )
        return [point_hit(point, dense) for point in self._shard.query(request)]

    def keyword_texts(self, term: str, limit: int) -> list[str] | None:
        """Texts of the chunks sharing a BM25 token with ``term`` (best first); None when the term
        has no token at all (a stop word), so nothing can be said about it."""
        vector = self._bm25.query(term)
        if not list(vector.indices):
            return None
        request = self._qe.QueryRequest(limit=limit, query=self._qe.Query.Nearest(vector, using=SPARSE),
                                        with_payload=["text"], with_vector=False)
        return [str((point.payload or {}).get("text", "")) for point in self._shard.query(request)]

    def document_chunks(self, doc_id: str) -> list[StoredHit]:
        qe = self._qe
        condition = qe.Filter(must=[qe.FieldCondition(key="doc_id", match=qe.MatchValue(doc_id))])
        hits = [point_hit(record, []) for record in self._scroll(condition, True, False)]
        return sorted_in_reading_order(hits)

    def text_samples(self, per_document: int) -> dict[str, list[str]]:
        return samples_by_document(self._scroll(None, ["doc_id", "text"], False), per_document)

    def chunk_counts(self) -> dict[str, int]:
        return count_by_document(self._scroll(None, ["doc_id"], False))

    def count(self) -> int:
        return int(self._shard.count(self._qe.CountRequest(exact=True)))

    def export_points(self, batch: int) -> Iterator[list[StoredPoint]]:
        offset = None
        while True:
            request = self._qe.ScrollRequest(offset=offset, limit=batch, with_payload=True, with_vector=True)
            records, offset = self._shard.scroll(request)
            yield [stored_point(record) for record in records]
            if offset is None:
                return

    def import_points(self, points: Sequence[StoredPoint]) -> None:
        qe = self._qe
        records = [qe.Point(id=point.point_id, payload=point.payload, vector=named_vectors(
            qe.SparseVector(indices=point.sparse[0], values=point.sparse[1]), point.dense)) for point in points]
        if records:
            self._apply(qe.UpdateOperation.upsert_points(records))

    def _scroll(self, condition: Any, with_payload: Any, with_vector: Any) -> Iterator[Any]:
        offset = None
        while True:
            request = self._qe.ScrollRequest(offset=offset, limit=SCROLL_PAGE, filter=condition,
                                             with_payload=with_payload, with_vector=with_vector)
            records, offset = self._shard.scroll(request)
            yield from records
            if offset is None:
                return

    def flush(self) -> None:
        self._shard.flush()

    def close(self) -> None:
        try:
            self._shard.flush()
        finally:
            self._shard.close()

    def _apply(self, operation: Any) -> None:
        try:
            self._shard.update(operation)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise DiskFull("the disk is full: the index could not be written") from error
            raise StoreError(f"the index could not be written: {error}") from error
        except Exception as error:
            if "No space left" in str(error):
                raise DiskFull("the disk is full: the index could not be written") from error
            raise StoreError(f"the index could not be written: {error}") from error
        if self._journal is not None and not self._journal_overflow:
            self._journal.append(operation)
            if len(self._journal) > MAX_JOURNAL_OPERATIONS:
                self._journal_overflow, self._journal = True, []
