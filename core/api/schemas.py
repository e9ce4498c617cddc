"""The local API's request and response bodies (pydantic), and their conversion from the
engine's dataclasses. These models are the OpenAPI schema clients see (``/openapi.json``).

Native bodies mirror :mod:`core.datatypes` field for field (``doc``, ``page``, ``span``); the
OpenAI-compatible bodies follow OpenAI's chat-completion shape, with Wenku's citations as an
extension field (``citations``: ``document``, ``page``, ``span``, ``workspace``).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from core.api.errors import status_for_kind
from core.api.jobs import JobSnapshot
from core.datatypes import (
    AnswerDone,
    Citation,
    DocumentRecord,
    FileResult,
    IngestReport,
    Passage,
    WorkspaceInfo,
)
from core.errors import InvalidWorkspaceName
from core.workspace import validate_name

MAX_TOP_K = 50
MAX_QUESTION = 4000

# --- names and paths: the rules the server enforces, stated in the schema as patterns ----------

_FORBIDDEN = r'\\/:*?"<>|\x00-\x1f\x7f'
#: A workspace name (core.workspace.validate_name), without spaces around it: 1-64 characters, no
#: path separators, colons, control characters or \ * ? " < > |, not starting with '.', no '..'.
NAME_PATTERN = rf"^(?!\.)(?!.*\.\.)[^\s{_FORBIDDEN}](?:[^{_FORBIDDEN}]{{0,62}}[^\s{_FORBIDDEN}])?$"
#: An uploaded file's name: at most 63 characters (255 bytes of UTF-8, any file system), none of
#: the characters Windows forbids, not starting with '.' or a space, not ending with one.
FILE_NAME_PATTERN = rf"^[^\s.{_FORBIDDEN}](?:[^{_FORBIDDEN}]{{0,61}}[^\s.{_FORBIDDEN}])?$"
#: An absolute path on the server's platform.
ABSOLUTE_PATH_PATTERN = r"^(?:[A-Za-z]:[\\/]|\\\\)[^\x00]*$" if os.name == "nt" else r"^/[^\x00]*$"


_NAME = re.compile(NAME_PATTERN)
_FILE_NAME = re.compile(FILE_NAME_PATTERN)
_ABSOLUTE = re.compile(ABSOLUTE_PATH_PATTERN)


def _invalid(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message})  # the text is data, not a template


def _workspace_name(value: str) -> str:
    if _NAME.fullmatch(value):
        return value
    try:
        validate_name(value)
    except InvalidWorkspaceName as error:
        raise _invalid("InvalidWorkspaceName", str(error)) from None
    raise _invalid("InvalidWorkspaceName", f"invalid workspace name {value!r}: no spaces at its start or end")


def _file_name(value: str) -> str:
    if not _FILE_NAME.fullmatch(value):
        raise _invalid("InvalidFileName", f"invalid file name {value!r}: a plain name such as report.pdf "
                                  "(at most 63 characters, no path, no \\ / : * ? \" < > |, not starting with '.')")
    return value


def _absolute_path(value: str) -> str:
    if not _ABSOLUTE.fullmatch(value):
        raise _invalid("InvalidPath", f"give an absolute path on the server, not {value!r}")
    return value


#: Validation error types that name what was wrong (the error body's ``type``); others are ``InvalidRequest``.
NAMED_VALIDATION_ERRORS = frozenset({"InvalidWorkspaceName", "InvalidFileName", "InvalidPath"})


#: Validators enforcing the patterns (pydantic's own regex engine has no look-ahead, so the
#: pattern goes into the schema as is and the check is done here with Python's).
check_workspace_name = AfterValidator(_workspace_name)
check_file_name = AfterValidator(_file_name)
WorkspaceName = Annotated[str, Field(json_schema_extra={"pattern": NAME_PATTERN}), check_workspace_name]
AbsolutePath = Annotated[str, Field(json_schema_extra={"pattern": ABSOLUTE_PATH_PATTERN}), AfterValidator(_absolute_path)]
#: Request bodies: JSON types as declared (no "5" for 5, no 0 for false).
STRICT = ConfigDict(strict=True)


def _json_integer(value: object) -> object:
    """JSON Schema counts 5.0 as an integer; strict pydantic would not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description="passages to use"), BeforeValidator(_json_integer)]


# --- errors ------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    message: str
    #: The engine's error class (``WorkspaceNotFound``, ``ModelMissing`` …) or an HTTP reason.
    type: str
    code: int = Field(description="the HTTP status code")


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


# --- workspaces and documents -----------------------------------------------------------------


class Workspace(BaseModel):
    name: str
    documents: int
    chunks: int
    embedding_model: str
    created: str
    mask_pii: bool


class WorkspaceList(BaseModel):
    workspaces: list[Workspace]


class WorkspaceCreate(BaseModel):
    model_config = STRICT
    name: WorkspaceName
    mask_pii: bool = False


