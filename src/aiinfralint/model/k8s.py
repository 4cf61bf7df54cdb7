"""Kubernetes objects as rules need them: workloads with pod templates and GPUs,
autoscalers, ingresses, services, priority classes and queues."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict

from aiinfralint.model.base import ModelObject, Span

GPU_RESOURCE_PREFIXES = ("nvidia.com/gpu", "amd.com/gpu", "nvidia.com/mig-", "gpu.intel.com/", "habana.ai/gaudi")

Role = Literal["batch", "serving", "other"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class Toleration(_Part):
    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""


class NodeTerm(_Part):
    """One required node-affinity expression (`key In [values]`)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


class Container(_Part):
    name: str = ""
    image: str = ""
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: dict[str, str] = {}
    # GPU resource name -> count (max of requests and limits)
    gpus: dict[str, float] = {}
    cpu: str | None = None
    memory: str | None = None
    mounts: tuple[tuple[str, str], ...] = ()  # (volume name, mount path)
    read_only: frozenset[str] = frozenset()  # volume names mounted readOnly
    span: Span | None = None
    gpu_span: Span | None = None  # the first GPU resource line


class Volume(_Part):
    name: str
    type: str  # emptyDir, hostPath, persistentVolumeClaim, ephemeral, configMap, secret, ...
    size_limit: str | None = None
    medium: str | None = None
    host_path: str | None = None
    storage_class: str | None = None
    span: Span | None = None


class PodTemplate(_Part):
    """A pod spec found inside a workload (a workload may have several: Ray head/workers)."""

    path: str  # where in the object, e.g. "spec.jobTemplate.spec.template.spec"
    replicas: int = 1
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    node_selector: dict[str, str] = {}
    node_terms: tuple[NodeTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    priority_class: str | None = None
    scheduler_name: str | None = None
    runtime_class: str | None = None
    volumes: tuple[Volume, ...] = ()
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    span: Span | None = None

    # derived values are cached on the (frozen) object: rules ask for them thousands of times;
    # pydantic leaves cached properties out of equality, hashing and dumps
    @cached_property
    def gpus(self) -> dict[str, float]:
        """GPU resources by name (shared: do not modify)."""
        total: dict[str, float] = {}
        for c in self.containers:
            for k, v in c.gpus.items():
                total[k] = total.get(k, 0) + v
        # init containers run before, not beside: the pod needs the max of the two
        for c in self.init_containers:
            for k, v in c.gpus.items():
                total[k] = max(total.get(k, 0), v)
        return total

    @cached_property
    def gpu_count(self) -> float:
        return sum(self.gpus.values())


class K8sObject(ModelObject):
    api_version: str
    kind: str
    name: str
    namespace: str = "default"
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    # the kustomization folder that built the object, when several build the same one from the
    # same file (two overlays of a base are two deployments); empty otherwise
    via: str = ""

    @property
    def display_name(self) -> str:
        name = f"{self.kind} {self.namespace}/{self.name}"
        return f"{name} (kustomize overlay {self.via})" if self.via else name

    @property
    def group(self) -> str:
        return self.api_version.split("/")[0] if "/" in self.api_version else ""


class Workload(K8sObject):
    """Anything that runs pods: core controllers and the CRDs of the AI ecosystem."""

    pods: tuple[PodTemplate, ...] = ()
    role: Role = "other"
    schedule: str | None = None
    time_zone: str | None = None
    active_deadline_seconds: int | None = None
    suspend: bool = False
    queue_name: str | None = None  # Kueue queue-name label or Volcano queue
    replicas: int | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    # how min replicas was decided, for messages: "spec.predictor.minReplicas", "Knative default"
    min_replicas_source: str | None = None
    autoscaler_class: str | None = None  # kpa, hpa, keda, none...
    scale_metric: str | None = None  # KServe scaleMetric / Knative metric
    deployment_mode: str | None = None
    model_ref: str | None = None  # model id or storage URI, when the manifest says
    timeout_seconds: int | None = None

    @property
    def gpu_count(self) -> float:
        return sum(p.gpu_count * max(p.replicas, 1) for p in self.pods)

    @property
    def gpu_pods(self) -> tuple[PodTemplate, ...]:
        return tuple(p for p in self.pods if p.gpu_count > 0)

    @property
    def uses_gpu(self) -> bool:
        return any(p.gpu_count > 0 for p in self.pods)

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(c.image for p in self.pods for c in p.containers if c.image)


class Autoscaler(K8sObject):
    """HorizontalPodAutoscaler or KEDA ScaledObject."""

    target_kind: str = ""
    target_name: str = ""
    min_replicas: int | None = None
    max_replicas: int | None = None
    # (type, name) pairs: ("Resource", "cpu"), ("Pods", "vllm:num_requests_waiting"), ("prometheus", query)
    metrics: tuple[tuple[str, str], ...] = ()


class IngressBackend(_Part):
    service: str
    port: str = ""
    host: str = ""
    path: str = ""


class Ingress(K8sObject):
    ingress_class: str | None = None
    backends: tuple[IngressBackend, ...] = ()


class Service(K8sObject):
    selector: dict[str, str] = {}
    service_type: str = "ClusterIP"


class PriorityClass(K8sObject):
    value: int = 0
    global_default: bool = False
    preemption_policy: str = "PreemptLowerPriority"


class Queue(K8sObject):
    """Kueue LocalQueue/ClusterQueue and Volcano Queue (their presence is what matters)."""

    cluster_queue: str | None = None
    cohort: str | None = None


class GenericObject(K8sObject):
    """Any other Kubernetes object: kept so cross-file rules can see it exists."""


class RouteBackend(_Part):
    """One backend a route sends traffic to: a Service, an InferencePool, an AIServiceBackend."""

    kind: str = "Service"
    name: str
    namespace: str = ""  # empty: the route's own namespace


class RouteRule(_Part):
    """A route's rule: its backends and the timeout it puts on a request."""

    backends: tuple[RouteBackend, ...] = ()
    timeout: float | None = None  # seconds; None: not set (the proxy's default); 0: disabled
    timeout_field: str = ""  # where it is set, e.g. "timeouts.request"
    span: Span | None = None


class Route(K8sObject):
    """A routing object with per-rule timeouts: Gateway API HTTPRoute/GRPCRoute, Envoy AI Gateway
    AIGatewayRoute, OpenShift Route, Istio VirtualService."""

    rules: tuple[RouteRule, ...] = ()


class TimeoutPolicy(K8sObject):
    """A timeout attached to other objects: Envoy Gateway BackendTrafficPolicy/ClientTrafficPolicy
    (by target reference) or a GKE BackendConfig (named by a Service annotation)."""

    targets: tuple[RouteBackend, ...] = ()  # kind and name of each target
    timeout: float | None = None
    timeout_field: str = ""


class RoutingBackend(K8sObject):
    """A backend that is not a Service: an InferencePool (pods by label selector) or an Envoy AI
    Gateway AIServiceBackend (another backend by reference)."""

    selector: dict[str, str] = {}
    targets: tuple[RouteBackend, ...] = ()
