"""Tokens, cost, energy and carbon: one estimator used by every rule.

    from aiinfralint.estimate import Estimator, combine
    est = Estimator(config)
    est.gpu_workload("nvidia-h100-80gb", 8, 730, region="us-central1")

Data tables are versioned package data under ``estimate/data/`` and load on first use.
"""

from __future__ import annotations

from aiinfralint.estimate.estimator import (
    DAYS_PER_MONTH,
    HOURS_PER_MONTH,
    CacheMinimum,
    CacheRule,
    CostLookup,
    Estimator,
    GridLookup,
    ModelPrices,
    PowerLookup,
    PriceLookup,
    PueLookup,
    combine,
    fmt_num,
    fmt_usd,
)
from aiinfralint.estimate.names import provider_for_region
from aiinfralint.estimate.tables import TABLE_NAMES, Table, TableError, load_table

__all__ = [
    "DAYS_PER_MONTH",
    "HOURS_PER_MONTH",
    "TABLE_NAMES",
    "CacheMinimum",
    "CacheRule",
    "CostLookup",
    "Estimator",
    "GridLookup",
    "ModelPrices",
    "PowerLookup",
    "PriceLookup",
    "PueLookup",
    "Table",
    "TableError",
    "combine",
    "fmt_num",
    "fmt_usd",
    "load_table",
    "provider_for_region",
]
