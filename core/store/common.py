"""What every Qdrant adapter shares, so the embedded shard and a server rank and store alike.

Both adapters (:mod:`core.store.edge`, :mod:`core.store.qdrant_server`) keep the same data model:
a named dense vector ``dense`` (cosine) and a sparse vector ``bm25`` with the IDF modifier, and
the same payload. The BM25 sparse vectors are always computed here, client-side, by Qdrant Edge's
own ``Bm25`` model (multilingual tokenizer) from the same normalised text, so a workspace ranks
the same on either store and can be moved between them without re-embedding or re-tokenizing.

Pure functions and one encoder object (not thread-safe: the engine serialises store calls).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core.datatypes import Box, Span
from core.doclabel import labelled_text
from core.errors import DependencyMissing
from core.ranking import boost_figures
from core.store import ChunkRecord, SearchMode, StoredHit, StoredPoint
from core.text_normalise import normalise_for_index

DENSE = "dense"
SPARSE = "bm25"
SCROLL_PAGE = 1024
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


def qdrant_edge() -> Any:
    """The ``qdrant_edge`` module (imported lazily: its Rust extension is heavy)."""
    try:
        import qdrant_edge
    except ImportError as error:  # pragma: no cover - qdrant-edge-py is a core dependency
        raise DependencyMissing("qdrant-edge-py is not installed: pip install qdrant-edge-py") from error
    return qdrant_edge


class Bm25Encoder:
    """BM25 sparse vectors from Qdrant Edge's ``Bm25`` (multilingual tokenizer): for chunks at
    import, for questions at search. Returns ``qdrant_edge.SparseVector`` (``indices``/``values``)."""

    def __init__(self) -> None:
        qe = qdrant_edge()
        self._bm25 = qe.Bm25(qe.Bm25Config(tokenizer=qe.TokenizerType.Multilingual))

    def document(self, chunk: ChunkRecord) -> Any:
        # Keyword context (document label and the running titles cleaned out of the chunks) is
        # indexed, never shown; without cleaning context, the document label alone.
        keywords = (f"{chunk.keyword_context}\n{chunk.text}" if chunk.keyword_context
                    else labelled_text(chunk.file_name, chunk.text))
        return self._bm25.embed_document(normalise_for_index(keywords))

    def query(self, text: str) -> Any:
        return self._bm25.embed_query(normalise_for_index(text))


def named_vectors(sparse: Any, dense: Sequence[float] | None) -> dict[str, Any]:
    """A point's vectors by name: always the BM25 one, the dense one once it is computed."""
    vectors: dict[str, Any] = {SPARSE: sparse}
    if dense is not None:
        vectors[DENSE] = [float(v) for v in dense]
    return vectors


def chunk_payload(chunk: ChunkRecord) -> dict[str, Any]:
    """The stored payload of a chunk: position, text, OCR boxes/score, near-duplicate entries.

    OCR'd text carries ``boxes`` (the covered lines' rectangles, flattened to 4 numbers each,
    rounded to 0.1 pt) and ``ocr_conf``; text-layer chunks carry neither.
    """
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
    if chunk.minhash:
        payload.update({"minhash": chunk.minhash, LSH_FIELD: list(chunk.lsh), "dup_group": chunk.dup_group})
    elif chunk.dup_group:
        payload["dup_group"] = chunk.dup_group
    return payload


def _boxes(flat: Any) -> tuple[Box, ...]:
    values = [float(v) for v in flat or ()]
    return tuple((values[i], values[i + 1], values[i + 2], values[i + 3]) for i in range(0, len(values) - 3, 4))


