from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from aiinfralint.analysis.workloads import agent_reason
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.k8s import Workload
from aiinfralint.rules.base import Example, Rule, RuleContext, Unpriced

DECISION_ANNOTATIONS = ("aiinfralint/data-retention", "aiinfralint/scratch-encryption")
# mounts that are not scratch for user data
SYSTEM_PATH_PREFIXES = ("/dev", "/sys", "/proc", "/etc", "/lib/modules", "/run", "/var/run", "/var/log", "/usr")
TEMPLATE_KINDS = frozenset(
    {"ServingRuntime", "ClusterServingRuntime", "TrainingRuntime", "ClusterTrainingRuntime", "PodTemplate", "DaemonSet"}
)

_BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rag-ingest-worker
  namespace: agents
spec:
  replicas: 3
  selector:
    matchLabels: {app: rag-ingest-worker}
  template:
    metadata:
      labels: {app: rag-ingest-worker}
    spec:
      containers:
      - name: worker
        image: ghcr.io/acme/rag-ingest:2.3.0
        volumeMounts:
        - name: scratch
          mountPath: /var/tmp/documents
      volumes:
      - name: scratch
        emptyDir: {}
"""

_GOOD = _BAD.replace(
    "        emptyDir: {}\n",
    "        emptyDir:\n          sizeLimit: 2Gi\n",
).replace(
    "  namespace: agents\n",
    '  namespace: agents\n  annotations:\n    aiinfralint/data-retention: "deleted with the pod; uploads purged after parsing"\n',
)


class AgentScratchVolumeUnbounded(Rule):
    """An agent or document worker keeps user data on an unbounded, unowned scratch volume.

    ## What it does
    Finds agent, document-processing, RAG-ingestion and code-sandbox workers (every
    `Sandbox`, `SandboxTemplate` and `SandboxWarmPool` of the `agents.x-k8s.io` API groups
    whatever its name; other workloads recognised from workload, container and image names, `app`/`component` labels and agent-framework
    environment variables such as `LANGCHAIN_*`, from one keyword list in
    `analysis/workloads.py`) that mount an `emptyDir` without `sizeLimit` or a `hostPath`
    volume as writable scratch space, when the workload records no retention or encryption
    decision. The decision is recorded with an annotation on the workload or its pod
    template: `aiinfralint/data-retention` (how long files live and who deletes them) or
    `aiinfralint/scratch-encryption` (how the node disk is encrypted).

    Silent: an `emptyDir` with `sizeLimit` (memory-backed or not), a generic ephemeral
    volume (`ephemeral.volumeClaimTemplate`, sized and provisioned by a storage class),
    read-only mounts, `/dev/shm` and system paths, DaemonSets (node agents for monitoring,
    GPU drivers or CSI are not agent workers) and workloads whose names mark them as
    infrastructure (monitoring, logging, GPU operator, CSI drivers).

    ## Why is this bad?
    Agents and document workers write what users give them (PDFs, spreadsheets, code,
    browser downloads) to scratch. An `emptyDir` lives on the node's disk until the pod
    leaves the node, with whatever encryption that disk happens to have; a `hostPath`
    outlives the pod and is visible to the next pod that mounts it. Without a size limit
    one large upload can fill the node's ephemeral storage and evict its neighbours.
    Nobody has decided how long this personal data lives, so it is an unowned PII store.

    ## How the estimate is computed
    No money or latency figure: the risk is data retention and node eviction, which the
    finding states in words.

    ## How to fix
    Give the volume a `sizeLimit`, or use a generic ephemeral volume from an encrypted
    storage class; never use `hostPath` for user data. Delete files when a task ends.
    Record the decision on the workload, for example
    `aiinfralint/data-retention: "deleted with the pod; purged after each task"` and
    `aiinfralint/scratch-encryption: "node disks encrypted with CMEK"`.

    ## References
    - emptyDir lifetime, medium and sizeLimit: https://kubernetes.io/docs/concepts/storage/volumes/#emptydir
    - Generic ephemeral volumes: https://kubernetes.io/docs/concepts/storage/ephemeral-volumes/#generic-ephemeral-volumes
    - hostPath risks: https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
    """

    code: ClassVar[str] = "AIL206"
    slug: ClassVar[str] = "agent-scratch-volume-unbounded"
    severity: ClassVar[Severity] = Severity.WARNING
    targets = (Workload,)
    inputs: ClassVar[str] = "Kubernetes workloads of agent, document, RAG and sandbox workers"
    summary: ClassVar[str] = "An agent or document worker writes user data to an unbounded, unowned scratch volume"
    examples = (
        Example(
            "k8s/rag-ingest.yaml",
            _BAD,
            expect=("AIL206",),
            title="emptyDir without sizeLimit on a RAG ingestion worker",
        ),
        Example("k8s/rag-ingest.yaml", _GOOD, title="size limit and a recorded retention decision"),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the risk is an unowned store of customer data, not spend"),
        Unpriced("kgco2e", "no kgCO2e figure: scratch volumes are a data risk, not an energy one"),
    )

    def check(self, obj: Any, ctx: RuleContext) -> Iterator[Finding]:
        w: Workload = obj
        if w.kind in TEMPLATE_KINDS or not w.pods:
            return
        if any(k in w.annotations for k in DECISION_ANNOTATIONS):
            return
        reason = agent_reason(w)
        if reason is None:
            return
        for pod in w.pods:
            if any(k in pod.annotations for k in DECISION_ANNOTATIONS):
                continue
            for vol in pod.volumes:
                if vol.type == "emptyDir":
                    if vol.size_limit:
                        continue
                elif vol.type != "hostPath":
                    continue
                mounts = [
                    path
                    for c in (*pod.containers, *pod.init_containers)
                    for name, path in c.mounts
                    if name == vol.name and name not in c.read_only
                ]
                mounts = [p for p in mounts if not _system(p)]
                if not mounts or (vol.type == "hostPath" and _system(vol.host_path or "")):
                    continue
                if vol.name in ("dshm", "shm"):
                    continue
                yield self._report(w, vol, mounts[0], reason)

    def _report(self, w: Workload, vol: Any, path: str, reason: str) -> Finding:
        if vol.type == "hostPath":
            what = f"hostPath `{vol.name}` ({vol.host_path or 'path unknown'}) at {path}"
            problem = ", which outlives the pod on the node,"
            extra = (
                "hostPath data stays on the node after the pod is gone and is readable by the next pod that mounts it"
            )
        else:
            medium = " (memory-backed)" if (vol.medium or "").lower() == "memory" else ""
            what = f"emptyDir `{vol.name}`{medium} at {path}"
            problem = " with no sizeLimit,"
            extra = (
                "memory-backed emptyDir without sizeLimit can take up to the node's memory share and counts against "
                "the container's memory limit"
                if medium
                else "emptyDir without sizeLimit can fill the node's ephemeral storage and evict neighbouring pods; files "
                "live until the pod leaves the node, encrypted only if the node disk is"
            )
        message = (
            f"{w.display_name} (agent/document worker: {reason}) writes scratch data to {what}{problem} "
            f"and no retention or encryption decision is recorded."
        )
        return self.finding(
            w,
            message,
            remediation=(
                "Give the volume a `sizeLimit` (or use a generic ephemeral volume from an encrypted storage class; never "
                "`hostPath` for user data) and delete files when a task ends. Record the decision on the workload with "
                "the annotation `aiinfralint/data-retention` (and `aiinfralint/scratch-encryption` for the disk)."
            ),
            impact=Impact(
                assumptions=(f"recognised as an agent/document worker by {reason}", extra),
                unpriced=(
                    Unpriced("latency", "no money or latency figure: the risk is data retention and node eviction"),
                ),
            ),
            span=vol.span or w.span,
            key=f"{w.namespace}/{w.name}/{vol.name}",
        )


def _system(path: str) -> bool:
    p = path.rstrip("/") or "/"
    return any(p == s or p.startswith(s + "/") for s in SYSTEM_PATH_PREFIXES)
