"""The routing layer in front of model servers -> `Route`, `TimeoutPolicy`, `RoutingBackend`.

Gateway API `HTTPRoute`/`GRPCRoute`, Envoy AI Gateway `AIGatewayRoute` and `AIServiceBackend`,
OpenShift `Route`, Istio `VirtualService`, Envoy Gateway `BackendTrafficPolicy`,
GKE `BackendConfig` and the inference extension's `InferencePool`. Only what decides how long a
streamed response may take is read: backends and timeouts. Durations are kept in seconds; a value
that cannot be read is kept as "not set" rather than guessed.
"""

from __future__ import annotations

from typing import Any

from aiinfralint.model.base import Span
from aiinfralint.model.k8s import K8sObject, Route, RouteBackend, RouteRule, RoutingBackend, TimeoutPolicy
from aiinfralint.parsers.base import FileInput
from aiinfralint.parsers.values import node_span as _span
from aiinfralint.timeutil import go_duration as duration
from aiinfralint.yamlsafe import YList, YMap

OPENSHIFT_TIMEOUT = "haproxy.router.openshift.io/timeout"
_INFERENCE_GROUPS = ("inference.networking.k8s.io", "inference.networking.x-k8s.io")


def _group(api: str) -> str:
    return api.split("/")[0] if "/" in api else ""


def parse_routing(spec: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]) -> K8sObject | None:
    """The routing object this document is, or None when its kind is not one of them."""
    kind, group = base["kind"], _group(base["api_version"])
    if group == "gateway.networking.k8s.io" and kind in ("HTTPRoute", "GRPCRoute"):
        return Route(**base, field_spans=spans, rules=_gateway_rules(spec, f, "Service"))
    if group == "aigateway.envoyproxy.io" and kind == "AIGatewayRoute":
        return Route(**base, field_spans=spans, rules=_gateway_rules(spec, f, "AIServiceBackend"))
    if group == "aigateway.envoyproxy.io" and kind == "AIServiceBackend":
        ref = _backend_ref(spec.get("backendRef"), "Backend")
        return RoutingBackend(**base, field_spans=spans, targets=(ref,) if ref else ())
    if group in _INFERENCE_GROUPS and kind == "InferencePool":
        return RoutingBackend(**base, field_spans=spans, selector=_selector(spec.get("selector")))
    if group == "route.openshift.io" and kind == "Route":
        return Route(**base, field_spans=spans, rules=(_openshift_rule(spec, base, spans),))
    if group == "networking.istio.io" and kind == "VirtualService":
        return Route(**base, field_spans=spans, rules=_istio_rules(spec, f))
    if group == "gateway.envoyproxy.io" and kind == "BackendTrafficPolicy":
        return _envoy_policy(spec, f, base, spans)
    if group == "cloud.google.com" and kind == "BackendConfig":
        sec = duration(spec.get("timeoutSec"))
        where = _span(f, spec, "timeoutSec") if "timeoutSec" in spec else None
        if where is not None:
            spans["spec.timeoutSec"] = where
        return TimeoutPolicy(**base, field_spans=spans, timeout=sec, timeout_field="spec.timeoutSec")
    return None


def _selector(node: Any) -> dict[str, str]:
    """An InferencePool selector: a plain label map (v1alpha2) or `matchLabels` (v1)."""
    if not isinstance(node, dict):
        return {}
    inner = node.get("matchLabels")
    labels = inner if isinstance(inner, dict) else node
    return {str(k): str(v) for k, v in labels.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)}


def _backend_ref(ref: Any, default_kind: str) -> RouteBackend | None:
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not ref.get("name"):
        return None
    kind = ref.get("kind") if isinstance(ref.get("kind"), str) and ref.get("kind") else default_kind
    ns = ref.get("namespace") if isinstance(ref.get("namespace"), str) else ""
    return RouteBackend(kind=str(kind), name=str(ref["name"]), namespace=str(ns))


