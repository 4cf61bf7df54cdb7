"""Facts read from Python application code: retries, rerankers, vector partitions, budgets."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiinfralint.config import Config
from aiinfralint.model.provider import CodeRetry
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.files import parse_text
from aiinfralint.parsers.python_retries import exponential_total
from aiinfralint.pipeline.engine import RunOptions, run


def _objects(src: str, path: str = "app/llm.py") -> list[object]:
    return parse_text(FileInput(path, textwrap.dedent(src))).objects


def _retries(src: str) -> list[CodeRetry]:
    return [o for o in _objects(src) if isinstance(o, CodeRetry)]


def _codes(tmp_path: Path, src: str, name: str = "llm.py") -> list[tuple[str, int, str]]:
    (tmp_path / name).write_text(textwrap.dedent(src), encoding="utf-8")
    result = run(RunOptions(paths=["."], config=Config(), cwd=tmp_path, use_cache=False, jobs=1))
    return [(f.code, f.span.line, f.message) for f in result.findings]


LOOP = """
import time
import openai

def call_llm(prompt, retries=5, wait=60):
    for i in range(retries):
        try:
            return openai.chat.completions.create(model="gpt-4o", messages=[])
        except openai.RateLimitError:
            time.sleep(wait)
    raise RuntimeError("gave up")
"""


def test_loop_retry_reads_attempts_and_wait() -> None:
    (r,) = _retries(LOOP)
    assert (r.function, r.form, r.retries_on, r.attempts, r.wait_s) == (
        "call_llm",
        "loop",
        "openai.RateLimitError",
        5,
        300.0,
    )
    assert r.span.line == 9 and not r.tells_quota_apart


def test_loop_retry_is_reported_with_function_and_line(tmp_path: Path) -> None:
    ((code, line, message),) = _codes(tmp_path, LOOP)
    assert (code, line) == ("AIL303", 9)
    assert "retry helper `call_llm()` (llm.py:9)" in message and "≈300 s" in message


def test_handler_checking_insufficient_quota_is_silent(tmp_path: Path) -> None:
    src = LOOP.replace(
        "        except openai.RateLimitError:\n",
        "        except openai.RateLimitError as e:\n            if e.code == 'insufficient_quota':\n                raise\n",
    )
    assert _retries(src)[0].tells_quota_apart
    assert _codes(tmp_path, src) == []


def test_handler_that_gives_up_is_no_retry() -> None:
    src = LOOP.replace("time.sleep(wait)", "time.sleep(wait)\n            raise")
    assert _retries(src) == []


def test_http_429_check_in_a_broad_handler() -> None:
    src = """
    import time
    import anthropic

    def ask(client):
        attempt = 0
        while attempt < 4:
            try:
                return client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[])
            except Exception as e:
                if getattr(e, "status_code", None) == 429:
                    attempt += 1
                    time.sleep(2 ** attempt)
                    continue
                raise
    """
    (r,) = _retries(src)  # the 429 branch `continue`s; everything else is re-raised
    assert (r.function, r.retries_on, r.attempts, r.span.line) == ("ask", "HTTP 429", 4, 10)
    assert r.wait_s == 1 + 2 + 4


def test_tenacity_rate_limit_condition_with_exponential_wait() -> None:
    src = """
    from openai import RateLimitError, APIError
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    @retry(
        retry=retry_if_exception_type((RateLimitError, APIError)),
        stop=stop_after_attempt(6),
        wait=wait_exponential(multiplier=1, min=4, max=10),
    )
    def summarize(text):
        return text
    """
    (r,) = _retries(src)
    assert (r.form, r.retries_on, r.attempts) == ("tenacity", "RateLimitError", 6)
    assert r.wait_s == 4 + 4 + 4 + 8 + 10  # 1, 2, 4, 8, 16 clamped to [4, 10]


def test_tenacity_without_condition_needs_an_llm_call() -> None:
    src = """
    from tenacity import retry, stop_after_attempt

    @retry(stop=stop_after_attempt(3))
    def fetch(url):
        return url
    """
    assert _retries(src) == []


def test_tenacity_other_exception_is_not_read() -> None:
    src = """
    import openai
    from tenacity import retry, retry_if_exception_type, stop_after_attempt

    @retry(retry=retry_if_exception_type(openai.APIConnectionError), stop=stop_after_attempt(3))
    def ask():
        return openai.chat.completions.create(model="gpt-4o", messages=[])
    """
    assert _retries(src) == []


def test_custom_rate_limit_class_is_not_an_llm_quota() -> None:
    src = """
    import time

    class RateLimitError(Exception):
        pass

    def poll(fetch):
        for _ in range(5):
            try:
                return fetch()
            except RateLimitError:
                time.sleep(1)
    """
    assert _retries(src) == []


def test_backoff_constant_with_max_tries() -> None:
    src = """
    import backoff
    import openai

    @backoff.on_exception(backoff.constant, openai.RateLimitError, max_tries=4, interval=10)
    def ask():
        return openai.chat.completions.create(model="gpt-4o", messages=[])
    """
    (r,) = _retries(src)
    assert (r.form, r.attempts, r.wait_s) == ("backoff", 4, 30.0)


def test_litellm_num_retries_local_model_is_silent(tmp_path: Path) -> None:
    src = """
    from litellm import completion
    r = completion(model="ollama/llama3", messages=[], num_retries=3)
    """
    assert len(_retries(src)) == 1
    assert _codes(tmp_path, src) == []


def test_litellm_retry_policy_zero_is_silent() -> None:
    src = """
    from litellm import Router
    from litellm.router import RetryPolicy
    router = Router(
        model_list=[{"model_name": "a", "litellm_params": {"model": "openai/gpt-4o"}}],
        num_retries=3,
        retry_policy=RetryPolicy(RateLimitErrorRetries=0),
    )
    """
    assert _retries(src) == []


def test_litellm_router_hosted_model_is_reported(tmp_path: Path) -> None:
    src = """
    from litellm import Router
    router = Router(model_list=[{"model_name": "a", "litellm_params": {"model": "openai/gpt-4o"}}], num_retries=3)
    """
    ((code, line, message),) = _codes(tmp_path, src)
    assert (code, line) == ("AIL303", 3) and "up to 4 attempts" in message


def test_syntax_error_and_deep_nesting_never_crash() -> None:
    assert _retries("import openai\nRateLimitError = (\n") == []
    deep = "import tenacity\nx = " + "[" * 500 + "]" * 500 + "\n"
    assert _retries(deep) == []


def test_exponential_total_is_bounded() -> None:
    assert exponential_total(1, 2, 0, 60, 10**9) < 60 * 1001
    assert exponential_total(2, 2, 0, float("inf"), 3) == 2 + 4 + 8
