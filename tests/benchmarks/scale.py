"""Vector store scale, run on demand: ``python tests/benchmarks/scale.py [--sizes 100000 1000000]``.

Imports synthetic chunks (384-d random unit vectors, synthetic English + Chinese text for BM25)
into the embedded store (Qdrant Edge, HNSW: :class:`core.store.edge.EdgeStore`) and through the
server adapter (:class:`core.store.qdrant_server.QdrantServerStore`) in qdrant-client's local mode
(pure Python brute force, in memory unless ``--local-path``: on disk it commits one SQLite
transaction per point, which made it I/O-bound at ~50 chunks/s here; no Qdrant server can be run
here), and measures for each:

* upsert rate through the adapter (BM25 encoding included, batches of 1,000), and the time until
  the points are searchable (upsert + flush) and indexed (HNSW built: Edge's ``optimize``, which
  Wenku itself never calls; up to ``--index-max`` chunks);
* p50/p95 latency of dense and hybrid (DBSF) searches of 10 results, as imported and, where built,
  with the HNSW index;
* peak RSS of the process doing it (each store and size runs in its own subprocess) and the disk
  used by its files.

Every local-mode figure is printed as a ratio against the embedded baseline measured in the same
run. Local mode is capped at ``--local-max`` chunks (default 100,000: it upserts ~700 chunks/s, so
1M would take hours and tens of GB of RAM); the capped rows say so in the table.

``--layout N`` instead compares the two ways a server could hold several workspaces: one collection
per workspace vs one shared collection with a keyword-indexed ``workspace`` payload filter, with N
chunks in 5 workspaces, in Qdrant Edge (the server's own engine, HNSW and payload index) and in
local mode. Writes ``benchmark-results/scale.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DIMENSION = 384
BATCH = 1000
EN_WORDS = 4000
ZH_WORDS = 3000
WORDS_PER_CHUNK = 40


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Corpus:
    """Deterministic synthetic chunks: unit vectors and Zipf-distributed en/zh words."""

    def __init__(self, seed: int = 0) -> None:
        import numpy as np

        self.np = np
        self.rng = np.random.default_rng(seed)
        syllables = ["ka", "lo", "mi", "ten", "ra", "vo", "shi", "an", "del", "tor", "qua", "ne", "pri", "sul", "ber"]
        self.en = ["".join(self.rng.choice(syllables, size=int(self.rng.integers(2, 4)))) + str(i % 7)
                   for i in range(EN_WORDS)]
        common = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"  # noqa: E501
        self.zh = [common[int(a)] + common[int(b)] for a, b in self.rng.integers(0, len(common), size=(ZH_WORDS, 2))]
        self.words = self.en + self.zh
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        self.p = (1 / ranks) / (1 / ranks).sum()
        self.order = self.rng.permutation(len(self.words))  # mix zh and en over the frequency ranks

    def vectors(self, count: int) -> Any:
        v = self.rng.standard_normal((count, DIMENSION)).astype(self.np.float32)
        v /= self.np.linalg.norm(v, axis=1, keepdims=True)
        return v

    def texts(self, count: int) -> list[str]:
        picks = self.order[self.rng.choice(len(self.words), size=(count, WORDS_PER_CHUNK), p=self.p)]
        words = self.words
        return [" ".join(words[i] for i in row) for row in picks]

    def queries(self, count: int) -> list[tuple[list[float], str]]:
        vectors = self.vectors(count)
        texts = [" ".join(t.split()[:4]) for t in self.texts(count)]
        return [(vectors[i].tolist(), texts[i]) for i in range(count)]


# --- one store, one size (runs in a subprocess) -----------------------------------------------


def latencies(store: Any, probes: list[tuple[list[float], str]]) -> dict[str, float]:
    """p50/p95 (ms) of dense and hybrid (DBSF) searches of 10 results."""
    found: dict[str, list[float]] = {"dense": [], "hybrid-dbsf": []}
    for vector, text in probes:
        for mode, values in found.items():
            started = time.perf_counter()
            hits = store.search(vector, text, 10, mode)
            values.append(time.perf_counter() - started)
            assert hits, f"no hits for {mode}"
    return {"dense_p50_ms": percentile(found["dense"], 0.5) * 1000,
            "dense_p95_ms": percentile(found["dense"], 0.95) * 1000,
            "hybrid_p50_ms": percentile(found["hybrid-dbsf"], 0.5) * 1000,
            "hybrid_p95_ms": percentile(found["hybrid-dbsf"], 0.95) * 1000}


def import_synthetic(store: Any, corpus: Corpus, size: int, label: str) -> float:
    """Upsert ``size`` synthetic chunks (50 per document) in batches; returns the seconds spent in
    the store (generating them is not timed)."""
    from core.datatypes import Span
    from core.store import ChunkRecord

    upsert_seconds = 0.0
    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        vectors, texts = corpus.vectors(count), corpus.texts(count)  # generated outside the timing
        records = [ChunkRecord(str(uuid.uuid4()), f"doc{(start + i) // 50}", f"synthetic-{(start + i) // 50}.pdf",
                               1 + (start + i) % 50, Span(0, len(texts[i])), texts[i], False, vectors[i].tolist())
                   for i in range(count)]
        started = time.perf_counter()
        store.upsert(records)
        upsert_seconds += time.perf_counter() - started
        if start and start % (BATCH * 50) == 0:
            print(f"  {label} {size:,}: {start:,} upserted, {start / upsert_seconds:,.0f}/s", file=sys.stderr, flush=True)
    return upsert_seconds


def measure(kind: str, size: int, work: Path, queries: int, index_max: int = 100_000) -> dict[str, Any]:
    corpus = Corpus(seed=1)
    path = work / f"{kind}-{size}"
    if kind == "edge":
        from core.store.edge import EdgeStore

        store: Any = EdgeStore(path, DIMENSION)
    else:
        from core.store.qdrant_server import QdrantServerStore, ServerLocation

        url = f"local:{path}" if kind == "local-path" else ":memory:"
        store = QdrantServerStore(ServerLocation(url), "bench", DIMENSION, create=True)
    upsert_seconds = import_synthetic(store, corpus, size, kind)
    started = time.perf_counter()
    store.flush()
    searchable = upsert_seconds + time.perf_counter() - started
    probes = corpus.queries(queries)
    before = latencies(store, probes)  # as the app has it: Wenku never calls optimize itself
    index_seconds, after = None, None
    if kind == "edge" and size <= index_max:
        started = time.perf_counter()
        store._shard.optimize()  # build HNSW as a settled index has it
        index_seconds = time.perf_counter() - started
        after = latencies(store, probes)
    store.close()
    result = {
        "kind": kind, "size": size, "upsert_per_s": size / upsert_seconds, "searchable_s": searchable,
        "indexed_s": None if index_seconds is None else searchable + index_seconds,
        **{f"unindexed_{key}": value for key, value in before.items()},
        **(after or before),
        "peak_rss_mb": peak_rss_mb(), "disk_mb": disk_mb(path) if path.exists() else None, "queries": queries,
    }
    shutil.rmtree(path, ignore_errors=True)
    return result


# --- Wenku's own background build, with searches going on ------------------------------------------


def background_build(size: int, work: Path, queries: int) -> dict[str, Any]:
    """Import ``size`` chunks into an embedded store, then let :class:`core.vector_index.VectorIndexBuilder`
    build its index (copy, child process, journal replay, swap) while this thread keeps searching
    (hybrid, under the workspace lock, as the engine does, every 50 ms). The longest search during
    the build is the longest pause (the flush or the switch hold the lock; the copy and the opening
    of the indexed copy only hold writes)."""
    import threading
    from types import SimpleNamespace

    from core.store.edge import EdgeStore
    from core.vector_index import VectorIndexBuilder

    class Folder:  # the part of core.workspace.WorkspaceFolder the builder uses
        def __init__(self, path: Path) -> None:
            self.path, self.settings = path, {"store": {"kind": "embedded", "folder": "shard"}}

        def update_settings(self, **changes: Any) -> None:
            self.settings.update(changes)

    corpus = Corpus(seed=2)
    path = work / f"background-{size}"
    folder = Folder(path)
    ws = SimpleNamespace(folder=folder, store=EdgeStore(path / "shard", DIMENSION), lock=threading.RLock(),
                         import_lock=threading.Lock(), write_gate=threading.RLock())
    import_synthetic(ws.store, corpus, size, "background")
    ws.store.flush()
    probes = corpus.queries(queries)

    def search(i: int) -> float:
        vector, text = probes[i % len(probes)]
        started = time.perf_counter()
        with ws.lock:
            assert ws.store.search(vector, text, 10, "hybrid-dbsf")
        return (time.perf_counter() - started) * 1000

    before = [search(i) for i in range(queries)]
    builder = VectorIndexBuilder(lambda name: ws if name == "bench" else None)
    started = time.perf_counter()
    builder.schedule("bench")
    during: list[float] = []
    while builder.state("bench") is not None:
        during.append(search(len(during)))
        time.sleep(0.05)
    build_s = time.perf_counter() - started
    after = [search(i) for i in range(queries)]
    outcome = builder.last_result.get("bench", "")
    steps = builder.last_timings.get("bench", {})
    builder.close()
    unindexed = ws.store.unindexed_vectors()
    ws.store.close()
    shutil.rmtree(path, ignore_errors=True)
    return {"size": size, "outcome": outcome, "build_s": build_s, "searches_during": len(during),
            "flush_pause_s": steps.get("flush_s"), "copy_s": steps.get("copy_s"), "open_s": steps.get("open_s"),
            "swap_pause_s": steps.get("swap_s"),
            "child_s": steps.get("child_s"),
            "before_p50_ms": percentile(before, 0.5), "during_p50_ms": percentile(during, 0.5) if during else None,
            "during_p95_ms": percentile(during, 0.95) if during else None, "during_max_ms": max(during, default=None),
            "after_p50_ms": percentile(after, 0.5), "after_p95_ms": percentile(after, 0.95),
            "unindexed_after": unindexed, "peak_rss_mb": peak_rss_mb()}


# --- collection per workspace vs one shared collection ------------------------------------------


def layout(total: int, work: Path, queries: int, workspaces: int = 5) -> list[dict[str, Any]]:
    """Dense and hybrid search latency in one workspace of ``workspaces``: own shard/collection vs
    one shared shard/collection filtered by a keyword-indexed ``workspace`` payload field."""
    import qdrant_edge as qe
    from qdrant_client import QdrantClient, models

    from core.store.common import Bm25Encoder
    from core.text_normalise import normalise_for_index

    corpus = Corpus(seed=2)
    bm25 = Bm25Encoder()._bm25
    vectors, texts = corpus.vectors(total), corpus.texts(total)
    sparse = [bm25.embed_document(normalise_for_index(t)) for t in texts]
    owner = [f"ws{i % workspaces}" for i in range(total)]
    probes = corpus.queries(queries)
    rows = []

    def timed(run: Any) -> tuple[float, float]:
        values = []
        for vector, text in probes:
            started = time.perf_counter()
            run(vector, bm25.embed_query(normalise_for_index(text)))
            values.append(time.perf_counter() - started)
        return percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000

    # Qdrant Edge: the server's segment engine (HNSW, payload index) embedded.
    config = qe.EdgeConfig(vectors={"dense": qe.EdgeVectorParams(size=DIMENSION, distance=qe.Distance.Cosine)},
                           sparse_vectors={"bm25": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)})

    def edge_shard(name: str, ids: list[int], tagged: bool) -> tuple[Any, float]:
        shard = qe.EdgeShard.create(str(work / name), config)
        if tagged:
            shard.update(qe.UpdateOperation.create_field_index("workspace", qe.PayloadSchemaType.Keyword))
        started = time.perf_counter()
        for s in range(0, len(ids), BATCH):
            shard.update(qe.UpdateOperation.upsert_points([
                qe.Point(id=str(uuid.uuid4()), vector={"dense": vectors[i].tolist(), "bm25": sparse[i]},
                         payload={"workspace": owner[i]} if tagged else {}) for i in ids[s:s + BATCH]]))
        shard.flush()
        shard.optimize()
        return shard, time.perf_counter() - started

    def edge_query(shard: Any, flt: Any) -> Any:
        def run(vector: list[float], query_sparse: Any) -> None:
            shard.query(qe.QueryRequest(limit=30, filter=flt, prefetches=[
                qe.Prefetch(limit=40, query=qe.Query.Nearest(vector, using="dense"), filter=flt),
                qe.Prefetch(limit=40, query=qe.Query.Nearest(query_sparse, using="bm25"), filter=flt)],
                query=qe.Fusion.Dbsf(), with_payload=True))
        return run

    own_ids = [i for i in range(total) if owner[i] == "ws0"]
    own, own_import = edge_shard("edge-own", own_ids, False)
    shared, shared_import = edge_shard("edge-shared", list(range(total)), True)
    flt = qe.Filter(must=[qe.FieldCondition(key="workspace", match=qe.MatchValue("ws0"))])
    p50, p95 = timed(edge_query(own, None))
    rows.append({"engine": "Qdrant Edge", "layout": "collection per workspace", "points_searched": len(own_ids),
                 "import_s_all_workspaces": own_import * workspaces, "hybrid_p50_ms": p50, "hybrid_p95_ms": p95})
    p50, p95 = timed(edge_query(shared, flt))
    rows.append({"engine": "Qdrant Edge", "layout": "shared + workspace filter", "points_searched": total,
                 "import_s_all_workspaces": shared_import, "hybrid_p50_ms": p50, "hybrid_p95_ms": p95})
    own.close()
    shared.close()

    # qdrant-client local mode (what the CI tests use).
    client = QdrantClient(location=":memory:")

    def local_collection(name: str, ids: list[int], tagged: bool) -> float:
        client.create_collection(name, vectors_config={"dense": models.VectorParams(size=DIMENSION,
                                 distance=models.Distance.COSINE)},
                                 sparse_vectors_config={"bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)})
        started = time.perf_counter()
        for s in range(0, len(ids), BATCH):
            client.upsert(name, points=[models.PointStruct(
                id=str(uuid.uuid4()), payload={"workspace": owner[i]} if tagged else {},
                vector={"dense": vectors[i].tolist(), "bm25": models.SparseVector(
                    indices=list(sparse[i].indices), values=list(sparse[i].values))}) for i in ids[s:s + BATCH]])
        return time.perf_counter() - started

    def local_query(name: str, flt: Any) -> Any:
        def run(vector: list[float], query_sparse: Any) -> None:
            client.query_points(name, limit=30, query_filter=flt, prefetch=[
                models.Prefetch(query=vector, using="dense", limit=40, filter=flt),
                models.Prefetch(query=models.SparseVector(indices=list(query_sparse.indices),
                                                          values=list(query_sparse.values)),
                                using="bm25", limit=40, filter=flt)],
                query=models.FusionQuery(fusion=models.Fusion.DBSF), with_payload=True)
        return run

    own_import = local_collection("own", own_ids, False)
    shared_import = local_collection("shared", list(range(total)), True)
    lflt = models.Filter(must=[models.FieldCondition(key="workspace", match=models.MatchValue(value="ws0"))])
    p50, p95 = timed(local_query("own", None))
    rows.append({"engine": "qdrant-client local mode", "layout": "collection per workspace",
                 "points_searched": len(own_ids), "import_s_all_workspaces": own_import * workspaces,
                 "hybrid_p50_ms": p50, "hybrid_p95_ms": p95})
    p50, p95 = timed(local_query("shared", lflt))
    rows.append({"engine": "qdrant-client local mode", "layout": "shared + workspace filter", "points_searched": total,
                 "import_s_all_workspaces": shared_import, "hybrid_p50_ms": p50, "hybrid_p95_ms": p95})
    client.close()
    return rows


# --- driver -----------------------------------------------------------------------------------


def run_child(kind: str, size: int, work: Path, queries: int, index_max: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, str(size), "--work", str(work), "--queries", str(queries),
               "--index-max", str(index_max)]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def table(results: list[dict[str, Any]], capped: list[tuple[int, str]]) -> str:
    lines = ["| store | chunks | upsert chunks/s | searchable after s | indexed (HNSW) after s | "
             "dense p50 / p95 ms, as imported | hybrid p50 / p95 ms, as imported | dense p50 / p95 ms, indexed | "
             "hybrid p50 / p95 ms, indexed | peak RSS MB | disk MB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    base = {r["size"]: r for r in results if r["kind"] == "edge"}

    def cell(r: dict[str, Any], key: str, fmt: str, lower: bool = True) -> str:
        value = r.get(key)
        if value is None:
            return {"indexed_s": "n/a", "disk_mb": "n/a (in memory)"}.get(key, "n/a")
        text = format(value, fmt)
        b = base.get(r["size"])
        if r["kind"] != "edge" and b and b.get(key):
            text += f" (×{value / b[key]:.2f})"
        return text

    def pair(r: dict[str, Any], p50: str, p95: str) -> str:
        if r.get("indexed_s") is None:
            return "no index (brute force)" if r["kind"] != "edge" else "not built (--index-max)"
        return f"{cell(r, p50, '.1f')} / {cell(r, p95, '.1f')}"

    for r in results:
        name = {"edge": "embedded (Qdrant Edge)", "local": "server adapter, local mode (in memory)",
                "local-path": "server adapter, local mode (on disk)"}[r["kind"]]
        lines.append(f"| {name} | {r['size']:,} | {cell(r, 'upsert_per_s', ',.0f')} | {cell(r, 'searchable_s', '.1f')} | "
                     f"{cell(r, 'indexed_s', '.1f')} | {cell(r, 'unindexed_dense_p50_ms', '.1f')} / "
                     f"{cell(r, 'unindexed_dense_p95_ms', '.1f')} | {cell(r, 'unindexed_hybrid_p50_ms', '.1f')} / "
                     f"{cell(r, 'unindexed_hybrid_p95_ms', '.1f')} | {pair(r, 'dense_p50_ms', 'dense_p95_ms')} | "
                     f"{pair(r, 'hybrid_p50_ms', 'hybrid_p95_ms')} | "
                     f"{cell(r, 'peak_rss_mb', ',.0f')} | {cell(r, 'disk_mb', ',.0f')} |")
    for size, reason in capped:
        lines.append(f"| server adapter, local mode | {size:,} | not run: {reason} | | | | | | | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--local-max", type=int, default=100_000,
                        help="largest size run through local mode (pure Python: ~700 chunks/s upsert)")
    parser.add_argument("--queries", type=int, default=100, help="search probes per embedded store")
    parser.add_argument("--local-queries", type=int, default=10, help="search probes per local-mode store")
    parser.add_argument("--index-max", type=int, default=100_000,
                        help="largest size whose HNSW index is built (Edge optimize; ~11 min for 100k on 2 busy cores)")
    parser.add_argument("--table", type=Path, default=None, metavar="JSON", help="print the table of a scale.json")
    parser.add_argument("--local-path", action="store_true",
                        help="local mode on disk (one SQLite transaction per point: I/O-bound) instead of in memory")
    parser.add_argument("--layout", type=int, default=None, metavar="N",
                        help="compare collection per workspace with one shared collection at N chunks instead")
    parser.add_argument("--background", type=int, default=None, metavar="N",
                        help="instead: Wenku's background index build at N chunks, searching all along")
    parser.add_argument("--out", type=Path, default=REPO / "benchmark-results")
    parser.add_argument("--work", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.work, args.queries, args.index_max)),
              flush=True)
        return 0
    if args.table:
        saved = json.loads(args.table.read_text())
        print(table(saved["results"], [tuple(c) for c in saved["capped"]]))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wenku-scale-", dir=os.environ.get("WENKU_BENCH_TMP")) as tmp:
        work = Path(tmp)
        if args.background:
            row = background_build(args.background, work, args.queries)
            (args.out / "background.json").write_text(json.dumps(row, indent=1))
            cell = lambda key: "–" if row[key] is None else f"{row[key]:,.2f}"  # noqa: E731
            print("| chunks | outcome | build s (copy + child + switch) | copy / open s (writes wait) | flush / switch "
                  "pause s | searches during | hybrid p50 before ms | during p50 / p95 / max ms | after p50 / p95 ms |\n"
                  "|---|---|---|---|---|---|---|---|---|")
            print(f"| {row['size']:,} | {row['outcome']} | {row['build_s']:,.1f} | {cell('copy_s')} / {cell('open_s')} | "
                  f"{cell('flush_pause_s')} / {cell('swap_pause_s')} | {row['searches_during']:,} | "
                  f"{cell('before_p50_ms')} | {cell('during_p50_ms')} / {cell('during_p95_ms')} / {cell('during_max_ms')} | "
                  f"{cell('after_p50_ms')} / {cell('after_p95_ms')} |")
            return 0
        if args.layout:
            rows = layout(args.layout, work, args.local_queries)
            (args.out / "layout.json").write_text(json.dumps(rows, indent=1))
            print("| engine | layout | points searched | import s (all workspaces) | hybrid p50 / p95 ms |\n|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['engine']} | {r['layout']} | {r['points_searched']:,} | {r['import_s_all_workspaces']:.1f} | "
                      f"{r['hybrid_p50_ms']:.1f} / {r['hybrid_p95_ms']:.1f} |")
            return 0
        results, capped = [], []
        for size in args.sizes:
            print(f"embedded store, {size:,} chunks …", file=sys.stderr, flush=True)
            results.append(run_child("edge", size, work, args.queries, args.index_max))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
            if size > args.local_max:
                measured = [r["upsert_per_s"] for r in results if r["kind"] != "edge"]
                rate = measured[-1] if measured else 700.0  # slower as the collection grows
                capped.append((size, f"local mode is pure Python (at most {rate:,.0f} chunks/s upsert here: over "
                                     f"{size / rate / 60:,.0f} min, every point held in RAM); capped by --local-max "
                                     f"{args.local_max:,}"))
                continue
            print(f"server adapter in local mode, {size:,} chunks …", file=sys.stderr, flush=True)
            results.append(run_child("local-path" if args.local_path else "local", size, work, args.local_queries,
                                     args.index_max))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    (args.out / "scale.json").write_text(json.dumps({"results": results, "capped": capped}, indent=1))
    print(table(results, capped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
