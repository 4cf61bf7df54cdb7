from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

from aiinfralint.analysis.workloads import llm_engine, pod_labels
from aiinfralint.model.base import Span
from aiinfralint.model.finding import Finding, Impact, Severity
from aiinfralint.model.k8s import (
    Ingress,
    IngressBackend,
    Route,
    RouteBackend,
    RoutingBackend,
    Service,
    TimeoutPolicy,
    Workload,
)
from aiinfralint.rules.base import Example, Rule, RuleContext, RuleOptions, Unpriced

DEFAULT_MIN_TIMEOUT = 300
NGINX = "nginx.ingress.kubernetes.io/"
NGINX_INC = "nginx.org/"
ALB = "alb.ingress.kubernetes.io/"
GCE = "GKE Ingress (GCE load balancer)"
# GKE reads the BackendConfig a Service names from either annotation (the beta one is older)
BACKEND_CONFIG = ("cloud.google.com/backend-config", "beta.cloud.google.com/backend-config")
# Compute Engine backend service `timeoutSec` when no BackendConfig sets it: 30 s
GCE_DEFAULT_TIMEOUT = 30.0
_DURATION = re.compile(
    r"^\s*+(\d+(?:\.\d+)?)\s*+(ms|s|m|h|d)?\s*+$", re.IGNORECASE
)  # possessive: no split of a blank run
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}

_DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm-llama
  namespace: llm
spec:
  selector:
    matchLabels: {app: vllm-llama}
  template:
    metadata:
      labels: {app: vllm-llama}
    spec:
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.6.3
        args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]
        resources:
          limits:
            nvidia.com/gpu: 1
---
apiVersion: v1
kind: Service
metadata:
  name: vllm-llama
  namespace: llm
spec:
  selector: {app: vllm-llama}
  ports:
  - port: 8000
"""

_BAD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat-api
  namespace: llm
spec:
  ingressClassName: nginx
  rules:
  - host: chat.example.com
    http:
      paths:
      - path: /v1
        pathType: Prefix
        backend:
          service:
            name: vllm-llama
            port:
              number: 8000
"""

_GOOD = _BAD.replace(
    "  namespace: llm\nspec:",
    '  namespace: llm\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"\n'
    '    nginx.ingress.kubernetes.io/proxy-send-timeout: "3600"\nspec:',
)


def _seconds(text: str | None) -> float | None:
    if text is None:
        return None
    m = _DURATION.match(text)
    if not m:
        return None
    unit = m.group(2).lower() if m.group(2) else None
    return float(m.group(1)) * _UNIT[unit]


def controller(ing: Ingress) -> str | None:
    keys = ing.annotations.keys()
    cls = (ing.ingress_class or "").lower()
    if cls in ("gce", "gce-internal"):  # GKE's controller ignores other controllers' annotations
        return GCE
    if any(k.startswith((NGINX_INC, "nginx.com/")) for k in keys) or cls in ("nginx-plus", "nginx-inc"):
        return "NGINX Ingress Controller (nginx.org)"
    if any(k.startswith(ALB) for k in keys) or cls == "alb":
        return "AWS Load Balancer Controller (ALB)"
    if any(k.startswith(NGINX) for k in keys) or "nginx" in cls:
        return "ingress-nginx"
    return None


