"""Chat models behind a small Protocol, chosen in one place (``Engine.create``).

:mod:`core.llm.llama` runs a GGUF model in-process with llama-cpp-python (CUDA when the build has
it, CPU otherwise); :mod:`core.llm.openai_compat` asks an OpenAI-compatible server instead (off
unless configured: the question and passages then leave the machine); :mod:`core.llm.scripted` is
a fake for fast tests and GUI tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from core.cancel import CancelToken
from core.datatypes import Device


@dataclass
class OpeningProbe:
    """Asks a model how likely its reply is to open with one of ``openings``.

    The model fills :attr:`probability` from the logits of the reply's first token (the sum of the
    softmax probabilities of the openings' first tokens), at no extra cost: those logits exist
    anyway. The engine uses it as the model's own judgement that the passages do not answer the
    question: a 1.5B model often writes an answer even when its most likely-but-one opening is the
    refusal. Models that cannot tell leave it ``None``. Written by the generating thread, read by
    the same thread after the first piece arrives.
    """

    openings: tuple[str, ...]
    probability: float | None = None


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    """Streams a completion for a conversation. Implementations serialise calls internally."""

    @property
    def device(self) -> Device:
        """Where the model runs (known once loaded): ``cpu``, ``cuda`` or ``remote`` (a server)."""

    @property
    def context_length(self) -> int:
        """Tokens the context holds (prompt + answer)."""

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's vocabulary."""

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken,
        probe: OpeningProbe | None = None,
    ) -> Iterator[str]:
        """Yield the answer in pieces; stops early (without error) when ``cancel`` is set.

        With ``probe``, its probability is set before the first piece is yielded (if the model can)."""
