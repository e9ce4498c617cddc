"""The one normalisation applied to text before keyword (BM25) tokenizing, at import and at query.

BM25 only matches identical tokens, so a full-width ``ＡＢＣ１２３`` in a scanned form must meet the
half-width ``abc123`` of a question, and ``Straße`` must meet ``STRASSE``. Import (the chunk text
fed to the sparse encoder) and search (the question) call :func:`normalise_for_index`, so both
sides are tokenized from the same form. Qdrant Edge's multilingual tokenizer already lowercases
and folds full-width forms; NFKC plus case folding here makes the guarantee ours and adds what it
misses (``ß`` → ``ss``, compatibility characters such as ``①`` or ``㎡`` in any tokenizer).

Only what goes into the sparse encoder (and near-duplicate shingles) is normalised: the text that
is stored, shown and cited stays as extracted. Simplified/traditional Chinese are not unified.
Pure function; any thread.
"""

from __future__ import annotations

import unicodedata


def normalise_for_index(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms) then Unicode case folding."""
    return unicodedata.normalize("NFKC", text).casefold()
