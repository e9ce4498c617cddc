"""Per-page extraction decisions, OCR line boxes, rotated and skewed scans, junk text layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest

from core.ingest.ocr import OcrLine, dashes_in_latin_text
from core.ingest.orient import read_upright, turn, unturn_box
from core.ingest.pdf import extract_pages, open_pdf
from core.ingest.textcheck import check_text
from tests.core import pdfs

EN = ("The Marlow Bridge was completed in 1832 and spans the river Thames. It is a suspension bridge with two "
      "stone towers. The bridge was restored in 2019 at a cost of 4.5 million pounds.")
ZH = "长江是中国最长的河流，全长约六千三百公里。它发源于青藏高原，流经十一个省级行政区，最后注入东海。"
JUNK_WORDS = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt " * 6


def _only_page(path: Path, ocr) -> object:
    document = open_pdf(path)
    try:
        (page,) = list(extract_pages(document, ocr))
    finally:
        document.close()
    return page


# --- text-layer checks (fast) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (ZH * 3, ""),
        (EN * 2, ""),
        ("Net sales | 14,694 | 14,544\nAdjusted EBIT | 1,608 | 1,599\n" * 5, ""),
        ((ZH * 3).encode("utf-8").decode("gbk", errors="replace"), "mojibake"),
        ((EN * 2).replace("e", "\ue01f").replace("a", "\ue020").replace("o", "\ufffd"), "private-use"),
        ("The café’s naïve résumé".encode().decode("latin-1") * 5, "Latin-1"),
        ("#$% &'( )*+ ,-./ 0:;< =>?@ [\\]^ _`{| }~!\" " * 10, "real words"),
    ],
    ids=["chinese", "english", "table", "gbk-mojibake", "private-use", "latin1-mojibake", "glyph-ids"],
)
def test_text_layer_verdicts(text: str, reason: str) -> None:
    verdict = check_text(text)
    assert verdict.ok == (reason == "")
    assert reason in verdict.reason


# --- orientation, with a fake OCR that can only read upright pictures (fast) ------------------------


class _UprightOnly:
    """Reads one wide line where the picture's marker (a dark top-left corner) is top-left."""

    def read(self, image: np.ndarray) -> list[OcrLine]:
        height, width = image.shape[:2]
        if image[:5, :5].mean() > 10 or height > width:
            return []
        return [OcrLine("upright text line", 0.95, (5.0, 10.0, 60.0, 20.0))]


@pytest.mark.parametrize("quarters", [0, 1, 2, 3])
def test_read_upright_finds_the_turn_and_maps_boxes_back(quarters: int) -> None:
    upright = np.full((40, 80, 3), 255, dtype=np.uint8)
    upright[:5, :5] = 0
    shown = turn(upright, (4 - quarters) % 4)  # the content lies turned counter-clockwise
    read = read_upright(_UprightOnly(), shown)
    assert read.rotation == 90 * quarters
    (line,) = read.lines
    x0, y0, x1, y1 = (round(v) for v in line.box)
    marked = np.zeros(upright.shape[:2], dtype=bool)
    marked[10:20, 5:60] = True
    assert np.array_equal(np.argwhere(turn(marked, (4 - quarters) % 4)).min(axis=0), [y0, x0])
    assert np.array_equal(np.argwhere(turn(marked, (4 - quarters) % 4)).max(axis=0) + 1, [y1, x1])


def test_unturn_box_is_the_inverse_of_turning() -> None:
    width, height = 80.0, 40.0
    assert unturn_box((10, 5, 20, 15), 2, width, height) == (60, 25, 70, 35)
    assert unturn_box((10, 5, 20, 15), 1, width, height) == (5, 20, 15, 30)
    assert unturn_box((10, 5, 20, 15), 3, width, height) == (65, 10, 75, 20)


def test_rotated_born_digital_page_keeps_its_text_layer(tmp_path: Path) -> None:
    path = pdfs.text_pdf(tmp_path / "rot.pdf", [EN])
    document = pymupdf.open(path)
    document[0].set_rotation(90)
    document.save(tmp_path / "rot90.pdf")
    page = _only_page(tmp_path / "rot90.pdf", None)
    assert page.method == "text" and "restored in 2019" in page.text.replace("\n", " ")
    assert page.lines == () and page.ocr_confidence is None


