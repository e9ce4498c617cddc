"""The HNSW index of embedded workspaces, built on a copy in another process (core.vector_index,
core.store.edge_index): real Qdrant Edge shards, real child processes. The engine's thresholds are
lowered so that a few hundred chunks get an index (Qdrant's own default needs ~6k vectors)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.datatypes import SearchRequest
from core.errors import DiskFull
from core.store import edge_index
from core.store.edge import EdgeStore
from tests.conftest import REPO, SCRIPTED_CLI
from tests.core import pdfs

WORDS = ("alpha beta gamma delta lotus bay observatory mirror harbour river copper silver tariff invoice "
         "ledger quarterly revenue margin granite willow").split()
QUERY = "lotus observatory mirror copper ledger"


def _varied_pdf(path: Path, pages: int, seed: int) -> Path:
    rng = random.Random(seed)
    bodies = ["\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) + f" {rng.randint(0, 99999)}" for _ in range(25))
              for _ in range(pages)]
    return pdfs.text_pdf(path, bodies)


@pytest.fixture
def engine(fake_engine):
    fake_engine.auto_vector_index = False  # each test builds when it wants
    fake_engine.vector_index.threshold = 50
    fake_engine.vector_index.indexing_threshold_kb = 1
    fake_engine.create_workspace("big")
    return fake_engine


def _ranked(engine, query: str = QUERY) -> list[tuple[str, int, float]]:
    return [(p.doc, p.page, round(p.score, 4)) for p in engine.search(SearchRequest("big", query, 8))]


def _shard_folder(engine) -> Path:
    return engine._workspace("big").store.path


def _shard_dirs(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "workspaces" / "big").glob("shard*") if p.is_dir())


def test_index_is_built_in_a_child_process_and_searches_rank_the_same(engine, tmp_path: Path, data_dir: Path) -> None:
    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 40, 1)])
    status = engine.index_status("big")
    assert status.chunks > 100 and status.unindexed_vectors == status.chunks
    before = _ranked(engine)

    old = _shard_folder(engine)
    result = engine.build_vector_index("big")

    assert result.startswith("built in ")
    assert engine.index_status("big").unindexed_vectors == 0
    assert _ranked(engine) == before  # the graph finds the same neighbours in so small a shard
    new = _shard_folder(engine)
    assert new != old and not old.exists() and _shard_dirs(data_dir) == [new.name]
    settings = json.loads((data_dir / "workspaces" / "big" / "workspace.json").read_text())
    assert settings["store"] == {"kind": "embedded", "folder": new.name} and new.name.startswith("shard-hnsw-")
    assert "replaced_shard" not in settings
    assert engine.build_vector_index("big").startswith("not needed")


def test_small_workspaces_are_left_to_exact_scan(engine, tmp_path: Path) -> None:
    engine.vector_index.threshold = 100_000
    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 5, 2)])
    assert engine.build_vector_index("big").startswith("not needed")
    assert engine.index_status("big").unindexed_vectors > 0


def test_imports_schedule_the_build_and_searches_run_while_it_builds(engine, tmp_path: Path, monkeypatch) -> None:
    """The child is slowed down so the build is surely running while the search happens."""
    started = threading.Event()
    real = edge_index.optimize_in_child

    def slow(folder, dimension, cancel, **kwargs):
        started.set()
        time.sleep(1.0)
        return real(folder, dimension, cancel, **kwargs)

    monkeypatch.setattr(edge_index, "optimize_in_child", slow)
    engine.auto_vector_index = True
    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 40, 3)])
    assert started.wait(30)
    assert engine.index_status("big").vector_index_state == "building"
    assert _ranked(engine)  # not blocked by the build
    assert engine.vector_index.wait("big", timeout=120)
    assert engine.vector_index.last_result["big"].startswith("built in ")
    assert engine.index_status("big").unindexed_vectors == 0


def test_writes_during_the_build_are_replayed_into_the_indexed_copy(engine, tmp_path: Path, monkeypatch) -> None:
    first = _varied_pdf(tmp_path / "first.pdf", 30, 4)
    engine.ingest("big", [first, _varied_pdf(tmp_path / "gone.pdf", 10, 5)])
    gone = next(d for d in engine.documents("big") if d.file_name == "gone.pdf")
    real = edge_index.optimize_in_child

    def with_writes(folder, dimension, cancel, **kwargs):
        seconds = real(folder, dimension, cancel, **kwargs)
        engine.remove_documents("big", [gone.doc_id])  # while the copy is being indexed
        engine.ingest("big", [_varied_pdf(tmp_path / "late.pdf", 10, 6)])
        return seconds

    monkeypatch.setattr(edge_index, "optimize_in_child", with_writes)
    assert engine.build_vector_index("big").startswith("built in ")

    store = engine._workspace("big").store
    counts = store.chunk_counts()
    names = {d.doc_id: d.file_name for d in engine.documents("big")}
    assert gone.doc_id not in counts
    assert sorted(names[doc_id] for doc_id in counts) == ["first.pdf", "late.pdf"]
    assert sum(counts.values()) == store.count() == engine.index_status("big").chunks
    assert store.pending_count() == 0  # the late document's dense vectors came through the journal too
    assert any(doc == "late.pdf" for doc, _, _ in _ranked(engine, "granite willow harbour"))


def test_closing_the_engine_kills_the_build_and_keeps_the_workspace(engine, tmp_path: Path, monkeypatch, data_dir) -> None:
    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 40, 7)])
    before = _ranked(engine)
    folder = _shard_folder(engine)
    started = threading.Event()

    def never_ending(folder_, dimension, cancel, **kwargs):
        started.set()
        while not cancel.cancelled:
            time.sleep(0.05)
        return None

    monkeypatch.setattr(edge_index, "optimize_in_child", never_ending)
    engine.vector_index.schedule("big")
    assert started.wait(30)
    assert len(_shard_dirs(data_dir)) == 2  # the live shard and the copy
    engine.close()

    assert _shard_dirs(data_dir) == [folder.name]
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    with Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=None, ocr=None) as reopened:
        reopened.auto_vector_index = False
        assert [(p.doc, p.page, round(p.score, 4)) for p in reopened.search(SearchRequest("big", QUERY, 8))] == before


def test_a_cancelled_child_is_killed(tmp_path: Path) -> None:
    """optimize_in_child itself: cancel kills the real process and reports None."""
    from core.cancel import CancelToken

    store = EdgeStore(tmp_path / "shard", 8)
    store.close()
    cancel = CancelToken()
    cancel.cancel()
    assert edge_index.optimize_in_child(tmp_path / "shard", 8, cancel) is None


def test_a_failing_child_is_reported(tmp_path: Path) -> None:
    from core.cancel import CancelToken
    from core.errors import StoreError

    EdgeStore(tmp_path / "shard", 8).close()
    with pytest.raises(StoreError, match="building the search index failed .exit code 1.: .+"):
        edge_index.optimize_in_child(tmp_path / "shard", 16, CancelToken())  # not the shard's dimension


def test_a_full_disk_skips_the_build_and_loses_nothing(engine, tmp_path: Path, monkeypatch, data_dir: Path) -> None:
    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 40, 8)])
    before = _ranked(engine)

    class Usage:
        free = 1000

    monkeypatch.setattr(edge_index.shutil, "disk_usage", lambda _path: Usage())
    result = engine.build_vector_index("big")

    assert result.startswith("failed: building the search index needs")
    assert _shard_dirs(data_dir) == [_shard_folder(engine).name]
    assert _ranked(engine) == before
    assert engine.index_status("big").unindexed_vectors > 0
    with pytest.raises(DiskFull):
        edge_index.copy_shard(_shard_folder(engine), tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_what_a_crash_leaves_is_deleted_on_open_and_nothing_else(fake_engine, data_dir: Path) -> None:
    """A copy being built (an ``shard-hnsw-*`` folder no setting names) and a replaced shard (named
    by ``replaced_shard``) are deleted when the workspace opens; any other folder is kept (a shard
    kept by ``migrate --keep-source`` is named by nothing)."""
    from core.store import factory as stores
    from core.workspace import WorkspaceFolder

    fake_engine.create_workspace("big")
    workspace = data_dir / "workspaces" / "big"
    live = fake_engine._workspace("big").store.path.name
    fake_engine.close()
    for name in ("shard-hnsw-0badc0de", "shard-replaced", "shard-kept"):
        (workspace / name / "segments").mkdir(parents=True)
    folder = WorkspaceFolder.open_existing(data_dir / "workspaces", "big")
    folder.update_settings(replaced_shard={"kind": "embedded", "folder": "shard-replaced"})
    folder.close()
    entries = [{"kind": "embedded", "folder": live}]
    assert [p.name for p in stores.leftover_shards(workspace, entries)] == ["shard-hnsw-0badc0de"]

    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    with Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=None, ocr=None) as engine:
        engine.auto_vector_index = False
        assert engine.index_status("big").chunks == 0
    assert sorted(p.name for p in workspace.iterdir() if p.is_dir()) == sorted({live, "shard-kept"})
    assert "replaced_shard" not in json.loads((workspace / "workspace.json").read_text())


def test_a_killed_app_leaves_no_half_built_copy_behind(tmp_path: Path, data_dir: Path) -> None:
    """kill -9 of a process whose build is running: the next open deletes the copy and the
    workspace opens with every chunk."""
    script = f"""