class StreamingProxyTimeout(Rule):
    """An LLM server streams through an ingress that cuts or buffers long responses.

    ## What it does
    Follows each Ingress to the pods it reaches (Ingress backend → Service selector → pod
    labels of workloads in the same namespace, or the KServe `<name>-predictor` / Knative
    service naming) and reports it when an LLM server sits behind a proxy configured for
    short requests:

    - ingress-nginx: `nginx.ingress.kubernetes.io/proxy-read-timeout` absent (60 s) or
      below the threshold (option `min-timeout-seconds`, 300), or
      `nginx.ingress.kubernetes.io/proxy-buffering: "on"`;
    - NGINX Inc. controller (`nginx.org/*`): `nginx.org/proxy-read-timeout` absent (60 s) or
      short, or `nginx.org/proxy-buffering` not `"False"` (buffering is on by default);
    - AWS ALB: `alb.ingress.kubernetes.io/load-balancer-attributes` without
      `idle_timeout.timeout_seconds` at or above the threshold (default 60 s);
    - GKE Ingress (class `gce` or `gce-internal`, from `spec.ingressClassName` or the
      `kubernetes.io/ingress.class` annotation, whatever other annotations say): the backend
      Service's `cloud.google.com/backend-config` annotation (`{"default": "name"}` or
      `{"ports": {"8000": "name"}}`) names a `BackendConfig` whose `spec.timeoutSec` is the
      backend service timeout, 30 s when no BackendConfig sets it. When the annotation cannot
      be read, keys its ports by name while the Ingress gives a number (or the reverse), or
      names a BackendConfig that is not in the repository, the backend is silent.

    Routing objects are followed the same way, rule by rule, with each proxy's own default
    when the timeout is not set (one finding per route, at its shortest timeout):

    - Gateway API `HTTPRoute`/`GRPCRoute`: the shorter of `timeouts.request` and
      `timeouts.backendRequest` (`"0s"` disables a timeout); unset, the timeout is the
      implementation's and the route is silent, unless an Envoy Gateway
      `BackendTrafficPolicy` targeting the route sets `timeout.http.requestTimeout`;
    - Envoy AI Gateway `AIGatewayRoute`: the same fields, 60 s when unset; an
      `AIServiceBackend` whose `backendRef` is a Service is followed to its pods;
    - OpenShift `Route`: `haproxy.router.openshift.io/timeout` (a bare number is
      milliseconds), 30 s of server inactivity when absent;
    - Istio `VirtualService`: `http[].timeout` (none by default).

    Backends are Services (and their pods) and `InferencePool`s (`inference.networking.k8s.io`
    or `inference.networking.x-k8s.io`), which are pools of model servers by definition. A
    backend (of a route or an Ingress) that is not in the repository but whose name has an
    LLM-server token (`vllm`, `tgi`, `nim`, `sglang`, `triton`, `llm`) is reported at `info`,
    saying it was not found.
    A `ClientTrafficPolicy` is not read: its timeouts bound receiving the request and idle
    connections, not a streamed response.

    `proxy-send-timeout` is mentioned in the fix but does not trigger the rule on its own:
    it bounds gaps while sending the request upstream, which a streamed response does not
    hit. An Ingress whose controller is unknown, or whose backend cannot be resolved, is
    silent. An `ingressClassName: nginx` without controller-specific annotations is read
    as ingress-nginx.

    ## Why is this bad?
    The proxy timeout counts the time between two reads from the upstream. A streamed
    answer survives while tokens flow, but a long prefill, a tool call or a reasoning model
    thinking before its first token can leave the connection quiet for longer than 60 s,
    and the proxy closes it: the user sees a truncated answer or a 504. Buffering holds
    Server-Sent Events back until a buffer fills, so tokens arrive in bursts.

    ## How the estimate is computed
    `latency_ms` is the timeout at which a quiet stream is cut (60 s when the annotation is
    absent, per the controllers' documented defaults). Gateway API, Envoy and Istio route
    timeouts, and the GCE backend service timeout, bound the whole response, not a quiet
    gap: a long answer is cut even while tokens flow. For buffering alone no figure is
    given: the delay depends on token rate and buffer size.

    ## How to fix
    For ingress-nginx set `nginx.ingress.kubernetes.io/proxy-read-timeout` and
    `proxy-send-timeout` to the longest response you serve (e.g. `"3600"`) and keep
    `proxy-buffering: "off"`; for the NGINX Inc. controller set
    `nginx.org/proxy-read-timeout: "3600s"` and `nginx.org/proxy-buffering: "False"`; for
    ALB set `idle_timeout.timeout_seconds=3600` in `load-balancer-attributes`; for a GKE
    Ingress set `spec.timeoutSec: 3600` in the BackendConfig the Service names; on a route,
    raise `timeouts.request` (Gateway API, Envoy AI Gateway), `http[].timeout` (Istio) or
    `haproxy.router.openshift.io/timeout` (OpenShift) to the longest response you serve. Also
    send keep-alive comments from the server during long prefills.

    ## References
    - ingress-nginx annotations: https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/
    - NGINX Ingress Controller ConfigMap and annotations: https://docs.nginx.com/nginx-ingress-controller/configuration/ingress-resources/advanced-configuration-with-annotations/
    - ALB idle timeout: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout
    - GKE Ingress BackendConfig backend service timeout: https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration#timeout
    - Compute Engine backend service timeout (30 s default, whole response): https://cloud.google.com/load-balancing/docs/backend-service#timeout-setting
    - Gateway API HTTPRoute timeouts (GEP-1742): https://gateway-api.sigs.k8s.io/reference/spec/#httproutetimeouts
    - Envoy AI Gateway AIGatewayRouteRule `timeouts` (60 s default): https://github.com/envoyproxy/ai-gateway/blob/main/api/v1alpha1/ai_gateway_route.go
    - Envoy Gateway HTTP timeouts (Envoy's 15 s route default): https://gateway.envoyproxy.io/latest/tasks/traffic/http-timeouts/
    - OpenShift route timeouts: https://docs.redhat.com/en/documentation/openshift_container_platform/3.10/html/configuring_clusters/install-config-configuring-routing
    - Istio HTTPRoute `timeout`: https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
    """

    code: ClassVar[str] = "AIL205"
    slug: ClassVar[str] = "streaming-proxy-timeout"
    severity: ClassVar[Severity] = Severity.WARNING
    inputs: ClassVar[str] = (
        "Ingresses, GKE BackendConfigs, Gateway API/Envoy AI Gateway/OpenShift/Istio routes, Services,"
        " InferencePools and the LLM servers they route to (cross-file)"
    )
    summary: ClassVar[str] = "An LLM server streams through an ingress with a short timeout or buffering"
    examples = (
        Example(
            "k8s/ingress.yaml",
            _BAD,
            expect=("AIL205",),
            title="ingress-nginx with the default 60 s read timeout",
            extra_files=(("k8s/vllm.yaml", _DEPLOY),),
        ),
        Example(
            "k8s/ingress.yaml", _GOOD, title="timeouts raised for streaming", extra_files=(("k8s/vllm.yaml", _DEPLOY),)
        ),
    )
    unpriced: ClassVar[tuple[Unpriced, ...]] = (
        Unpriced("usd", "no $ figure: the cost is cut streams and retries, not spend"),
        Unpriced("kgco2e", "no kgCO2e figure: timeouts change latency, not energy"),
    )

    class Options(RuleOptions):
        min_timeout_seconds: float = Field(
            DEFAULT_MIN_TIMEOUT,
            gt=0,
            le=366 * 86_400,
            allow_inf_nan=False,
            description="proxy timeouts below this are reported",
        )

    options: Options

    def check_project(self, ctx: RuleContext) -> Iterator[Finding]:
        yield from self._check_routes(ctx)
        ingresses = list(ctx.project.of_type(Ingress))
        if not ingresses:
            return
        index = _Index(ctx)
        for ing in ingresses:
            ctrl = controller(ing)
            if ctrl is None:
                continue
            reached = _ingress_servers(ing, index)
            servers = [s for _, found in reached for s in found or ()]
            guessed = [f"Service {ing.namespace}/{b.service}" for b, found in reached if found is None]
            if not servers and not guessed:
                continue
            if ctrl == GCE:
                problem, config = _gce_problems(ing, reached, index, self.options.min_timeout_seconds)
            else:
                problem, config = _problems(ing, ctrl, self.options.min_timeout_seconds), None
            if problem is not None:
                yield self._ingress_finding(ing, ctrl, problem, config, servers, guessed)

    def _ingress_finding(
        self,
        ing: Ingress,
        ctrl: str,
        problem: Problems,
        config: TimeoutPolicy | None,
        servers: list[tuple[Workload, str]],
        guessed: list[str],
    ) -> Finding:
        """One finding per Ingress; at `info` when its LLM backends are only named like LLM servers."""
        text, timeout, span_key, assumptions = problem
        if servers:
            names = ", ".join(f"{w.display_name} ({e})" for w, e in servers[:3])
        else:
            names = ", ".join(guessed[:3]) + ", not found in the repository but named like an LLM server,"
        if timeout is None:
            so = "streamed tokens are held back until a proxy buffer fills"
        elif ctrl == GCE:
            so = f"a streamed answer that takes longer than {timeout:g} s in all (long generation, tool call, reasoning) is cut"
        else:
            so = f"a stream that sends nothing for {timeout:g} s (long prefill, tool call, reasoning) is cut"
        impact = Impact(
            latency_ms=timeout * 1000 if timeout is not None else None,
            assumptions=tuple(assumptions),
            unpriced=()
            if timeout is not None
            else (Unpriced("latency", "latency: buffering delay depends on token rate and buffer size"),),
        )
        span = ing.span_of(*span_key, "annotations", "kind")
        if config is not None and config.timeout is not None:
            span = config.span_of(config.timeout_field, "kind")
        finding = self.finding(
            ing,
            f"{ing.display_name} ({ctrl}) routes to {names} with {text}, so {so}.",
            remediation=_REMEDIATION[ctrl],
            impact=impact,
            span=span,
            key=f"{ing.namespace}/{ing.name}",
            related=[w for w, _ in servers],
        )
        return finding if servers else finding.model_copy(update={"severity": Severity.INFO})

    def _check_routes(self, ctx: RuleContext) -> Iterator[Finding]:
        """Gateway API, Envoy AI Gateway, OpenShift and Istio routes in front of LLM servers."""
        routes = list(ctx.project.of_type(Route))
        if not routes:
            return
        index = _Index(ctx)
        threshold = self.options.min_timeout_seconds
        for route in routes:
            proxy, default, source = ROUTE_DEFAULTS[route.kind]
            policy = index.policy(route)
            hits: list[tuple[int, float, str]] = []
            found: list[tuple[Workload | RoutingBackend, str]] = []
            guessed: list[str] = []
            for i, rule in enumerate(route.rules):
                timeout, where = rule.timeout, rule.timeout_field
                if timeout is None and policy is not None:
                    timeout, where = policy.timeout, f"{policy.display_name} {policy.timeout_field}"
                if timeout is None and default is not None:
                    timeout, where = default, f"{proxy} default ({source})"
                if timeout is None or timeout == 0 or timeout >= threshold:
                    continue
                servers, names = index.servers(route.namespace, rule.backends, route.span)
                if servers or names:
                    hits.append((i, timeout, where))
                    found += [s for s in servers if all(s[0].display_name != o.display_name for o, _ in found)]
                    guessed += [n for n in names if n not in guessed]
            if hits:
                yield self._route_finding(route, hits, proxy, found, guessed, policy)

    def _route_finding(
        self,
        route: Route,
        hits: list[tuple[int, float, str]],
        proxy: str,
        found: list[tuple[Workload | RoutingBackend, str]],
        guessed: list[str],
        policy: TimeoutPolicy | None,
    ) -> Finding:
        """One finding per route, at its rule with the shortest timeout."""
        i, timeout, where = min(hits, key=lambda h: h[1])
        rule = route.rules[i]
        more = f" (and {len(hits) - 1} more rule{'s' if len(hits) > 2 else ''})" if len(hits) > 1 else ""
        cut = "is cut when it goes quiet" if route.kind == "Route" else "is cut"
        span = rule.span or route.span
        if not rule.timeout_field and policy is not None and policy.timeout is not None:
            span = policy.span_of(policy.timeout_field, "kind")
        if found:
            names = ", ".join(f"{o.display_name} ({e})" for o, e in found[:3])
            lead = f"{route.display_name} ({proxy}) routes to {names}"
        else:
            names = ", ".join(guessed[:3])
            lead = (
                f"{route.display_name} ({proxy}) routes to {names}, not found in the repository but named like an"
                " LLM server"
            )
        message = (
            f"{lead} with a {timeout:g} s timeout ({where}){more}, so a streamed answer that takes longer"
            f" (long generation, tool call, reasoning) {cut}."
        )
        impact = Impact(
            latency_ms=timeout * 1000,
            assumptions=(f"{proxy} timeout {timeout:g} s from {where}",),
        )
        finding = self.finding(
            route,
            message,
            remediation=_ROUTE_REMEDIATION[route.kind],
            impact=impact,
            span=span,
            key=f"{route.namespace}/{route.name}",
            related=[o for o, _ in found],
        )
        return finding if found else finding.model_copy(update={"severity": Severity.INFO})


