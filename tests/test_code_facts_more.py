"""More facts read from Python application code: SDK client retries, budgets, index templates."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiinfralint.config import Config
from aiinfralint.model.provider import CodeBudget, CodeRetry
from aiinfralint.model.retrieval import LifecyclePolicy, VectorStore
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.files import parse_text
from aiinfralint.pipeline.engine import RunOptions, run


def _objects(src: str, path: str = "app/llm.py") -> list[object]:
    return parse_text(FileInput(path, textwrap.dedent(src))).objects


def _retries(src: str) -> list[CodeRetry]:
    return [o for o in _objects(src) if isinstance(o, CodeRetry)]


def _codes(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str, int, str]]:
    for name, src in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(src), encoding="utf-8")
    result = run(RunOptions(paths=["."], config=Config(), cwd=tmp_path, use_cache=False, jobs=1))
    return sorted((f.code, f.span.path, f.span.line, f.message) for f in result.findings)


# --- SDK clients' max_retries ---------------------------------------------------------------

SDK = """
from openai import OpenAI, AsyncAzureOpenAI
import anthropic

client = OpenAI(max_retries=5)
azure = AsyncAzureOpenAI(azure_endpoint="https://x.openai.azure.com", max_retries=10)
claude = anthropic.Anthropic(max_retries=2)
quiet = OpenAI(max_retries=0)

def ask(prompt, retries=4):
    return client.with_options(max_retries=retries).chat.completions.create(model="gpt-4o", messages=[])
