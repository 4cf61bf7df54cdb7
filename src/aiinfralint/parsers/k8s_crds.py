"""LLM serving and agent CRDs, recognised by API group and kind.

Each extractor turns a CRD's own shape into what a Deployment gives the rules: pod specs
(as plain mappings with a `containers` list, built into pods by the Kubernetes parser),
replica bounds and an autoscaler's target and metrics. Nothing here looks at names.

- OME `InferenceService` (`ome.io`): `engine`/`decoder` components with `minReplicas` and a
  `runner` container.
- AIBrix `PodAutoscaler` (`autoscaling.aibrix.ai`): `minReplicas`, `scaleTargetRef`,
  `metricsSources`.
- NVIDIA Dynamo `DynamoGraphDeployment`: `services.<name>` with `replicas`,
  `multinode.nodeCount`, `resources.limits.gpu` (per node), `extraPodSpec.mainContainer` and
  `autoscaling.minReplicas` of its GPU services.
- KAITO `Workspace` and `InferenceSet` (`kaito.sh`): `resource.instanceType` × `count`
  nodes, each with the GPUs KAITO's own SKU table gives that instance type.
"""

from __future__ import annotations

from typing import Any

from aiinfralint.model.base import Span
from aiinfralint.model.k8s import Autoscaler
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.values import as_int
from aiinfralint.parsers.values import node_span as span_of
from aiinfralint.yamlsafe import YList, YMap

OME_GROUP = "ome.io"
AIBRIX_AUTOSCALING_GROUP = "autoscaling.aibrix.ai"
DYNAMO_KINDS = frozenset({"DynamoGraphDeployment"})
KAITO_GROUP = "kaito.sh"
KAITO_KINDS = frozenset({"Workspace", "InferenceSet"})
OME_COMPONENTS = ("engine", "decoder", "router")
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"

# GPUs per node of the Azure instance types KAITO provisions, as KAITO's SKU table lists them
# (kaito-project/kaito pkg/sku/azure_sku_handler.go, Apache-2.0). The GPU model comes from
# the estimate tables (estimate/data/instances.yaml) through the node selector set below.
KAITO_SKU_GPUS: dict[str, int] = {
    "Standard_NC4as_T4_v3": 1,
    "Standard_NC8as_T4_v3": 1,
    "Standard_NC16as_T4_v3": 1,
    "Standard_NC64as_T4_v3": 4,
    "Standard_NV36ads_A10_v5": 1,
    "Standard_NV72ads_A10_v5": 2,
    "Standard_NC24ads_A100_v4": 1,
    "Standard_NC48ads_A100_v4": 2,
    "Standard_NC96ads_A100_v4": 4,
    "Standard_ND96asr_A100_v4": 8,
    "Standard_ND96asr_v4": 8,
    "Standard_ND96amsr_A100_v4": 8,
    "Standard_NC40ads_H100_v5": 1,
    "Standard_NC80adis_H100_v5": 2,
    "Standard_ND96isr_H100_v5": 8,
    "Standard_NCC40ads_H100_v5": 1,
    "Standard_ND96isr_H200_v5": 8,
}

# one pod spec found in a CRD: (pod spec mapping, where it sits, replicas, pod metadata)
PodShell = tuple[YMap, str, int, Any]


def group_of(api: str) -> str:
    return api.split("/", 1)[0] if "/" in api else ""


def is_ome_isvc(kind: str, api: str) -> bool:
    return kind == "InferenceService" and group_of(api) == OME_GROUP


def is_aibrix_autoscaler(kind: str, api: str) -> bool:
    return kind == "PodAutoscaler" and group_of(api) == AIBRIX_AUTOSCALING_GROUP


def is_dynamo(kind: str, api: str) -> bool:
    return kind in DYNAMO_KINDS and group_of(api) == "nvidia.com"


def is_kaito(kind: str, api: str) -> bool:
    return kind in KAITO_KINDS and group_of(api) == KAITO_GROUP


def _s(v: Any) -> str:
    return "" if v is None else str(v)


def _copy(node: YMap) -> YMap:
    """A shallow copy that keeps the key positions."""
    c = YMap(node.line, node.column)
    c.update(node)
    c.key_pos.update(node.key_pos)
    return c