_REMEDIATION = {
    "ingress-nginx": (
        "Set `nginx.ingress.kubernetes.io/proxy-read-timeout` and `nginx.ingress.kubernetes.io/proxy-send-timeout` "
        'to the longest response you serve (for example "3600") and keep `nginx.ingress.kubernetes.io/proxy-buffering: '
        '"off"`. Send keep-alive comments from the server during long prefills.'
    ),
    "NGINX Ingress Controller (nginx.org)": (
        'Set `nginx.org/proxy-read-timeout: "3600s"` and `nginx.org/proxy-buffering: "False"` on the Ingress so '
        "streamed tokens pass through unbuffered and quiet gaps are not cut."
    ),
    "AWS Load Balancer Controller (ALB)": (
        "Add `idle_timeout.timeout_seconds=3600` (up to 4000) to `alb.ingress.kubernetes.io/load-balancer-attributes`, "
        "and send keep-alive comments from the server during long prefills."
    ),
    GCE: (
        "Set `spec.timeoutSec: 3600` in a BackendConfig and name it from the backend Service with "
        '`cloud.google.com/backend-config: \'{"default": "<name>"}\'`: without one the load balancer\'s backend '
        "service timeout is 30 s and bounds the whole response, not a quiet gap."
    ),
}


def _resolve(
    ns: str,
    svc_name: str,
    services: dict[tuple[str, str], Service],
    workloads: list[Workload],
    by_name: dict[tuple[str, str], Workload],
) -> list[Workload]:
    svc = services.get((ns, svc_name))
    if svc is not None and svc.selector:
        out = []
        for w in workloads:
            if w.namespace != ns:
                continue
            for pod in w.pods:
                labels = pod_labels(w, pod)
                if labels and all(labels.get(k) == v for k, v in svc.selector.items()):
                    out.append(w)
                    break
        return out
    # KServe and Knative create the Service themselves: `<isvc>-predictor[-default]`, `<ksvc>`
    for suffix in ("-predictor-default", "-predictor", ""):
        if svc_name.endswith(suffix):
            found = by_name.get((ns, svc_name[: len(svc_name) - len(suffix)] if suffix else svc_name))
            if found is not None:
                return [found]
    return []


