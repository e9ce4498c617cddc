"""A tiny OpenAI-compatible chat server for tests (http.server in a thread, on 127.0.0.1).

It streams server-sent events with chunked transfer encoding, as uvicorn does, and can misbehave
on request: an HTTP error, a wrong key, a slow first token, a malformed or truncated stream, a
stream that hangs. Tests using it must be marked ``loopback``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    pieces: list[str] = field(default_factory=lambda: ["The bridge ", "was restored ", "in 1987 ", "[1]."])
    #: the first token's alternatives (token, logprob); None: no logprobs in the stream
    first_logprobs: list[tuple[str, float]] | None = None
    key: str | None = None  # the API key the server expects (401 otherwise)
    chat_status: int = 200
    chat_error: Any = None  # the body of an error reply
    delay_first_s: float = 0.0  # seconds before the first piece (pings go out meanwhile)
    hang_after: int | None = None  # after this many pieces, send only pings until the client leaves
    malformed: bool = False
    truncate: bool = False  # close without finish_reason or [DONE]
    reject_logprobs: bool = False
    break_on_logprobs: bool = False  # start the stream, then close it (llama_cpp.server without logits_all)
    tokenize: str | None = "/extras/tokenize"  # the tokenizer path it has (None: none)
    models: list[dict[str, Any]] = field(default_factory=lambda: [{"id": "test-model", "object": "model"}])
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _json(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _authorised(self) -> bool:
        expected = self.server.behaviour.key
        if expected is not None and self.headers.get("Authorization") != f"Bearer {expected}":
            self._json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        b = self.server.behaviour
        b.requests.append(("GET", self.path, dict(self.headers), None))
        if not self._authorised():
            return
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": b.models})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        b = self.server.behaviour
        body = self._body()
        b.requests.append(("POST", self.path, dict(self.headers), body))
        if not self._authorised():
            return
        if self.path == b.tokenize:
            self._json(200, {"tokens": list(range(max(1, len(body["input"]) // 4)))})
        elif self.path == "/v1/chat/completions":
            self._chat(body)
        else:
            self._json(404, {"detail": "Not Found"})

    def _chat(self, body: dict[str, Any]) -> None:
        b = self.server.behaviour
        if b.chat_status != 200:
            self._json(b.chat_status, b.chat_error if b.chat_error is not None else {"error": {"message": "boom"}})
            return
        if b.reject_logprobs and body.get("logprobs"):
            self._json(400, {"error": {"message": "logprobs is not supported by this server"}})
            return
        if b.models and body.get("model") not in (None, *[m["id"] for m in b.models]):
            self._json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist."}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._events(body)
            self._send(b"")  # the last chunk
        except (BrokenPipeError, ConnectionResetError):
            b.disconnected.set()

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, data: Any) -> None:
        self._send(f"data: {data if isinstance(data, str) else json.dumps(data)}\r\n\r\n".encode())

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.server.behaviour.stop.is_set():
            self._send(b": ping\r\n\r\n")
            time.sleep(0.05)

    def _events(self, body: dict[str, Any]) -> None:
        b = self.server.behaviour
        self._event({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
        if b.break_on_logprobs and body.get("logprobs"):
            return
        self._wait(b.delay_first_s)
        if b.malformed:
            self._send(b"data: {\"choices\": [{\"delta\": {\"content\": \"half\r\n\r\n")
            return
        for number, piece in enumerate(b.pieces):
            if b.hang_after is not None and number == b.hang_after:
                self._wait(60)
                return
            choice: dict[str, Any] = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            if number == 0 and b.first_logprobs is not None and body.get("logprobs"):
                choice["logprobs"] = {"content": [{"token": b.first_logprobs[0][0], "logprob": b.first_logprobs[0][1],
                                                   "top_logprobs": [{"token": t, "logprob": lp}
                                                                    for t, lp in b.first_logprobs]}]}
            self._event({"id": "c1", "object": "chat.completion.chunk", "choices": [choice]})
        if b.truncate:
            return
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self._event("[DONE]")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


@contextmanager
def chat_server(behaviour: Behaviour | None = None) -> Iterator[tuple[str, Behaviour]]:
    """``(base_url, behaviour)`` of a running fake server; stopped on exit."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.behaviour = behaviour or Behaviour()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.behaviour
    finally:
        server.behaviour.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
