"""Kubernetes manifests (core kinds and the AI ecosystem's CRDs) -> typed objects.

Pod templates are found by shape, not by a fixed path per kind: any mapping with a
``containers`` list is a pod spec. That covers Deployment, CronJob, PyTorchJob,
RayJob worker groups, LeaderWorkerSet and kinds we have never seen, as long as they
embed a standard pod template. KServe's `model:` shorthand, KubeAI `Model` and
Knative's scale annotations are read explicitly.
"""

from __future__ import annotations

import re
from typing import Any

from aiinfralint.cron import parse_cron
from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.k8s import (
    GPU_RESOURCE_PREFIXES,
    Autoscaler,
    Container,
    GenericObject,
    Ingress,
    IngressBackend,
    K8sObject,
    NodeTerm,
    PodTemplate,
    PriorityClass,
    Queue,
    Role,
    Service,
    Toleration,
    Volume,
    Workload,
)
from aiinfralint.parsers import k8s_crds
from aiinfralint.parsers.base import FileInput, ParseProblem
from aiinfralint.parsers.k8s_routing import parse_routing
from aiinfralint.parsers.registry import DocumentError, DocumentHandler
from aiinfralint.parsers.values import as_int as _int
from aiinfralint.parsers.values import node_span as _span
from aiinfralint.yamlsafe import YList, YMap

IGNORE_ANNOTATION = "aiinfralint/ignore"
ROLE_KEY = "aiinfralint/role"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"

BATCH_KINDS = frozenset(
    {
        "Job",
        "CronJob",
        "PyTorchJob",
        "TFJob",
        "MPIJob",
        "XGBoostJob",
        "PaddleJob",
        "JAXJob",
        "TrainJob",
        "RayJob",
        "JobSet",
        "Workflow",
        "CronWorkflow",
    }
)
SERVING_KINDS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "ReplicaSet",
        "LeaderWorkerSet",
        "InferenceService",
        "LLMInferenceService",
        "RayService",
        "Rollout",
        "InferencePool",
        "DynamoGraphDeployment",
        "RayClusterFleet",
    }
)
# pod-template holders that are templates for other objects, not running workloads
TEMPLATE_KINDS = frozenset(
    {
        "ServingRuntime",
        "ClusterServingRuntime",
        "TrainingRuntime",
        "ClusterTrainingRuntime",
        "PodTemplate",
        "LLMInferenceServiceConfig",
    }
)
SKIP_WALK_KINDS = frozenset({"CustomResourceDefinition", "ConfigMap", "Secret", "ClusterPolicy", "NVIDIADriver"})
KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")
KSERVE_FRAMEWORKS = (
    "model",
    "huggingface",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "lightgbm",
    "paddle",
    "pmml",
    "custom",
)
MAX_WALK_DEPTH = 12

_API_RE = re.compile(r"^\s*\"?apiVersion\"?\s*:", re.MULTILINE)
_KIND_RE = re.compile(r"^\s*\"?kind\"?\s*:", re.MULTILINE)


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _str_map(v: Any) -> dict[str, str]:
    if not isinstance(v, dict):
        return {}
    return {str(k): _s(x) for k, x in v.items() if not isinstance(x, (dict, list))}


def _quantity(v: Any) -> float:
    if isinstance(v, bool):
        return 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return 0.0
    return 0.0


def _sub(node: Any, key: str, line: int = 1, column: int = 1) -> YMap:
    """node[key] when it is a mapping, else an empty mapping (typed for the checker)."""
    v = node.get(key) if isinstance(node, dict) else None
    return v if isinstance(v, YMap) else YMap(line, column)


def _codes(text: str) -> frozenset[str]:
    return frozenset(c.strip() for c in re.split(r"[,\s]+", text) if c.strip())


# --- claims -----------------------------------------------------------------------


def claims(doc: Any, f: FileInput) -> bool:
    if not isinstance(doc, YMap):
        return False
    api, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str) or not kind:
        return False
    return not api.startswith("aiinfralint")


def claims_text(f: FileInput) -> bool:
    return bool(_API_RE.search(f.text) and _KIND_RE.search(f.text)) and "aiinfralint/v1" not in f.text


# --- containers and pods ----------------------------------------------------------


