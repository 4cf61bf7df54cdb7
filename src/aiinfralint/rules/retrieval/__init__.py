"""Retrieval family (AIL4xx): vector indexes and rerankers."""

from __future__ import annotations

from aiinfralint.rules.retrieval.date_sharded_vector_index import DateShardedVectorIndex
from aiinfralint.rules.retrieval.reranker_without_deadline import RerankerWithoutDeadline

RULES: tuple[type, ...] = (
    DateShardedVectorIndex,
    RerankerWithoutDeadline,
)