"""


def test_sdk_max_retries_above_the_default_are_read_with_the_sdk_backoff() -> None:
    got = sorted((r.span.line, r.form, r.attempts, r.wait_s) for r in _retries(SDK))
    # 0.5 + 1 + 2 + 4 + 8 = 15.5; ten retries: 15.5 + 5 × 8 = 55.5; four: 7.5
    assert got == [(5, "sdk", 6, 15.5), (6, "sdk", 11, 55.5), (11, "sdk", 5, 7.5)]


def test_sdk_default_or_fewer_retries_are_silent() -> None:
    src = """
    from anthropic import Anthropic
    from openai import OpenAI
    a = Anthropic(max_retries=2)
    b = OpenAI(max_retries=0)
    c = OpenAI()
    d = OpenAI(max_retries=settings.retries)
    """
    assert _retries(src) == []


def test_with_options_needs_an_sdk_import() -> None:
    assert _retries("import httpx\nx = thing.with_options(max_retries=9)\n") == []


def test_sdk_retries_reported_with_the_wait(tmp_path: Path) -> None:
    ((code, _, line, message),) = _codes(tmp_path, {"llm.py": "from openai import OpenAI\nc = OpenAI(max_retries=5)\n"})
    assert (code, line) == ("AIL303", 2)
    assert "up to 6 attempts" in message and "≈16 s" in message


def test_sdk_retries_silent_in_a_quota_aware_file_or_against_another_server() -> None:
    aware = """
    from openai import OpenAI, RateLimitError
    client = OpenAI(max_retries=5)
    def ask():
        try:
            return client.chat.completions.create(model="gpt-4o", messages=[])
        except RateLimitError as e:
            if e.code == "insufficient_quota":
                raise
    """
    local = 'from openai import OpenAI\nc = OpenAI(base_url="http://localhost:8000/v1", max_retries=5)\n'
    assert [r.tells_quota_apart for r in _retries(aware)] == [True]
    assert _retries(local) == []


def test_base_url_parameter_defaulting_to_none_is_the_provider() -> None:
    src = """
    from openai import AsyncOpenAI
    def make(base_url: str | None = None):
        return AsyncOpenAI(base_url=base_url, max_retries=5)
    """
    assert [r.attempts for r in _retries(src)] == [6]


# --- LiteLLM budgets set from Python (AIL302) -----------------------------------------------


def _budgets(src: str) -> list[CodeBudget]:
    return [o for o in _objects(src) if isinstance(o, CodeBudget)]


def test_budget_forms_are_read_with_amount_and_duration() -> None:
    src = """
    import litellm, requests
    from litellm import BudgetManager
    CAP = 25
    litellm.max_budget = CAP
    bm = BudgetManager(project_name="p")
    bm.create_budget(total_budget=10, user="u", duration="monthly")
    def keys(base):
        requests.post(f"{base}/key/generate", json={"max_budget": 5.5, "budget_duration": "1d"})
        requests.post(base + "/team/new", json={"max_budget": 100, "soft_budget": 80})
    """
    got = [(b.span.line, b.form, b.amount, b.duration, b.proxy_api) for b in _budgets(src)]
    assert got == [
        (5, "litellm.max_budget", 25.0, None, False),
        (7, "BudgetManager", 10.0, "monthly", False),
        (9, "proxy API /key/generate", 5.5, "1d", True),
    ]


def test_budgets_that_are_not_caps_are_not_read() -> None:
    src = """
    import litellm
    from mylib import BudgetManager
    litellm.max_budget = settings.max_budget
    litellm.max_budget = 1e9
    BudgetManager().create_budget(total_budget=10)
    mock = {"info": {"max_budget": 500.0, "budget_duration": "30d"}}
    """
    assert _budgets(src) == []


def test_spend_callback_that_alerts_marks_the_budget() -> None:
    src = """
    import litellm
    def on_spend(kwargs, resp, start, end):
        if kwargs["response_cost"] > 1:
            notify_slack("spend")
    litellm.success_callback = [on_spend]
    litellm.max_budget = 50
    """
    assert [b.alerted for b in _budgets(src)] == [True]


def test_budget_reported_unless_the_project_alerts(tmp_path: Path) -> None:
    code = "import litellm\nlitellm.max_budget = 50\n"
    (finding,) = _codes(tmp_path, {"app/llm.py": code})
    assert finding[:3] == ("AIL302", "app/llm.py", 2) and "$50" in finding[3]
    config = """
    model_list:
      - model_name: gpt-4o
        litellm_params: {model: openai/gpt-4o-2024-08-06}
    general_settings:
      alerting: ["slack"]
    """
    assert _codes(tmp_path, {"litellm_config.yaml": config}) == []


def test_proxy_api_budget_needs_the_proxy_config_in_view(tmp_path: Path) -> None:
    code = """
    import requests
    def new_key(url):
        return requests.post(url + "/key/generate", json={"max_budget": 10})
    """
    assert _codes(tmp_path, {"keys.py": code}) == []
    config = """
    model_list:
      - model_name: gpt-4o
        litellm_params: {model: openai/gpt-4o-2024-08-06}
    general_settings:
      master_key: os.environ/LITELLM_MASTER_KEY
    """
    got = _codes(tmp_path, {"litellm_config.yaml": config})
    assert [(c, p, line) for c, p, line, _ in got] == [("AIL302", "keys.py", 4)]


# --- Elasticsearch/OpenSearch templates and lifecycle policies from Python (AIL401) ---------

ES = """
from elasticsearch import Elasticsearch
es = Elasticsearch("http://localhost:9200")
es.ilm.put_lifecycle(name="emb-daily", policy={"phases": {"hot": {"actions": {"rollover": {"max_age": "1d"}}}}})
es.indices.put_index_template(
    name="emb",
    index_patterns=["emb-*"],
    template={
        "settings": {"index.lifecycle.name": "emb-daily", "index.lifecycle.rollover_alias": "emb"},
        "mappings": {"properties": {"v": {"type": "dense_vector", "dims": 8}}},
    },
)
"""


def test_es_template_and_policy_give_the_json_readers_facts() -> None:
    objs = _objects(ES)
    (policy,) = [o for o in objs if isinstance(o, LifecyclePolicy)]
    (store,) = [o for o in objs if isinstance(o, VectorStore)]
    assert (policy.name, policy.rollover_age, policy.span.line) == ("emb-daily", "1d", 4)
    assert policy.rollover_span is not None and policy.rollover_span.line == 4
    assert (store.vector_fields, store.index_patterns, store.lifecycle_policy, store.rollover_alias) == (
        ("v",),
        ("emb-*",),
        "emb-daily",
        "emb",
    )
    assert store.field_spans["lifecycle"].line == 9


def test_es_template_from_python_is_reported_where_the_policy_is_named(tmp_path: Path) -> None:
    got = _codes(tmp_path, {"setup_es.py": ES})
    assert [(c, p, line) for c, p, line, _ in got] == [("AIL401", "setup_es.py", 9)]


def test_template_without_vectors_or_policy_without_age_is_silent(tmp_path: Path) -> None:
    logs = ES.replace('"dense_vector", "dims": 8', '"keyword"')
    by_size = ES.replace('"max_age": "1d"', '"max_primary_shard_size": "50gb"')
    assert not [o for o in _objects(logs) if isinstance(o, VectorStore)]
    assert _codes(tmp_path, {"setup_es.py": by_size}) == []


def test_opensearch_ism_policy_body_is_read() -> None:
    src = """
    BODY = {"policy": {"states": [{"name": "hot", "actions": [{"rollover": {"min_index_age": "7d"}}]}],
                       "ism_template": [{"index_patterns": ["c-*"]}]}}
    client.plugins.index_management.put_policy(policy="weekly", body=BODY)
    """
    (policy,) = [o for o in _objects(src) if isinstance(o, LifecyclePolicy)]
    assert (policy.engine, policy.name, policy.rollover_age, policy.index_patterns) == (
        "opensearch",
        "weekly",
        "7d",
        ("c-*",),
    )


# --- a retry class written in the project -----------------------------------------------------

RETRY_CLASS = """
import random
import time
from openai import OpenAI