import random, sys, time
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from core import Engine
from core.embeddings.hashing import HashingEmbedder
from core.store import edge_index
from tests.core.test_vector_index import _varied_pdf

def hang(folder, dimension, cancel, **kwargs):
    print("BUILDING", flush=True)
    time.sleep(600)

edge_index.optimize_in_child = hang
engine = Engine.create(Path({str(data_dir)!r}), embedder=HashingEmbedder(), chat_model=None, ocr=None)
engine.vector_index.threshold = 50
engine.create_workspace("big")
engine.ingest("big", [_varied_pdf(Path({str(tmp_path / "a.pdf")!r}), 30, 9)])
print("CHUNKS", engine.index_status("big").chunks, flush=True)
time.sleep(600)
"""
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    lines = []
    try:
        while "BUILDING" not in lines:
            line = process.stdout.readline()
            assert line, "the child exited before building"
            lines.append(line.split()[0])
            if line.startswith("CHUNKS"):
                chunks = int(line.split()[1])
    finally:
        process.kill()
        process.wait()
    live = json.loads((data_dir / "workspaces" / "big" / "workspace.json").read_text()).get("store", {}).get("folder", "shard")
    copies = [name for name in _shard_dirs(data_dir) if name != live]
    assert len(copies) == 1

    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    with Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=None, ocr=None) as engine:
        engine.auto_vector_index = False
        assert engine.index_status("big").chunks == chunks
    assert _shard_dirs(data_dir) == [live]


def test_the_cli_waits_for_the_build_and_says_so(tmp_path: Path, data_dir: Path) -> None:
    """``wenku ingest`` of a big import waits for the index (it would die with the process);
    ``--no-vector-index`` does not."""
    script = SCRIPTED_CLI.replace(
        "sys.exit(", "real_init = engine.Engine.__init__\n"
        "def init(self, *a, **k):\n"
        "    real_init(self, *a, **k)\n"
        "    self.vector_index.threshold, self.vector_index.indexing_threshold_kb = 50, 1\n"
        "engine.Engine.__init__ = init\n"
        "sys.exit(")

    def wenku(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, "--data-dir", str(data_dir), *args], cwd=REPO,
                              capture_output=True, text=True, timeout=300)

    assert wenku("create", "big").returncode == 0
    skipped = wenku("ingest", "big", str(_varied_pdf(tmp_path / "a.pdf", 40, 10)), "--no-vector-index")
    assert skipped.returncode == 0, skipped.stderr
    assert "search index" not in skipped.stderr
    done = wenku("ingest", "big", str(_varied_pdf(tmp_path / "b.pdf", 10, 11)))
    assert done.returncode == 0, done.stderr
    assert "building the search index (HNSW) of " in done.stderr
    assert "search index: built in" in done.stderr


def test_searches_go_on_while_the_shard_is_copied_and_removals_wait(engine, tmp_path: Path, monkeypatch) -> None:
    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 30, 12), _varied_pdf(tmp_path / "b.pdf", 5, 13)])
    doomed = next(d.doc_id for d in engine.documents("big") if d.file_name == "b.pdf")
    copying, real_copy = threading.Event(), edge_index.copy_shard

    def slow_copy(live: Path, target: Path) -> None:
        copying.set()
        time.sleep(1.5)
        real_copy(live, target)

    monkeypatch.setattr(edge_index, "copy_shard", slow_copy)
    engine.vector_index.schedule("big")
    assert copying.wait(30)
    started = time.perf_counter()
    assert _ranked(engine)
    assert time.perf_counter() - started < 1.0  # not behind the copy
    engine.remove_documents("big", [doomed])  # waits for the copy, then is journaled
    assert time.perf_counter() - started > 1.0
    assert engine.vector_index.wait("big", timeout=120)
    assert engine.vector_index.last_result["big"].startswith("built in ")
    assert doomed not in engine._workspace("big").store.chunk_counts()


def test_a_failed_switch_leaves_the_workspace_on_its_old_shard(engine, tmp_path: Path, monkeypatch,
                                                                 data_dir: Path) -> None:
    from core.workspace import WorkspaceFolder

    engine.ingest("big", [_varied_pdf(tmp_path / "a.pdf", 30, 14)])
    before, live = _ranked(engine), _shard_folder(engine)
    real_update = WorkspaceFolder.update_settings

    def full_disk(self, drop=(), **changes):
        if "store" in changes:
            raise OSError(28, "No space left on device")
        return real_update(self, drop, **changes)

    monkeypatch.setattr(WorkspaceFolder, "update_settings", full_disk)
    assert engine.build_vector_index("big").startswith("failed: ")
    assert _ranked(engine) == before and _shard_folder(engine) == live
    assert engine.index_status("big").unindexed_vectors > 0
    assert _shard_dirs(data_dir) == [live.name]
    assert engine._workspace("big").store._journal is None
