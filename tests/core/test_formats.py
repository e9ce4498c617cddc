"""Formats beyond PDF: plain text, Markdown, HTML, DOCX and pictures, imported like PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.datatypes import SearchRequest
from core.errors import CorruptFile, UnsupportedFormat
from core.ingest.formats import detect_kind, open_document
from core.ingest.formats.blocks import MAX_PAGE_CHARS
from tests.core import formats, pdfs


def _pages(path: Path, ocr=None) -> list:
    document = open_document(path, ocr)
    try:
        return list(document.pages())
    finally:
        document.close()


def test_docx_paragraphs_headings_tables_and_page_breaks(tmp_path: Path) -> None:
    path = formats.docx(tmp_path / "report.docx", [
        ("title", "Harbour report"),
        ("p", "The ferry to Gull Island leaves at 06:45 every weekday."),
        ("table", [["Route", "Departs", "Fare"], ["Gull Island", "06:45", "£4.20"], ["North Pier", "07:10", "£2.80"]]),
        ("pagebreak-p", "第二部分：渡轮票价自二〇二四年起上涨百分之五。"),
    ])
    first, second = _pages(path)
    assert (first.number, second.number, first.method) == (1, 2, "text")
    assert first.text.startswith("Harbour report\n\nThe ferry to Gull Island leaves at 06:45")
    assert "Route | Departs | Fare\nGull Island | 06:45 | £4.20\nNorth Pier | 07:10 | £2.80" in first.text
    (table,) = first.tables
    assert table.header == "Route | Departs | Fare"
    assert first.text[table.start:table.end].endswith("North Pier | 07:10 | £2.80")
    assert second.text == "第二部分：渡轮票价自二〇二四年起上涨百分之五。"


def test_html_skips_scripts_keeps_headings_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>var secret = 'do not index';</script><nav>Home | About</nav>"
        "<h1>Lotus Bay Observatory</h1><p>The main mirror is <b>2.4&nbsp;m</b> wide.<br>It was cast in 1998.</p>"
        "<table><tr><th>Month</th><th>Clear nights</th></tr><tr><td>January</td><td>11</td></tr></table>"
        "<p>观测站位于莲花湾。</p></body></html>", encoding="utf-8")
    (page,) = _pages(path)
    assert page.text == ("Lotus Bay Observatory\n\nThe main mirror is 2.4 m wide.\nIt was cast in 1998.\n\n"
                         "Month | Clear nights\nJanuary | 11\n\n观测站位于莲花湾。")
    assert page.tables[0].header == "Month | Clear nights"


def test_markdown_reduces_markup_and_keeps_table_rows(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Tea cooperative\n\nFounded in **2009** by [twelve farmers](https://example.org).\n\n"
                    "| Year | Tonnes |\n|---|---:|\n| 2022 | 41 |\n| 2023 | 47 |\n\n```\ncode stays\n```\n",
                    encoding="utf-8")
    (page,) = _pages(path)
    assert page.text == ("Tea cooperative\n\nFounded in 2009 by twelve farmers.\n\nYear | Tonnes\n2022 | 41\n"
                         "2023 | 47\n\ncode stays")


def test_long_text_is_cut_into_citable_blocks_and_chinese_gb18030_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "长文.txt"
    paragraphs = [f"第{n}段：这是关于青石镇茶叶合作社的第{n}条记录，合作社成立于二〇〇九年。" * 6 for n in range(1, 41)]
    path.write_bytes("\n\n".join(paragraphs).encode("gb18030"))
    pages = _pages(path)
    assert len(pages) > 3 and all(len(p.text) <= MAX_PAGE_CHARS for p in pages)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    joined = "\n\n".join(p.text for p in pages)
    assert joined == "\n\n".join(paragraphs)  # nothing lost, nothing reordered, paragraphs kept whole


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("data.xyz", b"some bytes", UnsupportedFormat, "cannot be imported"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, UnsupportedFormat, "save it as .docx"),
        ("fake.docx", b"PK\x03\x04 not really a zip", CorruptFile, "not a valid DOCX"),
        ("fake.png", b"GIF? no, just text", CorruptFile, "not a valid PNG"),
    ],
)
def test_unsupported_and_disguised_files_get_specific_errors(tmp_path: Path, name: str, content: bytes, error,
                                                             message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        open_document(path, None)


def test_binary_file_named_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CorruptFile, match="not a text file"):
        open_document(path, None)


def test_kind_comes_from_magic_bytes_before_the_extension(tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "really_a_pdf.txt", ["Hello"])
    assert detect_kind(pdf, pdf.read_bytes()[:4096]) == "pdf"
    docx = formats.docx(tmp_path / "report.bin", [("p", "Hello")])
    assert detect_kind(docx, docx.read_bytes()[:4096]) == "docx"


def test_folder_import_picks_up_every_format_and_cites_blocks(fake_engine, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    formats.docx(folder / "ferry.docx", [("p", "The ferry to Gull Island leaves at 06:45 every weekday.")])
    (folder / "mirror.html").write_text("<p>The observatory mirror is 2.4 metres wide.</p>", encoding="utf-8")
    (folder / "tea.md").write_text("# Tea\n\nThe tea cooperative was founded in 2009.", encoding="utf-8")
    (folder / "bridge.txt").write_text("The Marlow Bridge was restored in 2019.", encoding="utf-8")
    formats.png(folder / "photo.png", "A picture of a sign: the museum opens at nine.")
    (folder / "ignored.xyz").write_text("not imported")
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [folder])
    results = {Path(f.path).name: f for f in report.files}
    assert set(results) == {"ferry.docx", "mirror.html", "tea.md", "bridge.txt", "photo.png"}
    assert all(results[n].status == "added" for n in ("ferry.docx", "mirror.html", "tea.md", "bridge.txt"))
    assert results["photo.png"].status == "failed" and "OCR is off" in results["photo.png"].error
    hit = fake_engine.search(SearchRequest("w", "ferry Gull Island", top_k=1))[0]
    assert (hit.doc, hit.page) == ("ferry.docx", 1)
    assert hit.text == "The ferry to Gull Island leaves at 06:45 every weekday." and hit.span.start == 0


@pytest.mark.ocr
def test_pictures_are_ocrd_with_boxes_in_pixels(tmp_path: Path, real_ocr) -> None:
    path = formats.png(tmp_path / "sign.png", "The museum opens at nine and closes at five.", turn=90)
    (page,) = _pages(path, real_ocr)
    assert page.method == "ocr" and page.rotation == 270 and page.ocr_confidence > 0.9
    assert "museum opens at nine" in page.text
    height, width = 1754, 1240  # A4 at 150 dpi, turned: the picture is 1754 wide, 1240 tall
    (line,) = page.lines
    x0, y0, x1, y1 = line.box
    assert 0 <= x0 < x1 <= height and 0 <= y0 < y1 <= width and (y1 - y0) > (x1 - x0)  # a sideways line is tall


def test_extract_shows_any_format_as_import_sees_it(fake_engine, tmp_path) -> None:
    note = tmp_path / "notes.md"
    note.write_text("# Herons\n\nWrite to ada@example.org about the heronry.\n", encoding="utf-8")
    (page,) = list(fake_engine.extract(note, mask_pii=True))
    assert page.method == "text" and "heronry" in page.text
    assert "ada@example.org" not in page.text and "[EMAIL]" in page.text
