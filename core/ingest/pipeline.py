"""The import pipeline: files → pages → chunks → store (keyword-searchable), one document at a time.

Runs on the engine's import worker thread. Memory stays bounded whatever the file size: pages are
read one at a time and chunks are written in batches of :data:`BATCH_CHUNKS`. Chunks are written
with BM25 vectors only and the document is committed as ``indexing``; dense vectors are added
afterwards by :mod:`core.ingest.dense` (progressive indexing: embedding is the slow step).

Atomicity per document (see :mod:`core.workspace`): points go in under a fresh ``doc_id``, are
flushed, then the manifest entry is committed, then the points of the version it replaces are
deleted. A failure or cancel mid-document deletes the fresh points again; a kill leaves orphans
that the next open removes. One bad file never aborts the batch: its error goes into the report.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.datatypes import DocumentRecord, FileResult, FileStatus, IngestReport
from core.errors import DiskFull, IngestError, NoTextFound, SourceMissing, StoreError
from core.fileio import sha256_file
from core.ingest import IngestContext
from core.ingest.chunking import Chunk
from core.ingest.clean import CleaningStats, DocumentCleaner
from core.ingest.eta import ThroughputEta
from core.ingest.formats import SUPPORTED_SUFFIXES, open_document
from core.ingest.neardup import NearDupAnnotator
from core.ingest.ocr import OcrEngine
from core.ingest.page import PageText
from core.store import ChunkRecord
from core.workspace import now_iso

log = logging.getLogger(__name__)

BATCH_CHUNKS = 32
#: Below this much free space an import stops before writing: Qdrant Edge writes through memory
#: maps, and a memory-mapped write on a full disk kills the process (SIGBUS) instead of raising.
MIN_FREE_BYTES = 64 * 1024 * 1024
_POINT_NAMESPACE = uuid.UUID("6f1c0d1e-8a55-4c3e-9a57-2f0b5e7d9c41")


class _Cancelled(Exception):
    """Raised inside a document when the cancel token is set; never escapes the pipeline."""


@dataclass(frozen=True)
class _Outcome:
    pages: int
    ocr_pages: int
    chunks: int
    cleaning: CleaningStats = field(default_factory=CleaningStats)
    near_duplicates: int = 0


def expand_paths(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """Each file to import, or a (path, error) pair for a path that cannot be used.

    Folders are searched recursively for supported files (PDF, DOCX, HTML, Markdown, text,
    pictures; see :mod:`core.ingest.formats`; hidden files and folders skipped); a file named
    explicitly is always tried, whatever its extension, so a bad file gets a specific error.
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            try:
                found = sorted(
                    p for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            except OSError as error:
                yield path, f"{path}: cannot read the folder ({error.strerror})"
                continue
            yield from ((p, None) for p in found)
        elif path.is_file():
            yield path, None
        elif path.exists():
            yield path, f"{path}: not a regular file"
        else:
            yield path, f"{path}: the path does not exist"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def ensure_free_space(path: Path, needed: int = MIN_FREE_BYTES) -> None:
    """Raise :class:`DiskFull` before a write when the disk holding ``path`` is nearly full."""
    free = shutil.disk_usage(path).free
    if free < needed:
        raise DiskFull(
            f"the disk holding {path} is full ({free / 2**20:.0f} MB free; importing needs at least "
            f"{needed / 2**20:.0f} MB): free some space and import again"
        )


def _record(point_id: str, doc_id: str, file_name: str, chunk: Chunk, page: PageText,
            keyword_context: str = "") -> ChunkRecord:
    """The stored form of a chunk; text read by OCR carries the boxes of its lines and their score."""
    lines = page.lines_in(chunk.span)
    confidence = sum(line.confidence for line in lines) / len(lines) if lines else page.ocr_confidence
    return ChunkRecord(
        point_id=point_id,
        doc_id=doc_id,
        file_name=file_name,
        page=chunk.page,
        span=chunk.span,
        text=chunk.text,
        ocr=bool(lines) or page.method == "ocr",
        vector=None,
        boxes=tuple(line.box for line in lines),
        ocr_confidence=confidence if lines or page.method == "ocr" else None,
        keyword_context=keyword_context,
    )


class IngestPipeline:
    """Imports files into one open workspace. Not thread-safe: one pipeline per import call."""

    def __init__(self, context: IngestContext, ocr: OcrEngine | None) -> None:
        self._folder = context.folder
        self._store = context.store
        self._lock = context.lock
        self._progress = context.progress
        self._cancel = context.cancel
        self._ocr = ocr
        self._mask_pii = bool(context.folder.settings.get("mask_pii", False))
        self._eta = ThroughputEta(0)
        self._current_size = 0

    def run(self, paths: Sequence[str | Path], *, before: Sequence[FileResult] = ()) -> IngestReport:
        """Import ``paths``; ``before`` are results to report first (e.g. pruned documents)."""
        items = list(expand_paths(paths))
        sizes = [_size(path) for path, _ in items]
        self._eta = ThroughputEta(sum(sizes))
        self._progress.update(files_total=len(items), files_done=0, stage="reading", eta_seconds=None)
        results: list[FileResult] = list(before)
        for index, (path, problem) in enumerate(items):
            if self._cancel.cancelled:
                return IngestReport(tuple(results), cancelled=True)
            self._current_size = sizes[index]
            self._progress.update(current_file=path.name, files_done=index, pages_done=0, pages_total=0)
            result = FileResult(str(path), "failed", error=problem) if problem else self._import_file(path)
            if result is None:  # cancelled mid-document: nothing of it was kept
                return IngestReport(tuple(results), cancelled=True)
            if result.status in ("added", "replaced"):
                self._eta.finish(sizes[index])
            else:
                self._eta.skip(sizes[index])
            results.append(result)
        self._progress.update(files_done=len(items), stage="idle", current_file="")
        return IngestReport(tuple(results))

    def _import_file(self, path: Path) -> FileResult | None:
        source = str(path.resolve())
        try:
            sha = sha256_file(path)
        except OSError as error:
            return FileResult(source, "failed", error=str(SourceMissing(f"{path}: cannot read the file ({error.strerror})")))
        previous = self._folder.find_by_source(source)
        if previous is not None and previous.sha256 == sha:
            return FileResult(source, "unchanged", previous.pages, previous.ocr_pages, previous.chunks)
        same_content = self._folder.find_by_sha(sha)
        if same_content is not None:
            return self._duplicate(source, same_content, previous)

        doc_id = uuid.uuid4().hex
        try:
            outcome = self._write_document(path, doc_id, [previous.doc_id] if previous else [])
        except _Cancelled:
            self._discard(doc_id)
            return None
        except (IngestError, StoreError) as error:
            self._discard(doc_id)
            return FileResult(source, "failed", error=str(error))
        except Exception as error:  # one bad file never aborts the batch
            log.exception("event=ingest_failed path=%s", path)
            self._discard(doc_id)
            return FileResult(source, "failed", error=f"{path.name}: unexpected error while importing ({error})")

        record = DocumentRecord(
            doc_id=doc_id,
            file_name=path.name,
            source_path=source,
            sha256=sha,
            pages=outcome.pages,
            ocr_pages=outcome.ocr_pages,
            chunks=outcome.chunks,
            imported=now_iso(),
            status="indexing",
        )
        self._progress.update(stage="writing")
        try:
            with self._lock:
                self._folder.commit(add=record, remove=[previous.doc_id] if previous else [])
        except (OSError, StoreError) as error:  # e.g. the disk filled up at the commit point
            self._discard(doc_id)
            return FileResult(source, "failed", error=f"{path.name}: {error}")
        if previous is not None:
            with self._lock:
                self._store.delete_documents([previous.doc_id])
                self._store.flush()
        status: FileStatus = "replaced" if previous is not None else "added"
        log.info("event=ingested path=%s status=%s pages=%d chunks=%d", path, status, outcome.pages, outcome.chunks)
        cleaning = outcome.cleaning
        return FileResult(source, status, outcome.pages, outcome.ocr_pages, outcome.chunks,
                          boilerplate_lines=cleaning.boilerplate_lines, dropped_chunks=dict(cleaning.dropped),
                          near_duplicate_chunks=outcome.near_duplicates, pii_masked=dict(cleaning.pii))

    def _duplicate(self, source: str, original: DocumentRecord, previous: DocumentRecord | None) -> FileResult:
        """The same bytes are already imported from another path: say so, index nothing.

        If this path held another version before, that version is stale now and is removed.
        """
        if previous is not None:
            with self._lock:
                self._folder.commit(remove=[previous.doc_id])
                self._store.delete_documents([previous.doc_id])
                self._store.flush()
        log.info("event=duplicate path=%s original=%s", source, original.source_path)
        return FileResult(source, "duplicate", original.pages, original.ocr_pages, original.chunks,
                          duplicate_of=original.source_path)

    def _write_document(self, path: Path, doc_id: str, replaces: list[str]) -> _Outcome:
        document = open_document(path, self._ocr)
        neardup = NearDupAnnotator(self._store, replaces)
        try:
            self._progress.update(pages_total=document.page_count, stage="reading")
            cleaner = (DocumentCleaner.for_document(document.pdf, mask_pii=self._mask_pii) if document.pdf is not None
                       else DocumentCleaner(None, mask_pii=self._mask_pii))
            context = cleaner.keyword_context(path.name)
            pages = ocr_pages = written = 0
            batch: list[tuple[Chunk, PageText]] = []
            for page in document.pages():
                if self._cancel.cancelled:
                    raise _Cancelled
                pages += 1
                ocr_pages += page.method in ("ocr", "mixed")
                batch.extend((chunk, page) for chunk in cleaner.chunks(page))
                self._progress.update(pages_done=pages, stage="ocr" if page.method != "text" else "reading",
                                      eta_seconds=self._eta.seconds_left(self._current_size * pages / document.page_count))
                if len(batch) >= BATCH_CHUNKS:
                    written += self._write_batch(doc_id, path.name, batch, written, neardup, context)
                    batch = []
            if batch:
                written += self._write_batch(doc_id, path.name, batch, written, neardup, context)
        finally:
            document.close()
        if written == 0:
            reason = cleaner.stats.no_text_reason(self._ocr is not None)
            raise NoTextFound(f"{path.name}: no text could be extracted ({reason})")
        with self._lock:
            self._store.flush()
        return _Outcome(pages, ocr_pages, written, cleaner.stats, neardup.duplicates)

    def _write_batch(self, doc_id: str, file_name: str, chunks: list[tuple[Chunk, PageText]], first_index: int,
                     neardup: NearDupAnnotator, keyword_context: str = "") -> int:
        if self._cancel.cancelled:
            raise _Cancelled
        ensure_free_space(self._folder.path)
        records = [
            _record(str(uuid.uuid5(_POINT_NAMESPACE, f"{doc_id}:{first_index + i}")), doc_id, file_name, chunk, page,
                    keyword_context)
            for i, (chunk, page) in enumerate(chunks)
        ]
        with self._lock:
            self._store.upsert(neardup.annotate(records))
        return len(records)

    def _discard(self, doc_id: str) -> None:
        try:
            with self._lock:
                self._store.delete_documents([doc_id])
                self._store.flush()
        except StoreError:
            log.exception("event=discard_failed doc_id=%s (orphans are removed at next open)", doc_id)
