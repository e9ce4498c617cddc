"""The chat model on the CPU vs offloaded to the GPU, in one run on one machine.

    python tests/benchmarks/gpu_vs_cpu.py [--model FILE.gguf] [--max-tokens 128] [--prompt TEXT]

Loads the model twice through :class:`core.llm.llama.LlamaCppModel` (the adapter the app uses):
once with ``n_gpu_layers=0``, once with the layers Wenku plans for this machine's free video memory
(or ``--gpu-layers N``). For each it measures the load time, the first-token latency (prompt
processing), prompt tokens/s and generation tokens/s, and prints the GPU/CPU ratios. On a machine
where llama.cpp cannot offload (a CPU-only build, no GPU, CUDA failing to start) it prints the CPU
row and says why the GPU row was skipped. Default model: the installed default GGUF
(``$WENKU_MODELS`` or the data folder's models/). ``--json FILE`` also writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from core.cancel import CancelToken  # noqa: E402
from core.llm import ChatMessage  # noqa: E402
from core.llm.gpu import reason_text, summary  # noqa: E402
from core.llm.llama import LlamaCppModel  # noqa: E402

PASSAGE = (
    "The Lotus Bay Observatory sits on a granite ridge 1,240 metres above the bay. Its main telescope, "
    "completed in 1987, has a primary mirror 2.4 metres wide, ground from a single block of low-expansion "
    "glass. Public nights run from April to October on the first Saturday of each month; visitors are asked "
    "to book a week ahead because the dome holds forty people. The observatory also runs a weather station "
    "whose records go back to 1952 and a small museum of early photographic plates."
)
DEFAULT_PROMPT = f"[1] lotus_bay.pdf, page 1\n{PASSAGE}\n\nUsing passage [1], describe the observatory in a few sentences."


def default_model() -> Path:
    from core import models, paths

    return paths.models_dir(paths.data_dir()) / models.DEFAULT_CHAT_MODEL.file_name


def measure(model: LlamaCppModel, prompt: str, max_tokens: int) -> dict[str, Any]:
    """Load (timed), warm up with one token, then one timed streamed answer."""
    started = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - started
    messages = [ChatMessage("system", "You answer briefly and only from the passages given."), ChatMessage("user", prompt)]
    list(model.stream(messages[:1] + [ChatMessage("user", "Hi")], max_tokens=1, cancel=CancelToken()))
    pieces: list[str] = []
    first = None
    started = time.perf_counter()
    for piece in model.stream(messages, max_tokens=max_tokens, cancel=CancelToken()):
        if first is None:
            first = time.perf_counter() - started
        pieces.append(piece)
    total = time.perf_counter() - started
    text = "".join(pieces)
    prompt_tokens = sum(model.count_tokens(m.content) for m in messages)  # close to the chat template's count
    generated = model.count_tokens(text) if text else 0
    first = first if first is not None else total
    return {
        "load_s": round(load_s, 2),
        "first_token_s": round(first, 3),
        "prompt_tokens": prompt_tokens,
        "prompt_tokens_per_s": round(prompt_tokens / first, 1) if first > 0 else None,
        "generated_tokens": generated,
        "generation_tokens_per_s": round((generated - 1) / (total - first), 1) if generated > 1 and total > first else None,
        "device_report": model.device_report(),
        "answer_start": text[:80],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: the installed default model)")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help="the user message (default: a passage and a question)")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--context", type=int, default=2048, help="context size in tokens (default 2048)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--gpu-layers", type=int, default=None, help="GPU row: this many layers instead of the plan")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    path = args.model or default_model()
    if not path.is_file():
        print(f"no model at {path}: pass --model or run 'wenku models install'", file=sys.stderr)
        return 1
    threads = args.threads or os.cpu_count() or 1
    print(f"model: {path.name}, context {args.context}, {threads} CPU threads, max {args.max_tokens} tokens", flush=True)

    results: dict[str, Any] = {"model": str(path), "max_tokens": args.max_tokens, "threads": threads}
    cpu_model = LlamaCppModel(path, context_length=args.context, gpu_layers=0, threads=threads)
    try:
        results["cpu"] = measure(cpu_model, args.prompt, args.max_tokens)
    finally:
        cpu_model.close()

    gpu_model = LlamaCppModel(path, context_length=args.context, gpu_layers=args.gpu_layers, threads=threads)
    planned, plan = gpu_model.preview_report()
    if planned["device"] != "cuda":
        results["gpu"] = None
        results["gpu_skipped"] = f"{summary(planned)} (plan: n_gpu_layers={plan.gpu_layers})"
    else:
        try:
            measured = measure(gpu_model, args.prompt, args.max_tokens)
        finally:
            gpu_model.close()
        if measured["device_report"]["device"] != "cuda":  # CUDA failed to start: that load ran on the CPU
            results["gpu"] = None
            results["gpu_skipped"] = summary(measured["device_report"])
        else:
            results["gpu"] = measured

    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


def print_table(results: dict[str, Any]) -> None:
    columns = ("load_s", "first_token_s", "prompt_tokens_per_s", "generation_tokens_per_s", "generated_tokens")
    print("\n| run | layers on GPU | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 2) + "|")
    for name in ("cpu", "gpu"):
        row = results.get(name)
        if not row:
            continue
        report = row["device_report"]
        layers = f"{report['gpu_layers']}/{report['total_layers']}"
        print(f"| {name} | {layers} | " + " | ".join(str(row[c]) for c in columns) + " |")
    cpu, gpu = results.get("cpu"), results.get("gpu")
    if gpu is None:
        print(f"\nGPU row skipped: {results.get('gpu_skipped', reason_text('no_device'))}")
        return
    for key, better in (("first_token_s", "lower"), ("prompt_tokens_per_s", "higher"), ("generation_tokens_per_s", "higher")):
        if cpu.get(key) and gpu.get(key):
            print(f"GPU/CPU {key}: {gpu[key] / cpu[key]:.2f}× ({better} is better)")


if __name__ == "__main__":
    sys.exit(main())
