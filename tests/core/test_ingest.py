"""Importing PDFs: reports, re-import, replacement, bad input, folders, cancel (fast fakes + real files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.cancel import CancelToken, ProgressSlot
from core.datatypes import SearchRequest
from tests.core import pdfs

ENGLISH = [
    "The Marlow Bridge was completed in 1832 and spans the river Thames. It is a suspension bridge.",
    "The bridge was restored in 2019 at a cost of 4.5 million pounds. Traffic resumed in June 2020.",
]


def _by_name(report):
    return {Path(f.path).name: f for f in report.files}


def test_import_reports_pages_and_chunks_and_keeps_pages(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "bridge.pdf", ENGLISH)
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [pdf])
    (result,) = report.files
    assert (result.status, result.pages, result.ocr_pages, result.error) == ("added", 2, 0, None)
    assert result.chunks >= 2
    hits = fake_engine.search(SearchRequest("w", "restored in 2019 cost", top_k=1))
    assert hits[0].doc == "bridge.pdf" and hits[0].page == 2
    page_text = "2019"
    assert page_text in hits[0].text
    (record,) = fake_engine.documents("w")
    assert record.pages == 2 and record.chunks == result.chunks and len(record.sha256) == 64


def test_reimport_unchanged_is_a_noop_and_changed_file_replaces(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "bridge.pdf", ENGLISH)
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdf])
    (first,) = fake_engine.documents("w")
    again = fake_engine.ingest("w", [pdf])
    assert again.files[0].status == "unchanged"
    assert fake_engine.documents("w") == [first]

    pdfs.text_pdf(pdf, ["The Marlow Bridge was painted green in 2023 by the county council."])
    replaced = fake_engine.ingest("w", [pdf])
    assert replaced.files[0].status == "replaced"
    (second,) = fake_engine.documents("w")
    assert second.doc_id != first.doc_id and second.pages == 1
    texts = [p.text for p in fake_engine.search(SearchRequest("w", "bridge restored painted", top_k=10))]
    assert any("green" in t for t in texts)
    assert not any("4.5 million" in t for t in texts), "old chunks must be gone after replacement"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"PK\x03\x04 this is really a zip file" * 10), "not a PDF"),
        (lambda p: p.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage \x00\xff" * 20), "damaged"),
        (lambda p: pdfs.encrypted_pdf(p), "password-protected"),
    ],
    ids=["zero-byte", "renamed-zip", "corrupt", "encrypted"],
)
def test_bad_files_fail_with_a_specific_reason(fake_engine, tmp_path: Path, make, expected: str) -> None:
    bad = tmp_path / "bad.pdf"
    make(bad)
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [bad]).files
    assert result.status == "failed"
    assert expected in result.error
    assert fake_engine.documents("w") == []


def test_missing_path_is_reported(fake_engine, tmp_path: Path) -> None:
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [tmp_path / "nope.pdf"]).files
    assert result.status == "failed" and "does not exist" in result.error


def test_one_bad_file_never_aborts_a_folder(fake_engine, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    pdfs.text_pdf(folder / "a.pdf", ["Alpha document about copper mining in Chile."])
    (folder / "broken.pdf").write_bytes(b"this is not a pdf at all")
    pdfs.text_pdf(folder / "sub" / "c.PDF", ["Gamma document about tin mining in Bolivia."])
    (folder / "notes.xyz").write_text("ignored: not a kind Wenku imports")
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [folder])
    results = _by_name(report)
    assert set(results) == {"a.pdf", "broken.pdf", "c.PDF"}
    assert results["a.pdf"].status == "added" and results["c.PDF"].status == "added"
    assert results["broken.pdf"].status == "failed"
    assert {d.file_name for d in fake_engine.documents("w")} == {"a.pdf", "c.PDF"}


def test_page_without_text_and_no_ocr_is_not_ready(fake_engine, tmp_path: Path) -> None:
    scan = pdfs.scanned_pdf(tmp_path / "scan.pdf", "Only pixels here, no text layer at all.")
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [scan]).files
    assert result.status == "failed" and "no text" in result.error
    assert fake_engine.documents("w") == []


def test_cancel_keeps_finished_documents_and_drops_the_current_one(fake_engine, tmp_path: Path) -> None:
    first = pdfs.text_pdf(tmp_path / "a.pdf", ["First document about owls."])
    second = pdfs.many_pages_pdf(tmp_path / "b.pdf", 30)
    cancel = CancelToken()

    def watch(progress) -> None:
        if progress.current_file == "b.pdf" and progress.pages_done >= 10:
            cancel.cancel()

    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [first, second], progress=ProgressSlot(watch), cancel=cancel)
    assert report.cancelled
    assert [f.status for f in report.files] == ["added"]
    assert [d.file_name for d in fake_engine.documents("w")] == ["a.pdf"]
    ws = fake_engine._workspace("w")
    assert set(ws.store.chunk_counts()) == {fake_engine.documents("w")[0].doc_id}


def test_duplicate_content_under_another_name_is_not_indexed_twice(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "one.pdf", ENGLISH)
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(pdf, tmp_path / "elsewhere" / "copy.pdf")
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", [pdf, tmp_path / "elsewhere"])
    assert [f.status for f in report.files] == ["added", "duplicate"]
    assert report.files[1].duplicate_of == str(pdf.resolve())
    assert report.files[1].chunks == report.files[0].chunks  # describes the content it duplicates
    assert len(fake_engine.documents("w")) == 1


def test_remove_documents_removes_their_chunks(fake_engine, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "bridge.pdf", ENGLISH)
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdf])
    (doc,) = fake_engine.documents("w")
    fake_engine.remove_documents("w", [doc.doc_id])
    assert fake_engine.documents("w") == []
    assert fake_engine.search(SearchRequest("w", "bridge", top_k=5)) == []


def test_unreadable_file_is_reported(fake_engine, tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root can read any file; permission errors cannot be simulated")
    pdf = pdfs.text_pdf(tmp_path / "locked.pdf", ENGLISH)
    pdf.chmod(0)
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [pdf]).files
    assert result.status == "failed" and "cannot read" in result.error


def test_permission_error_while_reading_is_reported(fake_engine, tmp_path: Path, monkeypatch) -> None:
    """Root can read anything, so the OS error is injected where the file is first read."""
    import core.ingest.pipeline as pipeline

    def denied(path: Path) -> str:
        raise PermissionError(13, "Permission denied", str(path))

    pdf = pdfs.text_pdf(tmp_path / "locked.pdf", ENGLISH)
    monkeypatch.setattr(pipeline, "sha256_file", denied)
    fake_engine.create_workspace("w")
    (result,) = fake_engine.ingest("w", [pdf]).files
    assert result.status == "failed" and "cannot read the file (Permission denied)" in result.error


def test_disk_full_at_the_commit_point_loses_nothing(fake_engine, tmp_path: Path, monkeypatch) -> None:
    """ENOSPC while writing the manifest: the file fails with a clear reason, earlier documents stay."""
    import errno
    import os

    import core.workspace as workspace

    first = pdfs.text_pdf(tmp_path / "a.pdf", ["A first document about herons and egrets."])
    second = pdfs.text_pdf(tmp_path / "b.pdf", ["A second document about kingfishers."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [first])
    real_replace = os.replace

    def full_disk(src, dst):
        if str(dst).endswith("manifest.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(workspace.os, "replace", full_disk)
    (result,) = fake_engine.ingest("w", [second]).files
    assert result.status == "failed" and "disk is full" in result.error
    monkeypatch.setattr(workspace.os, "replace", real_replace)
    (kept,) = fake_engine.documents("w")
    assert kept.file_name == "a.pdf"
    assert set(fake_engine._workspace("w").store.chunk_counts()) == {kept.doc_id}
    assert not list((fake_engine.data_dir / "workspaces" / "w").glob("*.tmp"))


def test_embedding_overlaps_parsing_and_every_document_ends_ready(fake_engine, tmp_path: Path, monkeypatch) -> None:
    """Dense vectors are computed on a helper thread while later files are still being read."""
    import threading
    import time

    from core.ingest import pipeline

    embedded_during_parse = threading.Event()
    real_write = pipeline.IngestPipeline._write_document
    embedder = fake_engine._embedder
    real_embed = embedder.embed_passages

    def slow_write(self, path, doc_id, *rest):  # give the helper thread time to embed the previous file
        outcome = real_write(self, path, doc_id, *rest)
        time.sleep(0.6)
        return outcome

    def embed(texts):
        if threading.current_thread().name == "wenku-embed":
            embedded_during_parse.set()
        return real_embed(texts)

    monkeypatch.setattr(pipeline.IngestPipeline, "_write_document", slow_write)
    monkeypatch.setattr(embedder, "embed_passages", embed)
    files = [pdfs.text_pdf(tmp_path / f"{n}.pdf", [f"Document {n} is about heron number {n}."]) for n in range(3)]
    fake_engine.create_workspace("w")
    report = fake_engine.ingest("w", files)
    assert [f.status for f in report.files] == ["added"] * 3
    assert embedded_during_parse.is_set()
    assert {d.status for d in fake_engine.documents("w")} == {"ready"}
    assert fake_engine.index_status("w").pending_dense == 0


def test_embedding_failure_on_the_helper_thread_is_raised(fake_engine, tmp_path: Path, monkeypatch) -> None:
    def broken(texts):
        raise RuntimeError("embedder crashed")

    monkeypatch.setattr(fake_engine._embedder, "embed_passages", broken)
    fake_engine.create_workspace("w")
    with pytest.raises(RuntimeError, match="embedder crashed"):
        fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "a.pdf", ENGLISH)])
    (record,) = fake_engine.documents("w")
    assert record.status == "indexing"  # keyword-searchable; dense vectors resume next time
