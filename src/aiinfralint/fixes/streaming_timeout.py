"""AIL205: raise the timeouts of the Ingress that cuts a streamed answer (`[fix] streaming-timeout`).

- ingress-nginx: `nginx.ingress.kubernetes.io/proxy-read-timeout` and `proxy-send-timeout` set
  to the timeout (quoted seconds, as the controller wants strings), and `proxy-buffering: "on"`
  turned `"off"`, so tokens pass as they are generated.
- AWS Load Balancer Controller: `idle_timeout.timeout_seconds=N` in
  `alb.ingress.kubernetes.io/load-balancer-attributes` (replaced, or appended to the attributes
  already there; at most 4000, the ALB maximum).

- NGINX Inc. controller (`nginx.org/`): `nginx.org/proxy-read-timeout` and
  `proxy-send-timeout` set to the timeout (`"300s"`), and `nginx.org/proxy-buffering: "False"`
  unless buffering is already off (it is on by default).
- Gateway API, Envoy AI Gateway, OpenShift and Istio routes, Envoy Gateway BackendTrafficPolicies
  and GKE BackendConfigs: see `route_timeout`.

A timeout already at least as long is left as it is. A finding on a GKE Ingress is not fixed
there: its timeout is the `timeoutSec` of a BackendConfig its Service names.
"""

from __future__ import annotations

import math
import re

from ruamel.yaml.nodes import MappingNode, ScalarNode

from aiinfralint.fixes import route_timeout, yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit
from aiinfralint.timeutil import go_duration

NGINX = "nginx.ingress.kubernetes.io/"
NGINX_INC = "nginx.org/"
ALB = "alb.ingress.kubernetes.io/"
ALB_ATTRIBUTES = ALB + "load-balancer-attributes"
ALB_MAX_IDLE = 4000
_IDLE = re.compile(r"idle_timeout\.timeout_seconds\s*=\s*[^,]*")


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    found = yamledit.mapping_at(text, finding.span.line)
    if found is None:
        return None
    src, doc = found
    seconds = math.ceil(ctx.streaming_timeout)
    if yamledit.scalar(yamledit.get(doc, "kind")) != "Ingress":
        routed = route_timeout.route_edits(src, doc, finding.span.line, seconds)
        return _fix(finding, *routed) if routed is not None else None
    metadata = yamledit.get(doc, "metadata")
    if not isinstance(metadata, MappingNode):
        return None
    annotations = yamledit.get(metadata, "annotations")
    keys = [k.value for k, _ in annotations.value] if isinstance(annotations, MappingNode) else []
    cls = yamledit.scalar(yamledit.get(doc, "spec", "ingressClassName")) or yamledit.scalar(
        yamledit.get(annotations, "kubernetes.io/ingress.class")
    )
    cls = (cls or "").lower()
    if cls in ("gce", "gce-internal"):
        return None
    if cls in ("nginx-plus", "nginx-inc") or any(k.startswith((NGINX_INC, "nginx.com/")) for k in keys):
        edits, what = _nginx_inc(src, metadata, seconds)
    elif any(k.startswith(ALB) for k in keys) or cls == "alb":
        seconds = min(seconds, ALB_MAX_IDLE)
        edits = _alb(src, metadata, seconds)
        what = f"set the ALB idle timeout to {seconds} s"
    elif any(k.startswith(NGINX) for k in keys) or "nginx" in cls:
        edits = _nginx(src, metadata, seconds)
        what = f"set ingress-nginx proxy-read-timeout and proxy-send-timeout to {seconds} s"
    else:
        return None
    return _fix(finding, edits, what)


def _fix(finding: Finding, edits: list[TextEdit], what: str) -> Fix | None:
    if not edits:
        return None
    return Fix(
        description=f"{what} ([fix] streaming-timeout)", safety="safe", path=finding.span.path, edits=tuple(edits)
    )


def _timeouts(metadata: MappingNode, keys: tuple[str, ...], seconds: int, text: str) -> list[tuple[str, str]]:
    """The timeout annotations to write: those absent, unreadable or shorter than `seconds`."""
    out = []
    for key in keys:
        current = yamledit.scalar(yamledit.get(metadata, "annotations", key))
        value = go_duration(current) if current is not None else None
        if value is None or value < seconds:
            out.append((key, text))
    return out


def _nginx_inc(src: yamledit.Source, metadata: MappingNode, seconds: int) -> tuple[list[TextEdit], str]:
    keys = (NGINX_INC + "proxy-read-timeout", NGINX_INC + "proxy-send-timeout")
    wanted = _timeouts(metadata, keys, seconds, f'"{seconds}s"')
    parts = [f"set {' and '.join(k.removeprefix(NGINX_INC) for k, _ in wanted)} to {seconds}s"] if wanted else []
    buffering = yamledit.scalar(yamledit.get(metadata, "annotations", NGINX_INC + "proxy-buffering"))
    if buffering is None or buffering.strip().lower() not in ("false", "off", "no"):
        wanted.append((NGINX_INC + "proxy-buffering", '"False"'))
        parts.append("turn proxy buffering off")
    edits = yamledit.set_entries(src, metadata, "annotations", wanted) if wanted else []
    return edits, "NGINX Ingress Controller: " + " and ".join(parts)


def _nginx(src: yamledit.Source, metadata: MappingNode, seconds: int) -> list[TextEdit]:
    keys = (NGINX + "proxy-read-timeout", NGINX + "proxy-send-timeout")
    wanted = _timeouts(metadata, keys, seconds, f'"{seconds}"')
    buffering = yamledit.scalar(yamledit.get(metadata, "annotations", NGINX + "proxy-buffering"))
    if (buffering or "").lower() == "on":
        wanted.append((NGINX + "proxy-buffering", '"off"'))
    return yamledit.set_entries(src, metadata, "annotations", wanted) if wanted else []


def _alb(src: yamledit.Source, metadata: MappingNode, seconds: int) -> list[TextEdit]:
    idle = f"idle_timeout.timeout_seconds={seconds}"
    current = yamledit.get(metadata, "annotations", ALB_ATTRIBUTES)
    if not isinstance(current, ScalarNode) or not current.value.strip():
        return yamledit.set_entries(src, metadata, "annotations", [(ALB_ATTRIBUTES, idle)])
    value = current.value
    value = _IDLE.sub(idle, value) if _IDLE.search(value) else value.rstrip(", ") + "," + idle
    edit = yamledit.replace_scalar(src, current, yamledit.quoted_like(current, value))
    return [edit] if edit is not None else []
