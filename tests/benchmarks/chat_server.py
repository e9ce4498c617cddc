"""The same question answered in-process and through ``python -m llama_cpp.server`` (loopback).

``python tests/benchmarks/chat_server.py [--threads 2] [--repeat 3] [--json OUT]``

Imports the English sample (``resources/samples/lotus_bay_observatory.pdf``, no OCR) into a
throwaway data dir with the default embedder, then asks one question per round (a new one each
round, see QUESTIONS) of each chat model in turn, for ``--repeat`` rounds:

* ``in-process``: ``LlamaCppModel`` (what Wenku uses by default);
* ``server``: ``OpenAICompatModel`` against ``llama_cpp.server`` started with its defaults
  (``logits_all`` on, so it can return logprobs: the opening probe works);
* ``server-no-logits``: the same with ``--logits_all false`` (no logprobs: the probe is empty, and
  the backend asks again without them after the first rejection).

Reports the engine's own timings per run (first token = from the question to the first answer
token, including retrieval; tokens/s = answer tokens after the first / generation time) and the
median, with the 1-minute load average before and after each run (this machine's 2 cores are
shared: compare only runs taken under similar load). Both use the same context (4096) and thread
count; the prompt is identical.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: One per round, so no chat model has this prompt in its KV cache yet (llama.cpp reuses a cached
#: prompt prefix: asking the same question again measures only the cache).
QUESTIONS = (
    "How wide is the primary mirror of the Lotus Bay Observatory telescope?",
    "When was the Lotus Bay Observatory founded?",
    "What does the Lotus Bay Observatory do on public nights?",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(gguf: Path, threads: int, extra: list[str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads),
                               "--n_threads_batch", str(threads), "--model_alias", "default", *extra],
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/v1/models")
            if connection.getresponse().status == 200:
                return server, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("llama_cpp.server did not start")


def ask(engine: Any, workspace: str, question: str) -> dict[str, Any]:
    from core.datatypes import AnswerDone, AskRequest

    load_before = os.getloadavg()[0]
    done = list(engine.ask(AskRequest(workspace, question)))[-1]
    assert isinstance(done, AnswerDone), done
    t = done.timings
    return {"first_token_s": round(t.first_token_s, 2), "tokens_per_s": round(t.tokens_per_s, 2),
            "tokens": t.completion_tokens, "total_s": round(t.total_s, 2), "device": done.device,
            "refusal_probability": done.refusal_probability, "answer": done.answer[:120],
            "cited": sorted({(c.doc, c.page) for c in done.citations}),
            "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--skip", action="append", default=[], help="skip a mode (in-process, server, server-no-logits)")
    args = parser.parse_args()

    from core import Engine, models, paths
    from core.llm.llama import LlamaCppModel
    from core.llm.openai_compat import OpenAICompatModel, ServerConfig

    tmp = Path(tempfile.mkdtemp(prefix="wenku-bench-"))
    gguf = models.install_chat_model(paths.models_dir(tmp / "data"))
    servers: list[subprocess.Popen[bytes]] = []
    chat_models: dict[str, Any] = {}
    if "in-process" not in args.skip:
        chat_models["in-process"] = LlamaCppModel(gguf, threads=args.threads)
    for mode, extra in (("server", []), ("server-no-logits", ["--logits_all", "false"])):
        if mode not in args.skip:
            server, url = start_server(gguf, args.threads, extra, tmp / f"{mode}.log")
            servers.append(server)
            chat_models[mode] = OpenAICompatModel(ServerConfig(url, "default"))
    engine = Engine.create(tmp / "data", ocr=None, threads=args.threads)
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in chat_models}
    try:
        engine.create_workspace("bench")
        engine.ingest("bench", [REPO / "resources/samples/lotus_bay_observatory.pdf"])
        for round_number in range(args.repeat):
            question = QUESTIONS[round_number % len(QUESTIONS)]
            for mode, chat_model in chat_models.items():
                engine._chat_model = chat_model  # noqa: SLF001 - a benchmark swaps the model, same engine
                row = ask(engine, "bench", question)
                results[mode].append(row)
                print(mode, json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
        for chat_model in chat_models.values():
            chat_model.close()
        engine._chat_model = None  # noqa: SLF001
        engine.close()
    summary = {mode: {"median_first_token_s": statistics.median(r["first_token_s"] for r in rows),
                      "median_tokens_per_s": statistics.median(r["tokens_per_s"] for r in rows), "runs": rows}
               for mode, rows in results.items() if rows}
    print(json.dumps({m: {k: v for k, v in s.items() if k != "runs"} for m, s in summary.items()}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