Problems = tuple[str, float | None, tuple[str, ...], list[str]]
_CUT = "a stream that sends nothing for longer (long prefill, tool call, reasoning before the first token) is cut"


def _problems(ing: Ingress, ctrl: str, threshold: float) -> Problems | None:
    """(what is wrong, timeout in seconds, span path, assumptions) for the ingress's controller, or None."""
    if ctrl == "ingress-nginx":
        return _nginx_problems(ing, threshold)
    if ctrl.startswith("NGINX Ingress"):
        return _nginx_inc_problems(ing, threshold)
    return _alb_problems(ing, threshold)


def _read_timeout(
    key: str, read: float | None, threshold: float, controller: str
) -> tuple[list[str], float | None, tuple[str, ...], list[str]]:
    """An nginx controller's proxy-read-timeout (60 s when the annotation is absent), if too short."""
    if read is not None and read >= threshold:
        return [], None, (), []
    timeout = read if read is not None else 60.0
    part = f"proxy-read-timeout {timeout:g} s{' (default: annotation absent)' if read is None else ''}"
    span = (f"annotations.{key}",) if read is not None else ()
    return [part], timeout, span, [f"{controller} proxy-read-timeout {timeout:g} s: {_CUT}"]


def _nginx_problems(ing: Ingress, threshold: float) -> Problems | None:
    ann = ing.annotations
    key = NGINX + "proxy-read-timeout"
    read = _seconds(ann.get(key))
    buffering = (ann.get(NGINX + "proxy-buffering") or "").lower() == "on"
    parts, timeout, span, assumptions = _read_timeout(key, read, threshold, "ingress-nginx")
    if buffering:
        parts.append('proxy-buffering "on"')
        assumptions.append("proxy-buffering on: Server-Sent Events are held until a proxy buffer fills")
        span = span or (f"annotations.{NGINX}proxy-buffering",)
    if (ing.ingress_class or "") == "nginx" and not any(k.startswith(NGINX) for k in ann):
        assumptions.append("ingressClassName nginx read as ingress-nginx (no controller-specific annotations)")
    if not parts:
        return None
    return " and ".join(parts), timeout, span, assumptions


