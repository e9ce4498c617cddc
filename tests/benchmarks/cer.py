"""Character error rate of Wenku's extraction against a kit's gold page text.

``python tests/benchmarks/cer.py ../shared/eval/dev [--no-ocr] [--docs PATTERN] [--json OUT]``

For every ``pages/<doc>.jsonl`` of the kit (one ``{"doc", "page", "text"}`` per line) the
document in ``docs/`` is read with the real extractor (``core.ingest.formats.open_document``,
RapidOCR on) and each gold page is compared with our text of the same page. Both texts are NFKC
normalised and all whitespace is removed before comparing (line joins, spaces between CJK
characters and column layout differ legitimately); CER = edit distance / gold length, summed over
pages. Reported per language (documents named ``zh_*`` vs English), per extraction path (text /
ocr / mixed) and per document, with the mean OCR confidence. The kit's data stays where it is.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute: cost 1), bit-parallel (Myers 1999 / Hyyrö 2001)
    on Python integers: O(len(a) × len(b) / word size), fast enough for whole pages."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    length = len(a)
    full = (1 << length) - 1
    last = 1 << (length - 1)
    masks: dict[str, int] = {}
    for index, char in enumerate(a):
        masks[char] = masks.get(char, 0) | (1 << index)
    positive, negative, score = full, 0, length
    for char in b:
        eq = masks.get(char, 0)
        xv = eq | negative
        xh = (((eq & positive) + positive) ^ positive) | eq
        ph = (negative | ~(xh | positive)) & full
        mh = positive & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        positive = (mh | ~(xv | ph)) & full
        negative = ph & xv
    return score


#: Table markup of either side (our " | " cells; the kit's LaTeX-like ``&`` and ``\\``), dropped
#: with ``--ignore-table-marks`` to compare content only.
TABLE_MARKS = str.maketrans("", "", "|&\\")


def normalise(text: str, ignore_table_marks: bool = False) -> str:
    text = "".join(unicodedata.normalize("NFKC", text).split())
    return text.translate(TABLE_MARKS) if ignore_table_marks else text


def measure(kit: Path, ocr: Any, pattern: str = "*", ignore_table_marks: bool = False) -> list[dict[str, Any]]:
    """One row per gold page: doc, page, language, method, confidence, errors, gold length."""
    from core.ingest.formats import open_document

    rows = []
    for gold_file in sorted((kit / "pages").glob("*.jsonl")):
        gold = [json.loads(line) for line in gold_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not gold or not fnmatch.fnmatch(gold[0]["doc"], pattern):
            continue
        wanted = {int(g["page"]): g["text"] for g in gold}
        started = time.perf_counter()
        document = open_document(kit / "docs" / gold[0]["doc"], ocr)
        try:
            for page in document.pages():
                if page.number not in wanted:
                    continue
                reference = normalise(wanted[page.number], ignore_table_marks)
                ours = normalise(page.text, ignore_table_marks)
                rows.append({
                    "doc": gold[0]["doc"], "page": page.number,
                    "lang": "zh" if gold[0]["doc"].startswith("zh_") else "en",
                    "method": page.method, "confidence": page.ocr_confidence, "rotation": page.rotation,
                    "errors": levenshtein(reference, ours), "chars": len(reference),
                })
        finally:
            document.close()
        print(f"{gold[0]['doc']}: {len(wanted)} pages in {time.perf_counter() - started:.1f} s", file=sys.stderr,
              flush=True)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for key in ("all", f"lang={row['lang']}", f"path={row['method']}", f"lang={row['lang']},path={row['method']}",
                    f"doc={row['doc']}"):
            groups[key].append(row)
    summary = {}
    for key, members in sorted(groups.items()):
        chars = sum(r["chars"] for r in members)
        confidences = [r["confidence"] for r in members if r["confidence"] is not None]
        summary[key] = {
            "pages": len(members),
            "cer": round(sum(r["errors"] for r in members) / chars, 4) if chars else None,
            "median_page_cer": round(statistics.median(r["errors"] / max(r["chars"], 1) for r in members), 4),
            "ocr_confidence": round(statistics.fmean(confidences), 3) if confidences else None,
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kit", type=Path, nargs="?", default=REPO.parent / "shared" / "eval" / "dev")
    parser.add_argument("--no-ocr", action="store_true", help="text layers only")
    parser.add_argument("--docs", default="*", help="only documents matching this glob")
    parser.add_argument("--json", type=Path, help="write rows and summary here")
    parser.add_argument("--ignore-table-marks", action="store_true", help="drop | & \\ before comparing")
    args = parser.parse_args()
    from core.ingest.ocr import RapidOcrEngine

    started = time.perf_counter()
    rows = measure(args.kit, None if args.no_ocr else RapidOcrEngine(), args.docs, args.ignore_table_marks)
    summary = summarise(rows)
    print("| group | pages | CER | median page CER | mean OCR confidence |\n|---|---|---|---|---|")
    for key, value in summary.items():
        print(f"| {key} | {value['pages']} | {value['cer']} | {value['median_page_cer']} | {value['ocr_confidence']} |")
    print(f"\n{len(rows)} pages in {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
