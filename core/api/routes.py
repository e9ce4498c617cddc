"""Wenku's own endpoints under ``/api``: workspaces, documents, import jobs, search and ask.

Blocking engine calls run on the server's worker threads (plain ``def`` routes) or on the answer
thread of :mod:`core.api.streaming`; nothing here blocks the event loop for long.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from core.api import schemas as s
from core.api.errors import ApiProblem, status_for_kind
from core.api.jobs import ImportJobs, JobNotFound, JobSnapshot
from core.api.security import ServeOptions, path_allowed
from core.api.streaming import answer_events, cancel_on_disconnect, sse
from core.cancel import CancelToken
from core.datatypes import (
    AnswerChecking,
    AnswerDone,
    AnswerFailed,
    AskRequest,
    SearchRequest,
    SourcesFound,
    TokenDelta,
    Turn,
    WorkspaceInfo,
)
from core.engine import Engine
from core.errors import WorkspaceNotFound
from core.workspace import validate_name

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the routes use, kept on ``app.state.wenku`` (one per app)."""

    engine: Engine
    jobs: ImportJobs
    options: ServeOptions
    uploads: FsPath


def services(request: Request) -> Services:
    found: Services = request.app.state.wenku
    return found


Svc = Annotated[Services, Depends(services)]
#: A workspace name in the URL, checked as the schema's pattern says (400 otherwise).
Name = Annotated[str, Path(json_schema_extra={"pattern": s.NAME_PATTERN}, description="a workspace name"),
                 s.check_workspace_name]
FileName = Annotated[str, Query(json_schema_extra={"pattern": s.FILE_NAME_PATTERN},
                                description="the file's name, e.g. report.pdf"), s.check_file_name]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": s.ErrorBody} for code in codes}


router = APIRouter(prefix="/api", responses=error_responses(400))

def event_stream(*events: str) -> dict[str, Any]:
    """An event-stream response: each event has a name (one of ``events``) and data (JSON, or
    ``[DONE]`` at the end of an OpenAI stream)."""
    return {"text/event-stream": {"schema": {"type": "object", "required": ["data"], "properties": {
        "event": {"type": "string", "enum": list(events)}, "data": {"type": "string"}}}}}



# --- workspaces --------------------------------------------------------------------------------


@router.get("/workspaces", operation_id="listWorkspaces", tags=["workspaces"])
def list_workspaces(svc: Svc) -> s.WorkspaceList:
    return s.WorkspaceList(workspaces=[s.workspace_out(i) for i in svc.engine.list_workspaces()])


@router.post("/workspaces", status_code=201, operation_id="createWorkspace", tags=["workspaces"],
             responses=error_responses(409))
def create_workspace(body: s.WorkspaceCreate, svc: Svc) -> s.Workspace:
    created = svc.engine.create_workspace(body.name, mask_pii=body.mask_pii)
    return s.workspace_out(workspace_info(svc, created.name))


@router.get("/workspaces/{name}", operation_id="getWorkspace", tags=["workspaces"], responses=error_responses(404, 409))
def get_workspace(name: Name, svc: Svc) -> s.Workspace:
    return s.workspace_out(workspace_info(svc, name))


@router.delete("/workspaces/{name}", status_code=204, operation_id="deleteWorkspace", tags=["workspaces"],
               responses=error_responses(404, 409))
def delete_workspace(name: Name, svc: Svc) -> Response:
    """Delete a workspace and its index (never the files it was imported from)."""
    name = validate_name(name)
    busy = [j for j in svc.jobs.all() if j.workspace == name and j.state in ("queued", "running")]
    if busy:
        raise ApiProblem(409, "ImportRunning", f"an import into {name!r} is under way (job {busy[0].id}); "
                                               "cancel it or wait for it to finish")
    svc.engine.delete_workspace(name)
    shutil.rmtree(svc.uploads / name, ignore_errors=True)
    return Response(status_code=204)


@router.get("/workspaces/{name}/documents", operation_id="listDocuments", tags=["workspaces"],
            responses=error_responses(404, 409))
