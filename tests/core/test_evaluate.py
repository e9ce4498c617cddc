"""The eval harness on a small kit generated in the test (same format as ../shared/eval)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import evaluate
from core.cancel import CancelToken
from tests.conftest import REPO
from tests.core import pdfs


def make_kit(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    pdfs.text_pdf(root / "docs" / "bridge.pdf", [
        "The Marlow Bridge was completed in 1832 and spans the river Thames.",
        "The bridge was restored in 2019 at a cost of 4,500,000 pounds.",
    ])
    pdfs.text_pdf(root / "docs" / "tea.pdf", ["青石镇茶叶合作社成立于2009年，位于云岭山脚下。"], fontname="china-s")
    questions = [
        {"id": "q1", "lang": "en", "question": "When was the Marlow Bridge restored and what did it cost?", "answerable": True,
         "gold": [{"doc": "bridge.pdf", "pages": [2]}], "answers": ["4500000"], "kind": "born-digital"},
        {"id": "q2", "lang": "zh", "question": "青石镇茶叶合作社成立于哪一年？", "answerable": True,
         "gold": [{"doc": "tea.pdf", "pages": [1]}], "answers": ["2009年"], "kind": "born-digital"},
        {"id": "q3", "lang": "en", "question": "Who designed the Sydney Opera House roof shells?", "answerable": False,
         "gold": [], "answers": [], "kind": "born-digital"},
        {"id": "q4", "lang": "en", "question": "When was the Marlow Bridge completed?", "answerable": True,
         "gold": [{"doc": "bridge_scan.pdf", "pages": [9]}], "alt_gold": [{"doc": "bridge.pdf", "pages": [1]}],
         "answers": ["1832"], "kind": "scanned"},
    ]
    (root / "questions.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions) + "\n")
    return root


def test_normalisation_folds_width_case_spaces_and_thousands() -> None:
    assert evaluate.normalise("１，２３４ Yuan") == evaluate.normalise("1234 yuan")
    assert evaluate.is_correct("It cost 4,500,000 pounds [2].", ["4500000"])
    assert evaluate.is_correct("成立于 2009 年 [1]", ["2009年"])
    assert not evaluate.is_correct("It opened in 1833.", ["1832"])
    # A figure counts only whole: the gold "20" is not in "2019" nor "13.2" in "113.25".
    assert not evaluate.is_correct("The losses as of December 31, 2019 are $4 million [1].", ["20"])
    assert not evaluate.is_correct("It paid $113.25 billion [1].", ["13.2"])
    assert evaluate.is_correct("The difference is $4,149 - $4,129 = $20. [1]", ["20"])
    assert evaluate.is_correct("It paid $13.2 billion [1].", ["$13.2 billion", "13.2"])
    assert evaluate.is_correct("净亏损为-6百万元", ["-6"]) and evaluate.is_correct("第6届", ["6"])
    assert evaluate.is_correct("anything", []) is None
    # A yes/no gold is the answer's opening verdict, not a substring ("no" is in "not" and "annual").
    assert evaluate.is_correct("No, Amazon did not pay dividends [1].", ["No"])
    assert not evaluate.is_correct("Yes, it is not material and was announced [1].", ["No"])
    assert evaluate.is_correct("“Yes.” The annual report says so [2]", ["Yes."])
    assert not evaluate.is_correct("The company did not repurchase stock [1].", ["No"])


def test_stratified_sample_covers_every_group(tmp_path: Path) -> None:
    questions = evaluate.load_questions(make_kit(tmp_path / "kit"))
    sample = evaluate.stratified_sample(questions, 4)
    assert {(q.lang, q.kind, q.answerable) for q in sample} == {(q.lang, q.kind, q.answerable) for q in questions}
    assert len({(q.lang, q.kind, q.answerable) for q in evaluate.stratified_sample(questions, 2)}) == 2
    alt = next(q for q in questions if q.id == "q4")
    assert ("bridge.pdf", 1) in alt.gold and ("bridge_scan.pdf", 9) in alt.gold


def test_scores_with_the_scripted_model(fake_engine, tmp_path: Path) -> None:
    report = evaluate.run_eval(fake_engine, make_kit(tmp_path / "kit"), retrieval_only=False, limit=None,
                               top_k=3, cancel=CancelToken())
    overall = report["scores"]["overall"]
    assert overall["questions"] == 4 and overall["answerable"] == 3
    assert overall["recall@10"] == 1.0 and overall["recall@1"] is not None
    assert overall["refusal_rate"] == 1.0  # the unanswerable question is refused
    assert overall["citation_recall"] is not None and 0 <= overall["citation_precision"] <= 1
    assert set(report["scores"]) >= {"overall", "lang=en", "lang=zh", "kind=born-digital", "kind=scanned"}
    json_path, md_path = evaluate.write_results(report, tmp_path / "out")
    assert json.loads(json_path.read_text())["scores"]["overall"] == overall
    assert "| overall |" in md_path.read_text()


def test_cli_eval_retrieval_only_caches_the_import(tmp_path: Path, data_dir: Path, real_embedder) -> None:
    kit = make_kit(tmp_path / "kit")

    def run() -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "core", "--data-dir", str(data_dir), "eval", str(kit), "--retrieval-only",
             "--json", "--out", str(tmp_path / "out")],
            cwd=REPO, capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    first = run()
    assert first["scores"]["lang=zh"]["recall@1"] == 1.0
    assert first["scores"]["overall"]["recall@5"] == 1.0
    second = run()
    assert second["import_s"] <= first["import_s"]
    assert (tmp_path / "out" / "eval.md").is_file()
    caches = list((data_dir / "eval-cache").iterdir())
    assert len(caches) == 1, "a re-run must reuse the cached import"


def test_not_a_kit_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not an evaluation kit"):
        evaluate.load_questions(tmp_path)


def test_cross_language_questions_are_translated_once_and_scored(fake_engine, tmp_path: Path, monkeypatch) -> None:
    from core.llm.scripted import ScriptedChatModel

    translations = {"青石镇茶叶合作社成立于哪一年？": "In which year was the Qingshi tea cooperative founded?"}
    calls: list[str] = []

    def translate(self, messages, **kwargs):
        text = messages[-1].content.rsplit("\n", 1)[-1]
        calls.append(text)
        yield translations.get(text, "马洛桥是什么时候完工的？")

    monkeypatch.setattr(ScriptedChatModel, "stream", translate)
    kit = make_kit(tmp_path / "kit")
    report = evaluate.run_eval(fake_engine, kit, retrieval_only=False, limit=None, top_k=3, cancel=CancelToken(),
                               cross_language=True)
    assert report["retrieval_only"] is True
    assert report["scores"]["kind=cross-language"]["questions"] == 3
    assert "lang=en,kind=cross-language" in report["scores"]
    # 3 questions translated by the eval, plus the engine's own translations for search (the kit
    # holds both languages, so each question is also searched translated, as when answering).
    first = len(calls)
    assert first > 3
    assert (fake_engine.data_dir / "query-translations.json").is_file()
    evaluate.run_eval(fake_engine, kit, retrieval_only=True, limit=None, top_k=3, cancel=CancelToken(), cross_language=True)
    assert len(calls) == first, "translations (the eval's and the engine's) are cached with the kit"


def test_the_verification_sweep_scores_each_floor_with_the_withdrawn_answers() -> None:
    """A withdrawn answer is refused at its doubt and above; below it its written text is scored."""
    from core.evaluate import QuestionResult, verification_sweep

    def row(answerable: bool, doubt: float, withdrawn: bool, text: str) -> QuestionResult:
        return QuestionResult("q", "en", "born-digital", answerable, answer="refusal" if withdrawn else text,
                              refused=withdrawn, unsupported_probability=doubt, withdrawn=withdrawn,
                              withdrawn_answer=text if withdrawn else None, gold_answers=("1987",) if answerable else (),
                              correct=(not withdrawn and "1987" in text) if answerable else None)

    rows = [row(False, 0.4, True, "It was 1990 [1]."), row(False, 0.05, False, "It was 1990 [1]."),
            row(True, 0.12, False, "In 1987 [1]."), row(True, 0.02, False, "In 1987 [1].")]
    sweep = verification_sweep(rows)
    assert sweep["0.1"] == {"refusal_rate": 0.5, "false_refusal_rate": 0.5, "correct_rate": 0.5}
    assert sweep["0.3"] == {"refusal_rate": 0.5, "false_refusal_rate": 0.0, "correct_rate": 1.0}
    assert sweep["0.5"] == {"refusal_rate": 0.0, "false_refusal_rate": 0.0, "correct_rate": 1.0}
    other_year = QuestionResult("q", "en", "born-digital", False, answer="refusal", refused=True, withdrawn=True,
                                withdrawn_answer="In 2019 [1].", other_year=True)
    assert verification_sweep(rows + [other_year])["0.5"]["refusal_rate"] == 0.3333, "refused at every floor"