def _container(c: YMap, f: FileInput) -> Container:
    res = _sub(c, "resources")
    gpus: dict[str, float] = {}
    gpu_span: Span | None = None
    cpu = mem = None
    for section in ("limits", "requests"):
        block = res.get(section)
        if not isinstance(block, dict):
            continue
        for k, v in block.items():
            if any(str(k).startswith(p) for p in GPU_RESOURCE_PREFIXES):
                gpus[str(k)] = max(gpus.get(str(k), 0.0), _quantity(v))
                if gpu_span is None and _quantity(v) > 0 and isinstance(block, YMap):
                    gpu_span = _span(f, block, k)
        if section == "requests" or cpu is None:
            cpu = _s(block.get("cpu")) or cpu
            mem = _s(block.get("memory")) or mem
    gpus = {k: v for k, v in gpus.items() if v > 0}
    env: dict[str, str] = {}
    if isinstance(c.get("env"), list):
        for e in c["env"]:
            if isinstance(e, dict) and e.get("name") is not None and "value" in e:
                env[_s(e.get("name"))] = _s(e.get("value"))
    mounts = []
    read_only = set()
    if isinstance(c.get("volumeMounts"), list):
        for m in c["volumeMounts"]:
            if isinstance(m, dict):
                mounts.append((_s(m.get("name")), _s(m.get("mountPath"))))
                if m.get("readOnly") is True:
                    read_only.add(_s(m.get("name")))
    cmd = c.get("command")
    args = c.get("args")
    return Container(
        name=_s(c.get("name")),
        image=_s(c.get("image")),
        command=tuple(_s(x) for x in cmd) if isinstance(cmd, list) else ((_s(cmd),) if cmd else ()),
        args=tuple(_s(x) for x in args) if isinstance(args, list) else ((_s(args),) if args else ()),
        env=env,
        gpus=gpus,
        cpu=cpu,
        memory=mem,
        mounts=tuple(mounts),
        read_only=frozenset(read_only),
        span=_span(f, c),
        gpu_span=gpu_span,
    )


def _volumes(spec: YMap, f: FileInput) -> tuple[Volume, ...]:
    out = []
    vols = spec.get("volumes")
    if not isinstance(vols, list):
        return ()
    for v in vols:
        if not isinstance(v, YMap):
            continue
        name = _s(v.get("name"))
        vtype = next((k for k in v if k != "name"), "unknown")
        body = v.get(vtype)
        size = medium = host = sc = None
        if vtype == "emptyDir" and isinstance(body, dict):
            size = _s(body.get("sizeLimit")) or None
            medium = _s(body.get("medium")) or None
        elif vtype == "hostPath" and isinstance(body, dict):
            host = _s(body.get("path")) or None
        elif vtype == "ephemeral" and isinstance(body, dict):
            tmpl = body.get("volumeClaimTemplate")
            spec2 = tmpl.get("spec") if isinstance(tmpl, dict) else None
            if isinstance(spec2, dict):
                sc = _s(spec2.get("storageClassName")) or None
                res = spec2.get("resources")
                if isinstance(res, dict) and isinstance(res.get("requests"), dict):
                    size = _s(res["requests"].get("storage")) or None
        out.append(
            Volume(
                name=name,
                type=str(vtype),
                size_limit=size,
                medium=medium,
                host_path=host,
                storage_class=sc,
                span=_span(f, v),
            )
        )
    return tuple(out)


def _affinity_terms(spec: YMap) -> tuple[NodeTerm, ...]:
    aff = spec.get("affinity")
    node = aff.get("nodeAffinity") if isinstance(aff, dict) else None
    req = node.get("requiredDuringSchedulingIgnoredDuringExecution") if isinstance(node, dict) else None
    terms = req.get("nodeSelectorTerms") if isinstance(req, dict) else None
    out: list[NodeTerm] = []
    if isinstance(terms, list) and len(terms) == 1:  # several terms are ORed: too loose to use
        term = terms[0]
        exprs = term.get("matchExpressions") if isinstance(term, dict) else None
        if isinstance(exprs, list):
            for e in exprs:
                if isinstance(e, dict) and e.get("key"):
                    vals = e.get("values")
                    out.append(
                        NodeTerm(
                            key=_s(e.get("key")),
                            operator=_s(e.get("operator")) or "In",
                            values=tuple(_s(x) for x in vals) if isinstance(vals, list) else (),
                        )
                    )
    return tuple(out)


def _pod(spec: YMap, f: FileInput, path: str, replicas: int, meta: Any) -> PodTemplate:
    containers = tuple(_container(c, f) for c in spec.get("containers") or [] if isinstance(c, YMap))
    inits = (
        tuple(_container(c, f) for c in spec.get("initContainers") or [] if isinstance(c, YMap))
        if isinstance(spec.get("initContainers"), list)
        else ()
    )
    tols = []
    if isinstance(spec.get("tolerations"), list):
        for t in spec["tolerations"]:
            if isinstance(t, dict):
                tols.append(
                    Toleration(
                        key=_s(t.get("key")),
                        operator=_s(t.get("operator")) or "Equal",
                        value=_s(t.get("value")),
                        effect=_s(t.get("effect")),
                    )
                )
    return PodTemplate(
        path=path,
        replicas=replicas,
        containers=containers,
        init_containers=inits,
        node_selector=_str_map(spec.get("nodeSelector")),
        node_terms=_affinity_terms(spec),
        tolerations=tuple(tols),
        priority_class=_s(spec.get("priorityClassName")) or None,
        scheduler_name=_s(spec.get("schedulerName")) or None,
        runtime_class=_s(spec.get("runtimeClassName")) or None,
        volumes=_volumes(spec, f),
        labels=_str_map(meta.get("labels")) if isinstance(meta, dict) else {},
        annotations=_str_map(meta.get("annotations")) if isinstance(meta, dict) else {},
        span=_span(f, spec),
    )