def _nginx_inc_problems(ing: Ingress, threshold: float) -> Problems | None:
    ann = ing.annotations
    key = NGINX_INC + "proxy-read-timeout"
    read = _seconds(ann.get(key))
    buf_val = ann.get(NGINX_INC + "proxy-buffering")
    buffering = buf_val is None or buf_val.strip().lower() not in ("false", "off", "no")
    parts, timeout, span, assumptions = _read_timeout(key, read, threshold, "NGINX Ingress Controller")
    if buffering:
        parts.append("proxy buffering on" + (" (the controller's default)" if buf_val is None else ""))
        assumptions.append("proxy buffering on: Server-Sent Events are held until a proxy buffer fills")
        if buf_val is not None:
            span = span or (f"annotations.{NGINX_INC}proxy-buffering",)
    if not parts:
        return None
    return " and ".join(parts), timeout, span, assumptions


Reached = list[tuple[IngressBackend, list[tuple[Workload, str]] | None]]


def _ingress_servers(ing: Ingress, index: _Index) -> Reached:
    """Each backend of the Ingress that reaches LLM servers (with them), or that is not in the repository
    but is named like an LLM server (None)."""
    out: Reached = []
    seen: list[Workload] = []
    for b in ing.backends:
        workloads = _resolve(ing.namespace, b.service, index.services, index.workloads, index.by_name)
        servers = [(w, e) for w in workloads if (e := llm_engine(w)) and all(w is not o for o in seen)]
        seen += [w for w, _ in servers]
        if servers:
            out.append((b, servers))
        elif (
            not workloads
            and (ing.namespace, b.service) not in index.services
            and named_like_llm_server(b.service)
            and all(o.service != b.service for o, f in out if f is None)
        ):
            out.append((b, None))
    return out