def _shell(at: YMap, containers: list[YMap], extra: YMap | None = None) -> YMap:
    """A pod spec mapping holding `containers` (and the scheduling keys of `extra`)."""
    shell = YMap(at.line, at.column)
    if extra is not None:
        for key in ("nodeSelector", "tolerations", "affinity", "priorityClassName", "volumes", "runtimeClassName"):
            if key in extra:
                shell[key] = extra[key]
    shell["containers"] = YList(at.line, at.column)
    shell["containers"].extend(containers)
    return shell


# --- OME -------------------------------------------------------------------------------


def ome_pods(spec: YMap) -> list[PodShell]:
    """The `runner` container of each OME component, on the component's minimum replicas."""
    out: list[PodShell] = []
    for comp in OME_COMPONENTS:
        body = spec.get(comp)
        if not isinstance(body, YMap):
            continue
        replicas = max(as_int(body.get("minReplicas")) or 1, 1)
        runner = body.get("runner")
        if isinstance(body.get("containers"), list):
            out.append((body, f"spec.{comp}", replicas, None))
        elif isinstance(runner, YMap):
            c = _copy(runner)
            c.setdefault("name", f"{comp}-runner")
            out.append((_shell(runner, [c], body), f"spec.{comp}.runner", replicas, None))
    return out


def ome_scaling(spec: YMap, f: FileInput, extra: dict[str, Any], spans: dict[str, Span]) -> None:
    """Replica bounds of the OME engine (the component that loads the model)."""
    engine = spec.get("engine")
    if not isinstance(engine, YMap):
        return
    if "minReplicas" in engine:
        extra["min_replicas"] = as_int(engine.get("minReplicas"))
        extra["min_replicas_source"] = "spec.engine.minReplicas"
        spans["minReplicas"] = span_of(f, engine, "minReplicas")
    extra["max_replicas"] = as_int(engine.get("maxReplicas"))


# --- AIBrix ------------------------------------------------------------------------------


def aibrix_autoscaler(spec: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]) -> Autoscaler:
    """An AIBrix PodAutoscaler (HPA, KPA or APA strategy) as an autoscaler of its target."""
    ref = spec.get("scaleTargetRef")
    ref = ref if isinstance(ref, dict) else {}
    metrics: list[tuple[str, str]] = []
    sources = spec.get("metricsSources")
    if isinstance(sources, list):
        spans["metrics"] = span_of(f, spec, "metricsSources")
        for m in sources:
            if isinstance(m, dict):
                mtype = _s(m.get("metricSourceType")).lower()
                metrics.append(("Resource" if mtype == "resource" else "Pods", _s(m.get("targetMetric"))))
    if "minReplicas" in spec:
        spans["minReplicas"] = span_of(f, spec, "minReplicas")
    return Autoscaler(
        **base,
        field_spans=spans,
        target_kind=_s(ref.get("kind")) or "Deployment",
        target_name=_s(ref.get("name")),
        # the controller's default when unset is 1 replica
        min_replicas=as_int(spec.get("minReplicas")) if "minReplicas" in spec else 1,
        max_replicas=as_int(spec.get("maxReplicas")),
        metrics=tuple(metrics),
    )


# --- NVIDIA Dynamo -------------------------------------------------------------------------


def dynamo_pods(spec: YMap) -> list[PodShell]:
    """One pod per Dynamo service: its main container with the service's `gpu` limit."""
    out: list[PodShell] = []
    services = spec.get("services")
    if not isinstance(services, YMap):
        return out
    for name, svc in services.items():
        if not isinstance(svc, YMap):
            continue
        extra = svc.get("extraPodSpec")
        extra = extra if isinstance(extra, YMap) else YMap(svc.line, svc.column)
        main = extra.get("mainContainer")
        c = _copy(main) if isinstance(main, YMap) else YMap(svc.line, svc.column)
        c["name"] = _s(c.get("name")) or str(name)
        res = _dynamo_resources(svc)
        if res is not None:
            c["resources"] = res
        replicas = max(as_int(svc.get("replicas")) or 1, 1)
        multinode = svc.get("multinode")
        if isinstance(multinode, YMap):  # the gpu limit is per node; each replica spans nodeCount nodes
            replicas *= max(as_int(multinode.get("nodeCount")) or 1, 1)
        out.append((_shell(svc, [c], extra), f"spec.services.{name}", replicas, None))
    return out


