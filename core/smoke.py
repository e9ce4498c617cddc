"""The installed-app self test: ``wenku smoke`` (used by ``packaging/build.py`` on every artifact).

A frozen bundle can miss a data file or a native library that a source checkout always has
(prompt templates, OCR models, llama.cpp's shared library, translations). This check exercises
each of them the way a first start does: it reads the resources, imports the bundled sample PDFs
into a throwaway workspace (text pages and one scanned page, so OCR runs), asks one question and
demands a grounded answer with a citation to the right page. Each step becomes one named check,
so a failure says which piece is missing. Runs on the caller's thread (the CLI's main thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core import paths
from core.cancel import CancelToken
from core.datatypes import AnswerDone, AskRequest

SMOKE_WORKSPACE = "smoke-test"
SMOKE_QUESTION = "How wide is the primary mirror of the Lotus Bay Observatory telescope?"
SMOKE_EXPECTED = ("2.4",)  # the answer must contain this figure …
SMOKE_SOURCE = ("lotus_bay_observatory.pdf", 1)  # … and cite this document and page
REQUIRED_RESOURCES = (
    ("prompts", "en", "system.txt"),
    ("prompts", "zh", "system.txt"),
    ("translations", "wenku_zh_CN.qm"),
    ("icons", "wenku.svg"),
)


@dataclass
class SmokeCheck:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class SmokeReport:
    checks: list[SmokeCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


def _run_check(report: SmokeReport, name: str, step: Callable[[], str]) -> bool:
    started = time.perf_counter()
    try:
        detail, ok = step(), True
    except Exception as error:  # noqa: BLE001 - a smoke test reports every failure, whatever it is
        detail, ok = f"{type(error).__name__}: {error}", False
    report.checks.append(SmokeCheck(name, ok, detail, round(time.perf_counter() - started, 2)))
    return ok


def run_smoke(engine: Any, cancel: CancelToken, say: Callable[[str], None] = lambda _line: None) -> SmokeReport:
    """Run every check in order; later checks are skipped once one fails (they would only repeat it)."""
    report = SmokeReport()

    def resources() -> str:
        missing = ["/".join(parts) for parts in REQUIRED_RESOURCES if not paths.resource_path(*parts).is_file()]
        samples = sorted(p.name for p in paths.resource_path("samples").glob("*.pdf"))
        if missing or not samples:
            raise FileNotFoundError(f"missing resources: {', '.join(missing) or 'samples/*.pdf'}")
        return f"{len(REQUIRED_RESOURCES)} resource files and {len(samples)} sample PDFs present"

    def import_samples() -> str:
        if SMOKE_WORKSPACE in {info.name for info in engine.list_workspaces()}:
            engine.delete_workspace(SMOKE_WORKSPACE)
        engine.create_workspace(SMOKE_WORKSPACE)
        result = engine.ingest(SMOKE_WORKSPACE, [paths.resource_path("samples")], cancel=cancel)
        failed = [f"{Path(f.path).name}: {f.error}" for f in result.files if f.status == "failed"]
        if failed:
            raise RuntimeError("; ".join(failed))
        ocr_pages = sum(f.ocr_pages for f in result.files)
        if ocr_pages == 0:
            raise RuntimeError("no page went through OCR (the scanned sample should have)")
        chunks = sum(f.chunks for f in result.files)
        return f"{len(result.files)} documents, {chunks} passages, {ocr_pages} page(s) OCR'd"

    def search_index() -> str:
        """The HNSW build a big import triggers, forced on the small sample workspace: it runs in a
        child process, which in a frozen bundle is the app itself (packaging/entry_*.py)."""
        builder = engine.vector_index
        saved = builder.threshold, builder.indexing_threshold_kb
        builder.threshold, builder.indexing_threshold_kb = 1, 1
        try:
            outcome = engine.build_vector_index(SMOKE_WORKSPACE, cancel=cancel)
        finally:
            builder.threshold, builder.indexing_threshold_kb = saved
        if not outcome.startswith("built"):
            raise RuntimeError(f"the search index was not built: {outcome}")
        if (left := engine.index_status(SMOKE_WORKSPACE).unindexed_vectors) != 0:
            raise RuntimeError(f"{left} vectors are still outside the search index")
        return str(outcome)

    def answer() -> str:
        done: AnswerDone | None = None
        for event in engine.ask(AskRequest(SMOKE_WORKSPACE, SMOKE_QUESTION), cancel=cancel):
            if isinstance(event, AnswerDone):
                done = event
        if done is None or done.refused:
            raise RuntimeError(f"no answer (refused: {done.answer if done else 'nothing returned'})")
        cited = {(c.doc, c.page) for c in done.citations}
        if SMOKE_SOURCE not in cited:
            raise RuntimeError(f"the answer does not cite {SMOKE_SOURCE[0]} page {SMOKE_SOURCE[1]}: {done.answer!r}")
        if not all(figure in done.answer for figure in SMOKE_EXPECTED):
            raise RuntimeError(f"the answer lacks {SMOKE_EXPECTED}: {done.answer!r}")
        return f"{done.answer.strip()!r} on {done.device}, first token {done.timings.first_token_s:.1f} s"

    for name, step in (("resources", resources), ("import", import_samples), ("search index", search_index),
                       ("answer", answer)):
        say(f"smoke: {name} …")
        if not _run_check(report, name, step):
            break
    try:
        engine.delete_workspace(SMOKE_WORKSPACE)
    except Exception:  # noqa: BLE001 - leaving the throwaway workspace behind is harmless
        pass
    return report
