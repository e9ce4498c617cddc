"""The Qdrant server adapter, against qdrant-client's local mode (no server can run here), beside
the embedded shard: same behaviour, same ranks; workspaces on a server; migration both ways."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from core.datatypes import SearchRequest, Span
from core.errors import MigrationFailed, StoreError, StoreUnavailable
from core.store import ChunkRecord
from core.store.edge import EdgeStore
from core.store.qdrant_server import QdrantServerStore, ServerLocation, make_client
from tests.conftest import REPO, SCRIPTED_CLI
from tests.core import pdfs

DIM = 16
TEXTS = [
    "Invoice 88231 was paid by the Harlow Trading Company on 3 May.",
    "Our warehouse in Leeds stores spare parts for tractors and harvesters.",
    "发票编号七七四二由青石贸易公司于五月三日支付。",
    "The quarterly report describes revenue growth in the farming equipment segment.",
    "Tractor sales in Leeds rose while harvester parts were scarce in the warehouse.",
    "青石镇茶叶合作社成立于一九八八年，种植绿茶。",
    "A lighthouse keeper logged 412 ships passing the rocks in 1911.",
    "The spare parts catalogue lists 88 tractor models and their harvester attachments.",
]


def _records(with_dense: bool = True) -> list[ChunkRecord]:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((len(TEXTS), DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        ChunkRecord(str(uuid.uuid5(uuid.NAMESPACE_URL, f"c{i}")), f"doc{i % 3}", f"report_{i % 3}.pdf", i + 1,
                    Span(0, len(text)), text, ocr=(i == 2), vector=vectors[i].tolist() if with_dense or i % 2 else None,
                    boxes=((10.0, 20.0, 300.5, 34.25),) if i == 2 else (), ocr_confidence=0.912 if i == 2 else None,
                    dup_group="g1" if i in (1, 4) else "")
        for i, text in enumerate(TEXTS)
    ]


@pytest.fixture(params=["edge", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "edge":
        opened = EdgeStore(tmp_path / "shard", DIM)
    else:
        opened = QdrantServerStore(ServerLocation(f"local:{tmp_path / 'qdrant'}"), "wenku_test", DIM, create=True)
    yield opened
    opened.close()


@pytest.fixture
def both(tmp_path: Path):
    edge = EdgeStore(tmp_path / "shard", DIM)
    server = QdrantServerStore(ServerLocation(":memory:"), "wenku_test", DIM, create=True)
    yield edge, server
    edge.close()
    server.close()


# --- the adapter, beside the embedded shard ----------------------------------------------------


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid-rrf", "hybrid-dbsf"])
def test_both_stores_rank_alike_in_every_mode(both, mode: str) -> None:
    """BM25 is encoded client-side by the same model, so ranks and scores agree with the shard."""
    records = _records()
    query = np.array(records[4].vector) + 0.3 * np.array(records[1].vector)
    query /= np.linalg.norm(query)
    results = []
    for store in both:
        store.upsert(records)
        results.append([(h.page, round(h.score, 4), round(h.similarity or 0, 4))
                        for h in store.search(query.tolist(), "tractor harvester parts Leeds", 5, mode)])
    assert results[0] == results[1]
    assert results[0]


def test_payload_round_trips_with_boxes_confidence_and_duplicates_collapsed(store) -> None:
    store.upsert(_records())
    (ocr_chunk,) = store.document_chunks("doc2")[:1]
    assert ocr_chunk.text == TEXTS[2] and ocr_chunk.ocr
    assert ocr_chunk.boxes == ((10.0, 20.0, 300.5, 34.2),) or ocr_chunk.boxes == ((10.0, 20.0, 300.5, 34.3),)
    assert ocr_chunk.ocr_confidence == pytest.approx(0.912)
    hits = store.search(_records()[1].vector, "tractor harvester warehouse Leeds", 8, "sparse")
    groups = [h.dup_group for h in hits if h.dup_group]
    assert groups == ["g1"]  # chunks 1 and 4 are one near-duplicate group: only the best is returned
    assert [h.page for h in store.document_chunks("doc1")] == [2, 5, 8]


def test_progressive_indexing_pending_and_set_dense(store) -> None:
    records = _records(with_dense=False)
    store.upsert(records)
    pending = store.pending_dense(100)
    assert store.pending_count() == len(pending) == 4
    point_id, doc_id, text = pending[0]
    assert text.endswith(TEXTS[int(next(r.page for r in records if r.point_id == point_id)) - 1])
    assert store.pending_count(doc_id) >= 1
    hits = store.search([1.0] + [0.0] * (DIM - 1), "lighthouse keeper ships", 3, "sparse")
    assert any(h.similarity is None for h in hits) or all(h.page != 7 for h in hits)
    # A vector for a point deleted meanwhile is skipped, the others are written.
    store.set_dense({point_id: [1.0] + [0.0] * (DIM - 1), str(uuid.uuid4()): [0.0] * (DIM - 1) + [1.0]})
    assert store.pending_count() == 3
    assert (point_id, doc_id, text) not in store.pending_dense(100)


def test_delete_counts_keywords_and_candidates(store) -> None:
    records = _records()
    lsh_record = ChunkRecord(str(uuid.uuid4()), "docx", "x.pdf", 1, Span(0, 4), "near copy of the tractor note", False,
                             records[0].vector, minhash="1,2:abcd", lsh=("b0:1", "b1:2"), dup_group="gx")
    store.upsert([*records, lsh_record])
    assert store.chunk_counts() == {"doc0": 3, "doc1": 3, "doc2": 2, "docx": 1}
    assert store.count() == 9
    assert store.near_duplicate_candidates(["b1:2", "b9:9"], []) == [("gx", "1,2", "abcd")]
    assert store.near_duplicate_candidates(["b1:2"], ["docx"]) == []
    assert store.keyword_texts("the", 5) is None  # a stop word has no token
    texts = store.keyword_texts("lighthouse", 5)
    assert texts and texts[0] == TEXTS[6]
    store.delete_documents(["doc0", "docx"])
    store.flush()
    assert store.chunk_counts() == {"doc1": 3, "doc2": 2}


def test_text_samples_give_a_few_texts_of_every_document_in_one_pass(store) -> None:
    store.upsert(_records())
    samples = store.text_samples(2)
    assert {doc: len(texts) for doc, texts in samples.items()} == {"doc0": 2, "doc1": 2, "doc2": 2}
    assert all(text in TEXTS for texts in samples.values() for text in texts)


def test_export_and_import_copy_points_exactly(both) -> None:
    edge, server = both
    edge.upsert(_records(with_dense=False))
    copied = [p for batch in edge.export_points(3) for p in batch]
    assert len(copied) == len(TEXTS) and sum(p.dense is None for p in copied) == 4
    server.import_points(copied)
    again = {p.point_id: p for batch in server.export_points(5) for p in batch}
    for point in copied:
        twin = again[point.point_id]
        assert twin.payload == point.payload and twin.sparse[0] == point.sparse[0]
        assert twin.sparse[1] == pytest.approx(point.sparse[1])
        assert (twin.dense is None) == (point.dense is None)
        if point.dense is not None:
            assert twin.dense == pytest.approx(point.dense, abs=1e-6)
    assert server.pending_count() == edge.pending_count() == 4


def test_a_missing_collection_is_an_error_not_an_empty_workspace(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no collection"):
        QdrantServerStore(ServerLocation(f"local:{tmp_path / 'q'}"), "wenku_gone", DIM)


# --- connecting to a server --------------------------------------------------------------------


def test_https_url_with_api_key_configures_the_client_without_connecting() -> None:
    """The offline guard fails the test if constructing the client touched the network."""
    client = make_client(ServerLocation("https://qdrant.example.org:6334", api_key="s3cret", timeout=7))
    remote = client._client
    assert remote.rest_uri == "https://qdrant.example.org:6334"
    assert remote._https is True and remote._api_key == "s3cret"
    assert remote._timeout == 7
    client.close()


def test_store_settings_name_the_key_but_never_hold_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.store import factory

    entry = factory.store_settings("https://qdrant.example.org:6333/")
    assert entry["url"] == "https://qdrant.example.org:6333" and entry["collection"].startswith("wenku_")
    assert entry["api_key_env"] == "WENKU_QDRANT_API_KEY" and entry["api_key_file"] is None
    monkeypatch.setenv("WENKU_QDRANT_API_KEY", "from-env")
    assert factory.api_key(entry) == "from-env"
    key_file = tmp_path / "key.txt"
    key_file.write_text("from-file\n")
    by_file = factory.store_settings("https://q.example", api_key_file=key_file)
    assert factory.api_key(by_file) == "from-file" and by_file["api_key_env"] is None
    assert "from-file" not in json.dumps(by_file) and "from-env" not in json.dumps(entry)
    with pytest.raises(factory.InvalidStore):
        factory.store_settings("ftp://nowhere")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.loopback
def test_an_unreachable_server_is_a_clear_store_unavailable_error(fake_engine) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(StoreUnavailable, match=f"cannot reach the Qdrant server at {url}"):
        QdrantServerStore(ServerLocation(url, timeout=2), "wenku_x", DIM, create=True)
    with pytest.raises(StoreUnavailable):
        fake_engine.create_workspace("remote", store=url)
    assert fake_engine.list_workspaces() == []  # nothing left behind


@pytest.mark.loopback
def test_a_server_refusing_the_api_key_is_store_unavailable_and_the_key_is_sent() -> None:
    """A stand-in server on 127.0.0.1 answers 401 to everything and records the api-key header."""
    import threading
    import warnings
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    keys: list[str | None] = []

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            keys.append(self.headers.get("api-key"))
            body = b'{"status": {"error": "Must provide an API key or an Authorization bearer token"}}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # qdrant-client warns about a key over plain http
            with pytest.raises(StoreUnavailable, match="refused the request \\(HTTP 401\\).*API key"):
                QdrantServerStore(ServerLocation(f"http://127.0.0.1:{server.server_port}", api_key="k-123", timeout=5),
                                  "wenku_x", DIM)
    finally:
        server.shutdown()
        server.server_close()
    assert keys and keys[0] == "k-123"


# --- the engine on either store ----------------------------------------------------------------

PAGES = [
    "Invoice 88231 was paid by the Harlow Trading Company on 3 May.",
    "Our warehouse in Leeds stores spare parts for tractors and harvesters.",
    "发票编号七七四二由青石贸易公司于五月三日支付。",
    "The quarterly report describes revenue growth in the farming equipment segment.",
]


@pytest.fixture(params=["embedded", "server"])
def workspace_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "embedded" if request.param == "embedded" else f"local:{tmp_path / 'qdrant-local'}"


def test_engine_imports_searches_and_reopens_on_either_store(fake_engine, tmp_path: Path, workspace_store: str) -> None:
    fake_engine.create_workspace("w", store=workspace_store)
    report = fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "mixed.pdf", PAGES, fontname="china-s")])
    assert report.files[0].status == "added"
    for mode in ("dense", "sparse", "hybrid-rrf", "hybrid-dbsf"):
        fake_engine.search_mode = mode
        assert fake_engine.search(SearchRequest("w", "invoice 88231 Harlow", top_k=2))[0].page == 1
    fake_engine.search_mode = "sparse"
    assert fake_engine.search(SearchRequest("w", "青石贸易公司", top_k=1))[0].page == 3
    info = {i.name: i for i in fake_engine.list_workspaces()}["w"]
    assert info.store == workspace_store and info.chunks == fake_engine.index_status("w").chunks
    fake_engine._close_workspace("w")  # reopen from disk / the server
    assert fake_engine.index_status("w").pending_dense == 0
    fake_engine.remove_documents("w", [d.doc_id for d in fake_engine.documents("w")])
    assert fake_engine.index_status("w").chunks == 0


def test_progressive_indexing_on_a_server_store(fake_engine, tmp_path: Path) -> None:
    from core.cancel import CancelToken, ProgressSlot

    cancel = CancelToken()
    fake_engine.create_workspace("p", store=f"local:{tmp_path / 'q'}")
    pdf = pdfs.text_pdf(tmp_path / "late.pdf", ["The lighthouse keeper logged 412 ships in 1911."])
    fake_engine.ingest("p", [pdf], progress=ProgressSlot(lambda p: p.stage == "embedding" and cancel.cancel()),
                       cancel=cancel)
    assert fake_engine.documents("p")[0].status == "indexing"
    fake_engine.search_mode = "hybrid-rrf"
    (hit,) = fake_engine.search(SearchRequest("p", "lighthouse keeper ships", top_k=1))
    assert hit.similarity > 0  # computed on the spot
    assert fake_engine.complete_indexing("p") == fake_engine.documents("p")[0].chunks
    assert fake_engine.documents("p")[0].status == "ready"


def test_deleting_a_server_workspace_drops_its_collection(fake_engine, tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "q"
    fake_engine.create_workspace("d", store=f"local:{folder}")
    settings = json.loads((data_dir / "workspaces" / "d" / "workspace.json").read_text())
    collection = settings["store"]["collection"]
    assert settings["schema"] == 2 and "api_key" not in json.dumps(settings).replace("api_key_", "")
    fake_engine.delete_workspace("d")
    client = make_client(ServerLocation(f"local:{folder}"))
    assert not client.collection_exists(collection)
    client.close()


# --- migration ----------------------------------------------------------------------------------


def _answers(engine, workspace: str) -> list[list[tuple[str, int, float]]]:
    found = []
    for mode in ("dense", "sparse", "hybrid-dbsf"):
        engine.search_mode = mode
        found.append([(p.doc, p.page, round(p.score, 4))
                      for p in engine.search(SearchRequest(workspace, "tractor spare parts Leeds invoice", top_k=4))])
    return found


def test_migrate_to_a_server_and_back_without_reembedding(fake_engine, tmp_path: Path, data_dir: Path) -> None:
    fake_engine.create_workspace("m")
    fake_engine.ingest("m", [pdfs.text_pdf(tmp_path / "a.pdf", PAGES, fontname="china-s"),
                             pdfs.many_pages_pdf(tmp_path / "b.pdf", 6)])
    before = _answers(fake_engine, "m")
    chunks = fake_engine.index_status("m").chunks
    embedded = data_dir / "workspaces" / "m" / "shard"
    calls: list[int] = []
    fake_engine._embedder.embed_passages = lambda texts: calls.append(len(texts)) or []  # type: ignore[method-assign]
    seen = []
    from core.cancel import ProgressSlot

    report = fake_engine.migrate_workspace("m", f"local:{tmp_path / 'q'}",
                                           progress=ProgressSlot(lambda p: seen.append(p.chunks_done)))
    assert (report.source, report.chunks, report.documents, report.source_kept) == ("embedded", chunks, 2, False)
    assert seen[-1] == chunks and not calls  # progress reported; nothing embedded again
    assert not embedded.exists()  # the old shard is deleted after the switch
    assert _answers(fake_engine, "m") == before
    fake_engine._close_workspace("m")
    assert _answers(fake_engine, "m") == before  # the switch is persistent
    back = fake_engine.migrate_workspace("m", "embedded", keep_source=True)
    assert back.target == "embedded" and back.source_kept
    assert _answers(fake_engine, "m") == before
    settings = json.loads((data_dir / "workspaces" / "m" / "workspace.json").read_text())
    assert settings["store"]["kind"] == "embedded" and "migrating_to" not in settings
    with pytest.raises(MigrationFailed, match="already on embedded"):
        fake_engine.migrate_workspace("m", "embedded")


def test_a_failed_verification_leaves_the_workspace_on_its_old_store(fake_engine, tmp_path: Path, data_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake_engine.create_workspace("v")
    fake_engine.ingest("v", [pdfs.many_pages_pdf(tmp_path / "b.pdf", 4)])
    before = _answers(fake_engine, "v")
    real_import = QdrantServerStore.import_points
    monkeypatch.setattr(QdrantServerStore, "import_points", lambda self, points: real_import(self, points[1:]))
    with pytest.raises(MigrationFailed, match="chunks per document differ"):
        fake_engine.migrate_workspace("v", f"local:{tmp_path / 'q'}")
    settings = json.loads((data_dir / "workspaces" / "v" / "workspace.json").read_text())
    assert "store" not in settings and "migrating_to" not in settings
    assert _answers(fake_engine, "v") == before
    fake_engine._close_workspace("v")
    assert _answers(fake_engine, "v") == before
    client = make_client(ServerLocation(f"local:{tmp_path / 'q'}"))
    assert client.get_collections().collections == []  # the half-written target is gone
    client.close()


def test_a_cancelled_migration_changes_nothing(fake_engine, tmp_path: Path) -> None:
    from core.cancel import CancelToken

    fake_engine.create_workspace("c")
    fake_engine.ingest("c", [pdfs.many_pages_pdf(tmp_path / "b.pdf", 3)])
    cancel = CancelToken()
    cancel.cancel()
    report = fake_engine.migrate_workspace("c", f"local:{tmp_path / 'q'}", cancel=cancel)
    assert report.cancelled and report.chunks == 0
    assert {i.name: i.store for i in fake_engine.list_workspaces()}["c"] == "embedded"


KILL_MID_MIGRATION = SCRIPTED_CLI.replace(
    "sys.exit(cli.run(sys.argv[1:]))\n",
    "import os\n"
    "engine.MIGRATE_BATCH = 2\n"
    "real = engine.stores.open_store\n"
    "def opened(*a, **k):\n"
    "    store = real(*a, **k)\n"
    "    if k.get('create'):\n"
    "        imported = store.import_points\n"
    "        def die_after_first(points):\n"
    "            imported(points)\n"
    "            os._exit(9)\n"
    "        store.import_points = die_after_first\n"
    "    return store\n"
    "engine.stores.open_store = opened\n"
    "sys.exit(cli.run(sys.argv[1:]))\n",
)


@pytest.mark.parametrize("direction", ["to-server", "to-embedded"])
def test_a_killed_migration_leaves_the_workspace_usable_on_its_old_store(tmp_path: Path, data_dir: Path,
                                                                         direction: str) -> None:
    server = f"local:{tmp_path / 'q'}"

    def cli(*args: str, script: str = SCRIPTED_CLI) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, "--data-dir", str(data_dir), *args], cwd=REPO,
                              capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})

    assert cli("create", "k", *(["--store", server] if direction == "to-embedded" else [])).returncode == 0
    pdf = pdfs.many_pages_pdf(tmp_path / "b.pdf", 3)
    assert cli("ingest", "k", str(pdf), "--no-ocr").returncode == 0
    before = json.loads(cli("search", "k", "warehouse crates", "--json").stdout)["passages"]
    target = "embedded" if direction == "to-embedded" else server
    killed = cli("migrate", "k", "--to", target, script=KILL_MID_MIGRATION)
    assert killed.returncode == 9, killed.stderr
    settings = json.loads((data_dir / "workspaces" / "k" / "workspace.json").read_text())
    assert "migrating_to" in settings  # the half-written target was recorded before writing
    after = cli("search", "k", "warehouse crates", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["passages"] == before
    settings = json.loads((data_dir / "workspaces" / "k" / "workspace.json").read_text())
    assert "migrating_to" not in settings  # cleaned up on open
    assert [p.name for p in (data_dir / "workspaces" / "k").iterdir() if p.name.startswith("shard-")] == []
    moved = cli("migrate", "k", "--to", target, "--json")  # and it can be done again
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["target"] == target
    assert json.loads(cli("search", "k", "warehouse crates", "--json").stdout)["passages"] == before


def test_cli_create_with_a_store_and_user_errors(tmp_path: Path, data_dir: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", SCRIPTED_CLI, "--data-dir", str(data_dir), *args], cwd=REPO,
                              capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})

    created = cli("create", "s", "--store", f"local:{tmp_path / 'q'}", "--api-key-env", "MY_KEY", "--json")
    assert json.loads(created.stdout) == {"created": "s", "store": f"local:{tmp_path / 'q'}"}
    settings = json.loads((data_dir / "workspaces" / "s" / "workspace.json").read_text())
    assert settings["store"]["api_key_env"] == "MY_KEY"
    bad = cli("create", "t", "--store", "ftp://x")
    assert bad.returncode == 1 and "unknown store" in bad.stderr and "Traceback" not in bad.stderr
    assert cli("migrate", "s", "--to", "embedded").returncode == 0
    assert json.loads(cli("workspaces", "--json").stdout)["workspaces"][0]["store"] == "embedded"