def list_documents(name: Name, svc: Svc) -> s.DocumentList:
    documents = svc.engine.documents(name)
    pending = svc.engine.index_status(name).pending_dense
    return s.DocumentList(workspace=validate_name(name), documents=[s.document_out(d) for d in documents],
                          pending_dense_chunks=pending)


@router.delete("/workspaces/{name}/documents/{doc_id}", status_code=204, operation_id="deleteDocument",
               tags=["workspaces"], responses=error_responses(404, 409))
def delete_document(name: Name, doc_id: str, svc: Svc) -> Response:
    if doc_id not in {d.doc_id for d in svc.engine.documents(name)}:
        raise ApiProblem(404, "DocumentNotFound", f"no document {doc_id!r} in workspace {name!r}")
    svc.engine.remove_documents(name, [doc_id])
    return Response(status_code=204)


def workspace_info(svc: Services, name: str) -> WorkspaceInfo:
    name = validate_name(name)
    svc.engine.documents(name)  # WorkspaceNotFound (404), or opens it (409 if another process has it)
    info = next((i for i in svc.engine.list_workspaces() if i.name == name), None)
    if info is None:
        raise WorkspaceNotFound(f"no workspace named {name!r}")
    return info


# --- import ------------------------------------------------------------------------------------


@router.post("/workspaces/{name}/imports", status_code=202, operation_id="importPaths", tags=["import"],
             responses=error_responses(403, 404, 409))
def import_paths(name: Name, body: s.ImportRequest, svc: Svc) -> s.ImportJob:
    """Import files and folders on the server's disk (absolute paths); poll the returned job."""
    svc.engine.documents(name)
    for raw in body.paths:
        if not path_allowed(svc.options, FsPath(raw)):
            raise ApiProblem(403, "PathNotAllowed", f"{raw} is outside the folders this server may import from "
                                                    "(wenku serve --import-root); upload the file instead")
    return s.job_out(svc.jobs.submit(validate_name(name), list(body.paths), prune=body.prune))


UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "description": "the file's bytes", "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("/workspaces/{name}/uploads", status_code=202, operation_id="uploadFile", tags=["import"],
             responses=error_responses(404, 409, 413), openapi_extra=UPLOAD_BODY)
