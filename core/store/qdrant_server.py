"""A workspace's vector store on a Qdrant server or cluster, through ``qdrant-client``.

Same data model and behaviour as the embedded shard (:mod:`core.store.edge`), so a workspace
ranks the same on either and moves between them without re-embedding (``wenku migrate``):

* one collection per workspace (named in the workspace settings, ``wenku_<hex>``, so renaming a
  workspace never touches the server); named dense vector ``dense`` (cosine) and sparse vector
  ``bm25`` with the IDF modifier; the same payload (:func:`core.store.common.chunk_payload`);
* BM25 vectors computed client-side by Qdrant Edge's own ``Bm25`` (:class:`core.store.common.Bm25Encoder`),
  never by the server's inference, so the token ids and weights are identical on both stores;
* hybrid search as one ``query_points`` call: two ``Prefetch`` (dense, sparse) fused by RRF
  (k = 60) or DBSF; near-duplicates collapsed afterwards; ``similarity`` is always the cosine of the
  stored unit dense vector and the query;
* every write waits for the server's acknowledgement (``wait=True``), so :meth:`flush` has nothing
  left to do and the engine's ordering rule (points written before the manifest commits, old
  points deleted after) holds as on the embedded shard;
* keyword payload indexes on ``doc_id`` and ``lsh`` (filters of deletes, pending work and
  near-duplicate candidates).

Where it connects: ``http(s)://host:port`` (TLS for https; an API key, sent as the ``api-key``
header; a timeout in seconds), or, for tests and trials without a server, qdrant-client's *local
mode* (``local:/folder`` or ``:memory:``), which speaks the same client API in pure Python.

What local mode does not do as a server does (so CI tests here cannot prove it):
* search is exact brute force in Python (no HNSW): the results are the exact neighbours, a
  server's HNSW results are approximate; latency grows linearly (see README "Performance");
* payload indexes are not built at all (local mode has none; creating them there only warns, so
  this adapter skips them): filters are evaluated by scanning;
* IDF is computed by the client over the points it holds, on a server per shard: on a cluster with
  several shards, BM25 scores can differ slightly from the embedded shard's;
* the RRF ``k`` parameter needs Qdrant server >= 1.16 (older servers reject ``RrfQuery``);
* one local-mode folder can be open by one client at a time (a file lock), so two workspaces in
  one process need two folders; a server has no such limit;
* no network, no TLS and no API key are involved: those paths are covered by unit tests of the
  client's configuration and of the error an unreachable server gives.

Not thread-safe: the engine serialises calls with a per-workspace lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core.errors import DependencyMissing, StoreError, StoreUnavailable
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
    count_by_document,
    duplicate_candidate,
    final_hits,
    named_vectors,
    pending_entry,
    point_hit,
    samples_by_document,
    search_depths,
    sorted_in_reading_order,
    stored_point,
)

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local:"
MEMORY = ":memory:"
DEFAULT_TIMEOUT = 10.0
_T = TypeVar("_T")


def _qdrant_client() -> Any:
    try:
        import qdrant_client
    except ImportError as error:  # pragma: no cover - qdrant-client is a core dependency
        raise DependencyMissing("qdrant-client is not installed: pip install qdrant-client") from error
    return qdrant_client


def is_local(url: str) -> bool:
    """Whether ``url`` names qdrant-client's local mode rather than a server."""
    return url == MEMORY or url.startswith(LOCAL_PREFIX)


@dataclass(frozen=True)
class ServerLocation:
    """Where a collection lives: a server URL (or local mode), the API key and the timeout (s)."""

    url: str
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        return self.url


def make_client(location: ServerLocation) -> Any:
    """A ``QdrantClient`` for ``location``. Makes no connection (the version check is off; the
    first request connects), so a bad URL or key shows up as :class:`StoreUnavailable` there."""
    qc = _qdrant_client()
    url = location.url
    if url == MEMORY:
        return qc.QdrantClient(location=MEMORY)
    if url.startswith(LOCAL_PREFIX):
        try:
            return qc.QdrantClient(path=url[len(LOCAL_PREFIX):])
        except Exception as error:  # a second client on the same folder: portalocker's error
            raise StoreError(f"cannot open the local Qdrant folder {url}: {error}") from error
    if not url.startswith(("http://", "https://")):
        raise StoreUnavailable(f"{url!r} is not a Qdrant server URL (http://host:6333 or https://...)")
    return qc.QdrantClient(url=url, api_key=location.api_key, timeout=int(max(1, round(location.timeout))),
                           check_compatibility=False)


