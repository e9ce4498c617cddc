"""How much import cleaning removes from a folder of PDFs, run on demand:

    python tests/benchmarks/cleaning.py DOCS_DIR [--no-ocr] [--json]

Imports every PDF of ``DOCS_DIR`` into a throwaway workspace (hashing embedder: the counts do not
depend on the embedding model) and prints, per document and in total: pages, chunks that the
uncleaned pipeline would have made (``chunk_page`` over the extracted text), chunks indexed,
header/footer/page-number lines left out, chunks dropped by reason, and near-duplicate chunks
(indexed but collapsed in search). Also counts how many indexed chunks still contain a line that
the cleaner classified as boilerplate somewhere in the document (should be 0).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core import Engine  # noqa: E402
from core.embeddings.hashing import HashingEmbedder  # noqa: E402
from core.ingest.chunking import chunk_page  # noqa: E402
from core.ingest.pdf import extract_pages, open_pdf  # noqa: E402


def _uncleaned_chunks(path: Path) -> int:
    document = open_pdf(path)
    try:
        return sum(len(chunk_page(p.number, p.text)) for p in extract_pages(document, None))
    finally:
        document.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", type=Path)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    files = sorted(args.docs.glob("*.pdf"))
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Engine.create(tmp, embedder=HashingEmbedder(), ocr=not args.no_ocr) as engine:
        engine.create_workspace("w")
        for path in files:  # one at a time, in name order, so near-duplicates point at earlier files
            (result,) = engine.ingest("w", [path]).files
            rows.append({
                "file": path.name, "status": result.status, "pages": result.pages,
                "uncleaned_chunks_text_layer": _uncleaned_chunks(path), "chunks": result.chunks,
                "boilerplate_lines": result.boilerplate_lines, "dropped_chunks": result.dropped_chunks,
                "near_duplicate_chunks": result.near_duplicate_chunks, "duplicate_of": result.duplicate_of,
            })
    totals = {
        "files": len(rows),
        "pages": sum(r["pages"] for r in rows),
        "chunks": sum(r["chunks"] for r in rows),
        "uncleaned_chunks_text_layer": sum(r["uncleaned_chunks_text_layer"] for r in rows),
        "boilerplate_lines": sum(r["boilerplate_lines"] for r in rows),
        "dropped_chunks": {k: sum(r["dropped_chunks"].get(k, 0) for r in rows)
                           for k in ("empty", "no_words", "low_ocr_confidence")},
        "near_duplicate_chunks": sum(r["near_duplicate_chunks"] for r in rows),
        "duplicate_files": sum(r["status"] == "duplicate" for r in rows),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        json.dump({"documents": rows, "totals": totals}, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print("| document | pages | chunks (uncleaned → indexed) | boilerplate lines | dropped | near-dup |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        dropped = ", ".join(f"{k} {v}" for k, v in r["dropped_chunks"].items()) or "0"
        print(f"| {r['file']} | {r['pages']} | {r['uncleaned_chunks_text_layer']} → {r['chunks']} | "
              f"{r['boilerplate_lines']} | {dropped} | {r['near_duplicate_chunks']} |")
    print(json.dumps(totals, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
