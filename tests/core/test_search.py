"""Search modes over the real Qdrant Edge shard: dense, BM25 (sparse) and fused hybrid."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.datatypes import SearchRequest
from tests.core import pdfs

PAGES = [
    "Invoice 88231 was paid by the Harlow Trading Company on 3 May.",
    "Our warehouse in Leeds stores spare parts for tractors and harvesters.",
    "发票编号七七四二由青石贸易公司于五月三日支付。",
    "The quarterly report describes revenue growth in the farming equipment segment.",
]


@pytest.fixture
def engine(fake_engine, tmp_path: Path):
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "mixed.pdf", PAGES, fontname="china-s")])
    return fake_engine


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid-rrf", "hybrid-dbsf"])
def test_every_mode_finds_an_exact_keyword(engine, mode: str) -> None:
    engine.search_mode = mode
    hits = engine.search(SearchRequest("w", "invoice 88231 Harlow", top_k=2))
    assert hits[0].page == 1
    assert all(-1.0 <= h.similarity <= 1.0 for h in hits)


def test_bm25_segments_chinese(engine) -> None:
    engine.search_mode = "sparse"
    hits = engine.search(SearchRequest("w", "青石贸易公司", top_k=1))
    assert hits[0].page == 3


def test_similarity_is_the_dense_cosine_whatever_the_ranking(engine) -> None:
    engine.search_mode = "dense"
    dense = {h.page: h.similarity for h in engine.search(SearchRequest("w", "tractor spare parts warehouse", top_k=4))}
    engine.search_mode = "hybrid-rrf"
    fused = engine.search(SearchRequest("w", "tractor spare parts warehouse", top_k=4))
    for hit in fused:
        assert hit.similarity == pytest.approx(dense[hit.page], abs=1e-4)
    assert fused[0].page == 2


def test_documents_are_keyword_searchable_before_their_dense_vectors_exist(fake_engine, tmp_path: Path) -> None:
    """Progressive indexing: cancel right after parsing; BM25 already finds the text."""
    from core.cancel import CancelToken, ProgressSlot

    cancel = CancelToken()

    def stop_when_embedding_starts(progress) -> None:
        if progress.stage == "embedding":
            cancel.cancel()

    fake_engine.create_workspace("p")
    pdf = pdfs.text_pdf(tmp_path / "late.pdf", ["The lighthouse keeper logged 412 ships in 1911."])
    fake_engine.ingest("p", [pdf], progress=ProgressSlot(stop_when_embedding_starts), cancel=cancel)
    (record,) = fake_engine.documents("p")
    assert record.status == "indexing"
    status = fake_engine.index_status("p")
    assert status.pending_dense == status.chunks == record.chunks
    fake_engine.search_mode = "hybrid-rrf"
    (hit,) = fake_engine.search(SearchRequest("p", "lighthouse keeper ships", top_k=1))
    assert hit.doc == "late.pdf" and hit.similarity > 0  # similarity computed on the spot
    fake_engine.search_mode = "dense"
    assert fake_engine.search(SearchRequest("p", "lighthouse keeper ships", top_k=1)) == []
    assert fake_engine.complete_indexing("p") == record.chunks
    assert fake_engine.documents("p")[0].status == "ready"
    assert fake_engine.search(SearchRequest("p", "lighthouse keeper ships", top_k=1))[0].doc == "late.pdf"
