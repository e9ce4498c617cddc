"""Near-duplicate chunks: MinHash signatures over character shingles, LSH banding, and a group id.

Why: the same boilerplate paragraph in many documents (a disclaimer, a notice), or one document
imported in two versions, would otherwise make search return the same text five times.

Decision — collapse at search time, do not skip at import. Every chunk is still indexed; a chunk
whose estimated Jaccard similarity to an earlier chunk is at least :data:`NEAR_DUP_JACCARD` gets
that chunk's ``dup_group`` (a new chunk starts its own group, named by its point id) and search
returns only the best-ranked chunk of each group. Skipping would make a document incomplete (its
summary and citations would miss the paragraph) and, worse, removing the document that holds the
kept copy would silently remove the text from every other document. Collapsing keeps each document
whole and makes deletes and replacements trivially consistent. The cost is embedding the
duplicates too.

Near-duplicates must also carry the same numbers (:func:`number_key`), so two years of a report
are not collapsed. The MinHash index is persistent and lives in the store itself: each point's
payload carries ``minhash`` (``"<number key>:<signature hex>"``), its LSH band keys (``lsh``, a keyword-indexed list) and its
``dup_group``. Candidates are found with one indexed filter query per chunk. Because the index is
the points' own payload, a removed or replaced document takes its signatures with it, and a
crash leaves no stale entry (orphan points are deleted at open, see :mod:`core.workspace`).

Shingles are character 4-grams of the normalised text (:func:`core.text_normalise.
normalise_for_index`, whitespace collapsed), so Chinese, which has no spaces, works as well as
English. Hashes are blake2b (stable across processes and platforms, unlike ``hash()``); the 64
permutations ``(a·x + b) mod (2^61 − 1)`` have fixed seeds derived the same way.

Signatures are pure computation (any thread); :class:`NearDupAnnotator` queries the store and runs
on the import worker thread.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from core.store import ChunkRecord

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 4
#: Chunks at least this similar (estimated Jaccard of their shingle sets) are one group.
NEAR_DUP_JACCARD = 0.8
#: Texts with fewer shingles than this (a heading, a short line) are never grouped.
MIN_SHINGLES = 24

_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _seed(label: str) -> int:
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=4).digest(), "little")


_A = np.array([_seed(f"wenku-minhash-a-{i}") | 1 for i in range(NUM_PERM)], dtype=np.uint64)
_B = np.array([_seed(f"wenku-minhash-b-{i}") for i in range(NUM_PERM)], dtype=np.uint64)


@dataclass(frozen=True)
class Signature:
    """A chunk's MinHash signature and its LSH band keys (``"<band>:<hash>"``)."""

    values: np.ndarray  # NUM_PERM uint32 values, as uint64

    @property
    def hex(self) -> str:
        return self.values.astype(">u4").tobytes().hex()

    @property
    def bands(self) -> list[str]:
        raw = self.values.astype(">u4")
        return [
            f"{band}:{hashlib.blake2b(raw[band * ROWS:(band + 1) * ROWS].tobytes(), digest_size=8).hexdigest()}"
            for band in range(BANDS)
        ]

    @classmethod
    def from_hex(cls, text: str) -> Signature:
        return cls(np.frombuffer(bytes.fromhex(text), dtype=">u4").astype(np.uint64))

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        return float(np.mean(self.values == other.values))


def shingles(text: str) -> set[str]:
    """Character 4-grams of the normalised text (whitespace collapsed to one space)."""
    from core.text_normalise import normalise_for_index

    flat = _SPACES.sub(" ", normalise_for_index(text)).strip()
    return {flat[i:i + SHINGLE] for i in range(max(0, len(flat) - SHINGLE + 1))}


def number_key(text: str) -> str:
    """A short hash of the numbers in ``text``. Near-duplicates must have the same numbers: two
    years of a report share most wording but not their figures, and the figures are the answer
    (measured on the dev kit: collapsing the 2017 and 2019 10-Ks' look-alike passages cost recall)."""
    numbers = " ".join(sorted(set(_NUMBER.findall(text))))
    return hashlib.blake2b(numbers.encode(), digest_size=8).hexdigest()


def signature(text: str) -> Signature | None:
    """The MinHash signature of ``text``, or None when it is too short to compare meaningfully."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") for g in grams),
        dtype=np.uint64, count=len(grams),
    )
    # a, b, x < 2^32, so a·x + b < 2^64: exact in uint64, no wrap-around.
    permuted = (np.outer(_A, hashes) + _B[:, None]) % _PRIME & _MASK32
    return Signature(permuted.min(axis=1))


class BatchGroups:
    """Near-duplicate grouping within the chunks being written (not yet in the store)."""

    def __init__(self) -> None:
        self._by_band: dict[str, list[tuple[str, Signature, str]]] = {}

    def find(self, sig: Signature, numbers: str) -> str | None:
        """The group of an earlier chunk of this batch similar enough to ``sig``, if any."""
        for key in sig.bands:
            for group, other, other_numbers in self._by_band.get(key, ()):
                if other_numbers == numbers and sig.similarity(other) >= NEAR_DUP_JACCARD:
                    return group
        return None

    def add(self, group: str, sig: Signature, numbers: str) -> None:
        for key in sig.bands:
            self._by_band.setdefault(key, []).append((group, sig, numbers))


class CandidateSource(Protocol):
    """The store query the annotator needs (see :meth:`core.store.VectorStore.near_duplicate_candidates`)."""

    def near_duplicate_candidates(
        self, lsh: Sequence[str], exclude_doc_ids: Sequence[str]
    ) -> list[tuple[str, str, str]]:
        ...


class NearDupAnnotator:
    """Gives each chunk record its signature, band keys and ``dup_group`` before it is written.

    One per document import, on the import worker thread; the caller holds the store lock while
    calling :meth:`annotate`. ``exclude_doc_ids`` are documents whose chunks must not serve as
    originals (the version this import replaces: its points are deleted right after the commit).
    """

    def __init__(self, store: CandidateSource, exclude_doc_ids: Sequence[str] = ()) -> None:
        self._store = store
        self._exclude = list(exclude_doc_ids)
        self.duplicates = 0

    def annotate(self, records: Sequence[ChunkRecord]) -> list[ChunkRecord]:
        batch = BatchGroups()
        out = []
        for record in records:
            sig = signature(record.text)
            if sig is None:
                out.append(record)
                continue
            bands = sig.bands
            numbers = number_key(record.text)
            group = batch.find(sig, numbers) or self._stored_group(sig, bands, numbers)
            if group is not None:
                self.duplicates += 1
            else:
                group = record.point_id
            batch.add(group, sig, numbers)
            out.append(replace(record, minhash=f"{numbers}:{sig.hex}", lsh=tuple(bands), dup_group=group))
        return out

    def _stored_group(self, sig: Signature, bands: list[str], numbers: str) -> str | None:
        best: tuple[float, str] | None = None
        for group, other_numbers, other in self._store.near_duplicate_candidates(bands, self._exclude):
            if not other or other_numbers != numbers:
                continue
            similarity = sig.similarity(Signature.from_hex(other))
            if similarity >= NEAR_DUP_JACCARD and (best is None or similarity > best[0]):
                best = (similarity, group)
        return best[1] if best else None
