"""Facts read from Python application code: retries, rerankers, vector partitions, budgets."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiinfralint.config import Config
from aiinfralint.model.provider import CodeReranker, CodeRetry
from aiinfralint.model.retrieval import VectorStore
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
    # the same loop around a web-search API: its 429 is not an LLM quota
    other = src.replace("import anthropic", "import requests").replace(
        'client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=[])',
        'requests.get("https://api.exa.ai/search").json()',
    )
    assert _retries(other) == []


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


# --- rerankers (AIL402) ---------------------------------------------------------------

RERANK = """
import cohere

co = cohere.ClientV2()

def answer(query, docs):
    return co.rerank(model="rerank-v3.5", query=query, documents=docs[:10], top_n=3)
"""


def _rerankers(src: str) -> list[CodeReranker]:
    return [o for o in _objects(src) if isinstance(o, CodeReranker)]


def test_cohere_rerank_without_timeout_is_reported(tmp_path: Path) -> None:
    (r,) = _rerankers(RERANK)
    assert (r.function, r.client, r.reranker.model, r.reranker.candidates, r.deadline) == (
        "answer",
        "cohere rerank",
        "rerank-v3.5",
        10,
        None,
    )
    ((code, line, message),) = _codes(tmp_path, RERANK)
    assert (code, line) == ("AIL402", 7)
    assert "`answer()` (llm.py:7) reranks 10 candidates with rerank-v3.5 (api) with no timeout" in message


def test_client_timeout_is_a_deadline(tmp_path: Path) -> None:
    src = RERANK.replace("cohere.ClientV2()", "cohere.ClientV2(timeout=0.3)")
    (r,) = _rerankers(src)
    assert r.reranker.timeout_ms == 300
    assert _codes(tmp_path, src) == []


def test_long_client_timeout_is_reported(tmp_path: Path) -> None:
    src = RERANK.replace("cohere.ClientV2()", "cohere.ClientV2(timeout=30)")
    ((code, _, message),) = _codes(tmp_path, src)
    assert code == "AIL402" and "a 30000 ms timeout, longer than the a 500 ms" not in message
    assert "30000 ms timeout, longer than" in message


def test_rerank_under_wait_for_is_silent(tmp_path: Path) -> None:
    src = """
    import asyncio
    import cohere

    co = cohere.AsyncClientV2()

    async def _rerank(query, docs):
        return await co.rerank(model="rerank-v3.5", query=query, documents=docs[:50])

    async def answer(query, docs):
        try:
            return await asyncio.wait_for(_rerank(query, docs), timeout=0.4)
        except asyncio.TimeoutError:
            return docs
    """
    (r,) = _rerankers(src)  # the deadline wraps a call of the function that reranks
    assert r.deadline == "asyncio deadline" and r.reranker.timeout_ms == 400
    assert _codes(tmp_path, src) == []


def test_cross_encoder_with_retriever_k(tmp_path: Path) -> None:
    src = """
    from sentence_transformers import CrossEncoder

    def search(store, query):
        hits = store.similarity_search(query, k=100)
        model = CrossEncoder("BAAI/bge-reranker-v2-m3", device="cpu")
        return model.predict([(query, h.page_content) for h in hits])
    """
    (r,) = _rerankers(src)
    assert (r.reranker.type, r.reranker.candidates, r.reranker.device) == ("cross-encoder", 100, "cpu")
    ((code, line, message),) = _codes(tmp_path, src)
    assert (code, line) == ("AIL402", 6) and "≈1,875 ms added" in message


def test_cross_encoder_without_candidate_count_is_not_judged() -> None:
    src = """
    from sentence_transformers import CrossEncoder
    model = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2")
    """
    assert _rerankers(src) == []


def test_own_class_named_like_a_reranker_is_not_read() -> None:
    src = """
    class CrossEncoder:
        pass

    def f(store, q):
        store.similarity_search(q, k=100)
        return CrossEncoder("x")
    """
    assert _rerankers(src) == []


def test_rerank_on_an_unknown_object_is_not_read() -> None:
    assert _rerankers("def f(r, q, d):\n    return r.rerank(model='m', query=q, documents=d[:100])\n") == []


def test_imported_names_are_followed_not_dropped() -> None:
    src = """
    import time
    import backoff
    from openai import RateLimitError
    from tenacity import retry, retry_if_exception_type, stop_after_attempt

    @backoff.on_exception(backoff.expo, RateLimitError, max_tries=3)
    def a():
        pass

    @retry(retry=retry_if_exception_type(RateLimitError), stop=stop_after_attempt(3))
    def b():
        pass

    def c(call):
        for _ in range(3):
            try:
                return call()
            except RateLimitError:
                time.sleep(1)
    """
    assert sorted((r.function, r.form, r.retries_on) for r in _retries(src)) == [
        ("a", "backoff", "RateLimitError"),
        ("b", "tenacity", "RateLimitError"),
        ("c", "loop", "RateLimitError"),
    ]


def test_retry_policy_passed_by_name_is_not_guessed() -> None:
    src = """
    from litellm import Router
    from settings import POLICY
    router = Router(model_list=[{"model_name": "a", "litellm_params": {"model": "openai/gpt-4o"}}],
                    num_retries=3, retry_policy=POLICY)
    """
    assert _retries(src) == []


# --- vector stores split by time (AIL401) ------------------------------------------------


def _stores(src: str) -> list[VectorStore]:
    return [o for o in _objects(src) if isinstance(o, VectorStore)]


def test_timescale_interval_is_a_weekly_partitioning(tmp_path: Path) -> None:
    src = """
    from datetime import timedelta
    from timescale_vector import client

    def connect(url):
        return client.Sync(url, "commits", 1536, time_partition_interval=timedelta(days=7))
    """
    (s,) = _stores(src)
    assert s.partitioning is not None
    assert (s.name, s.partitioning.granularity, s.partitioning.window) == ("commits", "weekly", "7 days")
    ((code, line, message),) = _codes(tmp_path, src)
    assert (code, line) == ("AIL401", 6) and "in `connect()` (llm.py:6)" in message


def test_timescale_with_time_filtered_search_is_silent() -> None:
    src = """
    from datetime import timedelta
    from timescale_vector import client
    vec = client.Sync(URL, "commits", 1536, time_partition_interval=timedelta(hours=6))
    vec.search(emb, limit=5, uuid_time_filter=client.UUIDTimeRange(start, end))
    """
    assert _stores(src) == []


def test_sqlalchemy_declarative_partition_on_timestamp_with_vector() -> None:
    src = """
    from pgvector.sqlalchemy import Vector
    from sqlalchemy import Column, DateTime, Integer

    class Chunk(Base):
        __tablename__ = "chunks"
        __table_args__ = ({"postgresql_partition_by": "RANGE (created_at)"},)
        id = Column(Integer, primary_key=True)
        embedding = Column(Vector(768))
        created_at = Column(DateTime(timezone=True))
    """
    (s,) = _stores(src)
    assert (s.name, s.vector_fields, s.span.line) == ("chunks", ("embedding",), 5)


def test_partition_by_tenant_or_without_vectors_is_silent() -> None:
    by_tenant = """
    import sqlalchemy as sa
    from alembic import op
    from pgvector.sqlalchemy import Vector
    op.create_table("c", sa.Column("embedding", Vector(3)), sa.Column("tenant", sa.String()),
                    postgresql_partition_by="LIST (tenant)")
    """
    no_vector = """
    import sqlalchemy as sa
    from alembic import op
    op.create_table("events", sa.Column("created_at", sa.DateTime()), postgresql_partition_by="RANGE (created_at)")
    """
    assert _stores(by_tenant) == [] and _stores(no_vector) == []


def test_sql_string_goes_through_the_pgvector_reader_on_its_own_lines() -> None:
    src = '''
    from alembic import op

    def upgrade():
        op.execute("""
            CREATE TABLE docs (id bigint, embedding vector(768), created_at timestamptz)
            PARTITION BY RANGE (created_at);
        """)
    '''
    (s,) = _stores(src)
    assert s.partitioning is not None and s.partitioning.span.line == 7 and s.span.line == 6


def test_docstring_sql_is_not_read() -> None:
    src = '''
    def f():
        """CREATE TABLE d (e vector(3), t timestamptz) PARTITION BY RANGE (t);"""
    '''
    assert _stores(src) == []


def test_date_named_index_and_milvus_partition() -> None:
    src = """
    from pymilvus import Collection

    def daily(es, day):
        es.indices.create(index=f"docs-{day:%Y.%m.%d}", mappings={"properties": {"v": {"type": "dense_vector"}}})
        es.indices.create(index=f"logs-{day:%Y.%m.%d}", mappings={"properties": {"msg": {"type": "text"}}})
        Collection("tickets").create_partition(f"p_{day:%Y_%m_%d}")
        Collection("tickets").create_partition("p_tenant_a")
    """
    found = sorted((s.engine, s.name, s.vector_fields) for s in _stores(src))
    assert found == [
        ("elasticsearch", "f'docs-{day:%Y.%m.%d}'", ("v",)),
        ("milvus", "tickets", ("the collection's vector field",)),
    ]


def test_deeply_nested_arguments_never_crash_the_readers() -> None:
    nested = "(" * 180 + "day" + ")" * 180
    src = (
        "from pymilvus import Collection\n"
        f"Collection('t').create_partition(f'p_{{{nested}:%Y}}')\n"
        f"op.create_table('c', Column('e', Vector({nested})), postgresql_partition_by='RANGE (created_at)')\n"
        f"co.rerank(model='m', documents=d[:{nested}])\n"
        "import tenacity\n"
        f"x = tenacity.Retrying(stop=tenacity.stop_after_attempt({'+'.join(['1'] * 150)}))\n"
    )
    out = parse_text(FileInput("deep.py", src))
    assert not out.problems


def test_client_pointed_at_another_server_is_left_alone() -> None:
    src = LOOP.replace(
        "import openai\n", "import openai\nclient = openai.OpenAI(base_url='http://localhost:8000/v1')\n"
    )
    assert _retries(src) == []
    hosted = LOOP.replace(
        "import openai\n", "import openai\nclient = openai.OpenAI(base_url='https://api.openai.com/v1')\n"
    )
    assert len(_retries(hosted)) == 1
