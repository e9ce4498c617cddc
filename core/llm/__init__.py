"""Chat models behind a small Protocol, chosen in one place (``Engine.create``).

:mod:`core.llm.llama` runs a GGUF model in-process with llama-cpp-python (CUDA when the build has
it, CPU otherwise); :mod:`core.llm.scripted` is a fake for fast tests and GUI tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from core.cancel import CancelToken


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class ChatModel(Protocol):
    """Streams a completion for a conversation. Implementations serialise calls internally."""

    @property
    def device(self) -> Literal["cpu", "cuda"]:
        """Where the model runs (known once loaded)."""

    @property
    def context_length(self) -> int:
        """Tokens the context holds (prompt + answer)."""

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's vocabulary."""

    def stream(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken
    ) -> Iterator[str]:
        """Yield the answer in pieces; stops early (without error) when ``cancel`` is set."""
