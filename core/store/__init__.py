"""The vector store interface and the records that go in and out of it.

:class:`VectorStore` is the small Protocol every adapter implements: the embedded Qdrant Edge
shard (:mod:`core.store.edge`) and a Qdrant server or cluster through ``qdrant-client``
(:mod:`core.store.qdrant_server`); :mod:`core.store.factory` picks one from a workspace's settings,
and :mod:`core.store.common` holds what both share (payload, BM25 encoding, search depths). Adapters
are not thread-safe; the engine guards each open store with its own lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from core.datatypes import Box, Span


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as stored: identity, position, text and its dense vector.

    ``vector`` is None when the chunk is written keyword-searchable first (BM25 only); its dense
    vector is added later with :meth:`VectorStore.set_dense` (progressive indexing).
    ``minhash``/``lsh``/``dup_group`` are the near-duplicate index entries of the chunk (see
    :mod:`core.ingest.neardup`); empty when the chunk is too short to compare. ``keyword_context``
    (the document's label and running titles) is added to the text for the BM25 vector only.
    ``boxes`` are the OCR'd lines the chunk covers (unrotated page points) and ``ocr_confidence``
    their mean score; both empty/None for text-layer chunks.
    """

    point_id: str
    doc_id: str
    file_name: str
    page: int
    span: Span
    text: str
    ocr: bool
    vector: Sequence[float] | None
    minhash: str = ""
    lsh: tuple[str, ...] = ()
    dup_group: str = ""
    keyword_context: str = ""
    boxes: tuple[Box, ...] = ()
    ocr_confidence: float | None = None


SearchMode = Literal["dense", "sparse", "hybrid-rrf", "hybrid-dbsf"]


@dataclass(frozen=True)
class StoredHit:
    """A search hit: the stored chunk (without its vector), its rank score and its similarity.

    ``score`` orders the results (cosine, BM25 or a fused score, by search mode); ``similarity``
    is always the cosine between the query and the chunk's dense vector, so relevance decisions
    (refusal) use one scale whatever the ranking method. It is None for a chunk whose dense vector
    is not computed yet. ``dup_group`` names the chunk's near-duplicate group (empty if none).
    """

    doc_id: str
    file_name: str
    page: int
    span: Span
    text: str
    ocr: bool
    score: float
    similarity: float | None
    dup_group: str = ""
    boxes: tuple[Box, ...] = ()
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class StoredPoint:
    """A point exactly as stored, vectors included: what a migration copies between stores.

    ``dense`` is the stored (unit) dense vector or None while it is pending; ``sparse`` the BM25
    vector as (indices, values); ``payload`` the stored payload unchanged.
    """

    point_id: str
    payload: dict[str, Any]
    dense: list[float] | None
    sparse: tuple[list[int], list[float]]


class VectorStore(Protocol):
    """What the engine needs from a vector store."""

    def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        """Insert or overwrite chunks (one batch)."""

    def set_dense(self, vectors: dict[str, Sequence[float]]) -> None:
        """Add dense vectors to chunks written without one (point id → vector)."""

    def pending_dense(self, limit: int) -> list[tuple[str, str, str]]:
        """Up to ``limit`` chunks still lacking a dense vector, as (point id, doc_id, text to embed:
        the document label and the chunk text, see :mod:`core.doclabel`)."""

    def pending_count(self, doc_id: str | None = None) -> int:
        """How many chunks (of one document, or all) still lack a dense vector."""

    def document_chunks(self, doc_id: str) -> list[StoredHit]:
        """Every chunk of one document in reading order (page, then position); score 0."""

    def text_samples(self, per_document: int) -> dict[str, list[str]]:
        """Up to ``per_document`` chunk texts of every document (doc_id → texts, in no particular
        order), read in one pass over the store: to tell which languages the documents are in."""

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk of the given documents."""

    def search(self, vector: Sequence[float], text: str, limit: int, mode: SearchMode) -> list[StoredHit]:
        """The ``limit`` best chunks for a query (its dense ``vector`` and its ``text``), best first,
        with near-duplicates collapsed (only the best-ranked chunk of a ``dup_group`` is returned)."""

    def near_duplicate_candidates(
        self, lsh: Sequence[str], exclude_doc_ids: Sequence[str]
    ) -> list[tuple[str, str, str]]:
        """(dup_group, number key, signature hex) of stored chunks sharing an LSH band key with ``lsh``,
        leaving out chunks of ``exclude_doc_ids`` (e.g. the version being replaced)."""

    def keyword_texts(self, term: str, limit: int) -> list[str] | None:
        """Texts of up to ``limit`` chunks sharing a keyword token with ``term``; None when the
        term has no indexable token (a stop word)."""

    def chunk_counts(self) -> dict[str, int]:
        """Number of stored chunks per doc_id (used to find orphans after a crash)."""

    def count(self) -> int:
        """Number of stored chunks."""

    def export_points(self, batch: int) -> Iterator[list[StoredPoint]]:
        """Every stored point with its vectors and payload, ``batch`` at a time (for migration)."""

    def import_points(self, points: Sequence[StoredPoint]) -> None:
        """Write points exported from another store as they are (no re-embedding)."""

    def flush(self) -> None:
        """Make every write so far durable."""

    def close(self) -> None:
        """Flush and release files."""
