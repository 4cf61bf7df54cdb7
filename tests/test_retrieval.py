"""Retrieval family: vector-store readers (Elasticsearch/OpenSearch, console files, pgvector,
Milvus/Qdrant/Weaviate), AIL401 and AIL402."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from aiinfralint.model.retrieval import LifecyclePolicy, VectorStore
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.vector_pgvector import blank
from aiinfralint.parsers.vector_pgvector import parse as parse_sql


def _stores(sql: str) -> list[VectorStore]:
    return [o for o in parse_sql(FileInput("schema.sql", sql)).objects if isinstance(o, VectorStore)]


def test_blank_keeps_offsets_and_hides_comments_and_strings():
    sql = "SELECT 'a;b' -- x; y\n/* PARTITION BY RANGE (x); */ SELECT $$;$$;\n"
    out = blank(sql)
    assert len(out) == len(sql) and out.count("\n") == sql.count("\n")
    assert "PARTITION" not in out and out.count(";") == 2


@pytest.mark.parametrize(
    "ddl,granularity",
    [
        (
            "PARTITION BY RANGE (created_at);\nCREATE TABLE d_1 PARTITION OF d FOR VALUES FROM ('2025-01-01') TO ('2025-01-02');",
            "daily",
        ),
        (
            "PARTITION BY RANGE (created_at);\nCREATE TABLE d_1 PARTITION OF d FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');",
            "monthly",
        ),
        (
            "PARTITION BY RANGE (created_at);\nSELECT partman.create_parent('public.d', 'created_at', 'native', '1 week');",
            "weekly",
        ),
        ("PARTITION BY RANGE (created_at);", None),
    ],
)
def test_pgvector_time_partitions(ddl, granularity):
    sql = f"CREATE TABLE d (id bigint, created_at timestamptz NOT NULL, emb vector(3)) {ddl}\n"
    (store,) = _stores(sql)
    assert store.partitioning is not None
    assert store.partitioning.granularity == granularity
    assert store.partitioning.span.line == 1


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE d (id bigint, tenant text, emb vector(3)) PARTITION BY LIST (tenant);",
        "CREATE TABLE d (id bigint, n int, emb vector(3)) PARTITION BY RANGE (n);",
        "CREATE TABLE d (id bigint, emb vector(3));",
        "-- CREATE TABLE d (id bigint, created_at date, emb vector(3)) PARTITION BY RANGE (created_at);\nCREATE TABLE e (emb halfvec(3));",
    ],
)
def test_pgvector_not_time_partitioned(ddl):
    assert all(s.partitioning is None for s in _stores(ddl))


def test_pgvector_ignores_tables_without_vectors():
    assert (
        _stores(
            "CREATE TABLE logs (at timestamptz) PARTITION BY RANGE (at);\nCREATE INDEX ON x USING hnsw (v vector_l2_ops);"
        )
        == []
    )


def test_ism_policy_links_by_index_pattern(run_check):
    policy = {
        "policy": {
            "policy_id": "p",
            "states": [{"name": "hot", "actions": [{"rollover": {"min_index_age": "1d"}}]}],
            "ism_template": {"index_patterns": ["vec-*"]},
        }
    }
    mapping = {
        "index_patterns": ["vec-*"],
        "template": {"mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 4}}}},
    }
    result = run_check({"policy.json": json.dumps(policy, indent=1), "tmpl.json": json.dumps(mapping, indent=1)})
    assert [(f.code, f.span.path) for f in result.findings] == [("AIL401", "tmpl.json")]
    pol = next(result.project.of_type(LifecyclePolicy))
    assert (pol.name, pol.rollover_age, pol.index_patterns) == ("p", "1d", ("vec-*",))


def test_size_only_rollover_is_silent(run_check):
    policy = {"policy": {"phases": {"hot": {"actions": {"rollover": {"max_primary_shard_size": "50gb"}}}}}}
    mapping = {
        "settings": {"index": {"lifecycle": {"name": "size"}}},
        "mappings": {"properties": {"v": {"type": "dense_vector"}}},
    }
    result = run_check({"size.json": json.dumps(policy), "idx.json": json.dumps(mapping)})
    assert not result.findings
    store = next(result.project.of_type(VectorStore))
    assert store.lifecycle_policy == "size"  # nested settings are read too


def test_console_policy_named_by_path(run_check):
    text = (
        "PUT _ilm/policy/emb-daily\n"
        '{"policy": {"phases": {"hot": {"actions": {"rollover": {"max_age": "1d"}}}}}}\n\n'
        "PUT emb-000001\n"
        '{"settings": {"index.lifecycle.name": "emb-daily"}, "mappings": {"properties": {"e": {"type": "dense_vector"}}}}\n'
    )
    result = run_check({"setup.json": text})
    assert [(f.code, f.span.line) for f in result.findings] == [("AIL401", 5)]


def test_collections(run_check):
    weaviate = {
        "classes": [{"class": "Docs_2025_01", "vectorizer": "none"}, {"class": "Docs_2025_02", "vectorizer": "none"}]
    }
    qdrant = {"collection_name": "faq", "vectors": {"size": 384, "distance": "Cosine"}}
    milvus = "collection_name: tickets\nschema:\n  fields:\n    - {name: v, dtype: FLOAT_VECTOR, dim: 8}\n    - {name: created_day, dtype: INT64, is_partition_key: true}\n"
    result = run_check(
        {"weaviate.json": json.dumps(weaviate, indent=1), "qdrant.json": json.dumps(qdrant), "milvus.yaml": milvus}
    )
    got = sorted((f.span.path, f.span.line) for f in result.findings)
    assert got == [("milvus.yaml", 5), ("weaviate.json", 4)]


def test_reranker_estimate(run_check):
    text = (
        "apiVersion: aiinfralint/v1\nkind: AIFeature\nmetadata: {name: f}\nspec:\n  model: m\n"
        "  slo: {p99Ms: 1000}\n  retrieval:\n    topK: 50\n    reranker: {model: cross-encoder/ms-marco-electra-base, device: cpu}\n"
    )
    (f,) = run_check({"f.yaml": text}, select=["AIL402"]).findings
    assert f.impact.latency_ms == pytest.approx(50 * 2.96)
    assert "148 ms" in " ".join(f.impact.assumptions)


def test_tiny_reranker_without_deadline_is_silent(run_check):
    text = (
        "apiVersion: aiinfralint/v1\nkind: AIFeature\nmetadata: {name: f}\nspec:\n  model: m\n"
        "  slo: {p99Ms: 1000}\n  retrieval:\n    topK: 10\n    reranker: {model: cross-encoder/ms-marco-MiniLM-L-6-v2, device: cpu}\n"
    )
    assert not run_check({"f.yaml": text}, select=["AIL402"]).findings


VECTOR_CORPORA = (
    "pgvector__pgvector",
    "opensearch-project__neural-search",
    "opensearch-project__index-management",
    "elastic__elasticsearch-labs",
    "qdrant__qdrant",
    "qdrant__vector-db-benchmark",
    "milvus-io__milvus-helm",
    "weaviate__weaviate-helm",
)


@pytest.mark.parametrize("name", VECTOR_CORPORA)
def test_vector_corpora_stay_quiet(name):
    root = CORPUS / name
    if not root.is_dir():
        pytest.skip("corpus not present")
    from aiinfralint.config import Config
    from aiinfralint.pipeline.engine import RunOptions, run

    result = run(RunOptions(paths=["."], config=Config(), cwd=root, use_cache=False, jobs=1, select=["AIL000", "AIL4"]))
    # none of these projects splits an embedding index by date, and their configs parse
    assert [(f.code, f.span.path) for f in result.findings] == []