def _backend_config_name(svc: Service, port: str) -> str | None:
    """The BackendConfig a Service names for `port` ("" when it names none), or None when that cannot be
    told (unreadable annotation, or a port map keyed by names while the Ingress gives a number, or the
    reverse: the Service's ports would be needed)."""
    raw = next((svc.annotations[k] for k in BACKEND_CONFIG if k in svc.annotations), None)
    if raw is None:
        return ""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    ports, default = data.get("ports"), data.get("default")
    if isinstance(ports, dict) and ports:
        hit = ports.get(port) if port else None
        if isinstance(hit, str):
            return hit
        if not port or any(str(k).isdigit() != port.isdigit() for k in ports):
            return None
    elif ports is not None and not isinstance(ports, dict):
        return None
    return default if isinstance(default, str) else ""


def _gce_timeout(ns: str, backend: IngressBackend, index: _Index) -> tuple[float, str, TimeoutPolicy | None] | None:
    """(backend service timeout, where it comes from, the BackendConfig setting it) for one Ingress
    backend; None when the Service names a BackendConfig that cannot be read here."""
    svc = index.services.get((ns, backend.service))
    if svc is None:
        return GCE_DEFAULT_TIMEOUT, "GCE default when the Service, not in the repository, names no BackendConfig", None
    name = _backend_config_name(svc, backend.port)
    if name is None:
        return None
    if not name:
        return GCE_DEFAULT_TIMEOUT, f"GCE default: {svc.display_name} names no BackendConfig", None
    config = index.backend_configs.get((ns, name))
    if config is None:
        return None
    if config.timeout is None:
        return GCE_DEFAULT_TIMEOUT, f"GCE default: {config.display_name} sets no timeoutSec", None
    return config.timeout, f"{config.display_name} spec.timeoutSec", config


