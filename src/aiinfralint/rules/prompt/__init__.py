"""Prompt family (AIL1xx): prefix-cache busters and prompt token budgets."""

from __future__ import annotations

from aiinfralint.rules.prompt.breakpoint_after_dynamic import CacheBreakpointAfterDynamic
from aiinfralint.rules.prompt.nondeterministic_prefix import NondeterministicPrefix
from aiinfralint.rules.prompt.prefix_below_cache_minimum import PrefixBelowCacheMinimum
from aiinfralint.rules.prompt.prefix_cache_buster import PrefixCacheBuster
from aiinfralint.rules.prompt.prefix_token_budget import PrefixTokenBudget

RULES: tuple[type, ...] = (
    PrefixCacheBuster,
    CacheBreakpointAfterDynamic,
    PrefixBelowCacheMinimum,
    PrefixTokenBudget,
    NondeterministicPrefix,
)