def stored_hit(payload: dict[str, Any], score: float, stored_dense: Sequence[float] | None,
               query: Sequence[float]) -> StoredHit:
    """A hit from a point's payload; ``similarity`` is the cosine of the (unit) stored dense vector
    and the query, None when the chunk has no dense vector yet or no query is given."""
    similarity = (float(sum(a * b for a, b in zip(stored_dense, query, strict=True)))
                  if stored_dense and query else None)
    return StoredHit(
        doc_id=str(payload["doc_id"]),
        file_name=str(payload["file_name"]),
        page=int(payload["page"]),
        span=Span(int(payload["start"]), int(payload["end"])),
        text=str(payload["text"]),
        ocr=bool(payload.get("ocr", False)),
        score=score,
        similarity=similarity,
        dup_group=str(payload.get("dup_group", "")),
        boxes=_boxes(payload.get("boxes")),
        ocr_confidence=float(payload["ocr_conf"]) if payload.get("ocr_conf") is not None else None,
    )


def samples_by_document(records: Iterable[Any], per_document: int) -> dict[str, list[str]]:
    """Up to ``per_document`` texts per doc_id from scrolled records (payload ``doc_id``, ``text``)."""
    samples: dict[str, list[str]] = {}
    for record in records:
        payload = record.payload or {}
        texts = samples.setdefault(str(payload.get("doc_id", "")), [])
        if len(texts) < per_document:
            texts.append(str(payload.get("text", "")))
    return samples


def point_hit(point: Any, query: Sequence[float]) -> StoredHit:
    """The hit of a point or record as either client returns it (``payload``, ``score``, and
    ``vector`` as a dict by vector name)."""
    vectors = point.vector if isinstance(point.vector, dict) else {}
    return stored_hit(point.payload or {}, float(getattr(point, "score", 0.0) or 0.0), vectors.get(DENSE), query)


def stored_point(record: Any) -> StoredPoint:
    """A scrolled record (either client) with its vectors, as :class:`StoredPoint`."""
    vectors = record.vector if isinstance(record.vector, dict) else {}
    dense = vectors.get(DENSE)
    sparse = vectors.get(SPARSE)
    return StoredPoint(
        point_id=str(record.id),
        payload=dict(record.payload or {}),
        dense=[float(v) for v in dense] if dense is not None else None,
        sparse=([int(i) for i in sparse.indices], [float(v) for v in sparse.values]) if sparse else ([], []),
    )


def count_by_document(records: Iterable[Any]) -> dict[str, int]:
    """Chunks per doc_id over scrolled records (payload with at least ``doc_id``)."""
    counts: dict[str, int] = {}
    for record in records:
        doc_id = str((record.payload or {}).get("doc_id", ""))
        counts[doc_id] = counts.get(doc_id, 0) + 1
    return counts


def pending_entry(point_id: Any, payload: dict[str, Any]) -> tuple[str, str, str]:
    """(point id, doc_id, text to embed) of a chunk still lacking its dense vector."""
    return str(point_id), str(payload["doc_id"]), labelled_text(str(payload["file_name"]), str(payload["text"]))


def duplicate_candidate(point_id: Any, payload: dict[str, Any]) -> tuple[str, str, str]:
    """(dup_group, number key, signature hex) of a stored chunk (see :mod:`core.ingest.neardup`)."""
    numbers, _, signature = str(payload.get("minhash", "")).partition(":")
    return str(payload.get("dup_group", point_id)), numbers, signature


def search_depths(wanted: int) -> tuple[int, int]:
    """(final limit, prefetch depth) for ``wanted`` results. The prefetch depth follows the wanted
    count (it shapes DBSF's score normalisation, which was measured at this depth); only the final
    list is longer, for collapsing duplicates."""
    limit = wanted * DUP_FETCH_FACTOR
    return limit, max(wanted * PREFETCH_FACTOR, MIN_PREFETCH, limit)


def sorted_in_reading_order(hits: list[StoredHit]) -> list[StoredHit]:
    return sorted(hits, key=lambda h: (h.page, h.span.start))


def final_hits(hits: Sequence[StoredHit], text: str, limit: int, mode: SearchMode) -> list[StoredHit]:
    """What both adapters return for a search: fused hits lifted by the figures the query quotes
    (:func:`core.ranking.boost_figures`, on DBSF scores only), then near-duplicates collapsed."""
    return collapse_duplicates(boost_figures(hits, text) if mode == "hybrid-dbsf" else hits, limit)


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
