"""Findings judged on public Python LLM code: false positives fixed, kept as regressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from fixture_harness import actual_findings

# Trimmed from microsoft/autogen (MIT), autogen_ext/experimental/task_centric_memory/utils/apprentice.py:
# a random number is put ahead of the system prompt only when the caller asks for prefix caching
# to be turned off (evaluation runs that must not hit the cache).
_LONG = " ".join(f"Step {i}: explain, list, weigh and critique each possible response in detail." for i in range(40))
_APPRENTICE = '''
import random
import time

from openai import OpenAI

SYSTEM = """You are a helpful and thoughtful assistant. {long}"""


class Apprentice:
    def __init__(self, disable_prefix_caching: bool = False) -> None:
        self.client = OpenAI()
        self.disable_prefix_caching = disable_prefix_caching
        if disable_prefix_caching:
            self.rand = random.Random()
            self.rand.seed(int(time.time() * 1000))

    def assign_task(self, task: str) -> str:
        system_message_content = SYSTEM
        if {test}:
            # Prepend a random int to disable prefix caching.
            random_str = "({{}})\\n\\n".format(self.rand.randint(0, 1000000))
            system_message_content = random_str + system_message_content
        response = self.client.chat.completions.create(
            model="gpt-4o",
            messages=[
                {{"role": "system", "content": system_message_content}},
                {{"role": "user", "content": task}},
            ],
        )
        return response.choices[0].message.content or ""
'''


def _codes(tmp_path: Path, test: str) -> list[str]:
    code = _APPRENTICE.format(long=_LONG, test=test)
    (tmp_path / "apprentice.py").write_text(textwrap.dedent(code))
    return sorted(c for _, _, c in actual_findings(tmp_path))


def test_a_random_value_set_only_when_prefix_caching_is_turned_off_on_purpose_is_silent(tmp_path: Path) -> None:
    assert _codes(tmp_path, "self.disable_prefix_caching") == []


def test_a_cache_flag_negated_the_other_way_is_silent_too(tmp_path: Path) -> None:
    assert _codes(tmp_path, "not self.use_prefix_cache") == []


def test_the_same_random_value_under_any_other_condition_is_still_reported(tmp_path: Path) -> None:
    assert _codes(tmp_path, "self.add_nonce") == ["AIL101"]
    assert _codes(tmp_path, "self.use_prefix_cache") == ["AIL101"]