class Retrying:
    def __init__(self, max_attempts=1, wait_seconds=0.0, exponential_base=2.0, jitter=True, retry_predicate=None):
        self.max_attempts = max_attempts
        self.wait_seconds = wait_seconds
        self.exponential_base = exponential_base
        self.jitter = jitter
        self.retry_predicate = retry_predicate

    def __call__(self, fn, *args, **kwargs):
        delay = self.wait_seconds
        for attempt_number in range(1, self.max_attempts + 1):
            try:
                return fn(*args, **kwargs)
            except BaseException as e:
                should_retry = self.retry_predicate(e) if self.retry_predicate else False
                if not should_retry or attempt_number >= self.max_attempts:
                    raise
                delay *= self.exponential_base * (1 + self.jitter * random.random())
                time.sleep(delay)

def is_rate_limit_error(exception):
    text = str(exception).lower()
    return "429" in text or "rate limit" in text

class Model:
    def __init__(self, retry=True):
        self.client = OpenAI()
        self.retryer = Retrying(max_attempts=3 if retry else 1, wait_seconds=60, retry_predicate=is_rate_limit_error)

    def generate(self, messages):
        return self.retryer(self.client.chat.completions.create, model="gpt-4o", messages=messages)
"""


def test_a_retry_class_wrapping_an_llm_call_is_read_from_its_constructor() -> None:
    (r,) = _retries(RETRY_CLASS)
    # attempts 3 (retry defaults to True), waits 60 × 2 = 120 s then 240 s before the last attempt
    assert (r.span.line, r.form, r.attempts, r.wait_s) == (33, "loop", 3, 360.0)
    assert r.retries_on == "HTTP 429 (is_rate_limit_error)" and not r.tells_quota_apart


def test_a_retry_class_defaults_and_a_handler_that_tests_429_itself() -> None:
    src = RETRY_CLASS.replace(
        "should_retry = self.retry_predicate(e) if self.retry_predicate else False",
        'should_retry = "429" in str(e)',
    ).replace(
        "Retrying(max_attempts=3 if retry else 1, wait_seconds=60, retry_predicate=is_rate_limit_error)",
        "Retrying(5, 1)",
    )
    (r,) = _retries(src)
    assert (r.attempts, r.wait_s, r.retries_on) == (5, 30.0, "HTTP 429 (Retrying)")  # 2 + 4 + 8 + 16


def test_a_retry_class_is_silent_when_quota_is_told_apart_or_no_llm_call_is_wrapped(tmp_path: Path) -> None:
    quota = RETRY_CLASS.replace('return "429" in text', 'return "insufficient_quota" not in text and "429" in text')
    search = RETRY_CLASS.replace("self.client.chat.completions.create", "self.search")
    no_predicate = RETRY_CLASS.replace(", retry_predicate=is_rate_limit_error", "")
    assert _codes(tmp_path, {"quota.py": quota, "search.py": search, "plain.py": no_predicate}) == []
    assert _codes(tmp_path, {"bad.py": RETRY_CLASS})[0][:3] == ("AIL303", "bad.py", 33)
