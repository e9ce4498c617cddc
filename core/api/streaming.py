"""Answers from the blocking engine to the async web server, cancelled when the client leaves.

:func:`answer_events` runs ``Engine.ask`` on its own thread (the chat model serialises itself)
and hands each event to the event loop; :func:`cancel_on_disconnect` sets the answer's
:class:`~core.cancel.CancelToken` as soon as the client disconnects, so a closed connection stops
generation within a token (or before it starts, during a long prompt). :func:`sse` formats one
Server-Sent Event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.types import Receive

from core.cancel import CancelToken
from core.datatypes import AnswerEvent, AnswerFailed, AskRequest

if TYPE_CHECKING:
    from core.engine import Engine

log = logging.getLogger(__name__)

_END = object()


#: Answer threads still running (any event loop); the server waits for them before the engine closes.
_RUNNING: set[threading.Thread] = set()
_RUNNING_LOCK = threading.Lock()


def wait_for_answers(timeout: float) -> int:
    """Wait up to ``timeout`` seconds for running answers to end (they were cancelled when their
    clients went away); returns how many are still running."""
    import time

    deadline = time.monotonic() + timeout
    with _RUNNING_LOCK:
        threads = list(_RUNNING)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _RUNNING_LOCK:
        return len(_RUNNING)


async def answer_events(engine: Engine, request: AskRequest, cancel: CancelToken) -> AsyncIterator[AnswerEvent]:
    """The events of ``engine.ask`` as they come; leaving early (or being cancelled) cancels the answer."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def put(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone (server shut down): nobody is listening
            cancel.cancel()

    def work() -> None:
        try:
            for event in engine.ask(request, cancel=cancel):
                put(event)
        except Exception as error:  # noqa: BLE001 - ask never raises by contract; a bug still becomes data
            log.exception("event=answer_crashed")
            put(AnswerFailed(f"answering failed ({error})", type(error).__name__))
        finally:
            put(_END)
            with _RUNNING_LOCK:
                _RUNNING.discard(threading.current_thread())

    thread = threading.Thread(target=work, name="wenku-answer", daemon=True)
    with _RUNNING_LOCK:
        _RUNNING.add(thread)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        cancel.cancel()  # a no-op after the last event; stops the model if the consumer left early


@asynccontextmanager
async def cancel_on_disconnect(receive: Receive, cancel: CancelToken) -> AsyncIterator[None]:
    """Within the block, a client disconnect sets ``cancel`` (the request body must be read already)."""

    async def watch() -> None:
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                if not cancel.cancelled:
                    log.info("event=client_disconnected action=cancel_answer")
                cancel.cancel()
                return

    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        task.cancel()


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; ``data`` is JSON-encoded on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_data(data: Any) -> str:
    """A data-only event, as OpenAI's streaming format uses (``data: {...}`` / ``data: [DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n"
