"""AIL205: raise the timeouts of the Ingress that cuts a streamed answer (`[fix] streaming-timeout`).

- ingress-nginx: `nginx.ingress.kubernetes.io/proxy-read-timeout` and `proxy-send-timeout` set
  to the timeout (quoted seconds, as the controller wants strings), and `proxy-buffering: "on"`
  turned `"off"`, so tokens pass as they are generated.
- AWS Load Balancer Controller: `idle_timeout.timeout_seconds=N` in
  `alb.ingress.kubernetes.io/load-balancer-attributes` (replaced, or appended to the attributes
  already there; at most 4000, the ALB maximum).

Other proxies (GKE BackendConfig, NGINX Inc., Gateway API and OpenShift routes) are not fixed.
"""

from __future__ import annotations

import math
import re

from ruamel.yaml.nodes import MappingNode, ScalarNode

from aiinfralint.fixes import yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit

NGINX = "nginx.ingress.kubernetes.io/"
ALB = "alb.ingress.kubernetes.io/"
ALB_ATTRIBUTES = ALB + "load-balancer-attributes"
ALB_MAX_IDLE = 4000
_IDLE = re.compile(r"idle_timeout\.timeout_seconds\s*=\s*[^,]*")


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    src = yamledit.load(text)
    if src is None:
        return None
    doc = yamledit.document_at(src, finding.span.line)
    if not isinstance(doc, MappingNode) or yamledit.scalar(yamledit.get(doc, "kind")) != "Ingress":
        return None
    metadata = yamledit.get(doc, "metadata")
    if not isinstance(metadata, MappingNode):
        return None
    annotations = yamledit.get(metadata, "annotations")
    keys = [k.value for k, _ in annotations.value] if isinstance(annotations, MappingNode) else []
    cls = (yamledit.scalar(yamledit.get(doc, "spec", "ingressClassName")) or "").lower()
    seconds = math.ceil(ctx.streaming_timeout)
    if cls in ("gce", "gce-internal", "nginx-plus", "nginx-inc") or any(
        k.startswith(("nginx.org/", "nginx.com/")) for k in keys
    ):
        return None
    if any(k.startswith(ALB) for k in keys) or cls == "alb":
        seconds = min(seconds, ALB_MAX_IDLE)
        edits = _alb(src, metadata, seconds)
        what = f"set the ALB idle timeout to {seconds} s"
    elif any(k.startswith(NGINX) for k in keys) or "nginx" in cls:
        edits = _nginx(src, metadata, seconds)
        what = f"set ingress-nginx proxy-read-timeout and proxy-send-timeout to {seconds} s"
    else:
        return None
    if not edits:
        return None
    return Fix(
        description=f"{what} ([fix] streaming-timeout)", safety="safe", path=finding.span.path, edits=tuple(edits)
    )


def _nginx(src: yamledit.Source, metadata: MappingNode, seconds: int) -> list[TextEdit]:
    wanted = [(NGINX + "proxy-read-timeout", f'"{seconds}"'), (NGINX + "proxy-send-timeout", f'"{seconds}"')]
    buffering = yamledit.scalar(yamledit.get(metadata, "annotations", NGINX + "proxy-buffering"))
    if (buffering or "").lower() == "on":
        wanted.append((NGINX + "proxy-buffering", '"off"'))
    return yamledit.set_entries(src, metadata, "annotations", wanted)


def _alb(src: yamledit.Source, metadata: MappingNode, seconds: int) -> list[TextEdit]:
    idle = f"idle_timeout.timeout_seconds={seconds}"
    current = yamledit.get(metadata, "annotations", ALB_ATTRIBUTES)
    if not isinstance(current, ScalarNode) or not current.value.strip():
        return yamledit.set_entries(src, metadata, "annotations", [(ALB_ATTRIBUTES, idle)])
    value = current.value
    value = _IDLE.sub(idle, value) if _IDLE.search(value) else value.rstrip(", ") + "," + idle
    edit = yamledit.replace_scalar(src, current, yamledit.quoted_like(current, value))
    return [edit] if edit is not None else []
