"""Frozen dataclasses that cross the engine boundary (CLI, GUI, tests).

Only plain types live here: no Qdrant, llama.cpp, PyMuPDF or Qt object ever crosses the facade.
Instances are immutable, so any thread may read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: ``duplicate``: the same bytes (sha256) are already imported from another path (see
#: :attr:`FileResult.duplicate_of`); ``removed``: pruned because its source file no longer exists.
FileStatus = Literal["added", "unchanged", "replaced", "failed", "duplicate", "removed"]
Language = Literal["zh", "en"]
#: Where the chat model ran: in-process on the CPU or a CUDA GPU, or on a server
#: (:mod:`core.llm.openai_compat`; ``Engine.device_report()`` then names the endpoint).
Device = Literal["cpu", "cuda", "remote"]
#: A rectangle (x0, y0, x1, y1) in PDF points in the unrotated page space (PyMuPDF's
#: ``page.get_text()`` space; pictures imported as documents: their pixels). A viewer showing
#: ``page.get_pixmap()`` maps it with ``pymupdf.Rect(box) * page.rotation_matrix`` × ``dpi / 72``.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class WorkspaceInfo:
    """A workspace as listed to the user."""

    name: str
    documents: int
    chunks: int
    embedding_model: str
    created: str
    mask_pii: bool = False
    #: Where the index lives: ``embedded`` or the Qdrant server URL.
    store: str = "embedded"


@dataclass(frozen=True)
class DocumentRecord:
    """One imported document, as recorded in the workspace manifest."""

    doc_id: str
    file_name: str
    source_path: str
    sha256: str
    pages: int
    ocr_pages: int
    chunks: int
    imported: str
    #: ``indexing``: keyword-searchable, dense vectors still being computed; ``ready``: fully indexed.
    status: Literal["ready", "indexing"] = "ready"


@dataclass(frozen=True)
class FileResult:
    """What happened to one file of an import.

    The cleaning counts describe this import of the file (zero for ``unchanged``/``duplicate``):
    ``boilerplate_lines`` running header/footer/page-number lines left out of chunks,
    ``dropped_chunks`` chunks not indexed by reason (``empty``, ``no_words``,
    ``low_ocr_confidence``), ``near_duplicate_chunks`` chunks indexed but collapsed in search with
    an earlier near-identical chunk, ``pii_masked`` findings masked by kind (``EMAIL``, ``PHONE``,
    ``ID``, ``CARD``, ``IP``, ``NAME``) when the workspace masks personal data. Treat the dicts as
    read-only.
    """

    path: str
    status: FileStatus
    pages: int = 0
    ocr_pages: int = 0
    chunks: int = 0
    error: str | None = None
    duplicate_of: str | None = None
    boilerplate_lines: int = 0
    dropped_chunks: dict[str, int] = field(default_factory=dict)
    near_duplicate_chunks: int = 0
    pii_masked: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestReport:
    """The outcome of one :meth:`core.Engine.ingest` call, one entry per file found."""

    files: tuple[FileResult, ...]
    cancelled: bool = False

    def count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def boilerplate_lines(self) -> int:
        return sum(f.boilerplate_lines for f in self.files)

    @property
    def near_duplicate_chunks(self) -> int:
        return sum(f.near_duplicate_chunks for f in self.files)

    def dropped_chunks(self) -> dict[str, int]:
        """Chunks not indexed, by reason, over all files."""
        totals: dict[str, int] = {}
        for f in self.files:
            for reason, count in f.dropped_chunks.items():
                totals[reason] = totals.get(reason, 0) + count
        return totals


@dataclass(frozen=True)
class IngestProgress:
    """Latest progress of a running import (see :class:`core.cancel.ProgressSlot`)."""

    files_total: int = 0
    files_done: int = 0
    current_file: str = ""
    stage: Literal["idle", "reading", "ocr", "embedding", "writing", "migrating"] = "idle"
    pages_done: int = 0
    pages_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0
    #: Seconds left in the current stage (reading/OCR of all files, then embedding), from the
    #: throughput so far; None until there is enough to estimate from.
    eta_seconds: float | None = None


@dataclass(frozen=True)
class MigrationReport:
    """A workspace moved to another store (``Engine.migrate_workspace``): from where to where, how
    many documents and chunks were copied and verified, whether the old store was kept, and
    whether it was cancelled (then nothing changed)."""

    workspace: str
    source: str
    target: str
    documents: int
    chunks: int
    seconds: float
    source_kept: bool
    cancelled: bool = False


@dataclass(frozen=True)
class PageExtract:
    """One page as import sees it (``wenku extract``): 1-based ``page``, how its text was
    obtained (``text|ocr|mixed``), the text (after cleaning unless raw) and the OCR confidence."""

    page: int
    method: str
    text: str
    ocr_confidence: float | None = None
    boilerplate_lines: int = 0


@dataclass(frozen=True)
class IndexStatus:
    """How much of a workspace is searchable by meaning yet (see progressive indexing), and how
    much of it is searched by exact scan rather than through the HNSW index (embedded store:
    ``unindexed_vectors`` is an estimate; ``vector_index_state`` "queued"/"building" while the
    index is being built in the background, else None)."""

    chunks: int
    pending_dense: int
    unindexed_vectors: int = 0
    vector_index_state: str | None = None

    @property
    def complete(self) -> bool:
        return self.pending_dense == 0


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` into a page's extracted text."""

    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk of a document, with where it came from.

    ``score`` is the ranking score of the search mode in use; ``similarity`` the cosine between
    question and passage embeddings, the scale relevance thresholds are calibrated on. For text
    read by OCR, ``boxes`` are the OCR'd lines the passage covers (to highlight them on the page,
    see :data:`Box`) and ``ocr_confidence`` their mean recognition score (0-1).
    """

    doc_id: str
    doc: str
    page: int
    span: Span
    text: str
    score: float
    ocr: bool = False
    similarity: float = 0.0
    workspace: str = ""
    boxes: tuple[Box, ...] = ()
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Citation:
    """A marker ``[n]`` in an answer, resolved to the passage it points at.

    ``kind`` is ``page`` for a document passage, or ``faq`` for an FAQ entry (then ``doc`` is the
    FAQ file's name, ``page`` the entry's 1-based number and ``snippet`` its question).
    ``boxes`` are the OCR'd lines to highlight when the passage was read by OCR (else empty:
    highlight ``span`` in the page text).
    """

    marker: int
    doc: str
    page: int
    span: Span
    snippet: str
    workspace: str = ""
    kind: Literal["page", "faq"] = "page"
    boxes: tuple[Box, ...] = ()


@dataclass(frozen=True)
class Timings:
    """Where the time of one answer went, in seconds."""

    retrieval_s: float = 0.0
    first_token_s: float = 0.0
    total_s: float = 0.0
    tokens_per_s: float = 0.0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str


@dataclass(frozen=True)
class AskRequest:
    """A question to answer from one workspace, optionally following earlier turns.

    With a ``history``, the question is first rewritten into a standalone one (so "and in 2019?"
    retrieves what it means); :attr:`AnswerDone.standalone_question` reports the rewrite.
    """

    workspace: str
    question: str
    top_k: int = 5
    language: Language | None = None  # None: follow the question's language
    history: tuple[Turn, ...] = ()
    #: More workspaces to search together with ``workspace`` (several knowledge bases at once).
    also: tuple[str, ...] = ()

    @property
    def workspaces(self) -> tuple[str, ...]:
        return (self.workspace, *(w for w in self.also if w != self.workspace))


@dataclass(frozen=True)
class SearchRequest:
    """A query for passages in one workspace."""

    workspace: str
    query: str
    top_k: int = 5
    #: Also search the query translated into the workspace's other language (as questions are);
    #: needs the chat model, so off for plain searches.
    translate: bool = False


# --- answer events (yielded by Engine.ask, in this order: sources, tokens..., [checking], done|failed) ----


@dataclass(frozen=True)
class SourcesFound:
    """The passages the answer will be grounded on (numbered from 1 in prompt order)."""

    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class TokenDelta:
    """A piece of streamed answer text."""

    text: str


@dataclass(frozen=True)
class AnswerChecking:
    """The written answer is being checked against its passages (a few seconds on a CPU).

    Sent after the last token when the engine's answer check is on; the final event may then be
    a refusal that withdraws the streamed text, so a front end says what it is waiting for.
    """


@dataclass(frozen=True)
class YearMismatch:
    """The question names a year and the written answer names only other years (core.years)."""

    asked: tuple[str, ...]
    answered: tuple[str, ...]


@dataclass(frozen=True)
class AnswerDone:
    """The final answer with validated citations."""

    question: str
    language: Language
    answer: str
    refused: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    timings: Timings
    device: Device
    cancelled: bool = False
    standalone_question: str | None = None
    source: Literal["documents", "faq"] = "documents"
    #: For a refusal: names the question is about that the documents never mention.
    missing_names: tuple[str, ...] = ()
    #: The chat model's probability that its reply opens with the refusal sentence (None: the model
    #: cannot tell, or it was not asked). At or above the engine's answerability floor the answer
    #: is a refusal before any text is shown (``judged_unanswerable``).
    refusal_probability: float | None = None
    judged_unanswerable: bool = False
    #: The chat model's probability of "no" when asked whether the passages state its answer and
    #: the answer fits the question exactly (None: not checked). At or above the engine's
    #: verification floor the written answer is withdrawn and this is a refusal (``withdrawn``).
    unsupported_probability: float | None = None
    #: The same question asked about only the sentences the answer was copied from (see
    #: :mod:`core.sentence_check`; None: not asked). At or above the engine's sentence-check floor
    #: the answer is withdrawn too.
    sentence_doubt: float | None = None
    withdrawn: bool = False
    #: The withdrawn answer's text (for the record and the eval; not shown as an answer).
    withdrawn_answer: str | None = None
    #: Set when the answer was withdrawn because it is about other years than the question asks
    #: (before, and instead of, the model's check).
    year_mismatch: YearMismatch | None = None
    #: For a yes/no question: the model's probability that the answer is "no", asked before it
    #: answers (None: not a yes/no question, or not asked for this language). At or above the
    #: engine's yes/no floor the model is told to answer "no".
    no_probability: float | None = None


@dataclass(frozen=True)
class AnswerFailed:
    """Answering failed; the error travels as data so a stream never raises mid-way."""

    error: str
    kind: str = field(default="error")


AnswerEvent = SourcesFound | TokenDelta | AnswerChecking | AnswerDone | AnswerFailed
