"""A chat model on a server that speaks the OpenAI chat-completions API (llama.cpp's server,
``python -m llama_cpp.server``, vLLM, Ollama's ``/v1``), streamed over server-sent events.

Off unless configured (``--chat-url`` / Preferences). When used, the question, the conversation and
the passages found in the user's documents are sent to that server: callers must say so plainly.

HTTP is the standard library's ``http.client`` (no new dependency; no proxy is used). Each
streamed request has a watchdog thread that closes the socket when the caller cancels or a
deadline passes, so a read never blocks past :attr:`ServerConfig.read_timeout_s` (for the first
answer token and for any later silence) and a cancel takes effect within ~50 ms, even while the
server is still reading the prompt. Keep-alive comments (``: ping``) do not count as progress.

* :class:`core.llm.OpeningProbe`: the request asks for ``logprobs``/``top_logprobs`` of the
  answer's tokens; the first token's top alternatives fill the probe (the summed probability of
  the alternatives that are a prefix of an opening). A server that returns none leaves it
  ``None``; one that rejects the fields (HTTP 400/422/500 naming ``logprobs``, or a stream that
  breaks before the first answer token, as llama_cpp.server without ``logits_all`` does) is asked
  again without them, and never again with them.
* :meth:`OpenAICompatModel.count_tokens`: the server's tokenizer when it has one
  (``/extras/tokenize`` of llama_cpp.server, ``/tokenize`` of llama.cpp's server and of vLLM),
  else :func:`estimate_tokens`, a conservative estimate (see there).
* :attr:`OpenAICompatModel.context_length`: the configured value, else what the server says
  (``max_model_len`` in vLLM's ``/v1/models``; ``n_ctx`` from llama.cpp's ``/props``), else
  :data:`DEFAULT_CONTEXT`.

Errors are :class:`core.errors.ChatServerError` subclasses whose message names the URL and what
to do. Any thread may call the methods; calls are serialised by a lock, like the in-process model.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from core.cancel import CancelToken
from core.errors import (
    ChatServerAuthFailed,
    ChatServerBadResponse,
    ChatServerError,
    ChatServerFailed,
    ChatServerModelNotFound,
    ChatServerTimeout,
    ChatServerUnreachable,
)
from core.llm import ChatMessage, OpeningProbe

log = logging.getLogger(__name__)

#: The context assumed when neither the configuration nor the server tells (the in-process default).
DEFAULT_CONTEXT = 4096
#: How many alternatives of the first token are asked for (OpenAI and vLLM allow up to 20).
TOP_LOGPROBS = 10
#: Tokenizer endpoints tried in order, relative to the server root (the base URL without ``/v1``).
TOKENIZE_PATHS = ("/extras/tokenize", "/tokenize")
_WATCH_INTERVAL_S = 0.05
_ERROR_BODY_BYTES = 65536
_CJK = re.compile(r"[\u2e80-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@dataclass(frozen=True)
class ServerConfig:
    """Where the chat server is and how long to wait for it. The API key is never logged or shown."""

    base_url: str
    model: str = ""  # empty: the server's only (or first) model
    api_key: str | None = field(default=None, repr=False)
    context_length: int | None = None  # None: ask the server, else DEFAULT_CONTEXT
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 180.0  # for the first answer token (the prompt is read first) and any later silence


def normalise_url(url: str) -> str:
    """``http(s)://host[:port][/path]`` without a trailing slash; a bare host gets ``/v1``.

    Raises ``ValueError`` naming the problem for anything else (another scheme, no host).
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// address with a host (e.g. http://127.0.0.1:8080/v1)")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as error:
        raise ValueError(f"{text!r} has an invalid port ({error})") from error
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path or '/v1'}"


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` may take when the server cannot tokenize: one per 3 ASCII characters, one per
    CJK or other non-ASCII character, rounded up, plus one.

    Conservative (over-estimates) for current tokenizers: on the bundled samples and prompts
    Qwen2.5's tokenizer uses 0.22-0.24 tokens per ASCII character (this estimate: 0.33) and 0.65
    per Chinese character (this estimate: 1.0). Older tokenizers (Llama 2, Mistral 7B v0.1) can
    spend 1.5-2 tokens on a Chinese character: with those, configure a context length below the
    server's real one.
    """
    cjk = len(_CJK.findall(text))
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    other = len(text) - cjk - ascii_chars
    return math.ceil(ascii_chars / 3) + cjk + other + 1


def host_of(base_url: str) -> str:
    """``host:port`` of a base URL, as shown to the user."""
    return urlsplit(base_url).netloc


class OpenAICompatModel:
    """A :class:`core.llm.ChatModel` answering through an OpenAI-compatible HTTP server."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = ServerConfig(normalise_url(config.base_url), config.model.strip(), config.api_key or None,
                                   config.context_length or None, config.connect_timeout_s, config.read_timeout_s)
        parts = urlsplit(self.config.base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._base_path = parts.path
        self._root_path = re.sub(r"/v1$", "", parts.path)
        self._lock = threading.RLock()
        self._model = self.config.model
        self._context: int | None = self.config.context_length
        self._context_source = "configured" if self._context else ""
        self._tokenize_path: str | None = None  # found by the first count_tokens
        self._tokenizer = ""  # "server <path>" | "estimate" | "" (not asked yet)
        self._token_cache: dict[str, int] = {}
        self._logprobs: bool | None = None  # None: not known yet; False: the server rejects them
        self._listed: list[str] | None = None
        self._models_data: list[Any] = []
        self._checked = False

    # --- ChatModel ---------------------------------------------------------------------------------

    @property
    def device(self) -> Literal["remote"]:
        return "remote"

    @property
    def context_length(self) -> int:
        """The configured context, else the server's (asked once; never raises), else the default."""
        with self._lock:
            if self._context is None:
                try:
                    found = self._discover_context()
                except ChatServerError as error:
                    log.warning("event=chat_server_context_unknown url=%s error=%s", self.config.base_url, error)
                    found = None
                self._context, self._context_source = (found, "server") if found else (DEFAULT_CONTEXT, "default")
            return self._context

    def count_tokens(self, text: str) -> int:
        with self._lock:
            cached = self._token_cache.get(text)
            if cached is not None:
                return cached
            count = self._server_count(text) if self._tokenizer != "estimate" else None
            if count is None:
                count = estimate_tokens(text)
            if len(self._token_cache) > 4096:
                self._token_cache.clear()
            self._token_cache[text] = count
            return count

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken,
               probe: OpeningProbe | None = None) -> Iterator[str]:
        with self._lock:
            body: dict[str, Any] = {
                "messages": [{"role": m.role, "content": m.content} for m in messages],
                "max_tokens": max_tokens, "temperature": 0.0, "top_p": 1.0, "seed": 0, "stream": True,
                "repeat_penalty": 1.05,  # llama.cpp's name (what the in-process model uses); others ignore it
            }
            if self._model:
                body["model"] = self._model
            ask_logprobs = probe is not None and self._logprobs is not False
            if ask_logprobs:
                body["logprobs"], body["top_logprobs"] = True, TOP_LOGPROBS
            try:
                yield from self._stream_once(body, cancel, probe)
            except _LogprobsRejected:
                log.info("event=chat_server_logprobs_rejected url=%s", self.config.base_url)
                self._logprobs = False
                body.pop("logprobs"), body.pop("top_logprobs")
                yield from self._stream_once(body, cancel, probe)

    # --- what the GUI and CLI show -----------------------------------------------------------------

    def load(self) -> None:
        """Check the server now (reachable, key accepted, model known); idempotent. The desktop
        calls it when the engine starts, so a wrong address shows before the first question."""
        with self._lock:
            if self._checked:
                return
            listed = self._list_models()
            if not self._model and listed:
                self._model = listed[0]
                log.info("event=chat_server_model_chosen model=%s listed=%d", self._model, len(listed))
            elif self._model and listed and self._model not in listed:
                # llama_cpp.server answers with its one model whatever the name; others reply 404 later.
                log.warning("event=chat_server_model_not_listed model=%s listed=%s", self._model, listed[:20])
            self._checked = True

    def device_report(self) -> dict[str, Any]:
        """Where answers are generated: ``device: remote``, ``endpoint`` (the base URL), ``host``,
        ``model``, ``encrypted`` (https), ``context_length`` and where it came from, ``tokenizer``,
        ``opening_probe`` (None: not known yet), ``loaded`` (the server was checked); the GPU keys of
        the in-process report are present and neutral. Never contacts the server."""
        return {
            "device": "remote", "endpoint": self.config.base_url, "host": host_of(self.config.base_url),
            "model": self._model, "encrypted": self._https, "context_length": self._context,
            "context_source": self._context_source, "tokenizer": self._tokenizer,
            "opening_probe": self._logprobs, "loaded": self._checked,
            "cuda_build": False, "gpu_layers": 0, "total_layers": 0, "n_gpu_layers": 0, "vram_free_mib": None,
            "vram_total_mib": None, "gpu_name": "", "reason": "", "fallback_reason": "",
        }

    def close(self) -> None:
        """Nothing stays open between requests."""

    # --- HTTP ----------------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.config.base_url.split('://')[0]}://{host_of(self.config.base_url)}{path}"

    def _connect(self, path: str) -> http.client.HTTPConnection:
        """A connected socket (connect timeout), reading with the read timeout."""
        url = self._url(path)
        connection: http.client.HTTPConnection
        if self._https:
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=self.config.connect_timeout_s,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.config.connect_timeout_s)
        try:
            connection.connect()
        except TimeoutError as error:
            connection.close()
            raise ChatServerTimeout(
                f"the chat server at {url} accepted no connection within {self.config.connect_timeout_s:g} s; "
                "check that it is running and that the address is right") from error
        except ssl.SSLError as error:
            connection.close()
            raise ChatServerUnreachable(
                f"a secure connection to the chat server at {url} failed ({error}); check the certificate, or "
                "use http:// if the server does not speak TLS") from error
        except OSError as error:
            connection.close()
            reason = error.strerror or str(error) or type(error).__name__
            raise ChatServerUnreachable(
                f"cannot reach the chat server at {url} ({reason}); check that it is running and that the "
                "address (--chat-url or Preferences) is right") from error
        if connection.sock is not None:
            connection.sock.settimeout(self.config.read_timeout_s)
        return connection

    def _headers(self, body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "wenku"}
        if body:
            headers["Content-Type"] = "application/json"
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _request_json(self, method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
        """A short request; returns (status, parsed JSON or None). Raises only for transport failures."""
        connection = self._connect(path)
        try:
            data = json.dumps(payload).encode("utf-8") if payload is not None else None
            connection.request(method, path, body=data, headers=self._headers(data is not None))
            response = connection.getresponse()
            raw = response.read(_ERROR_BODY_BYTES * 16)
        except TimeoutError as error:
            raise ChatServerTimeout(f"the chat server at {self._url(path)} did not reply within "
                                    f"{self.config.read_timeout_s:g} s") from error
        except (OSError, http.client.HTTPException) as error:
            raise ChatServerUnreachable(f"the connection to the chat server at {self._url(path)} failed ({error}); "
                                        "check that it is running") from error
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, None

    def _list_models(self) -> list[str]:
        path = f"{self._base_path}/models"
        status, data = self._request_json("GET", path)
        if status >= 400:
            raise self._status_error(status, data, path, list_models=False)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ChatServerBadResponse(
                f"{self._url(path)} did not return an OpenAI model list; is this the base URL of an "
                "OpenAI-compatible API (it usually ends in /v1)?")
        self._listed = [str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e]
        self._models_data = entries
        return self._listed

    def _discover_context(self) -> int | None:
        """``max_model_len`` (vLLM), ``context_length``/``n_ctx`` in the model entry or its ``meta``,
        else llama.cpp server's ``/props`` ``n_ctx``; None when the server does not say."""
        if self._listed is None:
            self._list_models()
        for entry in self._models_data:
            if not isinstance(entry, dict) or (self._model and entry.get("id") != self._model):
                continue
            meta = entry.get("meta")
            for source in (entry, meta if isinstance(meta, dict) else {}):
                for key in ("max_model_len", "context_length", "n_ctx"):
                    value = source.get(key)
                    if isinstance(value, int) and value > 0:
                        return value
        status, props = self._request_json("GET", f"{self._root_path}/props")
        if status == 200 and isinstance(props, dict):
            settings = props.get("default_generation_settings")
            for source in (settings if isinstance(settings, dict) else {}, props):
                value = source.get("n_ctx")
                if isinstance(value, int) and value > 0:
                    return value
        return None

    def _server_count(self, text: str) -> int | None:
        """Tokens by the server's tokenizer, or None when it has none (then the estimate is used)."""
        paths = [self._tokenize_path] if self._tokenize_path else [f"{self._root_path}{p}" for p in TOKENIZE_PATHS]
        payload = {"input": text, "content": text, "prompt": text, "add_special": False}
        if self._model:
            payload["model"] = self._model
        for path in paths:
            if path is None:
                continue
            status, data = self._request_json("POST", path, payload)
            if status in (401, 403):
                raise self._status_error(status, data, path)
            count = _token_count(data) if status == 200 else None
            if count is not None:
                if self._tokenize_path is None:
                    self._tokenize_path, self._tokenizer = path, f"server {path}"
                    log.info("event=chat_server_tokenizer path=%s", path)
                return count
        if self._tokenize_path is None:
            self._tokenizer = "estimate"
            log.info("event=chat_server_tokenizer path=- estimate=true url=%s", self.config.base_url)
        return None

    def _stream_once(self, body: dict[str, Any], cancel: CancelToken, probe: OpeningProbe | None) -> Iterator[str]:
        path = f"{self._base_path}/chat/completions"
        url = self._url(path)
        if cancel.cancelled:
            return
        connection = self._connect(path)
        if connection.sock is not None:  # a backstop only: the watchdog enforces the read timeout
            connection.sock.settimeout(self.config.read_timeout_s + 5)
        watchdog = _Watchdog(connection, cancel, self.config.read_timeout_s)
        response: http.client.HTTPResponse | None = None
        finished = False
        first = True  # no answer piece yet
        try:
            try:
                connection.request("POST", path, body=json.dumps(body).encode("utf-8"),
                                   headers={**self._headers(True), "Accept": "text/event-stream"})
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                if cancel.cancelled:
                    return
                raise watchdog.timeout_error(url) or ChatServerUnreachable(
                    f"the connection to the chat server at {url} failed ({error}); check that it is running") from error
            if response.status >= 400:
                data = _json_or_text(response.read(_ERROR_BODY_BYTES))
                if "logprobs" in body and response.status in (400, 422, 500) and "logprob" in json.dumps(data).lower():
                    raise _LogprobsRejected()
                raise self._status_error(response.status, data, path)
            content_type = response.getheader("Content-Type", "")
            if "text/event-stream" not in content_type:
                # A server that ignored "stream": one JSON completion.
                data = _json_or_text(response.read())
                text = _message_content(data)
                if text is None:
                    raise ChatServerBadResponse(f"the chat server at {url} sent a reply that is neither a stream nor "
                                                f"a chat completion ({str(data)[:200]!r})")
                if probe is not None:
                    probe.probability = _probe_probability(_first_logprobs(data), probe.openings)
                finished = True
                if text:
                    yield text
                return
            for event in _sse_events(response, url):
                if cancel.cancelled:
                    return
                if event == "[DONE]":
                    finished = True
                    break
                choice = _choice(event, url)
                if choice is None:
                    continue
                piece = (choice.get("delta") or {}).get("content") or ""
                if first and probe is not None and (piece or choice.get("logprobs")):
                    probe.probability = _probe_probability(_first_logprobs({"choices": [choice]}), probe.openings)
                if choice.get("finish_reason"):
                    finished = True
                if piece:
                    first = False
                    watchdog.progress()
                    yield piece
        except (OSError, http.client.HTTPException) as error:
            if cancel.cancelled:
                return
            if isinstance(error, TimeoutError):
                raise ChatServerTimeout(f"the chat server at {url} stopped sending for "
                                        f"{self.config.read_timeout_s + 5:g} s") from error
            if first and "logprobs" in body and not watchdog.fired:
                raise _LogprobsRejected() from error
            raise watchdog.timeout_error(url) or ChatServerBadResponse(
                f"the connection to the chat server at {url} broke during the answer ({error})") from error
        finally:
            watchdog.stop()
            if response is not None:
                response.close()
            connection.close()
        if not finished and not cancel.cancelled:
            if first and "logprobs" in body and not watchdog.fired:
                # llama_cpp.server without logits_all starts the stream, then fails on logprobs and
                # closes it: a stream that broke before any answer token is asked once more without.
                raise _LogprobsRejected()
            raise watchdog.timeout_error(url) or ChatServerBadResponse(
                f"the chat server at {url} ended the stream before the answer was finished")

    def _status_error(self, status: int, data: Any, path: str, *, list_models: bool = True) -> ChatServerError:
        url = self._url(path)
        detail = _error_detail(data)
        said = f" (HTTP {status}{': ' + detail if detail else ''})"
        if status in (401, 403):
            return ChatServerAuthFailed(
                f"the chat server at {url} refused the API key{said}; set the right key (WENKU_CHAT_API_KEY or "
                "--chat-key-file, or Preferences)")
        if status == 404:
            listed = ""
            try:
                names = self._listed if self._listed is not None or not list_models else self._list_models()
                listed = f"; it offers: {', '.join(names[:10])}" if names else ""
            except ChatServerError:
                pass
            return ChatServerModelNotFound(
                f"the chat server at {url} has no model {self._model!r} or no OpenAI-compatible API at this "
                f"address{said}{listed}; check the model name and that the base URL ends in /v1")
        if status >= 500:
            return ChatServerFailed(f"the chat server at {url} failed{said}; see the server's log, or try again")
        return ChatServerFailed(f"the chat server at {url} rejected the request{said}; if the prompt is too long for "
                                "its context, set a smaller context length")


class _LogprobsRejected(Exception):
    """The server refused a request because of ``logprobs``: ask again without."""


class _Watchdog:
    """Closes a connection's socket when the caller cancels or the server stays silent too long.

    The deadline starts at ``timeout_s`` from now and moves on with every answer piece
    (:meth:`progress`); a blocked read in the generating thread then returns at once.
    """

    def __init__(self, connection: http.client.HTTPConnection, cancel: CancelToken, timeout_s: float) -> None:
        self._sock = connection.sock
        self._cancel = cancel
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + timeout_s
        self._first = True
        self._stop = threading.Event()
        self.fired: str = ""  # "cancel" | "first_token" | "silence"
        self._thread = threading.Thread(target=self._watch, name="chat-server-watchdog", daemon=True)
        self._thread.start()

    def progress(self) -> None:
        self._first = False
        self._deadline = time.monotonic() + self._timeout_s

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)

    def timeout_error(self, url: str) -> ChatServerTimeout | None:
        if self.fired == "first_token":
            return ChatServerTimeout(
                f"the chat server at {url} sent no answer within {self._timeout_s:g} s; it may be overloaded or "
                "too slow for this prompt (raise the read timeout, or use a faster server)")
        if self.fired == "silence":
            return ChatServerTimeout(f"the chat server at {url} stopped sending the answer for {self._timeout_s:g} s")
        return None

    def _watch(self) -> None:
        while not self._stop.wait(_WATCH_INTERVAL_S):
            if self._cancel.cancelled:
                self.fired = "cancel"
            elif time.monotonic() > self._deadline:
                self.fired = "first_token" if self._first else "silence"
            else:
                continue
            log.info("event=chat_server_stream_closed why=%s", self.fired)
            if self._sock is not None:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return


def _sse_events(response: http.client.HTTPResponse, url: str) -> Iterator[Any]:
    """The ``data`` of each server-sent event, parsed as JSON (``"[DONE]"`` as is)."""
    data: list[str] = []
    kind = ""
    while True:
        raw = response.readline(1 << 20)
        if not raw:
            if data:
                yield _parse_event(kind, data, url)
            return
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            raise ChatServerBadResponse(f"the chat server at {url} sent a stream that is not UTF-8 text") from error
        if not line:
            if data:
                yield _parse_event(kind, data, url)
            data, kind = [], ""
        elif line.startswith(":"):
            continue  # a comment: keep-alive ping
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "event":
                kind = value


def _parse_event(kind: str, data: list[str], url: str) -> Any:
    text = "\n".join(data)
    if text.strip() == "[DONE]":
        return "[DONE]"
    try:
        event = json.loads(text)
    except ValueError as error:
        raise ChatServerBadResponse(f"the chat server at {url} sent a malformed stream event ({text[:200]!r})") from error
    if kind == "error" or (isinstance(event, dict) and "error" in event and "choices" not in event):
        raise ChatServerFailed(f"the chat server at {url} failed during the answer ({_error_detail(event) or text[:200]})")
    return event


def _choice(event: Any, url: str) -> dict[str, Any] | None:
    if not isinstance(event, dict) or not isinstance(event.get("choices"), list):
        raise ChatServerBadResponse(f"the chat server at {url} sent an event that is not a chat completion chunk "
                                    f"({json.dumps(event)[:200]!r})")
    choices = event["choices"]
    if not choices:
        return None  # e.g. a usage-only chunk
    choice = choices[0]
    if not isinstance(choice, dict):
        raise ChatServerBadResponse(f"the chat server at {url} sent a malformed chat completion chunk")
    return choice


def _first_logprobs(data: Any) -> list[tuple[str, float]] | None:
    """The first answer token's alternatives (token, logprob), from a chunk or a completion."""
    try:
        content = data["choices"][0]["logprobs"]["content"]
        first = content[0]
        alternatives = first.get("top_logprobs") or [first]
        return [(str(a["token"]), float(a["logprob"])) for a in alternatives if a.get("token") is not None]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None


def _probe_probability(alternatives: list[tuple[str, float]] | None, openings: Sequence[str]) -> float | None:
    """The summed probability of the first-token alternatives that start one of ``openings``."""
    if not alternatives:
        return None
    seen: set[str] = set()
    total = 0.0
    for token, logprob in alternatives:
        if token and token not in seen and any(o.startswith(token) for o in openings):
            seen.add(token)
            total += math.exp(logprob)
    return min(1.0, total)


def _token_count(data: Any) -> int | None:
    if isinstance(data, dict):
        if isinstance(data.get("tokens"), list):
            return len(data["tokens"])
        if isinstance(data.get("count"), int):
            return int(data["count"])
    return None


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _message_content(data: Any) -> str | None:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return str(content or "")


def _error_detail(data: Any) -> str:
    """The server's own words: OpenAI ``{"error": {"message"}}``, FastAPI ``{"detail"}``, or text."""
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
        if data.get("detail"):
            return json.dumps(data["detail"], ensure_ascii=False)[:300] if not isinstance(data["detail"], str) \
                else data["detail"][:300]
        if data.get("message"):
            return str(data["message"])[:300]
    if isinstance(data, str):
        return " ".join(data.split())[:300]
    return ""