def _translate(error: Exception, where: str) -> StoreError:
    """Our error for a failed client call: unreachable or refused → StoreUnavailable."""
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    if isinstance(error, StoreError):
        return error
    if isinstance(error, UnexpectedResponse):
        if error.status_code in (401, 403):
            return StoreUnavailable(f"the Qdrant server at {where} refused the request (HTTP {error.status_code}): "
                                    "check the API key the workspace names")
        return StoreError(f"the Qdrant server at {where} answered HTTP {error.status_code}: "
                          f"{error.content.decode('utf-8', 'replace')[:300]}")
    if isinstance(error, (ResponseHandlingException, ConnectionError, TimeoutError, OSError)):
        cause = getattr(error, "source", None) or error
        return StoreUnavailable(f"cannot reach the Qdrant server at {where}: {cause}")
    try:
        import httpx

        if isinstance(error, httpx.HTTPError):
            return StoreUnavailable(f"cannot reach the Qdrant server at {where}: {error}")
    except ImportError:  # pragma: no cover - httpx comes with qdrant-client
        pass
    return StoreError(f"the Qdrant store at {where} failed: {type(error).__name__}: {error}")


def drop_collection(location: ServerLocation, collection: str) -> None:
    """Delete a workspace's collection (the workspace was deleted or moved); missing is fine."""
    client = make_client(location)
    try:
        if client.collection_exists(collection):
            client.delete_collection(collection)
    except Exception as error:  # the client raises its own and httpx's exceptions
        raise _translate(error, location.describe()) from error
    finally:
        client.close()


