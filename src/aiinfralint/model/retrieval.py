"""Vector indexes: the project's own `VectorIndex` kind and what vector-store configs show.

Elasticsearch/OpenSearch templates and mappings, ILM/ISM policies, pgvector DDL and
Milvus/Qdrant/Weaviate collection configs all become `VectorStore` objects (an index that
holds embeddings, with any time-based partitioning found) and `LifecyclePolicy` objects
(rollover by age), joined by the rules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.provider import OwnKindObject, Spec, _check_duration

TIME_GRANULARITIES = ("hourly", "daily", "weekly", "monthly", "quarterly", "yearly")


class Sharding(Spec):
    key: str | None = Field(None, description="field the index is split on, e.g. created_at or tenant_id")
    granularity: Literal["none", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "tenant", "hash"] = (
        "none"
    )
    retention: str | None = Field(None, description="how long shards are kept, e.g. '90d'")

    _r = field_validator("retention")(_check_duration)

    @property
    def time_based(self) -> bool:
        return self.granularity in TIME_GRANULARITIES


class EvalQueries(Spec):
    source: Literal["production-sample", "golden-set", "synthetic", "none"] = "none"
    window: str | None = Field(None, description="age range of the documents the eval queries target, e.g. '365d'")
    covers_all_shards: bool = Field(False, description="eval queries are spread over every shard, not only the newest")

    _w = field_validator("window")(_check_duration)


class VectorIndexSpec(Spec):
    """An embedding index: engine, how it is split, how queries reach the pieces, how recall is measured."""

    engine: Literal["elasticsearch", "opensearch", "pgvector", "milvus", "qdrant", "weaviate", "pinecone", "other"]
    embedding_model: str | None = None
    dimensions: int | None = Field(None, ge=1)
    sharding: Sharding = Field(default_factory=lambda: Sharding.model_validate({}))
    query_routing: Literal["all-shards", "latest", "by-date", "by-tenant"] = Field(
        "all-shards",
        description="all-shards: every query fans out and merges per-shard top-k; latest: only the newest shard; "
        "by-date: queries carry a date filter that selects shards; by-tenant: a tenant key selects the shard",
    )
    per_shard_candidates: int | None = Field(None, ge=1, description="num_candidates / ef_search per shard")
    eval: EvalQueries = Field(default_factory=lambda: EvalQueries.model_validate({}))


class VectorIndex(OwnKindObject):
    spec: VectorIndexSpec


class TimePartitioning(ModelObject):
    """Evidence that an index is split by time, with where it is written."""

    mechanism: str  # "ILM rollover max_age 1d", "PARTITION BY RANGE (created_at)", ...
    granularity: str | None = None  # daily, monthly ... when known
    window: str | None = None  # the shard window as written ("1d", "1 month")


class VectorStore(ModelObject):
    """An index, table or collection that holds embedding vectors."""

    engine: str
    name: str
    vector_fields: tuple[str, ...] = ()
    index_patterns: tuple[str, ...] = ()
    lifecycle_policy: str | None = None  # ILM `index.lifecycle.name` / ISM policy_id
    rollover_alias: str | None = None
    partitioning: TimePartitioning | None = None  # found in the same document/statement

    @property
    def display_name(self) -> str:
        noun = {"pgvector": "table", "milvus": "collection", "qdrant": "collection", "weaviate": "class"}.get(
            self.engine, "index"
        )
        return f"{self.engine} {noun} {self.name}"


class LifecyclePolicy(ModelObject):
    """An ILM or ISM policy; `rollover_age` is set when rollover is by age."""

    engine: str
    name: str
    rollover_age: str | None = None
    rollover_key: str = "max_age"
    index_patterns: tuple[str, ...] = ()  # ISM ism_template.index_patterns
    rollover_span: Span | None = None

    @property
    def display_name(self) -> str:
        return f"{self.engine} lifecycle policy {self.name}"
