"""Provider quotas and gateways family (AIL3xx): quota contracts, LiteLLM configs, AI features."""

from __future__ import annotations

from aiinfralint.rules.provider.peak_overlaps_provider_peak import PeakOverlapsProviderPeak
from aiinfralint.rules.provider.quota_reset_misaligned import QuotaResetMisaligned
from aiinfralint.rules.provider.quota_without_burn_alert import QuotaWithoutBurnAlert
from aiinfralint.rules.provider.retry_masks_quota_exhaustion import RetryMasksQuotaExhaustion
from aiinfralint.rules.provider.unpinned_model_multi_region import UnpinnedModelMultiRegion

RULES: tuple[type, ...] = (
    QuotaResetMisaligned,
    QuotaWithoutBurnAlert,
    RetryMasksQuotaExhaustion,
    UnpinnedModelMultiRegion,
    PeakOverlapsProviderPeak,
)