def _find_pods(node: Any, f: FileInput, path: str, replicas: int, depth: int, out: list[PodTemplate]) -> None:
    if depth > MAX_WALK_DEPTH:
        return
    if isinstance(node, YMap):
        if isinstance(node.get("containers"), list):
            # a pod spec; its metadata (labels) sits beside it in the template
            out.append(_pod(node, f, path, replicas, None))
            return
        local = _int(node.get("replicas"))
        if local is None:
            local = _int(node.get("minReplicas"))
        here = local if local is not None else replicas
        size = _int(node.get("size"))  # LeaderWorkerSet group size
        for k, v in node.items():
            if k in ("status", "metadata"):
                continue
            if (
                isinstance(v, YMap)
                and isinstance(v.get("spec"), YMap)
                and isinstance(v["spec"].get("containers"), list)
            ):
                mult = here * size if (size and k == "workerTemplate") else here
                out.append(_pod(v["spec"], f, f"{path}.{k}.spec", mult, v.get("metadata")))
                continue
            _find_pods(v, f, f"{path}.{k}", here, depth + 1, out)
    elif isinstance(node, YList):
        for i, item in enumerate(node):
            _find_pods(item, f, f"{path}[{i}]", replicas, depth + 1, out)


def _argo_pods(wf: YMap, f: FileInput) -> list[PodTemplate]:
    """Argo templates hold one `container` (or `script`) each, with scheduling fields beside it."""
    pods: list[PodTemplate] = []
    templates = wf.get("templates")
    if not isinstance(templates, list):
        return pods
    for i, t in enumerate(templates):
        if not isinstance(t, YMap):
            continue
        body = t.get("container") if isinstance(t.get("container"), YMap) else t.get("script")
        if not isinstance(body, YMap):
            continue
        shell = YMap(t.line, t.column)
        for k in ("nodeSelector", "tolerations", "affinity", "priorityClassName", "schedulerName", "volumes"):
            if k in t:
                shell[k] = t[k]
            elif k in wf:
                shell[k] = wf[k]
        shell["containers"] = YList(body.line, body.column)
        shell["containers"].append(body)
        pods.append(_pod(shell, f, f"spec.templates[{i}]", 1, t.get("metadata")))
    return pods


def _trainjob_pod(trainer: YMap, f: FileInput) -> PodTemplate:
    """Kubeflow TrainJob: the trainer's image, command and `resourcesPerNode` on `numNodes` nodes."""
    c = YMap(trainer.line, trainer.column)
    c["name"] = "trainer"
    for key in ("image", "command", "args", "env"):
        if key in trainer:
            c[key] = trainer[key]
    if isinstance(trainer.get("resourcesPerNode"), YMap):
        c["resources"] = trainer["resourcesPerNode"]
    shell = YMap(trainer.line, trainer.column)
    shell["containers"] = YList(trainer.line, trainer.column)
    shell["containers"].append(c)
    return _pod(shell, f, "spec.trainer", _int(trainer.get("numNodes")) or 1, None)


def _kserve_pods(spec: YMap, f: FileInput) -> list[PodTemplate]:
    pods = []
    for comp in KSERVE_COMPONENTS:
        body = spec.get(comp)
        if not isinstance(body, YMap):
            continue
        if isinstance(body.get("containers"), list):
            pods.append(_pod(body, f, f"spec.{comp}", _int(body.get("minReplicas")) or 1, None))
            continue
        for fw in KSERVE_FRAMEWORKS:
            c = body.get(fw)
            if isinstance(c, YMap):
                container = _container(c, f)
                fmt = c.get("modelFormat")
                fmt_name = _s(fmt.get("name")) if isinstance(fmt, dict) else ""
                image = container.image or f"kserve-runtime:{_s(c.get('runtime')) or fmt_name or fw}"
                container = container.model_copy(update={"image": image, "name": container.name or fw})
                shell = YMap(body.line, body.column)
                for k in (
                    "nodeSelector",
                    "tolerations",
                    "affinity",
                    "priorityClassName",
                    "schedulerName",
                    "volumes",
                    "runtimeClassName",
                ):
                    if k in body:
                        shell[k] = body[k]
                pod = _pod(shell, f, f"spec.{comp}.{fw}", _int(body.get("minReplicas")) or 1, None)
                pods.append(pod.model_copy(update={"containers": (container,)}))
                break
    return pods


_PROFILE_RE = re.compile(r"^(?P<name>[\w.-]+?)(?::(?P<n>\d+))?$")


