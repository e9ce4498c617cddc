"""An OpenAI-compatible face under ``/v1``: ``GET /v1/models`` lists the workspaces as models,
``POST /v1/chat/completions`` answers from the workspace the ``model`` field names.

The last message must be the user's question; earlier user/assistant pairs become the engine's
conversation history (the follow-up is rewritten into a standalone question); system messages
are ignored (Wenku's own grounded prompt decides how to answer). Answers carry ``[n]`` markers in
the content and a ``citations`` extension field (document, page, span, workspace); streaming uses
OpenAI's ``chat.completion.chunk`` events, the last chunk carrying ``citations`` and ``wenku``
(the final answer text: a refusal or added markers can differ from what was streamed).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from core.api import schemas as s
from core.api.errors import ApiProblem, status_for_kind
from core.api.routes import Svc, check_workspaces, error_responses, event_stream, final_answer, workspace_info
from core.api.streaming import answer_events, cancel_on_disconnect, sse_data
from core.cancel import CancelToken
from core.datatypes import AnswerDone, AnswerFailed, AskRequest, TokenDelta, Turn
from core.engine import Engine

router = APIRouter(prefix="/v1", tags=["openai"], responses=error_responses(400))


@router.get("/models", operation_id="listModels")
def list_models(svc: Svc) -> s.ModelList:
    """Every workspace, as a model to name in chat completions."""
    return s.ModelList(data=[s.ModelCard(id=i.name, created=_epoch(i.created)) for i in svc.engine.list_workspaces()])


@router.get("/models/{model}", operation_id="getModel", responses=error_responses(404, 409))
def get_model(model: Annotated[str, Path(json_schema_extra={"pattern": s.NAME_PATTERN}), s.check_workspace_name],
              svc: Svc) -> s.ModelCard:
    info = workspace_info(svc, model)
    return s.ModelCard(id=info.name, created=_epoch(info.created))


@router.post("/chat/completions", operation_id="createChatCompletion", response_model=s.ChatCompletion,
             responses={**error_responses(404, 409, 503), 200: {"content": event_stream("message"), "description": (
                 "a chat.completion, or with `stream: true` chat.completion.chunk events ending in `data: [DONE]`")}})
async def chat_completions(body: s.ChatCompletionRequest, request: Request, svc: Svc) -> Any:
    ask = ask_request(body)
    await run_in_threadpool(check_workspaces, svc.engine, ask.workspaces)
    cancel = CancelToken()
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        return StreamingResponse(_chunks(svc.engine, ask, cancel, request, completion_id, created, body.model),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    done = await final_answer(svc.engine, ask, cancel, request)
    tokens = done.timings.completion_tokens
    return s.ChatCompletion(
        id=completion_id, created=created, model=body.model,
        choices=[s.ChatChoice(index=0, message=s.ChatMessageOut(content=done.answer), finish_reason="stop")],
        usage=s.Usage(prompt_tokens=0, completion_tokens=tokens, total_tokens=tokens),
        citations=[s.chat_citation(c) for c in done.citations], wenku=s.answer_info(done),
    )


def ask_request(body: s.ChatCompletionRequest) -> AskRequest:
    """The engine request for a chat: the last user message, earlier pairs as history."""
    conversation = [m for m in body.messages if m.role in ("user", "assistant")]
    while conversation and not (conversation[-1].role == "user" and conversation[-1].text().strip()):
        conversation.pop()  # the question is the last user message with text
    if not conversation:
        raise ApiProblem(400, "InvalidRequest", "no question: give a user message with text")
    question = conversation[-1].text().strip()
    if len(question) > s.MAX_QUESTION:
        raise ApiProblem(400, "InvalidRequest", f"the question is longer than {s.MAX_QUESTION} characters")
    history: list[Turn] = []
    pending: str | None = None
    for message in conversation[:-1]:
        if message.role == "user":
            pending = message.text().strip()
        elif pending is not None:
            history.append(Turn(pending, message.text().strip()))
            pending = None
    return AskRequest(body.model, question, top_k=body.top_k, language=body.language, history=tuple(history[-10:]))


async def _chunks(engine: Engine, ask: AskRequest, cancel: CancelToken, http: Request, completion_id: str,
                  created: int, model: str) -> AsyncIterator[str]:
    def chunk(delta: s.ChunkDelta, finish: bool = False, done: AnswerDone | None = None) -> str:
        body = s.ChatCompletionChunk(
            id=completion_id, created=created, model=model,
            choices=[s.ChunkChoice(index=0, delta=delta, finish_reason="stop" if finish else None)],
            citations=None if done is None else [s.chat_citation(c) for c in done.citations],
            wenku=None if done is None else s.answer_info(done),
        )
        return sse_data(body.model_dump(exclude_none=True))

    streamed: list[str] = []
    yield chunk(s.ChunkDelta(role="assistant", content=""))
    async with cancel_on_disconnect(http.receive, cancel):
        async for event in answer_events(engine, ask, cancel):
            if isinstance(event, TokenDelta):
                streamed.append(event.text)
                yield chunk(s.ChunkDelta(content=event.text))
            elif isinstance(event, AnswerDone):
                rest = _unstreamed(event, "".join(streamed))
                if rest:
                    yield chunk(s.ChunkDelta(content=rest))
                yield chunk(s.ChunkDelta(), finish=True, done=event)
            elif isinstance(event, AnswerFailed):
                error = s.ErrorDetail(message=event.error, type=event.kind, code=status_for_kind(event.kind))
                yield sse_data({"error": error.model_dump()})
    yield sse_data("[DONE]")


def _unstreamed(done: AnswerDone, streamed: str) -> str:
    """Text of the final answer the stream has not shown: all of it when nothing was streamed (a
    refusal before the model), the tail when the final text extends the streamed one, the refusal
    after a streamed answer that could not be traced to any passage."""
    if done.answer.startswith(streamed):
        return done.answer[len(streamed):]
    if done.refused:
        return "\n\n" + done.answer
    return ""


def _epoch(iso: str) -> int:
    try:
        return int(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return 0
