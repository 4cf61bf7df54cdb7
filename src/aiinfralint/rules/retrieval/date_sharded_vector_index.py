from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import ClassVar

from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.provider import duration_seconds
from aiinfralint.model.retrieval import LifecyclePolicy, VectorIndex, VectorStore
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

_WINDOW_SECONDS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "quarterly": 7776000,
    "yearly": 31536000,
}

_BAD = """\
{
  "index_patterns": ["embeddings-*"],
  "template": {
    "settings": {
      "index.lifecycle.name": "embeddings-daily",
      "index.lifecycle.rollover_alias": "embeddings"
    },
    "mappings": {
      "properties": {
        "text": {"type": "text"},
        "embedding": {"type": "dense_vector", "dims": 1024, "similarity": "cosine"},
        "ingested_at": {"type": "date"}
      }
    }
  }
}
"""

_BAD_POLICY = """\
{
  "policy": {
    "phases": {
      "hot": {"actions": {"rollover": {"max_age": "1d", "max_primary_shard_size": "50gb"}}},
      "delete": {"min_age": "90d", "actions": {"delete": {}}}
    }
  }
}
"""

_GOOD = """\
{
  "index_patterns": ["embeddings"],
  "template": {
    "settings": {"number_of_shards": 3},
    "mappings": {
      "properties": {
        "text": {"type": "text"},
        "embedding": {"type": "dense_vector", "dims": 1024, "similarity": "cosine"},
        "tenant_id": {"type": "keyword"}
      }
    }
  }
}
"""

_BAD_SQL = """\
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE chunks (
    id          bigserial,
    created_at  timestamptz NOT NULL DEFAULT now(),
    body        text NOT NULL,
    embedding   vector(1536) NOT NULL
) PARTITION BY RANGE (created_at);

CREATE TABLE chunks_2025_06 PARTITION OF chunks
    FOR VALUES FROM ('2025-06-01') TO ('2025-07-01');
CREATE INDEX ON chunks_2025_06 USING hnsw (embedding vector_cosine_ops);
"""


def _shards(window_s: float | None, retention_s: float | None) -> int | None:
    if window_s and retention_s and window_s > 0:
        return max(int(round(retention_s / window_s)), 1)
    return None


def _recall_assumptions(window: str, shards: int | None, routing: str) -> list[str]:
    out = [f"one shard (index, partition or collection) per {window} of ingestion time"]
    if routing == "latest":
        out.append("queries search only the newest shard: documents older than one window are unreachable")
    else:
        fan = f"{shards} shards" if shards else "every shard"
        out.append(
            f"a query without a date filter searches {fan} and merges each shard's local top-k; with a fixed "
            "per-shard candidate budget, global recall falls and cost grows as shards are added"
        )
    out.append("recall then depends on which shards a query reaches, not on the query")
    return out


def _matches(patterns: tuple[str, ...], names: tuple[str, ...]) -> bool:
    for p in patterns:
        for n in names:
            if fnmatchcase(n, p) or fnmatchcase(p, n) or p.rstrip("*") == n.rstrip("*"):
                return True
    return False