def _kubeai_pods(spec: YMap, f: FileInput) -> list[PodTemplate]:
    profile = _s(spec.get("resourceProfile"))
    m = _PROFILE_RE.match(profile) if profile else None
    gpus: dict[str, float] = {}
    selector: dict[str, str] = {}
    if m:
        name = m.group("name")
        n = float(m.group("n") or 1)
        if "gpu" in name or "mi300" in name:
            res = "amd.com/gpu" if name.startswith("amd") else "nvidia.com/gpu"
            gpus[res] = n
            selector["kubeai.org/resource-profile"] = name
    engine = _s(spec.get("engine")).lower() or "vllm"
    container = Container(
        name="server",
        image=f"kubeai-engine:{engine}",
        args=tuple(_s(a) for a in spec.get("args") or []) if isinstance(spec.get("args"), list) else (),
        gpus=gpus,
        span=_span(f, spec),
    )
    return [
        PodTemplate(
            path="spec",
            replicas=max(_int(spec.get("minReplicas")) or 0, 1),
            containers=(container,),
            node_selector=selector,
            priority_class=_s(spec.get("priorityClassName")) or None,
            span=_span(f, spec),
        )
    ]


def _role(kind: str, api: str, doc: YMap, labels: dict[str, str], annotations: dict[str, str]) -> Role:
    override = annotations.get(ROLE_KEY) or labels.get(ROLE_KEY)
    if override in ("batch", "serving", "other"):
        return override  # type: ignore[return-value]
    if kind in TEMPLATE_KINDS:
        return "other"
    if kind in BATCH_KINDS or (kind == "Job" and "volcano" in api):
        return "batch"
    if kind in SERVING_KINDS:
        return "serving"
    if kind == "Service" and api.startswith("serving.knative.dev"):
        return "serving"
    if kind == "Model" and api.startswith("kubeai.org"):
        return "serving"
    if kind in ("Workspace", "InferenceSet") and api.startswith("kaito"):
        return (
            "batch"
            if isinstance(doc.get("tuning"), dict) or isinstance(_sub(doc, "spec").get("tuning"), dict)
            else "serving"
        )
    return "other"


_MODEL_FLAGS = ("--model", "--model-id", "--model_id", "--model-path", "--model_path", "--model-name")
_MODEL_ENVS = ("MODEL_ID", "MODEL_NAME", "HF_MODEL_ID", "MODEL", "MODEL_PATH", "NIM_MODEL_NAME", "LLM_MODEL")


def _model_ref(pods: list[PodTemplate], spec: YMap) -> str | None:
    for comp in KSERVE_COMPONENTS:
        body = spec.get(comp) if isinstance(spec, dict) else None
        if isinstance(body, dict):
            for fw in KSERVE_FRAMEWORKS:
                c = body.get(fw)
                if isinstance(c, dict) and c.get("storageUri"):
                    return _s(c.get("storageUri"))
    if isinstance(spec, dict) and isinstance(url := spec.get("url"), str):
        return url
    if isinstance(spec, dict) and isinstance(spec.get("model"), dict) and spec["model"].get("uri"):
        return _s(spec["model"].get("uri"))
    for pod in pods:
        for c in pod.containers:
            tokens = [t for a in (*c.command, *c.args) for t in a.split()]
            for i, tok in enumerate(tokens):
                for flag in _MODEL_FLAGS:
                    if tok == flag and i + 1 < len(tokens):
                        return tokens[i + 1]
                    if tok.startswith(flag + "="):
                        return tok.split("=", 1)[1]
                if (
                    tok == "serve"
                    and i + 1 < len(tokens)
                    and not tokens[i + 1].startswith("-")
                    and i > 0
                    and "vllm" in tokens[i - 1]
                ):
                    return tokens[i + 1]
            for key in _MODEL_ENVS:
                if c.env.get(key):
                    return c.env[key]
    if isinstance(spec, dict) and isinstance(spec.get("model"), dict) and spec["model"].get("name"):
        return _s(spec["model"].get("name"))  # OME and LLMInferenceService name their model
    return None


def _knative_scale(spec: YMap) -> tuple[int | None, str | None, str | None, str | None, Any]:
    tmpl = spec.get("template") if isinstance(spec, dict) else None
    meta = tmpl.get("metadata") if isinstance(tmpl, dict) else None
    ann = meta.get("annotations") if isinstance(meta, YMap) else None
    cls = metric = None
    if isinstance(ann, YMap):
        cls = _s(ann.get("autoscaling.knative.dev/class")) or None
        metric = _s(ann.get("autoscaling.knative.dev/metric")) or None
        for key in ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale"):
            if key in ann:
                return _int(ann.get(key)), f"annotation {key}", cls, metric, (ann, key)
    if cls and cls.startswith("hpa"):
        return 1, "HPA class (no scale to zero)", cls, metric, None
    return (
        0,
        "no autoscaling.knative.dev/min-scale annotation, so the Knative Pod Autoscaler's default of 0 applies",
        cls,
        metric,
        (meta if isinstance(meta, YMap) else tmpl, None),
    )