def dynamo_scaling(spec: YMap, f: FileInput, extra: dict[str, Any], spans: dict[str, Span]) -> None:
    """The lowest autoscaling floor among the GPU services whose autoscaling is enabled."""
    services = spec.get("services")
    if not isinstance(services, YMap):
        return
    for name, svc in services.items():
        auto = svc.get("autoscaling") if isinstance(svc, YMap) else None
        res = _dynamo_resources(svc) if isinstance(svc, YMap) else None
        if not isinstance(auto, YMap) or auto.get("enabled") is not True or res is None:
            continue
        gpus = [b.get("nvidia.com/gpu") for b in res.values() if isinstance(b, YMap)]
        low = as_int(auto.get("minReplicas")) if "minReplicas" in auto else None
        if not any(g not in (None, 0, "0") for g in gpus) or low is None:
            continue
        if extra.get("min_replicas") is None or low < extra["min_replicas"]:
            extra["min_replicas"] = low
            extra["min_replicas_source"] = f"spec.services.{name}.autoscaling.minReplicas"
            extra["max_replicas"] = as_int(auto.get("maxReplicas"))
            spans["minReplicas"] = span_of(f, auto, "minReplicas")


def _dynamo_resources(svc: YMap) -> YMap | None:
    """Dynamo's `resources.{requests,limits}.gpu` as the `nvidia.com/gpu` resource."""
    res = svc.get("resources")
    if not isinstance(res, YMap):
        return None
    out = YMap(res.line, res.column)
    for section in ("requests", "limits"):
        block = res.get(section)
        if not isinstance(block, YMap):
            continue
        mapped = YMap(block.line, block.column)
        for k, v in block.items():
            mapped["nvidia.com/gpu" if k == "gpu" else k] = v
            if k == "gpu":
                mapped.key_pos["nvidia.com/gpu"] = block.pos("gpu")
        out[section] = mapped
    return out


# --- KAITO -------------------------------------------------------------------------------


def kaito_pods(doc: YMap) -> list[PodShell]:
    """`count` nodes of `resource.instanceType`, each with the instance's GPUs."""
    resource, holder = _kaito_resource(doc)
    if resource is None:
        return []
    inst = _s(resource.get("instanceType"))
    gpus = KAITO_SKU_GPUS.get(inst, 0)
    count = max(as_int(resource.get("count")) or 1, 1)
    if isinstance(holder, YMap) and as_int(holder.get("replicas")):
        count *= max(as_int(holder.get("replicas")) or 1, 1)
    c = YMap(resource.line, resource.column)
    c["name"] = "kaito-inference" if isinstance(doc.get("inference"), dict) else "kaito"
    c["image"] = "kaito-preset"
    if gpus:
        limits = YMap(resource.line, resource.column)
        limits["nvidia.com/gpu"] = gpus
        if "instanceType" in resource:
            limits.key_pos["nvidia.com/gpu"] = resource.pos("instanceType")
        res = YMap(resource.line, resource.column)
        res["limits"] = limits
        c["resources"] = res
    shell = _shell(resource, [c])
    if inst:
        selector = YMap(resource.line, resource.column)
        selector[INSTANCE_TYPE_LABEL] = inst
        shell["nodeSelector"] = selector
    return [(shell, "resource", count, None)]


def _kaito_resource(doc: YMap) -> tuple[YMap | None, YMap | None]:
    """The `resource` block: top level on a Workspace, under `spec` or `spec.template` on an InferenceSet."""
    spec = doc.get("spec")
    candidates: list[tuple[Any, Any]] = [(doc.get("resource"), None)]
    if isinstance(spec, YMap):
        candidates.append((spec.get("resource"), spec))
        tmpl = spec.get("template")
        if isinstance(tmpl, YMap):
            inner = tmpl.get("spec")
            tspec: YMap = inner if isinstance(inner, YMap) else tmpl
            candidates.append((tspec.get("resource"), spec))
    for res, holder in candidates:
        if isinstance(res, YMap):
            return res, holder
    return None, None
