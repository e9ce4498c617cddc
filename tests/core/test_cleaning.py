"""Import cleaning on real generated PDFs: headers/footers/page numbers, quality filter, BM25 normalisation."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from core.datatypes import SearchRequest
from core.ingest.boilerplate import BoilerplateDetector, is_page_number, line_key
from core.ingest.chunking import clean_chunk_text
from core.ingest.ocr import OcrLine
from core.ingest.quality import MIN_OCR_CONFIDENCE, drop_reason
from tests.core import pdfs

EN_BODIES = [
    f"Chapter {n}. The heron colony at Lotus Bay counted {n * 37} nests in survey year {2010 + n}. "
    f"Page {n} of the field manual explains how the wardens count nests from the eastern hide."
    for n in range(1, 7)
]
ZH_BODIES = [f"第{n}部分：青石镇茶叶合作社第{n}年共收购春茶{n * 120}公斤，茶农{n * 11}户参与了统一定价。" for n in range(1, 6)]


def _store_chunks(engine, workspace: str) -> list:
    ws = engine._workspace(workspace)
    return [hit for doc in engine.documents(workspace) for hit in ws.store.document_chunks(doc.doc_id)]


def test_line_keys_let_page_numbers_vary() -> None:
    assert line_key("Page 3 of 40") == line_key("PAGE 12 OF 40") == "page # of #"
    assert line_key("第 3 页") == line_key("第十二页") == "第#页"
    for shaped in ("12", "- 12 -", "Page 3 of 40", "3 / 40", "第 3 页", "第3页 共40页", "(7)"):
        assert is_page_number(line_key(shaped)), shaped
    for body in ("Revenue grew 12%", "2019 Annual Report", "第三章 茶叶"):
        assert not is_page_number(line_key(body)), body


@pytest.mark.parametrize(
    ("bodies", "header", "footer", "fontname", "boilerplate"),
    [
        (EN_BODIES, "Lotus Bay Annual Report 2024", "Page {n} of {total}", "helv", ("Lotus Bay Annual Report", "of 6")),
        (ZH_BODIES, "青石镇茶叶合作社年度报告", "第 {n} 页", "china-s", ("年度报告", "页")),
        (EN_BODIES[:4], "Lotus Bay Survey", "- {n} -", "helv", ("Lotus Bay Survey",)),
    ],
    ids=["en-page-of", "zh-di-ye", "dash-number"],
)
def test_running_headers_and_footers_are_left_out_of_chunks_but_spans_stay_exact(
    fake_engine, tmp_path: Path, bodies, header, footer, fontname, boilerplate
) -> None:
    pdf = pdfs.paged_pdf(tmp_path / "report.pdf", bodies, header=header, footer=footer, fontname=fontname)
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [pdf]).files
    assert result.status == "added"
    assert result.boilerplate_lines == 2 * len(bodies)  # one header and one footer per page
    chunks = _store_chunks(fake_engine, "w")
    assert len(chunks) == len(bodies)
    document = pymupdf.open(pdf)
    for chunk in chunks:
        for text in boilerplate:
            assert text not in chunk.text
        # The page record keeps everything and the span still points at the right text.
        page_text = document.load_page(chunk.page - 1).get_text("text").strip()
        assert header in page_text
        assert clean_chunk_text(page_text[chunk.span.start:chunk.span.end]) == chunk.text
    if fontname == "helv":  # a body line that merely looks like a footer is kept
        assert any("Page 3 of the field manual" in c.text for c in chunks)


def test_short_documents_keep_their_text_and_lose_only_page_numbers(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.paged_pdf(tmp_path / "two.pdf", EN_BODIES[:2], header="Lotus Bay Annual Report 2024", footer="{n}")
    detector = BoilerplateDetector.scan(pymupdf.open(pdf))
    assert detector.repeated == frozenset()  # twice is not a running header yet
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [pdf]).files
    assert result.boilerplate_lines == 2  # the bare page numbers
    assert all("Lotus Bay Annual Report 2024" in c.text for c in _store_chunks(fake_engine, "w"))


def test_headers_of_ocr_pages_are_learnt_while_streaming() -> None:
    detector = BoilerplateDetector()  # nothing from a text-layer scan: every page was OCR'd
    pages = [f"QINGSHI TEA COOPERATIVE\nThe harvest of week {n} was weighed and graded by the committee.\n- {n} -"
             for n in range(1, 6)]
    removed = [detector.blank(n, text)[1] for n, text in enumerate(pages, 1)]
    # page numbers at once; the running title from its third occurrence on
    assert removed == [1, 1, 2, 2, 2]
    blanked, _ = detector.blank(6, pages[4])
    assert len(blanked) == len(pages[4]) and "TEA COOPERATIVE" not in blanked and "harvest of week 5" in blanked


def test_quality_reasons() -> None:
    assert drop_reason("   ") == "empty"
    assert drop_reason("12 . 34 — 56 … (7) %") == "no_words"
    assert drop_reason("— — — · · ·") == "no_words"
    assert drop_reason("茶叶 2019") is None
    assert drop_reason("Revenue 2019: 12,345") is None
    assert drop_reason("Clear text read by OCR", MIN_OCR_CONFIDENCE + 0.1) is None
    assert drop_reason("Xq7 ;l1 |i mm", MIN_OCR_CONFIDENCE - 0.1) == "low_ocr_confidence"


def test_junk_pages_are_dropped_and_counted(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "mixed.pdf", [
        "The egret census of 2021 found 412 breeding pairs along the northern shore of the bay.",
        "1,204 . . . 3,118 . . . 77 — 5 — 19 — 2,221 — 908 — 45 — 67 — 12",
    ])
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [pdf]).files
    assert result.status == "added" and result.chunks == 1
    assert result.dropped_chunks == {"no_words": 1}
    assert [c.page for c in _store_chunks(fake_engine, "w")] == [1]


def test_a_document_of_only_junk_fails_with_the_reason(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "junk.pdf", ["1,204 . . . 3,118 . . . 77 — 5 — 19 — 2,221 — 908 — 45"])
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [pdf]).files
    assert result.status == "failed"
    assert "page numbers, headers/footers or punctuation" in result.error
    assert fake_engine.documents("w") == []


class _GarbageOcr:
    """OCR that reads noise with low confidence, as RapidOCR does on a photo of a texture."""

    def read(self, image):
        return [OcrLine("lIl1 ;; Xq7 ~~ rn|", 0.55, (0, 0, 10, 10)), OcrLine("0O0o ..,, Il|", 0.6, (0, 12, 10, 22))]


def test_low_confidence_ocr_is_not_indexed_and_the_document_says_why(data_dir: Path, tmp_path: Path) -> None:
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    scan = pdfs.scanned_pdf(tmp_path / "scan.pdf", "Only pixels here, no text layer at all.")
    with Engine.create(data_dir, embedder=HashingEmbedder(), ocr=_GarbageOcr()) as engine:
        engine.create_workspace("w")
        (result,) = engine.ingest("w", [scan]).files
        assert result.status == "failed"
        assert f"confidence below {MIN_OCR_CONFIDENCE:.2f}" in result.error
        assert engine.documents("w") == []  # never shown as ready
        assert engine.index_status("w").chunks == 0


def test_bm25_matches_full_width_and_case_folded_forms(fake_engine, tmp_path: Path) -> None:
    document = pymupdf.open()
    for text, font in (("The Hauptstraße depot ships garden pumps to the harbour every week.", "helv"),
                       ("型号ＸＪ９００的水泵由青石镇仓库每周发货。", "china-s")):
        page = document.new_page()
        page.insert_textbox(pymupdf.Rect(50, 100, 550, 700), text, fontname=font, fontsize=11)
    document.save(tmp_path / "forms.pdf")
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "forms.pdf"])
    fake_engine.search_mode = "sparse"
    for query, page, shown in (("HAUPTSTRASSE", 1, "Hauptstraße"), ("ＨＡＵＰＴＳＴＲＡＳＳＥ", 1, "Hauptstraße"),
                               ("xj900", 2, "ＸＪ９００"), ("XJ900", 2, "ＸＪ９００")):
        hits = fake_engine.search(SearchRequest("w", query, top_k=1))
        assert hits and hits[0].page == page, query
        assert shown in hits[0].text  # what is shown and cited stays as extracted


def test_removed_running_title_still_counts_for_keyword_search(fake_engine, tmp_path: Path) -> None:
    """The title leaves the shown/embedded text but stays in the BM25 vector as document context."""
    pdf = pdfs.paged_pdf(tmp_path / "heron_survey_2024.pdf", EN_BODIES[:3], header="Quillmere Wetland Trust")
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdf, pdfs.text_pdf(tmp_path / "other.pdf", ["Barn owls nested in the granary."])])
    fake_engine.search_mode = "sparse"
    hits = fake_engine.search(SearchRequest("w", "Quillmere", top_k=5))
    assert len(hits) == 3 and {h.doc for h in hits} == {"heron_survey_2024.pdf"}
    assert not any("Quillmere" in h.text for h in hits)
    assert fake_engine.search(SearchRequest("w", "heron survey 2024", top_k=1))[0].doc == "heron_survey_2024.pdf"
