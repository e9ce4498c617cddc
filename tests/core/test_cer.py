"""The edit distance behind the extraction benchmark (tests/benchmarks/cer.py) is exact."""

from __future__ import annotations

import random

from tests.benchmarks.cer import levenshtein, normalise


def _reference(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_levenshtein_matches_the_textbook_dynamic_programme() -> None:
    rng = random.Random(7)
    alphabet = "ab长江 1"
    for _ in range(300):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        assert levenshtein(a, b) == _reference(a, b), (a, b)
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("长江是中国最长的河流", "长江是中国最长河流。") == 2


def test_normalise_ignores_whitespace_and_width() -> None:
    assert normalise("Ａ B\n长 江\u3000１") == "AB长江1"
