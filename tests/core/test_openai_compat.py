"""The chat model on an OpenAI-compatible server, against a fake server on 127.0.0.1: streaming,
the opening probe from logprobs, token counts, every failure as a specific error, cancel."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core.cancel import CancelToken
from core.datatypes import AnswerDone, AnswerFailed, AskRequest
from core.errors import (
    ChatServerAuthFailed,
    ChatServerBadResponse,
    ChatServerError,
    ChatServerFailed,
    ChatServerModelNotFound,
    ChatServerTimeout,
    ChatServerUnreachable,
    ModelError,
    UserError,
)
from core.llm import ChatMessage, OpeningProbe
from core.llm.openai_compat import DEFAULT_CONTEXT, OpenAICompatModel, ServerConfig, estimate_tokens, normalise_url
from tests.conftest import REPO
from tests.core import pdfs
from tests.core.chat_server import Behaviour, chat_server

MESSAGES = [ChatMessage("system", "Answer from the passages."), ChatMessage("user", "When was the bridge restored?")]


def model(url: str, **config: Any) -> OpenAICompatModel:
    return OpenAICompatModel(ServerConfig(url, config.pop("model", "test-model"), **config))


def answer(m: OpenAICompatModel, cancel: CancelToken | None = None, probe: OpeningProbe | None = None) -> str:
    return "".join(m.stream(MESSAGES, max_tokens=64, cancel=cancel or CancelToken(), probe=probe))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- no server needed -----------------------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1"),
    (" https://gpu.example.org/v1/ ", "https://gpu.example.org/v1"),
    ("http://localhost:11434/v1", "http://localhost:11434/v1"),
    ("http://box:8000/openai/v1", "http://box:8000/openai/v1"),
])
def test_urls_are_normalised(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://host/v1", "http://", "http://host:99999/v1", ""])
def test_bad_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        normalise_url(url)


def test_the_estimate_over_counts_english_and_chinese() -> None:
    """Conservative: Qwen2.5 takes 0.22-0.24 tokens per ASCII and 0.65 per Chinese character."""
    english = "The Lotus Bay Observatory telescope has a primary mirror 2.4 metres wide. " * 10
    chinese = "青石镇茶叶合作社成立于二〇〇九年，由十一户茶农共同发起。" * 10
    assert estimate_tokens(english) >= 0.3 * len(english)
    assert estimate_tokens(chinese) >= len(chinese)
    assert estimate_tokens("") == 1


def test_errors_are_user_errors_under_model_error() -> None:
    for cls in (ChatServerUnreachable, ChatServerTimeout, ChatServerAuthFailed, ChatServerModelNotFound,
                ChatServerFailed, ChatServerBadResponse):
        assert issubclass(cls, ChatServerError) and issubclass(cls, ModelError) and issubclass(cls, UserError)


def test_the_key_is_not_in_the_config_repr() -> None:
    config = ServerConfig("http://127.0.0.1:1/v1", "m", "sk-secret-123")
    assert "sk-secret-123" not in repr(config) and "sk-secret-123" not in repr(OpenAICompatModel(config).device_report())


# --- against the fake server ----------------------------------------------------------------------


@pytest.mark.loopback
def test_streams_the_answer_with_key_and_fills_the_probe_from_logprobs() -> None:
    behaviour = Behaviour(key="sk-test", first_logprobs=[("The", math.log(0.6)), ("I", math.log(0.3)),
                                                         ("In", math.log(0.05))])
    with chat_server(behaviour) as (url, b):
        m = model(url, api_key="sk-test")
        probe = OpeningProbe(("I could not find the answer in your documents.",))
        assert answer(m, probe=probe) == "The bridge was restored in 1987 [1]."
        # "I" starts the refusal, "In" does not; "The" does not.
        assert probe.probability == pytest.approx(0.3)
        method, path, headers, body = b.requests[-1]
        assert (method, path) == ("POST", "/v1/chat/completions")
        assert headers["Authorization"] == "Bearer sk-test"
        assert body["stream"] is True and body["model"] == "test-model" and body["max_tokens"] == 64
        assert body["temperature"] == 0.0 and body["logprobs"] is True and body["top_logprobs"] > 0
        assert body["messages"][1] == {"role": "user", "content": "When was the bridge restored?"}
    assert m.device == "remote"


@pytest.mark.loopback
def test_no_logprobs_leaves_the_probe_empty_and_no_probe_asks_for_none() -> None:
    with chat_server() as (url, b):
        m = model(url)
        probe = OpeningProbe(("I could not",))
        answer(m, probe=probe)
        assert probe.probability is None
        answer(m)
        assert "logprobs" not in b.requests[-1][3]


@pytest.mark.loopback
@pytest.mark.parametrize("how", ["reject_logprobs", "break_on_logprobs"])
def test_a_server_that_rejects_logprobs_is_asked_again_without(how: str) -> None:
    with chat_server(Behaviour(**{how: True})) as (url, b):
        m = model(url)
        probe = OpeningProbe(("I could not",))
        assert answer(m, probe=probe).endswith("[1].")
        assert probe.probability is None
        assert [r[3].get("logprobs") for r in b.requests if r[1] == "/v1/chat/completions"] == [True, None]
        answer(m, probe=probe)  # remembered: not asked with logprobs again
        assert [r[3].get("logprobs") for r in b.requests if r[1] == "/v1/chat/completions"] == [True, None, None]
        assert m.device_report()["opening_probe"] is False


@pytest.mark.loopback
@pytest.mark.parametrize("tokenize", ["/extras/tokenize", "/tokenize", None])
def test_count_tokens_asks_the_server_tokenizer_else_estimates(tokenize: str | None) -> None:
    text = "The Lotus Bay Observatory telescope has a primary mirror 2.4 metres wide."
    with chat_server(Behaviour(tokenize=tokenize)) as (url, b):
        m = model(url)
        count = m.count_tokens(text)
        assert m.count_tokens(text) == count  # cached: asked once
        if tokenize:
            assert count == len(text) // 4 and m.device_report()["tokenizer"] == f"server {tokenize}"
        else:
            assert count == estimate_tokens(text) and m.device_report()["tokenizer"] == "estimate"
        asked = [r[1] for r in b.requests]
        m.count_tokens("another text")  # the working path (or the estimate) is remembered
        assert len([r for r in b.requests if r[1] not in asked or tokenize]) <= len(asked) + 1


@pytest.mark.loopback
def test_context_length_from_config_then_server_then_default() -> None:
    with chat_server(Behaviour(models=[{"id": "test-model", "max_model_len": 32768}])) as (url, _b):
        assert model(url, context_length=2048).context_length == 2048
        assert model(url).context_length == 32768
    with chat_server() as (url, _b):
        m = model(url)
        assert m.context_length == DEFAULT_CONTEXT and m.device_report()["context_source"] == "default"
    # unreachable: the default, never an exception from a property
    assert model(f"http://127.0.0.1:{free_port()}/v1").context_length == DEFAULT_CONTEXT


@pytest.mark.loopback
def test_load_checks_the_server_and_picks_its_model_when_none_is_named() -> None:
    with chat_server() as (url, _b):
        m = model(url, model="")
        m.load()
        report = m.device_report()
        assert report["model"] == "test-model" and report["loaded"] and report["host"] == url.split("/")[2]
        assert report["device"] == "remote" and report["endpoint"] == url and report["encrypted"] is False


@pytest.mark.loopback
def test_an_unreachable_server_is_named_quickly() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    m = model(url, connect_timeout_s=2)
    started = time.monotonic()
    with pytest.raises(ChatServerUnreachable, match=f"cannot reach the chat server at http://127.0.0.1:{url.split(':')[2]}"):
        answer(m)
    with pytest.raises(ChatServerUnreachable, match="check that it is running"):
        m.load()
    assert time.monotonic() - started < 3


@pytest.mark.loopback
def test_a_wrong_key_says_so() -> None:
    with chat_server(Behaviour(key="right")) as (url, _b):
        for call in (lambda m: answer(m), lambda m: m.load(), lambda m: m.count_tokens("x")):
            with pytest.raises(ChatServerAuthFailed, match=r"refused the API key \(HTTP 401: Invalid API key\).*WENKU_CHAT_API_KEY"):
                call(model(url, api_key="wrong"))


@pytest.mark.loopback
def test_an_unknown_model_names_the_ones_the_server_has() -> None:
    with chat_server() as (url, _b):
        with pytest.raises(ChatServerModelNotFound, match=r"no model 'gpt-9'.*HTTP 404.*it offers: test-model.*/v1"):
            answer(model(url, model="gpt-9"))


@pytest.mark.loopback
def test_a_wrong_base_url_gives_404_with_advice() -> None:
    with chat_server() as (url, _b):
        with pytest.raises(ChatServerModelNotFound, match="base URL ends in /v1"):
            answer(model(url.replace("/v1", "/api")))


@pytest.mark.loopback
@pytest.mark.parametrize("status, error, match", [
    (500, {"error": {"message": "CUDA out of memory"}}, r"failed \(HTTP 500: CUDA out of memory\); see the server's log"),
    (503, "Service Unavailable", r"HTTP 503: Service Unavailable"),
    (400, {"error": {"message": "Requested tokens (5000) exceed context window of 4096"}},
     r"rejected the request \(HTTP 400: Requested tokens .*smaller context length"),
])
def test_server_errors_are_reported_with_its_words(status: int, error: Any, match: str) -> None:
    with chat_server(Behaviour(chat_status=status, chat_error=error)) as (url, _b):
        with pytest.raises(ChatServerFailed, match=match):
            answer(model(url))


@pytest.mark.loopback
def test_no_first_token_in_time_is_a_timeout_even_with_keep_alive_pings() -> None:
    with chat_server(Behaviour(delay_first_s=10)) as (url, _b):
        started = time.monotonic()
        with pytest.raises(ChatServerTimeout, match="sent no answer within 0.5 s"):
            answer(model(url, read_timeout_s=0.5))
        assert time.monotonic() - started < 3


@pytest.mark.loopback
def test_silence_mid_answer_is_a_timeout() -> None:
    with chat_server(Behaviour(hang_after=2)) as (url, _b):
        pieces: list[str] = []
        with pytest.raises(ChatServerTimeout, match="stopped sending the answer for 0.5 s"):
            for piece in model(url, read_timeout_s=0.5).stream(MESSAGES, max_tokens=64, cancel=CancelToken()):
                pieces.append(piece)
        assert pieces == ["The bridge ", "was restored "]


@pytest.mark.loopback
def test_a_malformed_stream_is_a_bad_response() -> None:
    with chat_server(Behaviour(malformed=True)) as (url, _b):
        with pytest.raises(ChatServerBadResponse, match=f"{url}/chat/completions sent a malformed stream event"):
            answer(model(url))


@pytest.mark.loopback
def test_a_stream_that_stops_early_is_a_bad_response() -> None:
    with chat_server(Behaviour(truncate=True)) as (url, _b):
        with pytest.raises(ChatServerBadResponse, match="ended the stream before the answer was finished"):
            answer(model(url))


@pytest.mark.loopback
def test_not_an_openai_api_is_a_bad_response() -> None:
    with chat_server(Behaviour(models=[])) as (url, b):
        b.models = None  # type: ignore[assignment] - /v1/models then returns {"data": null}
        with pytest.raises(ChatServerBadResponse, match="OpenAI model list"):
            model(url).load()


@pytest.mark.loopback
def test_cancel_mid_stream_stops_at_once_and_closes_the_connection() -> None:
    with chat_server(Behaviour(hang_after=2)) as (url, b):
        cancel = CancelToken()
        pieces: list[str] = []
        started = time.monotonic()
        for piece in model(url).stream(MESSAGES, max_tokens=64, cancel=cancel):
            pieces.append(piece)
            if len(pieces) == 2:
                threading.Timer(0.2, cancel.cancel).start()
        assert pieces == ["The bridge ", "was restored "]
        assert time.monotonic() - started < 2  # the server would have kept the stream open for 60 s
        assert b.disconnected.wait(5), "the server saw the connection closed"


@pytest.mark.loopback
def test_cancel_while_the_server_reads_the_prompt() -> None:
    with chat_server(Behaviour(delay_first_s=30)) as (url, _b):
        cancel = CancelToken()
        threading.Timer(0.3, cancel.cancel).start()
        started = time.monotonic()
        assert answer(model(url), cancel=cancel) == ""
        assert time.monotonic() - started < 2


# --- through the engine and the CLI ------------------------------------------------------------------


@pytest.mark.loopback
def test_the_engine_answers_through_the_server_with_a_citation(data_dir: Path, tmp_path: Path) -> None:
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder

    pdf = pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Lanford bridge was restored in 1987 by the county."])
    with chat_server() as (url, b):
        engine = Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=model(url), ocr=None)
        try:
            engine.create_workspace("w")
            engine.ingest("w", [pdf])
            events = list(engine.ask(AskRequest("w", "When was the Lanford bridge restored?")))
            done = events[-1]
            assert isinstance(done, AnswerDone) and not done.refused, events
            assert done.device == "remote" and "1987" in done.answer
            assert [(c.doc, c.page) for c in done.citations] == [("bridge.pdf", 1)]
            assert "The Lanford bridge was restored in 1987" in b.requests[-1][3]["messages"][1]["content"]
            report = engine.device_report()
            assert report["device"] == "remote" and report["endpoint"] == url
        finally:
            engine.close()
    # the server has gone: a failure event naming it, not an exception or a hang
    engine = Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=model(url), ocr=None)
    try:
        failed = list(engine.ask(AskRequest("w", "When was the Lanford bridge restored?")))[-1]
        assert isinstance(failed, AnswerFailed) and failed.kind == "ChatServerUnreachable"
        assert url.split("/v1")[0] in failed.error
    finally:
        engine.close()


#: the wenku CLI with the hashing embedder and no OCR; the chat model is what the options say
REMOTE_CLI = (
    "import sys\n"
    "from core import cli, engine\n"
    "from core.embeddings.hashing import HashingEmbedder\n"
    "real_create = engine.Engine.create.__func__\n"
    "engine.Engine.create = classmethod(lambda cls, *a, **k: real_create(cls, *a, **{**k, 'embedder': HashingEmbedder(),"
    " 'ocr': None}))\n"
    "sys.exit(cli.run(sys.argv[1:]))\n"
)


def remote_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", REMOTE_CLI, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


@pytest.mark.loopback
def test_cli_asks_the_server_with_the_key_from_the_environment_or_a_file(data_dir: Path, tmp_path: Path) -> None:
    pdf = pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Lanford bridge was restored in 1987 by the county."])
    base = ["--data-dir", str(data_dir)]
    assert remote_cli(*base, "create", "w").returncode == 0
    assert remote_cli(*base, "ingest", "w", str(pdf), "--no-ocr").returncode == 0
    with chat_server(Behaviour(key="sk-env-key")) as (url, b):
        result = remote_cli(*base, "--chat-url", url, "--chat-model", "test-model", "ask", "w",
                            "When was the Lanford bridge restored?", "--json", env={"WENKU_CHAT_API_KEY": "sk-env-key"})
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["device"] == "remote" and out["device_report"]["endpoint"] == url and "1987" in out["answer"]
        assert out["citations"][0]["doc"] == "bridge.pdf"
        assert b.requests[-1][2]["Authorization"] == "Bearer sk-env-key"

        b.key = "sk-file-key"
        key_file = tmp_path / "key"
        key_file.write_text("sk-file-key\n")
        key_file.chmod(0o600)
        result = remote_cli(*base, "--chat-url", url, "ask", "w", "When was the Lanford bridge restored?")
        assert result.returncode == 1 and "refused the API key" in result.stderr and url.split("/v1")[0] in result.stderr
        result = remote_cli(*base, "--chat-url", url, "--chat-key-file", str(key_file), "ask", "w",
                            "When was the Lanford bridge restored?")
        assert result.returncode == 0, result.stderr
        assert "1987" in result.stdout and f"on {url.split('/')[2]}, a server" in result.stdout
        assert "your questions and the passages found in your documents are sent there" in result.stderr
        logs = "".join(p.read_text(encoding="utf-8") for p in (data_dir / "logs").glob("*.log"))
        assert "sk-file-key" not in logs + result.stdout + result.stderr and "sk-env-key" not in logs


@pytest.mark.loopback
def test_cli_names_an_unreachable_server_and_bad_options(data_dir: Path) -> None:
    from tests.conftest import SAMPLES

    url = f"http://127.0.0.1:{free_port()}/v1"
    assert remote_cli("--data-dir", str(data_dir), "create", "w").returncode == 0
    assert remote_cli("--data-dir", str(data_dir), "ingest", "w", str(SAMPLES / "lotus_bay_observatory.pdf")).returncode == 0
    result = remote_cli("--data-dir", str(data_dir), "--chat-url", url, "ask", "w", "How wide is the primary mirror?")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot reach the chat server at {url.removesuffix('/v1')}" in result.stderr.splitlines()[-1]
    result = remote_cli("--data-dir", str(data_dir), "--chat-url", "localhost:8080", "workspaces")
    assert result.returncode == 1 and "--chat-url" in result.stderr
    result = remote_cli("--data-dir", str(data_dir), "--chat-model", "m", "workspaces")
    assert result.returncode == 1 and "need --chat-url" in result.stderr
