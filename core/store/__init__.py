"""The vector store interface and the records that go in and out of it.

:class:`VectorStore` is the small Protocol every adapter implements: the embedded Qdrant Edge
shard (:mod:`core.store.edge`) now, a ``qdrant-client`` server adapter later. Adapters are not
thread-safe; the engine guards each open store with its own lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.datatypes import Span


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as stored: identity, position, text and its dense vector."""

    point_id: str
    doc_id: str
    file_name: str
    page: int
    span: Span
    text: str
    ocr: bool
    vector: Sequence[float]


@dataclass(frozen=True)
class StoredHit:
    """A search hit: the stored chunk (without its vector) and its score."""

    doc_id: str
    file_name: str
    page: int
    span: Span
    text: str
    ocr: bool
    score: float


class VectorStore(Protocol):
    """What the engine needs from a vector store."""

    def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        """Insert or overwrite chunks (one batch)."""

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk of the given documents."""

    def search(self, vector: Sequence[float], limit: int) -> list[StoredHit]:
        """The ``limit`` nearest chunks to ``vector``, best first."""

    def chunk_counts(self) -> dict[str, int]:
        """Number of stored chunks per doc_id (used to find orphans after a crash)."""

    def flush(self) -> None:
        """Make every write so far durable."""

    def close(self) -> None:
        """Flush and release files."""