class Document(BaseModel):
    doc_id: str
    file_name: str
    source_path: str
    sha256: str
    pages: int
    ocr_pages: int
    chunks: int
    imported: str
    status: Literal["ready", "indexing"]


class DocumentList(BaseModel):
    workspace: str
    documents: list[Document]
    #: Chunks still waiting for their dense vector (keyword search already covers them).
    pending_dense_chunks: int


# --- import ------------------------------------------------------------------------------------


class ImportRequest(BaseModel):
    """Files and folders on the server's disk, imported recursively (absolute paths)."""

    model_config = STRICT
    paths: list[AbsolutePath] = Field(min_length=1, max_length=1000)
    prune: bool = Field(False, description="remove documents imported from under these folders whose file is gone")


class FileOutcome(BaseModel):
    path: str
    status: Literal["added", "unchanged", "replaced", "failed", "duplicate", "removed"]
    pages: int
    ocr_pages: int
    chunks: int
    error: str | None
    duplicate_of: str | None
    boilerplate_lines: int
    dropped_chunks: dict[str, int]
    near_duplicate_chunks: int
    pii_masked: dict[str, int]


class ImportReport(BaseModel):
    files: list[FileOutcome]
    cancelled: bool


class ImportProgress(BaseModel):
    files_total: int
    files_done: int
    current_file: str
    stage: Literal["idle", "reading", "ocr", "embedding", "writing"]
    pages_done: int
    pages_total: int
    chunks_done: int
    chunks_total: int
    eta_seconds: float | None


class ImportJob(BaseModel):
    id: str
    workspace: str
    sources: list[str]
    state: Literal["queued", "running", "done", "cancelled", "failed"]
    progress: ImportProgress
    created: str
    started: str | None
    finished: str | None
    report: ImportReport | None
    error: ErrorDetail | None


class ImportJobList(BaseModel):
    jobs: list[ImportJob]


# --- search and ask ----------------------------------------------------------------------------


class Span(BaseModel):
    start: int
    end: int


class PassageOut(BaseModel):
    doc_id: str
    doc: str
    page: int
    span: Span
    text: str
    score: float
    similarity: float
    ocr: bool
    workspace: str


class SearchBody(BaseModel):
    model_config = STRICT
    query: str = Field(min_length=1, max_length=MAX_QUESTION)
    top_k: TopK = 5


class SearchResult(BaseModel):
    workspace: str
    query: str
    passages: list[PassageOut]
    pending_dense_chunks: int


class Turn(BaseModel):
    model_config = STRICT
    question: str = Field(max_length=MAX_QUESTION)
    answer: str = Field(max_length=4 * MAX_QUESTION)


class AskBody(BaseModel):
    model_config = STRICT
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    top_k: TopK = 5
    language: Literal["zh", "en"] | None = Field(None, description="answer language (default: the question's)")
    history: list[Turn] = Field(default_factory=list, max_length=50, description="earlier turns, oldest first")
    also: list[WorkspaceName] = Field(default_factory=list, max_length=10, description="more workspaces to search")
    stream: bool = Field(False, description="answer as Server-Sent Events (sources, token…, checking, done | failed)")


class CitationOut(BaseModel):
    marker: int
    doc: str
    page: int
    span: Span
    snippet: str
    workspace: str
    kind: Literal["page", "faq"]


class TimingsOut(BaseModel):
    retrieval_s: float
    first_token_s: float
    total_s: float
    tokens_per_s: float
    completion_tokens: int


class YearMismatchOut(BaseModel):
    asked: list[str]
    answered: list[str]


class Answer(BaseModel):
    question: str
    language: Literal["zh", "en"]
    answer: str
    refused: bool
    citations: list[CitationOut]
    passages: list[PassageOut]
    timings: TimingsOut
    device: Literal["cpu", "cuda", "remote"]
    cancelled: bool
    standalone_question: str | None
    source: Literal["documents", "faq"]
    missing_names: list[str]
    refusal_probability: float | None
    judged_unanswerable: bool
    #: The model's probability of "no" when it checked its own answer against the passages.
    unsupported_probability: float | None = None
    #: The same check asked about only the sentences the answer was copied from.
    sentence_doubt: float | None = None
    #: The answer was written, then withdrawn because its check doubted it (a refusal).
    withdrawn: bool = False
    #: Set when the answer was withdrawn because it named only other years than the question.
    year_mismatch: YearMismatchOut | None = None
    #: For a yes/no question: the model's probability of "no", asked before it answered.
    no_probability: float | None = None


class SourcesEvent(BaseModel):
    passages: list[PassageOut]


class TokenEvent(BaseModel):
    text: str


