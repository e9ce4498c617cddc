"""Does cleaning help retrieval? BM25-only recall on an eval kit with cleaning on and off, on demand:

    python tests/benchmarks/cleaning_bm25_eval.py KIT [--ocr]

Imports the kit's docs twice into throwaway data dirs with the hashing embedder (fast; BM25 ranking
does not use dense vectors) and runs the kit's questions in ``sparse`` search mode: once as
shipped (headers/footers/page numbers blanked, junk dropped, near-duplicates collapsed) and once
with the cleaning stage bypassed (page text chunked as extracted, no keyword context, no
collapsing), as the pipeline was before cleaning existed. Prints the
:mod:`core.evaluate` score table for both. Without ``--ocr`` scanned documents fail to import in
both runs alike (their questions count as misses in both).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core import Engine, evaluate  # noqa: E402
from core.cancel import CancelToken  # noqa: E402
from core.embeddings.hashing import HashingEmbedder  # noqa: E402
from core.ingest import clean  # noqa: E402
from core.store import edge  # noqa: E402


def _run(kit: Path, ocr: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Engine.create(tmp, embedder=HashingEmbedder(), ocr=ocr) as engine:
        engine.search_mode = "sparse"
        report = evaluate.run_eval(engine, kit, retrieval_only=True, limit=None, top_k=5, cancel=CancelToken())
        return dict(report["scores"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kit", type=Path)
    parser.add_argument("--ocr", action="store_true")
    args = parser.parse_args()
    cleaned = _run(args.kit, args.ocr)
    with mock.patch.object(clean.DocumentCleaner, "page_text", lambda self, page: page.text), \
         mock.patch.object(clean.DocumentCleaner, "keyword_context", lambda self, name: ""), \
         mock.patch.object(clean, "drop_reason", lambda text, confidence=None: None if text.strip() else "empty"), \
         mock.patch.object(edge, "collapse_duplicates", lambda hits, limit: list(hits)[:limit]):
        uncleaned = _run(args.kit, args.ocr)
    print("## cleaning on\n" + evaluate.markdown_table(cleaned))
    print("## cleaning off\n" + evaluate.markdown_table(uncleaned))
    print(json.dumps({"on": cleaned, "off": uncleaned}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
