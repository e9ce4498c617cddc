"""The embedded store: one Qdrant Edge shard per workspace (``qdrant-edge-py``).

Each point has a named dense vector ``dense`` (cosine) and a sparse vector ``bm25`` (Qdrant
Edge's own BM25 model, multilingual tokenizer, IDF modifier) so that keyword search can be added
without re-importing. Payload: doc_id, file name, 1-based page, span start/end, text, ocr flag,
and for OCR'd text ``boxes`` (the covered lines' rectangles, flattened to 4 numbers each, rounded
to 0.1 pt: ~25 bytes a line, a few hundred bytes a chunk) and ``ocr_conf``; text-layer chunks
carry neither, so their payload does not grow.

Not thread-safe: the engine serialises calls with a per-workspace lock.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.datatypes import Box, Span
from core.doclabel import labelled_text
from core.errors import DependencyMissing, DiskFull, StoreError
from core.store import ChunkRecord, SearchMode, StoredHit
from core.text_normalise import normalise_for_index

log = logging.getLogger(__name__)

DENSE = "dense"
SPARSE = "bm25"
_SCROLL_PAGE = 1024
#: Hybrid search fetches this many times the wanted results from each of dense and BM25 first.
PREFETCH_FACTOR = 4
MIN_PREFETCH = 40
RRF_K = 60
#: Search asks for this many times the wanted results, so that collapsing near-duplicates
#: (:mod:`core.ingest.neardup`) still leaves ``limit`` distinct passages.
DUP_FETCH_FACTOR = 3
#: At most this many near-duplicate candidates are compared per chunk at import.
MAX_CANDIDATES = 16
LSH_FIELD = "lsh"


def _qdrant_edge() -> Any:
    try:
        import qdrant_edge
    except ImportError as error:  # pragma: no cover - qdrant-edge-py is a core dependency
        raise DependencyMissing("qdrant-edge-py is not installed: pip install qdrant-edge-py") from error
    return qdrant_edge


def _payload(chunk: ChunkRecord) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "doc_id": chunk.doc_id,
        "file_name": chunk.file_name,
        "page": chunk.page,
        "start": chunk.span.start,
        "end": chunk.span.end,
        "text": chunk.text,
        "ocr": chunk.ocr,
    }
    if chunk.boxes:
        payload["boxes"] = [round(value, 1) for box in chunk.boxes for value in box]
    if chunk.ocr_confidence is not None:
        payload["ocr_conf"] = round(chunk.ocr_confidence, 3)
    return payload


def _boxes(flat: Any) -> tuple[Box, ...]:
    values = [float(v) for v in flat or ()]
    return tuple((values[i], values[i + 1], values[i + 2], values[i + 3]) for i in range(0, len(values) - 3, 4))


class EdgeStore:
    """A Qdrant Edge shard in a folder, created on first open."""

    def __init__(self, path: Path, dimension: int) -> None:
        qe = _qdrant_edge()
        self._qe = qe
        self._dimension = dimension
        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )
        try:
            if path.is_dir() and any(path.iterdir()):
                self._shard = qe.EdgeShard.load(str(path), config)
            else:
                self._shard = qe.EdgeShard.create(str(path), config)
        except Exception as error:  # the binding raises plain exceptions
            raise StoreError(f"cannot open the index at {path}: {error}") from error
        self._bm25 = qe.Bm25(qe.Bm25Config(tokenizer=qe.TokenizerType.Multilingual))
        self._ensure_lsh_index()

    def _ensure_lsh_index(self) -> None:
        """Keyword-index the near-duplicate band keys (idempotent; added to older shards on open)."""
        if LSH_FIELD not in self._shard.info().payload_schema:
            self._apply(self._qe.UpdateOperation.create_field_index(LSH_FIELD, self._qe.PayloadSchemaType.Keyword))

    def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        qe = self._qe
        points = [
            qe.Point(
                id=chunk.point_id,
                vector=self._vectors(chunk),
                payload={**_payload(chunk), **self._dup_payload(chunk)},
            )
            for chunk in chunks
        ]
        self._apply(qe.UpdateOperation.upsert_points(points))

    @staticmethod
    def _dup_payload(chunk: ChunkRecord) -> dict[str, Any]:
        if not chunk.minhash:
            return {"dup_group": chunk.dup_group} if chunk.dup_group else {}
        return {"minhash": chunk.minhash, LSH_FIELD: list(chunk.lsh), "dup_group": chunk.dup_group}

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
        found = []
        for record in records:
            payload = record.payload or {}
            numbers, _, signature = str(payload.get("minhash", "")).partition(":")
            found.append((str(payload.get("dup_group", record.id)), numbers, signature))
        return found

    def _vectors(self, chunk: ChunkRecord) -> dict[str, Any]:
        # Keyword context (document label and the running titles cleaned out of the chunks) is
        # indexed, never shown; without cleaning context, the document label alone.
        keywords = (f"{chunk.keyword_context}\n{chunk.text}" if chunk.keyword_context
                    else labelled_text(chunk.file_name, chunk.text))
        vectors: dict[str, Any] = {SPARSE: self._bm25.embed_document(normalise_for_index(keywords))}
        if chunk.vector is not None:
            vectors[DENSE] = list(map(float, chunk.vector))
        return vectors

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
        return [(str(r.id), str((r.payload or {})["doc_id"]),
                 labelled_text(str((r.payload or {})["file_name"]), str((r.payload or {})["text"]))) for r in records]

    def pending_count(self, doc_id: str | None = None) -> int:
        return int(self._shard.count(self._qe.CountRequest(exact=True, filter=self._pending_filter(doc_id))))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        qe = self._qe
        condition = qe.FieldCondition(key="doc_id", match=qe.MatchAny(any=list(doc_ids)))
        self._apply(qe.UpdateOperation.delete_points_by_filter(qe.Filter(must=[condition])))

    def search(self, vector: Sequence[float], text: str, limit: int, mode: SearchMode) -> list[StoredHit]:
        hits = self._search(vector, text, limit, mode)
        return collapse_duplicates(hits, limit)

    def _search(self, vector: Sequence[float], text: str, wanted: int, mode: SearchMode) -> list[StoredHit]:
        # The prefetch depth follows the wanted count (it shapes DBSF's score normalisation, which
        # was measured at this depth); only the final list is longer, for collapsing duplicates.
        limit = wanted * DUP_FETCH_FACTOR
        qe = self._qe
        dense = list(map(float, vector))
        dense_query = qe.Query.Nearest(dense, using=DENSE)
        sparse_query = qe.Query.Nearest(self._bm25.embed_query(normalise_for_index(text)), using=SPARSE)
        if mode == "dense":
            request = qe.QueryRequest(limit=limit, query=dense_query, with_payload=True, with_vector=[DENSE])
        elif mode == "sparse":
            request = qe.QueryRequest(limit=limit, query=sparse_query, with_payload=True, with_vector=[DENSE])
        else:
            depth = max(wanted * PREFETCH_FACTOR, MIN_PREFETCH, limit)
            fusion = qe.Fusion.Rrf(k=RRF_K) if mode == "hybrid-rrf" else qe.Fusion.Dbsf()
            request = qe.QueryRequest(
                limit=limit,
                prefetches=[qe.Prefetch(limit=depth, query=dense_query), qe.Prefetch(limit=depth, query=sparse_query)],
                query=fusion,
                with_payload=True,
                with_vector=[DENSE],
            )
        return [self._hit(point, dense) for point in self._shard.query(request)]

    def keyword_texts(self, term: str, limit: int) -> list[str] | None:
        """Texts of the chunks sharing a BM25 token with ``term`` (best first); None when the term
        has no token at all (a stop word), so nothing can be said about it."""
        vector = self._bm25.embed_query(normalise_for_index(term))
        if not list(vector.indices):
            return None
        request = self._qe.QueryRequest(limit=limit, query=self._qe.Query.Nearest(vector, using=SPARSE),
                                        with_payload=["text"], with_vector=False)
        return [str((point.payload or {}).get("text", "")) for point in self._shard.query(request)]

    def document_chunks(self, doc_id: str) -> list[StoredHit]:
        qe = self._qe
        condition = qe.Filter(must=[qe.FieldCondition(key="doc_id", match=qe.MatchValue(doc_id))])
        hits: list[StoredHit] = []
        offset = None
        while True:
            request = qe.ScrollRequest(offset=offset, limit=_SCROLL_PAGE, filter=condition, with_payload=True,
                                       with_vector=False)
            records, offset = self._shard.scroll(request)
            hits.extend(self._hit(record, []) for record in records)
            if offset is None:
                return sorted(hits, key=lambda h: (h.page, h.span.start))

    def chunk_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        offset = None
        while True:
            request = self._qe.ScrollRequest(
                offset=offset, limit=_SCROLL_PAGE, with_payload=["doc_id"], with_vector=False
            )
            records, offset = self._shard.scroll(request)
            for record in records:
                doc_id = str((record.payload or {}).get("doc_id", ""))
                counts[doc_id] = counts.get(doc_id, 0) + 1
            if offset is None:
                return counts

    def count(self) -> int:
        return int(self._shard.count(self._qe.CountRequest(exact=True)))

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

    @staticmethod
    def _hit(point: Any, query: list[float]) -> StoredHit:
        payload = point.payload or {}
        vectors = point.vector if isinstance(point.vector, dict) else {}
        stored = vectors.get(DENSE)
        similarity = float(sum(a * b for a, b in zip(stored, query, strict=True))) if stored else None
        return StoredHit(
            doc_id=str(payload["doc_id"]),
            file_name=str(payload["file_name"]),
            page=int(payload["page"]),
            span=Span(int(payload["start"]), int(payload["end"])),
            text=str(payload["text"]),
            ocr=bool(payload.get("ocr", False)),
            score=float(getattr(point, "score", 0.0)),
            similarity=similarity,
            dup_group=str(payload.get("dup_group", "")),
            boxes=_boxes(payload.get("boxes")),
            ocr_confidence=float(payload["ocr_conf"]) if payload.get("ocr_conf") is not None else None,
        )


def collapse_duplicates(hits: Sequence[StoredHit], limit: int) -> list[StoredHit]:
    """The first ``limit`` hits, keeping only the best-ranked hit of each near-duplicate group."""
    seen: set[str] = set()
    kept: list[StoredHit] = []
    for hit in hits:
        if hit.dup_group:
            if hit.dup_group in seen:
                continue
            seen.add(hit.dup_group)
        kept.append(hit)
        if len(kept) == limit:
            break
    return kept