class QdrantServerStore:
    """One workspace's collection on a Qdrant server (or in local mode)."""

    def __init__(self, location: ServerLocation, collection: str, dimension: int, *, create: bool = False) -> None:
        """Open ``collection``; with ``create`` make it if missing, else a missing one is an error
        (a workspace whose server lost its collection must not look empty)."""
        self._location = location
        self._collection = collection
        self._dimension = dimension
        self._local = is_local(location.url)
        self._client = make_client(location)
        self._models = _qdrant_client().models
        try:
            exists = self._call(self._client.collection_exists, collection)
            if not exists:
                if not create:
                    raise StoreError(f"the Qdrant server at {location.describe()} has no collection {collection!r} "
                                     "for this workspace (was it deleted there?)")
                self._create()
            else:
                self._check_dimension()
            self._ensure_indexes()
        except BaseException:
            self._client.close()
            raise
        self._bm25 = Bm25Encoder()

    # --- collection -------------------------------------------------------------------------

    def _create(self) -> None:
        m = self._models
        self._call(
            self._client.create_collection,
            self._collection,
            vectors_config={DENSE: m.VectorParams(size=self._dimension, distance=m.Distance.COSINE)},
            sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
        )
        log.info("event=collection_created url=%s collection=%s", self._location.describe(), self._collection)

    def _check_dimension(self) -> None:
        info = self._call(self._client.get_collection, self._collection)
        vectors = info.config.params.vectors
        size = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
        if size != self._dimension:
            raise StoreError(f"collection {self._collection!r} holds {size}-d vectors, the workspace {self._dimension}-d")

    def _ensure_indexes(self) -> None:
        """Keyword indexes on doc_id and lsh (idempotent on a server; local mode has none)."""
        if self._local:
            return
        for field in ("doc_id", LSH_FIELD):
            self._call(self._client.create_payload_index, self._collection, field,
                       field_schema=self._models.PayloadSchemaType.KEYWORD, wait=True)

    # --- writes -----------------------------------------------------------------------------

    def upsert(self, chunks: Sequence[ChunkRecord]) -> None:
        m = self._models
        points = [m.PointStruct(id=chunk.point_id, vector=self._vectors(chunk), payload=chunk_payload(chunk))
                  for chunk in chunks]
        if points:
            self._call(self._client.upsert, self._collection, points=points, wait=True)

    def _vectors(self, chunk: ChunkRecord) -> dict[str, Any]:
        return named_vectors(self._sparse(self._bm25.document(chunk)), chunk.vector)

    def _sparse(self, vector: Any) -> Any:
        return self._models.SparseVector(indices=list(vector.indices), values=list(vector.values))

    def set_dense(self, vectors: dict[str, Sequence[float]]) -> None:
        """Add dense vectors; points deleted meanwhile (a document removed or replaced while it was
        being embedded) are skipped: only the ids still stored are updated."""
        if not vectors:
            return
        existing = self._call(self._client.retrieve, self._collection, list(vectors), with_payload=False,
                              with_vectors=False)
        ids = {str(record.id) for record in existing}
        points = [self._models.PointVectors(id=point_id, vector={DENSE: list(map(float, v))})
                  for point_id, v in vectors.items() if point_id in ids]
        if points:
            self._call(self._client.update_vectors, self._collection, points=points, wait=True)

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        m = self._models
        selector = m.FilterSelector(filter=m.Filter(must=[self._match("doc_id", list(doc_ids))]))
        self._call(self._client.delete, self._collection, points_selector=selector, wait=True)

    def import_points(self, points: Sequence[StoredPoint]) -> None:
        m = self._models
        structs = [m.PointStruct(id=point.point_id, payload=point.payload, vector=named_vectors(
            m.SparseVector(indices=point.sparse[0], values=point.sparse[1]), point.dense)) for point in points]
        if structs:
            self._call(self._client.upsert, self._collection, points=structs, wait=True)

    # --- reads ------------------------------------------------------------------------------

    def _match(self, key: str, values: str | list[str]) -> Any:
        m = self._models
        match = m.MatchValue(value=values) if isinstance(values, str) else m.MatchAny(any=values)
        return m.FieldCondition(key=key, match=match)

    def _pending_filter(self, doc_id: str | None) -> Any:
        m = self._models
        return m.Filter(must=[self._match("doc_id", doc_id)] if doc_id else None,
                        must_not=[m.HasVectorCondition(has_vector=DENSE)])

    def pending_dense(self, limit: int) -> list[tuple[str, str, str]]:
        records, _ = self._call(self._client.scroll, self._collection, scroll_filter=self._pending_filter(None),
                                limit=limit, with_payload=["doc_id", "file_name", "text"], with_vectors=False)
        return [pending_entry(r.id, r.payload or {}) for r in records]

    def pending_count(self, doc_id: str | None = None) -> int:
        result = self._call(self._client.count, self._collection, count_filter=self._pending_filter(doc_id), exact=True)
        return int(result.count)

    def near_duplicate_candidates(
        self, lsh: Sequence[str], exclude_doc_ids: Sequence[str]
    ) -> list[tuple[str, str, str]]:
        if not lsh:
            return []
        m = self._models
        must_not = [self._match("doc_id", list(exclude_doc_ids))] if exclude_doc_ids else None
        condition = m.Filter(must=[self._match(LSH_FIELD, list(lsh))], must_not=must_not)
        records, _ = self._call(self._client.scroll, self._collection, scroll_filter=condition, limit=MAX_CANDIDATES,
                                with_payload=["dup_group", "minhash"], with_vectors=False)
        return [duplicate_candidate(record.id, record.payload or {}) for record in records]

    def search(self, vector: Sequence[float], text: str, limit: int, mode: SearchMode) -> list[StoredHit]:
        return final_hits(self._search(vector, text, limit, mode), text, limit, mode)

    def _search(self, vector: Sequence[float], text: str, wanted: int, mode: SearchMode) -> list[StoredHit]:
        m = self._models
        limit, depth = search_depths(wanted)
        dense = list(map(float, vector))
        sparse = self._sparse(self._bm25.query(text))
        common: dict[str, Any] = {"limit": limit, "with_payload": True, "with_vectors": [DENSE]}
        if mode == "dense":
            request: dict[str, Any] = {"query": dense, "using": DENSE}
        elif mode == "sparse":
            request = {"query": sparse, "using": SPARSE}
        else:
            fusion = m.RrfQuery(rrf=m.Rrf(k=RRF_K)) if mode == "hybrid-rrf" else m.FusionQuery(fusion=m.Fusion.DBSF)
            request = {"prefetch": [m.Prefetch(query=dense, using=DENSE, limit=depth),
                                    m.Prefetch(query=sparse, using=SPARSE, limit=depth)],
                       "query": fusion}
        response = self._call(self._client.query_points, self._collection, **request, **common)
        return [point_hit(point, dense) for point in response.points]

    def keyword_texts(self, term: str, limit: int) -> list[str] | None:
        """Texts of the chunks sharing a BM25 token with ``term`` (best first); None when the term
        has no token at all (a stop word)."""
        vector = self._bm25.query(term)
        if not list(vector.indices):
            return None
        response = self._call(self._client.query_points, self._collection, query=self._sparse(vector), using=SPARSE,
                              limit=limit, with_payload=["text"], with_vectors=False)
        return [str((point.payload or {}).get("text", "")) for point in response.points]

    def document_chunks(self, doc_id: str) -> list[StoredHit]:
        condition = self._models.Filter(must=[self._match("doc_id", doc_id)])
        return sorted_in_reading_order([point_hit(r, []) for r in self._scroll(condition, True, False)])

    def text_samples(self, per_document: int) -> dict[str, list[str]]:
        return samples_by_document(self._scroll(None, ["doc_id", "text"], False), per_document)

    def chunk_counts(self) -> dict[str, int]:
        return count_by_document(self._scroll(None, ["doc_id"], False))

    def count(self) -> int:
        return int(self._call(self._client.count, self._collection, exact=True).count)

    def export_points(self, batch: int) -> Iterator[list[StoredPoint]]:
        offset = None
        while True:
            records, offset = self._call(self._client.scroll, self._collection, limit=batch, offset=offset,
                                         with_payload=True, with_vectors=True)
            yield [stored_point(record) for record in records]
            if offset is None:
                return

    def _scroll(self, condition: Any, with_payload: Any, with_vectors: Any) -> Iterator[Any]:
        offset = None
        while True:
            records, offset = self._call(self._client.scroll, self._collection, scroll_filter=condition,
                                         limit=SCROLL_PAGE, offset=offset, with_payload=with_payload,
                                         with_vectors=with_vectors)
            yield from records
            if offset is None:
                return

    # --- life cycle -------------------------------------------------------------------------

    def flush(self) -> None:
        """Nothing to do: every write waited for the server's acknowledgement."""

    def close(self) -> None:
        self._client.close()

    def _call(self, method: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return method(*args, **kwargs)
        except Exception as error:  # the client raises its own and httpx's exceptions
            raise _translate(error, self._location.describe()) from error
