"""Kubernetes GPU family (AIL2xx)."""

from __future__ import annotations

from aiinfralint.rules.k8s.agent_scratch_volume import AgentScratchVolumeUnbounded
from aiinfralint.rules.k8s.batch_window_overlaps_peak import BatchGpuWindowOverlapsPeak
from aiinfralint.rules.k8s.cpu_autoscaling_llm import CpuAutoscalingLlmServing
from aiinfralint.rules.k8s.scale_to_zero_llm import ScaleToZeroLlmServing
from aiinfralint.rules.k8s.shared_batch_realtime_pool import SharedBatchRealtimeGpuPool
from aiinfralint.rules.k8s.streaming_proxy_timeout import StreamingProxyTimeout

RULES: tuple[type, ...] = (
    SharedBatchRealtimeGpuPool,
    BatchGpuWindowOverlapsPeak,
    ScaleToZeroLlmServing,
    CpuAutoscalingLlmServing,
    StreamingProxyTimeout,
    AgentScratchVolumeUnbounded,
)