def _gce_problems(
    ing: Ingress, reached: Reached, index: _Index, threshold: float
) -> tuple[Problems | None, TimeoutPolicy | None]:
    """The shortest backend service timeout among the Ingress's LLM backends, when below the threshold."""
    timeouts = [t for b, _ in reached if (t := _gce_timeout(ing.namespace, b, index)) is not None]
    live = [t for t in timeouts if 0 < t[0] < threshold]
    if not live:
        return None, None
    timeout, where, config = min(live, key=lambda t: t[0])
    text = f"a backend service timeout of {timeout:g} s ({where})"
    assumption = f"GCE backend service timeout {timeout:g} s bounds the whole response, from {where}"
    return (text, timeout, (), [assumption]), config


def _alb_problems(ing: Ingress, threshold: float) -> Problems | None:
    ann = ing.annotations
    key = ALB + "load-balancer-attributes"
    attrs = {}
    for item in (ann.get(key) or "").split(","):
        k, _, v = item.partition("=")
        attrs[k.strip()] = v.strip()
    idle = _seconds(attrs.get("idle_timeout.timeout_seconds"))
    if idle is not None and idle >= threshold:
        return None
    timeout = idle if idle is not None else 60.0
    text = f"ALB idle timeout {timeout:g} s" + (
        " (default: idle_timeout.timeout_seconds not set)" if idle is None else ""
    )
    return text, timeout, ((f"annotations.{key}",) if key in ann else ()), [f"ALB idle timeout {timeout:g} s: {_CUT}"]


# kind -> (proxy, its timeout when the route sets none (None: no timeout), source of that default)
ROUTE_DEFAULTS: dict[str, tuple[str, float | None, str]] = {
    # Gateway API: "When this field is unspecified, its behavior is implementation-specific"
    "HTTPRoute": ("Gateway API", None, "implementation-specific"),
    "GRPCRoute": ("Gateway API", None, "implementation-specific"),
    # envoyproxy/ai-gateway api/v1alpha1/ai_gateway_route.go: "defaults to set 60s for the request timeout"
    "AIGatewayRoute": ("Envoy AI Gateway", 60.0, "60 s request timeout"),
    # OpenShift router ROUTER_DEFAULT_SERVER_TIMEOUT: 30 s of server inactivity
    "Route": ("OpenShift router", 30.0, "30 s server timeout"),
    # Istio HTTPRoute.timeout: "default is disabled"
    "VirtualService": ("Istio", None, "disabled"),
}

_ROUTE_REMEDIATION = {
    "HTTPRoute": (
        'Raise `timeouts.request` (and `timeouts.backendRequest`) to the longest response you serve, or set "0s" to'
        " disable them where the implementation supports it."
    ),
    "AIGatewayRoute": (
        "Set `timeouts.request` on the rule to the longest response you serve (for example `3600s`): without it"
        " Envoy AI Gateway applies 60 s."
    ),
    "Route": (
        'Annotate the Route with `haproxy.router.openshift.io/timeout: "3600s"` (the router default is 30 s of'
        " server inactivity), and send keep-alive comments from the server during long prefills."
    ),
    "VirtualService": "Raise `http[].timeout` to the longest response you serve, or remove it (Istio's default is none).",
}
_ROUTE_REMEDIATION["GRPCRoute"] = _ROUTE_REMEDIATION["HTTPRoute"]

# whole name tokens that say a backend is an LLM server when it is not in the repository
LLM_NAME_TOKENS = frozenset({"vllm", "tgi", "nim", "sglang", "triton", "llm"})
_TOKEN = re.compile(r"[a-z0-9]+")


def named_like_llm_server(name: str) -> bool:
    return any(t in LLM_NAME_TOKENS for t in _TOKEN.findall(name.lower()))


