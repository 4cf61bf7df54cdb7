"""Kubernetes GPU family (AIL2xx)."""

from __future__ import annotations

from aiinfralint.rules.k8s.batch_window_overlaps_peak import BatchGpuWindowOverlapsPeak
from aiinfralint.rules.k8s.scale_to_zero_llm import ScaleToZeroLlmServing
from aiinfralint.rules.k8s.shared_batch_realtime_pool import SharedBatchRealtimeGpuPool

RULES: tuple[type, ...] = (
    SharedBatchRealtimeGpuPool,
    BatchGpuWindowOverlapsPeak,
    ScaleToZeroLlmServing,
)