# --- real OCR -------------------------------------------------------------------------------------


@pytest.mark.ocr
def test_scanned_page_has_line_boxes_where_the_text_is(tmp_path: Path, real_ocr) -> None:
    page = _only_page(pdfs.scanned_pdf(tmp_path / "scan.pdf", EN), real_ocr)
    assert page.method == "ocr" and page.rotation == 0 and page.ocr_confidence > 0.9
    assert "Marlow Bridge" in page.text
    first = page.lines[0]
    assert page.text[first.start:first.end].startswith("The Marlow Bridge")
    x0, y0, x1, y1 = first.box  # typeset at (50, 50) in 13 pt
    assert 40 <= x0 <= 60 and 44 <= y0 <= 58 and 60 <= y1 <= 75 and x1 > 300
    assert all(page.text[line.start:line.end] for line in page.lines)
    assert page.ocr_confidence == pytest.approx(sum(line.confidence for line in page.lines) / len(page.lines), abs=1e-3)


@pytest.mark.ocr
@pytest.mark.parametrize(
    ("lang", "options", "rotation", "first_box"),
    [
        ("en", {"content_turn": 90}, 270, (765, 40, 800, 510)),
        ("zh", {"content_turn": 180}, 180, (40, 765, 555, 800)),
        ("en", {"content_turn": 270}, 90, (42, 85, 78, 555)),
        ("en", {"rotate_attr": 90}, 270, (40, 44, 510, 75)),  # upright picture shown sideways by /Rotate
        ("en", {"content_turn": 90, "rotate_attr": 270}, 0, (765, 40, 800, 510)),  # /Rotate makes it upright
        ("en", {"skew": 4}, 0, None),
    ],
    ids=["content-90", "zh-content-180", "content-270", "rotate-attr-90", "rotate-attr-compensates", "skew-4"],
)
def test_rotated_and_skewed_scans_read_upright(tmp_path: Path, real_ocr, lang: str, options: dict, rotation: int,
                                               first_box: tuple[float, float, float, float] | None) -> None:
    text, font = (EN, "helv") if lang == "en" else (ZH, "china-s")
    page = _only_page(pdfs.rotated_scan_pdf(tmp_path / "scan.pdf", text, fontname=font, **options), real_ocr)
    flat = page.text.replace("\n", " " if lang == "en" else "")
    assert page.method == "ocr" and page.rotation == rotation
    assert ("Marlow Bridge was completed in 1832" in flat) if lang == "en" else ("全长约六千三百公里" in flat)
    assert page.ocr_confidence > 0.9
    if first_box is not None:  # unrotated page space: inside the expected region
        x0, y0, x1, y1 = page.lines[0].box
        assert first_box[0] <= x0 and first_box[1] <= y0 and x1 <= first_box[2] and y1 <= first_box[3], page.lines[0]


@pytest.mark.ocr
def test_invisible_junk_layer_over_a_scan_is_replaced_by_ocr(tmp_path: Path, real_ocr) -> None:
    path = pdfs.scan_with_text_layer_pdf(tmp_path / "junk.pdf", EN, JUNK_WORDS, invisible=True)
    page = _only_page(path, real_ocr)
    assert page.method == "ocr" and "invisible" in page.note
    assert "restored in 2019" in page.text.replace("\n", " ") and "Lorem" not in page.text
    assert page.lines


@pytest.mark.ocr
def test_mojibake_text_layer_is_replaced_by_ocr(tmp_path: Path, real_ocr) -> None:
    mojibake = (ZH * 2).encode("utf-8").decode("gbk", errors="replace")
    path = pdfs.scan_with_text_layer_pdf(tmp_path / "moji.pdf", ZH, mojibake, fontname="china-s", invisible=False,
                                         layer_font="china-s")
    page = _only_page(path, real_ocr)
    assert page.method == "ocr" and "mojibake" in page.note
    assert "青藏高原" in page.text and page.ocr_confidence > 0.9


def test_mojibake_layer_is_kept_when_ocr_is_off(tmp_path: Path) -> None:
    mojibake = (ZH * 2).encode("utf-8").decode("gbk", errors="replace")
    path = pdfs.scan_with_text_layer_pdf(tmp_path / "moji.pdf", ZH, mojibake, fontname="china-s", invisible=False,
                                         layer_font="china-s")
    page = _only_page(path, None)
    assert page.method == "text" and page.lines == ()