# --- the handler --------------------------------------------------------------------


def parse(doc: Any, f: FileInput, index: int) -> list[ModelObject | ParseProblem]:
    api = _s(doc.get("apiVersion"))
    kind = _s(doc.get("kind"))
    base, spans = _common_fields(doc, f, index, kind, api)
    spec = _sub(doc, "spec", doc.line, doc.column)
    simple = _simple_object(doc, spec, f, base, spans)
    if simple is not None:
        return [simple]
    workload = _workload(doc, spec, f, base, spans, kind, api, base["labels"], base["annotations"])
    if kind == "CronJob" and api.startswith("batch/"):
        problem = _schedule_problem(spec, base["name"])
        if problem is not None:
            return [workload, problem]
    return [workload]


def _common_fields(doc: YMap, f: FileInput, index: int, kind: str, api: str) -> tuple[dict[str, Any], dict[str, Span]]:
    """The fields every object has (mostly from `metadata:`) and the first spans."""
    meta = doc.get("metadata")
    if meta is not None and not isinstance(meta, YMap):
        line, col = doc.pos("metadata")
        raise DocumentError(f"{kind}: metadata must be a mapping", line, col)
    meta = meta or YMap(doc.line, doc.column)
    annotations = _str_map(meta.get("annotations"))
    base: dict[str, Any] = dict(
        span=_span(f, doc),
        ignore=_codes(annotations.get(IGNORE_ANNOTATION, "")),
        api_version=api,
        kind=kind,
        name=_s(meta.get("name")) or _s(meta.get("generateName")) or f"<unnamed #{index}>",
        namespace=_s(meta.get("namespace")) or "default",
        labels=_str_map(meta.get("labels")),
        annotations=annotations,
    )
    spans: dict[str, Span] = {"kind": _span(f, doc, "kind")}
    ann_node = meta.get("annotations")
    if isinstance(ann_node, YMap):
        spans["annotations"] = _span(f, meta, "annotations")
        for key in ann_node:
            spans[f"annotations.{key}"] = _span(f, ann_node, key)
    return base, spans


def _simple_object(
    doc: YMap, spec: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]
) -> K8sObject | None:
    """Autoscalers, ingresses, services, priority classes, queues and skipped kinds; None
    for a kind that may hold pod templates."""
    kind, api = base["kind"], base["api_version"]
    routed = parse_routing(spec, f, base, spans)
    if routed is not None:
        return routed
    if kind == "HorizontalPodAutoscaler" or (kind == "ScaledObject" and "keda" in api):
        return _autoscaler(doc, spec, f, base, spans)
    if k8s_crds.is_aibrix_autoscaler(kind, api):
        return k8s_crds.aibrix_autoscaler(spec, f, base, spans)
    if kind == "Ingress":
        return _ingress(spec, f, base, spans)
    if kind == "Service" and not api.startswith("serving.knative.dev"):
        selector = _str_map(spec.get("selector"))
        return Service(**base, field_spans=spans, selector=selector, service_type=_s(spec.get("type")) or "ClusterIP")
    if kind == "PriorityClass":
        return _priority_class(doc, f, base, spans)
    if kind in ("LocalQueue", "ClusterQueue") and "kueue" in api:
        return Queue(
            **base,
            field_spans=spans,
            cluster_queue=_s(spec.get("clusterQueue")) or None,
            cohort=_s(spec.get("cohort") or spec.get("cohortName")) or None,
        )
    if kind == "Queue" and "volcano" in api:
        return Queue(**base, field_spans=spans)
    if kind in SKIP_WALK_KINDS:
        return GenericObject(**base, field_spans=spans)
    return None


def _priority_class(doc: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]) -> PriorityClass:
    value = _int(doc.get("value"))
    if "value" in doc and value is None:
        line, col = doc.pos("value")
        raise DocumentError(f"PriorityClass {base['name']}: value must be an integer", line, col)
    spans["value"] = _span(f, doc, "value")
    return PriorityClass(
        **base,
        field_spans=spans,
        value=value or 0,
        global_default=bool(doc.get("globalDefault")),
        preemption_policy=_s(doc.get("preemptionPolicy")) or "PreemptLowerPriority",
    )


def _schedule_problem(spec: YMap, name: str) -> ParseProblem | None:
    """A CronJob schedule the Kubernetes controller would reject (`61 * * * *`, `*/0`, four
    fields ...), as a problem at the `schedule:` line. A placeholder (`${SCHEDULE}`) and the
    controller's `@every <duration>` are not judged."""
    value = spec.get("schedule")
    if not isinstance(value, str) or not value.strip():
        return None
    if "${" in value or "{{" in value or "$(" in value or value.strip().lower().startswith("@every"):
        return None
    try:
        parse_cron(value)
    except ValueError as exc:
        line, col = spec.pos("schedule")
        return ParseProblem(f"CronJob {name}: {exc}", line, col)
    return None