class DateShardedVectorIndex(Rule):
    """An embedding index is split by ingestion date, so recall depends on the shard a query reaches.

    ## What it does
    Finds vector indexes that are partitioned by time:
    Elasticsearch/OpenSearch index templates with `dense_vector`/`knn_vector` fields whose
    ILM policy (`index.lifecycle.name`) or ISM policy (`policy_id`, or an `ism_template`
    matching the index patterns) rolls over by age (`max_age`, `min_index_age`), or whose
    names use date math (`<embeddings-{now/d}>`); pgvector tables with vector columns that
    are `PARTITION BY RANGE` on a timestamp or date column; Milvus partitions, Qdrant
    collections or Weaviate classes named by date, or a Milvus partition key on a date field;
    and `VectorIndex` objects with a time-based `sharding.granularity`. A `VectorIndex`
    whose queries are routed `by-date` (they carry a date filter), or that fans out to all
    shards and measures recall with eval queries covering every shard, is silent. A single
    index, or partitions by tenant (`PARTITION BY LIST`), is silent.

    The same stores are read from Python code: a Timescale Vector client's
    `time_partition_interval=` (LangChain `TimescaleVector`, LlamaIndex `TimescaleVectorStore`,
    `timescale_vector.client`; silent when the file's searches pass `start_date`/`end_date`/
    `uuid_time_filter`), SQLAlchemy or Alembic tables with a pgvector `Vector` column and
    `postgresql_partition_by="RANGE (<timestamp>)"`, SQL strings in the code, Elasticsearch/
    OpenSearch `indices.create` with a date-built index name and a vector mapping, and Milvus
    `create_partition` with a date-built partition name. Index templates and lifecycle policies
    created from Python (`indices.put_index_template`/`put_template`, `ilm.put_lifecycle`,
    opensearch-py `index_management.put_policy`) are read with the same functions as the JSON
    and console readers, so a template with a vector mapping linked to an age rollover is
    reported where the policy is named in the template.

    ## Why is this bad?
    Time-based rollover is the right shape for logs, not for semantic search. Each shard
    (index, segment set or partition) holds its own HNSW graph and returns its local top-k;
    the coordinator merges them. A query without a date predicate either reaches only the
    newest shard (old knowledge silently disappears) or fans out to all of them, where the
    per-shard candidate budget (`num_candidates`, `ef_search`) decides recall and latency
    grows with the shard count. Recall measured on a fresh index says nothing about day 90.

    ## How the estimate is computed
    The impact states the shard window (rollover age, partition range, date unit) and,
    where a retention is known, the number of shards a query fans out to (retention ÷
    window). There is no money figure: the cost is recall, which only an eval over all
    shards can measure.

    ## How to fix
    Keep one index per embedding model and split it by size (`max_primary_shard_size`) or
    tenant, not by day; put the date in a filterable field. If time partitions are needed
    for retention, route queries with an explicit date filter, raise the per-shard candidate
    budget, and measure recall with eval queries spread over every shard (declare it in a
    `VectorIndex` with `queryRouting` and `eval`).

    ## References
    - Elasticsearch kNN search across shards: https://www.elastic.co/search-labs/blog/knn-query-elasticsearch
    - ILM rollover conditions: https://www.elastic.co/docs/reference/elasticsearch/index-lifecycle-actions/ilm-rollover
    - pgvector filtering and partitioning: https://github.com/pgvector/pgvector#filtering
    - Qdrant multitenancy: https://qdrant.tech/documentation/manage-data/multitenancy/
    """

    code: ClassVar[str] = "AIL401"
    slug: ClassVar[str] = "date-sharded-vector-index"
    severity: ClassVar[Severity] = Severity.WARNING
    inputs: ClassVar[str] = (
        "Elasticsearch/OpenSearch templates and ILM/ISM policies, pgvector DDL, Milvus/Qdrant/Weaviate collections, "
        "VectorIndex; time-partitioned vector stores created from Python"
    )
    summary: ClassVar[str] = (
        "An embedding index is split by ingestion date, so recall depends on the shard a query reaches"
    )
    examples = (
        Example(
            "search/embeddings-template.json",
            _BAD,
            expect=("AIL401",),
            title="ILM rollover every day",
            extra_files=(("search/embeddings-daily.json", _BAD_POLICY),),
        ),
        Example("db/schema.sql", _BAD_SQL, expect=("AIL401",), title="pgvector table partitioned by month"),
        Example("search/embeddings-template.json", _GOOD, title="one index, tenant as a filter field"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the cost is recall or latency, which the configuration does not price"),
        Unpriced("kgco2e", "no kgCO2e figure: the failure changes answer quality or latency, not energy"),
    )

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        policies = list(ctx.project.of_type(LifecyclePolicy))
        stores = list(ctx.project.of_type(VectorStore))
        for store in stores:
            yield from self._store(store, policies, stores)
        for vi in ctx.project.of_type(VectorIndex):
            yield from self._own(vi)

    def _store(self, s: VectorStore, policies: list[LifecyclePolicy], stores: list[VectorStore]) -> Iterator[Finding]:
        vector_fields = s.vector_fields
        if not vector_fields and s.engine in ("elasticsearch", "opensearch") and s.partitioning is not None:
            # a date-math index created without mappings takes them from a matching template
            base = re.sub(r"\{now[^{}]*(?:\{[^{}]*\})?\}", "*", s.name.strip("<>"))
            template = next((o for o in stores if o.vector_fields and _matches(o.index_patterns, (base,))), None)
            if template is not None:
                vector_fields = template.vector_fields
        if not vector_fields and s.engine not in ("qdrant", "weaviate"):
            return
        fields = ", ".join(vector_fields[:3]) + (" ..." if len(vector_fields) > 3 else "")
        p = s.partitioning
        if p is not None:
            window = p.window or p.granularity or "time range"
            gran = f" ({p.granularity})" if p.granularity else ""
            yield self.finding(
                s,
                f"{s.display_name} holds vectors ({fields}) split by time with {p.mechanism}{gran}, so a query's recall "
                "depends on which time shards it reaches.",
                remediation=(
                    "Keep one index or table per embedding model and split it by size or tenant (for pgvector, "
                    "`PARTITION BY LIST` on the tenant), with the date as a filter column; if time partitions are kept "
                    "for retention, filter queries by date explicitly and measure recall over every partition."
                ),
                impact=Impact(assumptions=tuple(_recall_assumptions(window, None, "all-shards"))),
                span=p.span,
                key="partitioning",
            )
            return
        names = (s.name, *s.index_patterns, *((s.rollover_alias,) if s.rollover_alias else ()))
        for pol in policies:
            if not pol.rollover_age:
                continue
            linked = (s.lifecycle_policy is not None and s.lifecycle_policy == pol.name) or (
                pol.index_patterns and _matches(pol.index_patterns, names)
            )
            if not linked:
                continue
            where = f"{pol.rollover_span or pol.span}"
            yield self.finding(
                s,
                f"{s.display_name} holds vectors ({fields}) and rolls over by age ({pol.rollover_key} {pol.rollover_age} "
                f"in {pol.display_name}), so each {pol.rollover_age} of ingestion becomes its own kNN index.",
                remediation=(
                    f"Roll over by size (`max_primary_shard_size`) instead of age for the embedding index, or route "
                    f"queries with a date filter and measure recall across all rolled-over indices. Policy: {where}."
                ),
                impact=Impact(assumptions=tuple(_recall_assumptions(pol.rollover_age, None, "all-shards"))),
                span=s.span_of("lifecycle", "index_patterns"),
                key=f"policy/{pol.name}",
                related=(pol,),
            )
            return

    def _own(self, vi: VectorIndex) -> Iterator[Finding]:
        spec = vi.spec
        sh = spec.sharding
        if not sh.time_based:
            return
        if spec.query_routing in ("by-date", "by-tenant"):
            return
        if spec.query_routing == "all-shards" and spec.eval.covers_all_shards and spec.eval.source != "none":
            return
        window_s = _WINDOW_SECONDS.get(sh.granularity)
        retention_s = duration_seconds(sh.retention) if sh.retention else None
        shards = _shards(window_s, retention_s)
        assumptions = _recall_assumptions(
            sh.granularity.removesuffix("ly").replace("dai", "day"), shards, spec.query_routing
        )
        if shards and spec.per_shard_candidates:
            assumptions.append(
                f"{spec.per_shard_candidates} candidates per shard × {shards} shards = "
                f"{spec.per_shard_candidates * shards:,} graph candidates merged per query"
            )
        if spec.eval.source == "none":
            assumptions.append("no eval query source declared: recall is not measured")
        elif not spec.eval.covers_all_shards:
            assumptions.append(
                f"eval queries ({spec.eval.source}, window {spec.eval.window or 'unstated'}) do not cover every shard"
            )
        key_txt = f" on `{sh.key}`" if sh.key else ""
        if spec.query_routing == "latest":
            routing = "queries search only the newest shard"
        else:
            fan = f"~{shards} shards" if shards else "every shard"
            routing = f"each query fans out to {fan} and merges their local top-k"
        yield self.finding(
            vi,
            f"{vi.display_name} ({spec.engine}) is sharded {sh.granularity}{key_txt} and {routing}, so recall depends "
            "on the shard a query reaches.",
            remediation=(
                "Shard by size or tenant rather than ingestion date, or route queries `by-date` with an explicit date "
                "filter; declare eval queries that cover every shard (`eval.coversAllShards: true`) so recall is "
                "measured where users search."
            ),
            impact=Impact(assumptions=tuple(assumptions)),
            span=vi.span_of("sharding.granularity", "sharding", "queryRouting"),
            key="sharding",
        )
