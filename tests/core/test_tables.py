"""Tables on born-digital pages stay readable as rows; split tables repeat their header row."""

from __future__ import annotations

from pathlib import Path

from core.datatypes import SearchRequest
from core.ingest.chunking import chunk_page
from core.ingest.pdf import extract_pages, open_pdf
from core.ingest.tables import repeat_headers
from tests.core import pdfs

HEADER = ["Region", "2021", "2022", "2023"]
ROWS = [HEADER, ["North", "1,204", "$ 1,310", "1,422"], ["South", "987", "$ 1,005", "1,120"],
        ["East", "2,310", "$ 2,288", "2,401"], ["West", "455", "$ 498", "(12)"]]


def _page(path: Path):
    document = open_pdf(path)
    try:
        return next(iter(extract_pages(document, None)))
    finally:
        document.close()


def test_table_cells_are_joined_into_rows(tmp_path: Path) -> None:
    page = _page(pdfs.table_pdf(tmp_path / "sales.pdf", ROWS))
    assert page.text.startswith("Regional sales (in thousands)\n")
    assert "Region | 2021 | 2022 | 2023\nNorth | 1,204 | $1,310 | 1,422\nSouth | 987 | $1,005 | 1,120" in page.text
    assert "West | 455 | $498 | (12)" in page.text
    (table,) = page.tables
    assert table.header == "Region | 2021 | 2022 | 2023"
    assert page.text[table.start:table.end].endswith("West | 455 | $498 | (12)")


def test_prose_with_numbers_is_left_alone(tmp_path: Path) -> None:
    text = ("Revenue grew to 1,204 in 2021 and 1,310 in 2022.\nCosts were 987 and 1,005.\n"
            "Margins held at 12 percent.\n")
    page = _page(pdfs.text_pdf(tmp_path / "prose.pdf", [text]))
    assert page.tables == () and "|" not in page.text


def test_a_split_table_repeats_its_header_in_every_chunk(tmp_path: Path) -> None:
    rows = [HEADER] + [[f"District {n}", f"{n * 3},101", f"$ {n * 5},202", f"{n * 7},303"] for n in range(1, 41)]
    page = _page(pdfs.table_pdf(tmp_path / "long.pdf", rows))
    chunks = repeat_headers(chunk_page(page.number, page.text), page)
    assert len(chunks) >= 3
    (table,) = page.tables
    inside = [c for c in chunks if table.start < c.span.start < table.end]
    assert inside and all(c.text.startswith("Region | 2021 | 2022 | 2023 ") for c in inside)
    for chunk in inside:  # spans still point at the page text; only the header was added
        assert page.text[chunk.span.start:chunk.span.end].split("\n")[0] in chunk.text


def test_table_rows_are_what_search_finds(fake_engine, tmp_path: Path) -> None:
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.table_pdf(tmp_path / "sales.pdf", ROWS)])
    (hit,) = fake_engine.search(SearchRequest("w", "East region sales", top_k=1))
    assert "East | 2,310 | $2,288 | 2,401" in hit.text