# --- OpenAI-compatible -------------------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    type: str
    text: str | None = Field(None, max_length=MAX_QUESTION // 4)


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: (Annotated[str, Field(max_length=MAX_QUESTION)] | Annotated[list[ContentPart], Field(max_length=4)]
              | None) = Field(None, description=f"text (at most {MAX_QUESTION} characters), or up to 4 parts")

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content[:4] if part.type == "text")
        return self.content or ""


#: What makes a conversation answerable: some user message with text (the last one is the question).
_HAS_QUESTION: dict[str, Any] = {"contains": {"type": "object", "required": ["role", "content"], "properties": {
    "role": {"const": "user"}, "content": {"type": "string", "pattern": r"\S"}}}}


class ChatCompletionRequest(BaseModel):
    """OpenAI's request shape. ``model`` names the workspace; sampling options are accepted and
    ignored (Wenku answers greedily from the passages). ``top_k`` and ``language`` are extensions.

    The question is the last user message with text; the user/assistant pairs before it are the
    conversation history; system, developer and tool messages are not used."""

    model_config = ConfigDict(extra="allow", strict=True)
    model: WorkspaceName
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=100, json_schema_extra=_HAS_QUESTION)
    stream: bool = False
    top_k: TopK = 5
    language: Literal["zh", "en"] | None = None


class ChatCitation(BaseModel):
    """Where the answer's ``[index]`` marker points."""

    index: int
    document: str
    page: int
    span: Span
    workspace: str
    snippet: str
    kind: Literal["page", "faq"]


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int
    message: ChatMessageOut
    finish_reason: Literal["stop", "length"]


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class WenkuAnswerInfo(BaseModel):
    """Extension: how Wenku answered (the final text may add markers the stream did not show)."""

    refused: bool
    answer: str
    language: Literal["zh", "en"]
    standalone_question: str | None
    cancelled: bool


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[ChatCitation]
    wenku: WenkuAnswerInfo


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: ChunkDelta
    finish_reason: Literal["stop", "length"] | None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    #: On the last chunk only (with ``finish_reason``).
    citations: list[ChatCitation] | None = None
    wenku: WenkuAnswerInfo | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "wenku"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# --- conversions -------------------------------------------------------------------------------


def workspace_out(info: WorkspaceInfo) -> Workspace:
    return Workspace(**asdict(info))


def document_out(record: DocumentRecord) -> Document:
    return Document(**asdict(record))


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(doc_id=p.doc_id, doc=p.doc, page=p.page, span=Span(start=p.span.start, end=p.span.end),
                      text=p.text, score=p.score, similarity=p.similarity, ocr=p.ocr, workspace=p.workspace)


def citation_out(c: Citation) -> CitationOut:
    return CitationOut(marker=c.marker, doc=c.doc, page=c.page, span=Span(start=c.span.start, end=c.span.end),
                       snippet=c.snippet, workspace=c.workspace, kind=c.kind)


def chat_citation(c: Citation) -> ChatCitation:
    return ChatCitation(index=c.marker, document=c.doc, page=c.page, span=Span(start=c.span.start, end=c.span.end),
                        workspace=c.workspace, snippet=c.snippet, kind=c.kind)


def answer_out(done: AnswerDone) -> Answer:
    return Answer(
        question=done.question, language=done.language, answer=done.answer, refused=done.refused,
        citations=[citation_out(c) for c in done.citations], passages=[passage_out(p) for p in done.passages],
        timings=TimingsOut(**asdict(done.timings)), device=done.device, cancelled=done.cancelled,
        standalone_question=done.standalone_question, source=done.source, missing_names=list(done.missing_names),
        refusal_probability=done.refusal_probability, judged_unanswerable=done.judged_unanswerable,
        unsupported_probability=done.unsupported_probability, sentence_doubt=done.sentence_doubt,
        withdrawn=done.withdrawn,
        year_mismatch=None if done.year_mismatch is None else YearMismatchOut(**asdict(done.year_mismatch)),
        no_probability=done.no_probability,
    )


def answer_info(done: AnswerDone) -> WenkuAnswerInfo:
    return WenkuAnswerInfo(refused=done.refused, answer=done.answer, language=done.language,
                           standalone_question=done.standalone_question, cancelled=done.cancelled)


def report_out(report: IngestReport) -> ImportReport:
    return ImportReport(files=[file_out(f) for f in report.files], cancelled=report.cancelled)


def file_out(f: FileResult) -> FileOutcome:
    return FileOutcome(**asdict(f))


def job_out(job: JobSnapshot) -> ImportJob:
    error = None
    if job.error_type is not None:
        error = ErrorDetail(message=job.error or "", type=job.error_type, code=status_for_kind(job.error_type))
    return ImportJob(
        id=job.id, workspace=job.workspace, sources=list(job.sources), state=job.state,
        progress=ImportProgress(**asdict(job.progress)), created=job.created, started=job.started,
        finished=job.finished, report=None if job.report is None else report_out(job.report), error=error,
    )
