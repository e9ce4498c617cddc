"""A kill -9 during an import leaves the workspace consistent; big files stream with bounded memory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.core import pdfs

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder
    from core.store.edge import EdgeStore

    marker, phase = Path(sys.argv[3]), sys.argv[4]
    calls = {"upsert": 0, "dense": 0}
    real_upsert, real_set_dense = EdgeStore.upsert, EdgeStore.set_dense

    def slow_upsert(self, chunks):
        calls["upsert"] += 1
        if phase == "parse" and calls["upsert"] == 4:  # a.pdf committed (1 batch), b.pdf half written
            marker.write_text("mid-parse")
            time.sleep(60)
        return real_upsert(self, chunks)

    def slow_set_dense(self, vectors):
        calls["dense"] += 1
        real_set_dense(self, vectors)
        # Dense vectors are computed while parsing goes on: wait until both documents are
        # committed, with dense vectors part done.
        if phase == "dense" and calls["dense"] >= 3 and len(engine.documents("w")) == 2:
            marker.write_text("mid-dense")
            time.sleep(60)

    def slow_embed(self, texts):  # so that embedding cannot catch up with parsing
        if phase == "dense":
            time.sleep(0.3)
        return real_embed(self, texts)

    real_embed = HashingEmbedder.embed_passages
    EdgeStore.upsert, EdgeStore.set_dense = slow_upsert, slow_set_dense
    HashingEmbedder.embed_passages = slow_embed
    engine = Engine.create(sys.argv[1], embedder=HashingEmbedder(), ocr=None)
    engine.create_workspace("w")
    engine.ingest("w", sys.argv[2].split(","))
    print("finished")
    """
)


def _kill_mid_import(data_dir: Path, files: list[Path], marker: Path, phase: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), ",".join(map(str, files)), str(marker), phase],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the child never reached the middle of the import"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


@pytest.mark.slow
def test_kill_9_while_parsing_leaves_documents_fully_present_or_absent(tmp_path: Path, data_dir: Path) -> None:
    small = pdfs.text_pdf(tmp_path / "a.pdf", ["A short first document about lighthouses."])
    big = pdfs.many_pages_pdf(tmp_path / "b.pdf", 120)
    _kill_mid_import(data_dir, [small, big], tmp_path / "marker", "parse")

    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    with Engine.create(data_dir, embedder=HashingEmbedder(), ocr=None) as engine:
        documents = engine.documents("w")
        assert [d.file_name for d in documents] == ["a.pdf"]
        counts = engine._workspace("w").store.chunk_counts()
        assert counts == {documents[0].doc_id: documents[0].chunks}, "orphan chunks of b.pdf must be gone"
        report = engine.ingest("w", [small, big])  # the interrupted file imports cleanly afterwards
        assert [f.status for f in report.files] == ["unchanged", "added"]
        assert {d.status for d in engine.documents("w")} == {"ready"}
        assert engine.index_status("w").complete


@pytest.mark.slow
def test_kill_9_while_embedding_keeps_documents_searchable_and_resumes(tmp_path: Path, data_dir: Path) -> None:
    small = pdfs.text_pdf(tmp_path / "a.pdf", ["A short first document about lighthouses."])
    big = pdfs.many_pages_pdf(tmp_path / "b.pdf", 60)
    _kill_mid_import(data_dir, [small, big], tmp_path / "marker", "dense")

    from core import Engine
    from core.datatypes import SearchRequest
    from core.embeddings.hashing import HashingEmbedder

    with Engine.create(data_dir, embedder=HashingEmbedder(), ocr=None) as engine:
        documents = engine.documents("w")
        assert [d.file_name for d in documents] == ["a.pdf", "b.pdf"]
        assert "indexing" in {d.status for d in documents}
        status = engine.index_status("w")
        assert 0 < status.pending_dense < status.chunks
        engine.search_mode = "hybrid-rrf"
        hits = engine.search(SearchRequest("w", "warehouse 427 crates", top_k=3))
        assert hits and all(h.doc == "b.pdf" for h in hits)  # keyword search covers pending chunks
        assert engine.complete_indexing("w") == status.pending_dense
        assert engine.index_status("w").complete
        assert {d.status for d in engine.documents("w")} == {"ready"}


MEMORY_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder
    engine = Engine.create(sys.argv[1], embedder=HashingEmbedder(), ocr=None)
    engine.create_workspace("w")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = engine.ingest("w", [sys.argv[2]])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    f = report.files[0]
    print(json.dumps({"status": f.status, "pages": f.pages, "chunks": f.chunks, "growth_kb": after - before}))
    """
)


def _import_in_child(data_dir: Path, pdf: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(data_dir), str(pdf)], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_500_page_pdf_imports_with_bounded_memory(tmp_path: Path) -> None:
    small = _import_in_child(tmp_path / "d1", pdfs.many_pages_pdf(tmp_path / "p50.pdf", 50))
    large = _import_in_child(tmp_path / "d2", pdfs.many_pages_pdf(tmp_path / "p500.pdf", 500))
    assert large["status"] == "added" and large["pages"] == 500 and large["chunks"] >= 500
    # Ten times the pages may not cost anywhere near ten times the memory: pages stream through.
    extra_mb = (large["growth_kb"] - small["growth_kb"]) / 1024
    assert extra_mb < 60, (small, large)


def test_pipeline_writes_in_bounded_batches(fake_engine, tmp_path: Path, monkeypatch) -> None:
    from core.ingest import pipeline
    from core.store.edge import EdgeStore

    sizes: list[int] = []
    real_upsert = EdgeStore.upsert
    monkeypatch.setattr(EdgeStore, "upsert", lambda self, chunks: (sizes.append(len(chunks)), real_upsert(self, chunks))[1])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.many_pages_pdf(tmp_path / "p.pdf", 40)])
    assert len(sizes) >= 3 and max(sizes) < pipeline.BATCH_CHUNKS + 20


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 80 MB filesystem (tmpfs), so the disk can really fill up. Needs root to mount."""
    mount_point = tmp_path / "tiny-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=80M", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_fails_the_import_cleanly_and_loses_nothing(tiny_disk: Path, tmp_path: Path) -> None:
    import shutil

    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    first = pdfs.text_pdf(tmp_path / "a.pdf", ["Herons and egrets wade in shallow water."])
    big = pdfs.many_pages_pdf(tmp_path / "b.pdf", 100)
    with Engine.create(tiny_disk / "data", embedder=HashingEmbedder(), ocr=None) as engine:
        engine.create_workspace("w")
        assert engine.ingest("w", [first]).files[0].status == "added"
        filler = tiny_disk / "filler"
        with open(filler, "wb") as handle:
            handle.write(b"\0" * (shutil.disk_usage(tiny_disk).free - 8 * 2**20))
        (result,) = engine.ingest("w", [big]).files
        assert result.status == "failed" and "disk holding" in result.error and "is full" in result.error
        assert [d.file_name for d in engine.documents("w")] == ["a.pdf"]
        filler.unlink()
        assert engine.ingest("w", [big]).files[0].status == "added"  # works again once space is freed