async def upload_file(
    name: Name, filename: FileName, request: Request, svc: Svc) -> s.ImportJob:
    """Upload one file (the raw bytes as the body) and import it; poll the returned job.

    The file is kept in the data directory (``uploads/<workspace>/``) as the document's source; a
    later upload of the same name replaces it (and re-indexes it if its content changed).
    """
    workspace = validate_name(name)
    await run_in_threadpool(svc.engine.documents, workspace)
    target_dir = svc.uploads / workspace
    target_dir.mkdir(parents=True, exist_ok=True)
    size = 0
    handle, temp = tempfile.mkstemp(dir=target_dir, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > svc.options.max_upload_bytes:
                    raise ApiProblem(413, "FileTooLarge", f"uploads are limited to {svc.options.max_upload_bytes} bytes")
                out.write(chunk)
        if size == 0 and "content-type" not in request.headers:
            raise ApiProblem(400, "MissingBody", "send the file's bytes as the request body "
                                                 "(Content-Type: application/octet-stream)")
        target = target_dir / filename
        os.replace(temp, target)
    except BaseException:
        FsPath(temp).unlink(missing_ok=True)
        raise
    log.info("event=uploaded workspace=%s file=%s bytes=%d", workspace, filename, size)
    return s.job_out(svc.jobs.submit(workspace, [str(target)]))


@router.get("/imports", operation_id="listImports", tags=["import"])
def list_imports(svc: Svc) -> s.ImportJobList:
    return s.ImportJobList(jobs=[s.job_out(j) for j in svc.jobs.all()])


@router.get("/imports/{job_id}", operation_id="getImport", tags=["import"], responses=error_responses(404))
def get_import(job_id: str, svc: Svc) -> s.ImportJob:
    return s.job_out(_job(svc, job_id, cancel=False))


@router.post("/imports/{job_id}/cancel", operation_id="cancelImport", tags=["import"], responses=error_responses(404))
def cancel_import(job_id: str, svc: Svc) -> s.ImportJob:
    """Stop an import at its next safe point; documents already committed stay."""
    return s.job_out(_job(svc, job_id, cancel=True))


def _job(svc: Services, job_id: str, *, cancel: bool) -> JobSnapshot:
    try:
        return svc.jobs.cancel(job_id) if cancel else svc.jobs.get(job_id)
    except JobNotFound:
        raise ApiProblem(404, "JobNotFound", f"no import job {job_id!r}") from None


# --- search and ask ----------------------------------------------------------------------------


@router.post("/workspaces/{name}/search", operation_id="search", tags=["answers"], responses=error_responses(404, 409))
def search(name: Name, body: s.SearchBody, svc: Svc) -> s.SearchResult:
    """The best passages for a query: one per page, with document, page and span."""
    passages = svc.engine.search(SearchRequest(name, body.query, body.top_k))
    return s.SearchResult(workspace=validate_name(name), query=body.query,
                          passages=[s.passage_out(p) for p in passages],
                          pending_dense_chunks=svc.engine.index_status(name).pending_dense)


@router.post("/workspaces/{name}/ask", operation_id="ask", tags=["answers"], response_model=s.Answer,
             responses={**error_responses(404, 409, 503), 200: {"content": event_stream("sources", "token", "checking", "done", "failed"), "description": (
                 "the answer as JSON, or with `stream: true` Server-Sent Events: `sources` (passages), "
                 "`token` (text), `checking` (the answer is being checked against the passages; a "
                 "withdrawn answer ends as a refusal), then `done` (the answer, as the JSON body) or `failed` (an error)")}})
async def ask(name: Name, body: s.AskBody, request: Request, svc: Svc) -> Any:
    """Answer a question from the workspace's documents, with citations [n] → document, page, span."""
    ask_request = AskRequest(name, body.question, top_k=body.top_k, language=body.language,
                             history=tuple(Turn(t.question, t.answer) for t in body.history), also=tuple(body.also))
    await run_in_threadpool(check_workspaces, svc.engine, ask_request.workspaces)
    cancel = CancelToken()
    if body.stream:
        return StreamingResponse(_answer_stream(svc.engine, ask_request, cancel, request),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    done = await final_answer(svc.engine, ask_request, cancel, request)
    return s.answer_out(done)


def check_workspaces(engine: Engine, names: tuple[str, ...]) -> None:
    """Raise WorkspaceNotFound (404) before answering, rather than failing inside a stream."""
    for workspace in names:
        engine.documents(workspace)


async def final_answer(engine: Engine, request: AskRequest, cancel: CancelToken, http: Request) -> AnswerDone:
    """The final event of an answer, or the failure as an ApiProblem with its status."""
    async with cancel_on_disconnect(http.receive, cancel):
        async for event in answer_events(engine, request, cancel):
            if isinstance(event, AnswerFailed):
                raise ApiProblem(status_for_kind(event.kind), event.kind, event.error)
            if isinstance(event, AnswerDone):
                return event
    raise ApiProblem(500, "AnswerMissing", "the answer ended without a result")


async def _answer_stream(engine: Engine, request: AskRequest, cancel: CancelToken, http: Request) -> AsyncIterator[str]:
    async with cancel_on_disconnect(http.receive, cancel):
        async for event in answer_events(engine, request, cancel):
            if isinstance(event, SourcesFound):
                yield sse("sources", s.SourcesEvent(passages=[s.passage_out(p) for p in event.passages]).model_dump())
            elif isinstance(event, TokenDelta):
                yield sse("token", {"text": event.text})
            elif isinstance(event, AnswerChecking):
                yield sse("checking", {})
            elif isinstance(event, AnswerDone):
                yield sse("done", s.answer_out(event).model_dump())
            else:
                detail = s.ErrorDetail(message=event.error, type=event.kind, code=status_for_kind(event.kind))
                yield sse("failed", detail.model_dump())
