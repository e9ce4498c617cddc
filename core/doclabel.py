"""A document's label: the words of its file name, indexed with every chunk of it.

A chunk of a long report rarely names the report ("Net sales increased 12%"), so a question that
does ("AMCOR's Q2 FY2023 10-Q", "Amazon's 2017 annual report") cannot prefer the right one of
several similar documents. The file name usually says which document it is, so its words are put
in front of each chunk's text for the embedding and the BM25 vector (never in the text shown or
cited). Measured on the dev kit: README "Quality". Pure functions, any thread.
"""

from __future__ import annotations

import re
from pathlib import PurePath

_SEPARATORS = re.compile(r"[_\-.\s]+")
#: A year glued to a period or form code ("2023Q2", "Q42023") is split so each matches alone.
_YEAR_GLUE = re.compile(r"(?<=\d{4})(?=[A-Za-z])|(?<=[A-Za-z])(?=\d{4}(?!\d))")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def document_label(file_name: str) -> str:
    """Readable words of a file name: ``"AMCOR_2023Q2_10Q.pdf"`` → ``"AMCOR 2023 Q2 10Q"``."""
    stem = PurePath(file_name).stem
    words = [w for w in _SEPARATORS.split(stem) if w]
    split = (" ".join(_YEAR_GLUE.split(w)) for w in words)
    return " ".join(_CAMEL.sub(" ", w) for w in split)


def labelled_text(file_name: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: its document's label, then its text."""
    label = document_label(file_name)
    return f"{label}\n{text}" if label else text