def _workload(
    doc: YMap,
    spec: YMap,
    f: FileInput,
    base: dict[str, Any],
    spans: dict[str, Span],
    kind: str,
    api: str,
    labels: dict[str, str],
    annotations: dict[str, str],
) -> K8sObject:
    extra: dict[str, Any] = {}
    if kind in ("InferenceService",) and api.startswith("serving.kserve.io"):
        pods = _kserve_pods(spec, f)
        _kserve_scaling(spec, f, annotations, extra, spans)
    elif kind == "Model" and api.startswith("kubeai.org"):
        pods = _kubeai_pods(spec, f)
        _kubeai_scaling(spec, f, extra, spans)
    elif (shells := _crd_pod_shells(kind, api, doc, spec)) is not None:
        pods = [_pod(s, f, path, n, meta) for s, path, n, meta in shells]
        if k8s_crds.is_ome_isvc(kind, api):
            k8s_crds.ome_scaling(spec, f, extra, spans)
        elif k8s_crds.is_dynamo(kind, api):
            k8s_crds.dynamo_scaling(spec, f, extra, spans)
    else:
        pods = []
        if kind not in SKIP_WALK_KINDS:
            top_replicas = _int(spec.get("replicas"))
            _find_pods(spec, f, "spec", top_replicas if top_replicas is not None else 1, 0, pods)
        if kind == "Service" and api.startswith("serving.knative.dev"):
            _knative_scaling(spec, f, extra, spans)
    if kind == "TrainJob" and not pods and isinstance(spec.get("trainer"), YMap):
        pods.append(_trainjob_pod(spec["trainer"], f))
    if kind in ("Workflow", "CronWorkflow", "WorkflowTemplate", "ClusterWorkflowTemplate") and "argoproj" in api:
        wf = _sub(spec, "workflowSpec") if kind == "CronWorkflow" else spec
        pods.extend(_argo_pods(wf, f))
        if kind == "CronWorkflow":
            _cron_workflow_schedule(spec, wf, f, extra, spans)
    _run_limits(kind, spec, f, extra, spans)
    if "replicas" in spec:
        extra["replicas"] = _int(spec.get("replicas"))
    extra["queue_name"] = _queue_name(kind, api, spec, labels, annotations, pods)
    _first_gpu_span(pods, spans)
    extra["model_ref"] = _model_ref(pods, spec)
    role = _role(kind, api, doc, labels, annotations)
    if not pods and role == "other" and kind not in ("Workspace",):
        return GenericObject(**base, field_spans=spans)
    return Workload(
        **base,
        field_spans=spans,
        pods=tuple(pods),
        role=role,
        **{k: v for k, v in extra.items() if v is not None or k in ("min_replicas",)},
    )


def _crd_pod_shells(kind: str, api: str, doc: YMap, spec: YMap) -> list[k8s_crds.PodShell] | None:
    """Pod specs of the serving CRDs whose pods are not standard pod templates (None: not one)."""
    if k8s_crds.is_ome_isvc(kind, api):
        return k8s_crds.ome_pods(spec)
    if k8s_crds.is_dynamo(kind, api):
        return k8s_crds.dynamo_pods(spec)
    if k8s_crds.is_kaito(kind, api):
        return k8s_crds.kaito_pods(doc)
    return None


def _kserve_scaling(
    spec: YMap, f: FileInput, annotations: dict[str, str], extra: dict[str, Any], spans: dict[str, Span]
) -> None:
    """Replica bounds, scale metric and deployment mode of a KServe InferenceService."""
    pred = spec.get("predictor") if isinstance(spec.get("predictor"), YMap) else None
    if pred is not None:
        if "minReplicas" in pred:
            extra["min_replicas"] = _int(pred.get("minReplicas"))
            extra["min_replicas_source"] = "spec.predictor.minReplicas"
            spans["minReplicas"] = _span(f, pred, "minReplicas")
        else:
            extra["min_replicas"] = 1
            extra["min_replicas_source"] = "KServe default"
        extra["max_replicas"] = _int(pred.get("maxReplicas"))
        if pred.get("scaleMetric"):
            extra["scale_metric"] = _s(pred.get("scaleMetric"))
            spans["scaleMetric"] = _span(f, pred, "scaleMetric")
        if isinstance(pred.get("autoScaling"), dict):
            extra["scale_metric"] = extra.get("scale_metric") or _autoscaling_metric(pred["autoScaling"])
            spans.setdefault("scaleMetric", _span(f, pred, "autoScaling"))
    extra["deployment_mode"] = annotations.get("serving.kserve.io/deploymentMode")
    extra["autoscaler_class"] = annotations.get("serving.kserve.io/autoscalerClass")
    if extra["deployment_mode"] in ("RawDeployment", "Standard") and extra.get("min_replicas") == 0:
        extra["min_replicas_source"] = f"{extra['min_replicas_source']} (mode {extra['deployment_mode']})"