def _gateway_rules(spec: YMap, f: FileInput, default_kind: str) -> tuple[RouteRule, ...]:
    """`spec.rules[]` of a Gateway API route (or an AIGatewayRoute, same shape): the shorter of
    `timeouts.request` and `timeouts.backendRequest` that is not zero (zero disables it)."""
    rules = spec.get("rules")
    out: list[RouteRule] = []
    for i, rule in enumerate(rules if isinstance(rules, YList) else []):
        if not isinstance(rule, YMap):
            continue
        refs = rule.get("backendRefs")
        backends = [_backend_ref(r, default_kind) for r in (refs if isinstance(refs, list) else [])]
        timeout: float | None = None
        field, span = "", _span(f, rules, i)
        timeouts = rule.get("timeouts")
        if isinstance(timeouts, YMap):
            # the shorter one that is set and not zero cuts the stream; zero disables a timeout
            found = [
                (sec, key) for key in ("request", "backendRequest") if (sec := duration(timeouts.get(key))) is not None
            ]
            live = [v for v in found if v[0] > 0]
            pick = min(live, key=lambda v: v[0]) if live else (found[0] if found else None)
            if pick is not None:
                timeout, field, span = pick[0], f"timeouts.{pick[1]}", _span(f, timeouts, pick[1])
        out.append(RouteRule(backends=tuple(b for b in backends if b), timeout=timeout, timeout_field=field, span=span))
    return tuple(out)


def _openshift_rule(spec: YMap, base: dict[str, Any], spans: dict[str, Span]) -> RouteRule:
    """`spec.to` and `spec.alternateBackends` with the router's timeout annotation (a bare
    number is milliseconds: the value goes to HAProxy as written)."""
    backends = [_backend_ref(spec.get("to"), "Service")]
    alt = spec.get("alternateBackends")
    backends += [_backend_ref(b, "Service") for b in (alt if isinstance(alt, list) else [])]
    raw = base["annotations"].get(OPENSHIFT_TIMEOUT)
    return RouteRule(
        backends=tuple(b for b in backends if b and b.kind == "Service"),
        timeout=duration(raw, "ms") if raw is not None else None,
        timeout_field=f"annotations.{OPENSHIFT_TIMEOUT}" if raw is not None else "",
        span=spans.get(f"annotations.{OPENSHIFT_TIMEOUT}"),
    )


def _istio_host(host: str) -> RouteBackend:
    """A destination host: `svc`, `svc.ns`, `svc.ns.svc.cluster.local` (anything else keeps its name)."""
    parts = host.split(".")
    if len(parts) == 2 or (len(parts) >= 3 and parts[2] == "svc"):
        return RouteBackend(name=parts[0], namespace=parts[1])
    return RouteBackend(name=host if len(parts) > 2 else parts[0])


def _istio_rules(spec: YMap, f: FileInput) -> tuple[RouteRule, ...]:
    http = spec.get("http")
    out: list[RouteRule] = []
    for i, rule in enumerate(http if isinstance(http, YList) else []):
        if not isinstance(rule, YMap):
            continue
        routes = rule.get("route")
        backends = []
        for r in routes if isinstance(routes, list) else []:
            dest = r.get("destination") if isinstance(r, dict) else None
            if isinstance(dest, dict) and isinstance(dest.get("host"), str) and dest["host"]:
                backends.append(_istio_host(dest["host"]))
        has = "timeout" in rule
        out.append(
            RouteRule(
                backends=tuple(backends),
                timeout=duration(rule.get("timeout")) if has else None,
                timeout_field=f"http[{i}].timeout" if has else "",
                span=_span(f, rule, "timeout") if has else _span(f, http, i),
            )
        )
    return tuple(out)


def _envoy_policy(spec: YMap, f: FileInput, base: dict[str, Any], spans: dict[str, Span]) -> TimeoutPolicy:
    """Targets of an Envoy Gateway BackendTrafficPolicy and its `timeout.http.requestTimeout`.
    (A ClientTrafficPolicy's timeouts bound receiving the request and idle connections, not a
    streamed response: it is not read.)"""
    refs = spec.get("targetRefs")
    targets = [_backend_ref(r, "") for r in (refs if isinstance(refs, list) else [])]
    targets.append(_backend_ref(spec.get("targetRef"), ""))
    timeout_node = spec.get("timeout")
    http = timeout_node.get("http") if isinstance(timeout_node, dict) else None
    key = "requestTimeout"
    sec = None
    if isinstance(http, YMap) and key in http:
        sec = duration(http.get(key))
        spans[f"spec.timeout.http.{key}"] = _span(f, http, key)
    return TimeoutPolicy(
        **base,
        field_spans=spans,
        targets=tuple(t for t in targets if t),
        timeout=sec,
        timeout_field=f"spec.timeout.http.{key}",
    )