@pytest.mark.ocr
def test_picture_on_a_rotated_born_digital_page_is_ocrd_in_place(tmp_path: Path, real_ocr) -> None:
    """The picture's clip is taken in displayed space and its boxes come back unrotated."""
    document = pymupdf.open()
    page = document.new_page(width=pdfs.A4.width, height=pdfs.A4.height)
    page.insert_textbox(pymupdf.Rect(50, 50, 545, 200), "Visible text layer about the harbour ferry timetable. " * 3)
    picture = pdfs._typeset_pixmap("The morning ferry departs at 06:45 sharp.", "helv", 200)
    page.insert_image(pymupdf.Rect(50, 300, 545, 1000 * 495 / 1654 + 300), stream=picture.tobytes("png"))
    page.set_rotation(90)
    document.save(tmp_path / "mixed.pdf")
    read = _only_page(tmp_path / "mixed.pdf", real_ocr)
    assert read.method == "mixed" and "06:45" in read.text
    (line,) = [line for line in read.lines if "06:45" in read.text[line.start:line.end]]
    x0, y0, x1, y1 = line.box
    assert 45 <= x0 and x1 <= 550 and 300 <= y0 and y1 <= 340, line


# --- boxes travel to search hits and citations -------------------------------------------------------


@pytest.fixture
def ocr_engine(data_dir: Path, real_ocr):
    """Hashing embedder (fast) with real OCR and a real Qdrant Edge store."""
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder
    from core.llm.scripted import ScriptedChatModel
    from core.prompts import refusal

    engine = Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=ScriptedChatModel(refusal("en")),
                           ocr=real_ocr)
    yield engine
    engine.close()


@pytest.mark.ocr
def test_ocr_passages_carry_line_boxes_and_confidence(ocr_engine, tmp_path: Path) -> None:
    from core.answer import citations_of
    from core.datatypes import SearchRequest

    scan = pdfs.scanned_pdf(tmp_path / "scan.pdf", EN)
    born = pdfs.text_pdf(tmp_path / "born.pdf", ["The lighthouse keeper logged 212 ships passing in March 1901."])
    ocr_engine.create_workspace("w")
    report = ocr_engine.ingest("w", [scan, born])
    assert [f.status for f in report.files] == ["added", "added"]
    (hit,) = ocr_engine.search(SearchRequest("w", "Marlow Bridge restored 2019 cost", top_k=1))
    assert hit.doc == "scan.pdf" and hit.ocr and hit.ocr_confidence > 0.9
    assert 2 <= len(hit.boxes) <= 4  # the three or so typeset lines the chunk covers
    for x0, y0, x1, y1 in hit.boxes:
        assert 0 <= x0 < x1 <= pdfs.A4.width and 0 <= y0 < y1 <= pdfs.A4.height
    assert [b[1] for b in hit.boxes] == sorted(b[1] for b in hit.boxes)  # reading order, top to bottom
    (text_hit,) = ocr_engine.search(SearchRequest("w", "lighthouse keeper ships 1901", top_k=1))
    assert text_hit.doc == "born.pdf" and not text_hit.ocr and text_hit.boxes == () and text_hit.ocr_confidence is None
    (citation,) = citations_of("It was restored in 2019 [1].", [hit])
    assert citation.boxes == hit.boxes


def test_a_lone_yi_on_an_english_page_is_a_dash_and_stays_a_numeral_on_a_chinese_one() -> None:
    """RapidOCR read the empty cells ("—") of a scanned English financial table as 一 (dev kit,
    AMCOR earnings release page 10); on a Chinese page 一 is the numeral and is left alone."""
    def lines(*texts: str) -> list[OcrLine]:
        return [OcrLine(text, 0.9, (0, 20 * i, 50, 20 * i + 15)) for i, text in enumerate(texts)]

    english = dashes_in_latin_text(lines("Reported Growth %", "(6)", "一", "4", "一一"))
    assert [line.text for line in english] == ["Reported Growth %", "(6)", "—", "4", "—"]
    chinese = lines("第一季度销售", "一", "4")
    assert dashes_in_latin_text(chinese) == chinese