def _kubeai_scaling(spec: YMap, f: FileInput, extra: dict[str, Any], spans: dict[str, Span]) -> None:
    """Replica bounds of a KubeAI Model (which scales to zero unless told otherwise)."""
    extra["min_replicas"] = _int(spec.get("minReplicas")) if "minReplicas" in spec else 0
    extra["min_replicas_source"] = (
        "spec.minReplicas" if "minReplicas" in spec else "no spec.minReplicas, so KubeAI's default of 0 applies"
    )
    extra["max_replicas"] = _int(spec.get("maxReplicas"))
    if "minReplicas" in spec:
        spans["minReplicas"] = _span(f, spec, "minReplicas")
    if "resourceProfile" in spec:
        spans["gpu"] = _span(f, spec, "resourceProfile")


def _knative_scaling(spec: YMap, f: FileInput, extra: dict[str, Any], spans: dict[str, Span]) -> None:
    """Scale bounds, autoscaler class, metric and request timeout of a Knative Service."""
    mn, src, cls, metric, where = _knative_scale(spec)
    extra.update(min_replicas=mn, min_replicas_source=src, autoscaler_class=cls, scale_metric=metric)
    if where is not None:
        holder, key = where
        if isinstance(holder, YMap):
            spans["minReplicas"] = _span(f, holder, key)
    tann = _sub(_sub(spec, "template"), "metadata").get("annotations")
    if isinstance(tann, YMap) and "autoscaling.knative.dev/metric" in tann:
        spans["scaleMetric"] = _span(f, tann, "autoscaling.knative.dev/metric")
    tmpl = spec.get("template")
    tspec = tmpl.get("spec") if isinstance(tmpl, dict) else None
    if isinstance(tspec, dict) and _int(tspec.get("timeoutSeconds")) is not None:
        extra["timeout_seconds"] = _int(tspec.get("timeoutSeconds"))


def _cron_workflow_schedule(spec: YMap, wf: YMap, f: FileInput, extra: dict[str, Any], spans: dict[str, Span]) -> None:
    """Schedule, time zone, suspension and deadline of an Argo CronWorkflow."""
    sched = spec.get("schedule")
    if not sched and isinstance(spec.get("schedules"), list) and spec["schedules"]:
        sched = spec["schedules"][0]
    extra["schedule"] = _s(sched) or None
    extra["time_zone"] = _s(spec.get("timezone")) or None
    extra["suspend"] = bool(spec.get("suspend"))
    for key in ("schedule", "schedules"):
        if key in spec:
            spans["schedule"] = _span(f, spec, key)
            break
    if _int(wf.get("activeDeadlineSeconds")) is not None:
        extra["active_deadline_seconds"] = _int(wf.get("activeDeadlineSeconds"))
        spans["activeDeadlineSeconds"] = _span(f, wf, "activeDeadlineSeconds")


def _run_limits(kind: str, spec: YMap, f: FileInput, extra: dict[str, Any], spans: dict[str, Span]) -> None:
    """A CronJob's schedule and suspension, and any kind's active deadline."""
    if kind == "CronJob":
        extra["schedule"] = _s(spec.get("schedule")) or None
        extra["time_zone"] = _s(spec.get("timeZone")) or None
        jt = spec.get("jobTemplate")
        jspec = jt.get("spec") if isinstance(jt, dict) else None
        if isinstance(jspec, YMap) and _int(jspec.get("activeDeadlineSeconds")) is not None:
            extra["active_deadline_seconds"] = _int(jspec.get("activeDeadlineSeconds"))
            spans["activeDeadlineSeconds"] = _span(f, jspec, "activeDeadlineSeconds")
        extra["suspend"] = bool(spec.get("suspend"))
        for key in ("schedule", "timeZone"):
            if key in spec:
                spans[key] = _span(f, spec, key)
    elif _int(spec.get("activeDeadlineSeconds")) is not None:
        extra["active_deadline_seconds"] = _int(spec.get("activeDeadlineSeconds"))
        spans["activeDeadlineSeconds"] = _span(f, spec, "activeDeadlineSeconds")
    if kind == "RayJob" and isinstance(spec.get("activeDeadlineSeconds"), int):
        extra["active_deadline_seconds"] = spec["activeDeadlineSeconds"]