class _Index:
    """What a route's backends resolve to, across files."""

    def __init__(self, ctx: RuleContext) -> None:
        self.services = {(s.namespace, s.name): s for s in ctx.project.of_type(Service)}
        self.workloads = [w for w in ctx.project.of_type(Workload) if w.pods]
        self.by_name = {
            (w.namespace, w.name): w
            for w in self.workloads
            if w.kind in ("InferenceService", "Service", "LLMInferenceService")
        }
        self.span: Span | None = None
        self.backends = {(b.kind, b.namespace, b.name): b for b in ctx.project.of_type(RoutingBackend)}
        self.policies: dict[tuple[str, str, str], TimeoutPolicy] = {}
        self.backend_configs: dict[tuple[str, str], TimeoutPolicy] = {}
        for p in ctx.project.of_type(TimeoutPolicy):
            if p.kind == "BackendConfig":
                self.backend_configs[(p.namespace, p.name)] = p
            if p.kind == "BackendTrafficPolicy" and p.timeout is not None:
                for t in p.targets:
                    self.policies[(t.kind, p.namespace, t.name)] = p

    def policy(self, route: Route) -> TimeoutPolicy | None:
        return self.policies.get((route.kind, route.namespace, route.name))

    def servers(
        self, ns: str, refs: tuple[RouteBackend, ...], span: Span
    ) -> tuple[list[tuple[Workload | RoutingBackend, str]], list[str]]:
        """(LLM servers or pools found, names of backends not found that are named like LLM servers)."""
        self.span = span
        found: list[tuple[Workload | RoutingBackend, str]] = []
        guessed: list[str] = []
        for ref in refs:
            for obj, engine in self._resolve(ref.namespace or ns, ref, guessed):
                if all(obj.display_name != o.display_name for o, _ in found):
                    found.append((obj, engine))
        return found, guessed

    def _resolve(self, ns: str, ref: RouteBackend, guessed: list[str]) -> list[tuple[Workload | RoutingBackend, str]]:
        if ref.kind == "InferencePool":
            pool = self.backends.get(("InferencePool", ns, ref.name))
            if pool is None:
                return [(_pool_placeholder(ns, ref.name, self.span or Span(path="")), "InferencePool")]
            servers = self._by_selector(ns, pool.selector)
            return servers or [(pool, "InferencePool")]
        if ref.kind == "AIServiceBackend":
            asb = self.backends.get(("AIServiceBackend", ns, ref.name))
            target = asb.targets[0] if asb is not None and asb.targets else None
            if target is not None and target.kind == "Service":
                return self._resolve(target.namespace or ns, target, guessed)
            if named_like_llm_server(ref.name) or (target is not None and named_like_llm_server(target.name)):
                guessed.append(f"AIServiceBackend {ns}/{ref.name}")
            return []
        if ref.kind != "Service":
            return []
        workloads = _resolve(ns, ref.name, self.services, self.workloads, self.by_name)
        out: list[tuple[Workload | RoutingBackend, str]] = []
        for w in workloads:
            engine = llm_engine(w)
            if engine:
                out.append((w, engine))
        if not workloads and (ns, ref.name) not in self.services and named_like_llm_server(ref.name):
            guessed.append(f"Service {ns}/{ref.name}")
        return out

    def _by_selector(self, ns: str, selector: dict[str, str]) -> list[tuple[Workload | RoutingBackend, str]]:
        out: list[tuple[Workload | RoutingBackend, str]] = []
        if not selector:
            return out
        for w in self.workloads:
            if w.namespace != ns:
                continue
            if any(
                (labels := pod_labels(w, pod)) and all(labels.get(k) == v for k, v in selector.items())
                for pod in w.pods
            ):
                out.append((w, llm_engine(w) or "InferencePool"))
        return out


def _pool_placeholder(ns: str, name: str, span: Span) -> RoutingBackend:
    """An InferencePool named by a route but defined elsewhere: a pool of model servers all the same."""
    return RoutingBackend(
        span=span, api_version="inference.networking.k8s.io/v1", kind="InferencePool", name=name, namespace=ns
    )
