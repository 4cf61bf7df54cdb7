"""AIL205 on routes: raise the timeout of the route rule (or policy) a finding points at.

- Gateway API `HTTPRoute`/`GRPCRoute` (the rule that holds the finding's line; the next short
  rule is the next round's finding) and Envoy AI Gateway `AIGatewayRoute` (every rule: all of
  them reach AI service backends): `timeouts.request` and `timeouts.backendRequest` that are set, not
  zero (zero disables a timeout) and shorter than the streaming timeout are raised to it, so
  `backendRequest` never exceeds `request`. An `AIGatewayRoute` rule without `request` (60 s by
  default) gets one, in a `timeouts` mapping created when missing.
- Envoy Gateway `BackendTrafficPolicy`: `spec.timeout.http.requestTimeout` raised.
- OpenShift `Route`: the `haproxy.router.openshift.io/timeout` annotation set (absent, the router
  cuts a quiet response after 30 s), at most HAProxy's 2^31-1 ms.
- Istio `VirtualService`: the `timeout` of the `spec.http[]` rule that holds the finding's line
  (absent, Istio sets none, so only one that is set is raised), written in seconds (`"300s"`, the
  protobuf duration form Istio reads).
- GKE `BackendConfig`: `spec.timeoutSec` (whole seconds) raised. A finding on the Ingress itself
  (its Service names no BackendConfig, or one without `timeoutSec`) is not fixed: the object to
  change lives elsewhere.

Durations are written the Gateway API way (`"300s"`; hours, minutes and seconds above 99999 s,
the most one unit may hold). A timeout already long enough is never lowered.
"""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aiinfralint.fixes import yamledit
from aiinfralint.model.finding import TextEdit
from aiinfralint.timeutil import go_duration as duration

OPENSHIFT_TIMEOUT = "haproxy.router.openshift.io/timeout"
HAPROXY_MAX_SECONDS = (2**31 - 1) // 1000
GATEWAY_UNIT_MAX = 99999  # Gateway API Duration: at most 5 digits per unit (GEP-2257)
GATEWAY_KINDS = ("HTTPRoute", "GRPCRoute", "AIGatewayRoute")


def route_edits(src: yamledit.Source, doc: MappingNode, line: int, seconds: int) -> tuple[list[TextEdit], str] | None:
    """(edits, what they do) for the routing object `doc` whose finding is on 1-based `line`."""
    kind = yamledit.scalar(yamledit.get(doc, "kind"))
    group = (yamledit.scalar(yamledit.get(doc, "apiVersion")) or "").split("/")[0]
    if kind in GATEWAY_KINDS and group in ("gateway.networking.k8s.io", "aigateway.envoyproxy.io"):
        rules = yamledit.get(doc, "spec", "rules")
        if kind == "AIGatewayRoute":  # every rule reaches an AI service backend
            targets = [r for r in rules.value if isinstance(r, MappingNode)] if isinstance(rules, SequenceNode) else []
        else:
            targets = [r for r in (_rule_at(rules, line),) if r is not None]
        edits = [e for rule in targets for e in _gateway_rule(src, rule, seconds, kind == "AIGatewayRoute")]
        return edits, f"raise the {kind} rule timeouts to {gateway_duration(seconds)}"
    if kind == "BackendTrafficPolicy" and group == "gateway.envoyproxy.io":
        node = yamledit.get(doc, "spec", "timeout", "http", "requestTimeout")
        text = gateway_duration(seconds)
        edit = _raise(src, node, seconds, "s", text) if isinstance(node, ScalarNode) else None
        return [edit] if edit else [], f"raise the policy's requestTimeout to {gateway_duration(seconds)}"
    if kind == "Route" and group == "route.openshift.io":
        seconds = min(seconds, HAPROXY_MAX_SECONDS)
        return _openshift(src, doc, seconds), f"set the OpenShift router timeout to {seconds}s"
    if kind == "VirtualService" and group == "networking.istio.io":
        rule = _rule_at(yamledit.get(doc, "spec", "http"), line)
        node = yamledit.get(rule, "timeout")
        edit = _raise(src, node, seconds, "s", f"{seconds}s") if isinstance(node, ScalarNode) else None
        return [edit] if edit else [], f"raise the VirtualService http route timeout to {seconds}s"
    if kind == "BackendConfig" and group == "cloud.google.com":
        node = yamledit.get(doc, "spec", "timeoutSec")
        edit = _raise(src, node, seconds, "s", str(seconds)) if isinstance(node, ScalarNode) else None
        return [edit] if edit else [], f"raise the BackendConfig's timeoutSec to {seconds}"
    return None


def gateway_duration(seconds: int) -> str:
    """`seconds` as a Gateway API duration: "300s", or "27h46m40s" past 99999 s."""
    if seconds <= GATEWAY_UNIT_MAX:
        return f"{seconds}s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n)


def _rule_at(rules: Node | None, line: int) -> MappingNode | None:
    """The block rule of `spec.rules` (or Istio's `spec.http`) that holds 1-based `line` (the last one starting at or before it)."""
    if not isinstance(rules, SequenceNode) or rules.flow_style:
        return None
    found: MappingNode | None = None
    for rule in rules.value:
        if rule.start_mark.line + 1 <= line and isinstance(rule, MappingNode):
            found = rule
    return found


def _short(node: Node | None, seconds: int, bare_unit: str = "s") -> bool:
    """Whether a timeout value is set, not zero and shorter than `seconds` (or unreadable)."""
    if not isinstance(node, ScalarNode):
        return False
    value = duration(node.value, bare_unit)
    return value is None or 0 < value < seconds


def _gateway_rule(src: yamledit.Source, rule: MappingNode, seconds: int, request_default: bool) -> list[TextEdit]:
    text = gateway_duration(seconds)
    timeouts = yamledit.get(rule, "timeouts")
    wanted: list[tuple[str, str]] = []
    for key in ("request", "backendRequest"):
        node = yamledit.get(timeouts, key)
        if isinstance(node, ScalarNode) and _short(node, seconds):
            wanted.append((key, yamledit.quoted_like(node, text)))
    if request_default and yamledit.get(timeouts, "request") is None:
        wanted.insert(0, ("request", text))  # unset: Envoy AI Gateway's 60 s request timeout
    if not wanted:
        return []
    return yamledit.set_entries(src, rule, "timeouts", wanted)


def _raise(src: yamledit.Source, node: ScalarNode, seconds: int, bare_unit: str, text: str) -> TextEdit | None:
    if not _short(node, seconds, bare_unit):
        return None
    return yamledit.replace_scalar(src, node, yamledit.quoted_like(node, text))


def _openshift(src: yamledit.Source, doc: MappingNode, seconds: int) -> list[TextEdit]:
    metadata = yamledit.get(doc, "metadata")
    if not isinstance(metadata, MappingNode):
        return []
    current = yamledit.get(metadata, "annotations", OPENSHIFT_TIMEOUT)
    if isinstance(current, ScalarNode):
        # a bare number is milliseconds to HAProxy; the router takes one number and one unit
        edit = _raise(src, current, seconds, "ms", f"{seconds}s")
        return [edit] if edit else []
    if current is not None:
        return []
    return yamledit.set_entries(src, metadata, "annotations", [(OPENSHIFT_TIMEOUT, f'"{seconds}s"')])