def _queue_name(
    kind: str, api: str, spec: YMap, labels: dict[str, str], annotations: dict[str, str], pods: list[PodTemplate]
) -> str | None:
    """The Kueue or Volcano queue a workload is submitted to, wherever it is named."""
    queue = (
        labels.get(QUEUE_LABEL)
        or annotations.get(QUEUE_LABEL)
        or next((p.labels.get(QUEUE_LABEL) for p in pods if p.labels.get(QUEUE_LABEL)), None)
    )
    if queue is None and kind == "CronJob" and isinstance(spec.get("jobTemplate"), dict):
        jmeta = spec["jobTemplate"].get("metadata")
        if isinstance(jmeta, dict):
            queue = _str_map(jmeta.get("labels")).get(QUEUE_LABEL) or _str_map(jmeta.get("annotations")).get(
                QUEUE_LABEL
            )
    if queue is None and "volcano" in api and spec.get("queue"):
        queue = _s(spec.get("queue"))
    if queue is None and annotations.get("scheduling.volcano.sh/queue-name"):
        queue = annotations["scheduling.volcano.sh/queue-name"]
    return queue


def _first_gpu_span(pods: list[PodTemplate], spans: dict[str, Span]) -> None:
    """Record where the first GPU request sits, for precise spans."""
    for p in pods:
        for c in p.containers:
            if c.gpus and (c.gpu_span or c.span) is not None:
                spans.setdefault("gpu", c.gpu_span or c.span)  # type: ignore[arg-type]
                break


def _autoscaling_metric(block: Any) -> str | None:
    if not isinstance(block, dict):
        return None
    names = []
    for k, v in block.items():
        names.append(str(k))
        if isinstance(v, dict) and v.get("metric"):
            names.append(_s(v.get("metric")))
    return ",".join(names) or None


def _autoscaler(doc: YMap, spec: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]) -> Autoscaler:
    ref = _sub(spec, "scaleTargetRef")
    metrics: list[tuple[str, str]] = []
    if base["kind"] == "HorizontalPodAutoscaler":
        mn = _int(spec.get("minReplicas"))
        mx = _int(spec.get("maxReplicas"))
        if "minReplicas" in spec:
            spans["minReplicas"] = _span(f, spec, "minReplicas")
        if isinstance(spec.get("metrics"), list):
            spans["metrics"] = _span(f, spec, "metrics")
            for m in spec["metrics"]:
                if not isinstance(m, dict):
                    continue
                mtype = _s(m.get("type"))
                body = m.get(mtype[:1].lower() + mtype[1:]) if mtype else None
                name = ""
                if isinstance(body, dict):
                    if body.get("name"):
                        name = _s(body.get("name"))
                    elif isinstance(body.get("metric"), dict):
                        name = _s(body["metric"].get("name"))
                metrics.append((mtype or "Resource", name))
        elif _int(spec.get("targetCPUUtilizationPercentage")) is not None:
            metrics.append(("Resource", "cpu"))
            spans["metrics"] = _span(f, spec, "targetCPUUtilizationPercentage")
        else:
            metrics.append(("Resource", "cpu"))  # autoscaling/v1 default: 80% CPU
    else:  # KEDA ScaledObject
        mn = _int(spec.get("minReplicaCount")) if "minReplicaCount" in spec else 0
        mx = _int(spec.get("maxReplicaCount"))
        if "minReplicaCount" in spec:
            spans["minReplicas"] = _span(f, spec, "minReplicaCount")
        if isinstance(spec.get("triggers"), list):
            spans["metrics"] = _span(f, spec, "triggers")
            for t in spec["triggers"]:
                if isinstance(t, dict):
                    md = _sub(t, "metadata")
                    detail = _s(md.get("query") or md.get("metricName") or md.get("value") or "")
                    metrics.append((_s(t.get("type")), detail))
    return Autoscaler(
        **base,
        field_spans=spans,
        target_kind=_s(ref.get("kind")) or "Deployment",
        target_name=_s(ref.get("name")),
        min_replicas=mn,
        max_replicas=mx,
        metrics=tuple(metrics),
    )


def _ingress(spec: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]) -> Ingress:
    backends: list[IngressBackend] = []

    def backend(b: Any, host: str, path: str) -> None:
        if not isinstance(b, dict):
            return
        svc = b.get("service")
        if isinstance(svc, dict):
            port = svc.get("port")
            pval = _s(port.get("number") or port.get("name")) if isinstance(port, dict) else ""
            backends.append(IngressBackend(service=_s(svc.get("name")), port=pval, host=host, path=path))
        elif b.get("serviceName"):  # extensions/v1beta1
            backends.append(
                IngressBackend(service=_s(b.get("serviceName")), port=_s(b.get("servicePort")), host=host, path=path)
            )

    backend(spec.get("defaultBackend") or spec.get("backend"), "", "")
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        host = _s(rule.get("host"))
        http = rule.get("http")
        for p in (http.get("paths") or []) if isinstance(http, dict) else []:
            if isinstance(p, dict):
                backend(p.get("backend"), host, _s(p.get("path")))
    ann = base["annotations"]
    cls = _s(spec.get("ingressClassName")) or ann.get("kubernetes.io/ingress.class") or None
    return Ingress(**base, field_spans=spans, ingress_class=cls, backends=tuple(backends))


HANDLER = DocumentHandler(
    name="kubernetes",
    claims=claims,
    parse=parse,
    claims_text=claims_text,
)
