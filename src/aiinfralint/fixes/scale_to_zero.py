"""AIL203 (unsafe): keep one replica of an LLM server warm.

`minReplicas: 0` (KServe, KubeAI, HorizontalPodAutoscaler), `minReplicaCount: 0` (KEDA) and
`autoscaling.knative.dev/min-scale: "0"` become 1 (quoting kept); where the minimum is only a
default, the key is added: `minReplicaCount: 1` to a ScaledObject's spec, `minReplicas: 1` to an
InferenceService predictor, `autoscaling.knative.dev/min-scale: "1"` to a Knative Service's pod
template annotations. Unsafe: one warm replica is billed around the clock (the description
says how much, from the finding).
"""

from __future__ import annotations

import re

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from aiinfralint.fixes import yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit

KNATIVE_MIN = "autoscaling.knative.dev/min-scale"
MIN_KEYS = ("minReplicas", "minReplicaCount", KNATIVE_MIN, "autoscaling.knative.dev/minScale")
_WARM_COST = re.compile(r"^one warm replica \(.*?\) costs (.+): the saving")


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    found = yamledit.mapping_at(text, finding.span.line)
    if found is None:
        return None
    src, doc = found
    edits = _zero(src, doc, finding.span.line) or _missing(src, doc)
    if not edits:
        return None
    return Fix(
        description=f"keep one replica warm (minimum 1 instead of 0): {_cost(finding)}",
        safety="unsafe",
        path=finding.span.path,
        edits=tuple(edits),
    )


def _cost(finding: Finding) -> str:
    for note in finding.impact.assumptions if finding.impact is not None else ():
        m = _WARM_COST.match(note)
        if m and m.group(1).startswith("$"):
            return f"adds {m.group(1)} to the bill"
        if m:
            return f"adds one replica around the clock to the bill ({m.group(1)})"
    return "adds the price of one replica around the clock to the bill"


def _zero(src: yamledit.Source, doc: Node, line: int) -> list[TextEdit]:
    """A minimum written as 0 (the one on the finding's line first) set to 1."""
    zeros = [
        v
        for node in yamledit.walk(doc)
        if isinstance(node, MappingNode)
        for k, v in node.value
        if isinstance(k, ScalarNode) and k.value in MIN_KEYS and isinstance(v, ScalarNode) and v.value.strip() == "0"
    ]
    zeros.sort(key=lambda v: v.start_mark.line + 1 != line)
    for v in zeros:
        edit = yamledit.replace_scalar(src, v, yamledit.quoted_like(v, "1"))
        if edit is not None:
            return [edit]
    return []


def _missing(src: yamledit.Source, doc: MappingNode) -> list[TextEdit]:
    """The minimum added where only a default sets it to zero."""
    kind = yamledit.scalar(yamledit.get(doc, "kind"))
    api = yamledit.scalar(yamledit.get(doc, "apiVersion")) or ""
    edit: TextEdit | None = None
    if kind == "ScaledObject" and isinstance(spec := yamledit.get(doc, "spec"), MappingNode):
        edit = yamledit.add_entry(src, spec, "minReplicaCount", "1")
    elif kind == "InferenceService" and isinstance(pred := yamledit.get(doc, "spec", "predictor"), MappingNode):
        edit = yamledit.add_entry(src, pred, "minReplicas", "1")
    elif kind == "Service" and api.startswith("serving.knative.dev/"):
        meta = yamledit.get(doc, "spec", "template", "metadata")
        if isinstance(meta, MappingNode):
            return yamledit.set_entries(src, meta, "annotations", [(KNATIVE_MIN, '"1"')])
    return [edit] if edit is not None else []
