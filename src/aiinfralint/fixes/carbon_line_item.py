"""AIL501: write the carbon and energy the finding estimated, with where they come from.

- A GPU workload gets the annotations `aiinfralint/carbon-kgco2e-per-month`,
  `aiinfralint/energy-kwh-per-month` and `aiinfralint/carbon-source` (which says the figure is
  this estimate, with its basis, to be replaced by a measured one) on the annotations that
  already hold an invalid carbon figure, else on `metadata.annotations` (created if missing).
- An AIFeature gets `carbon: {kgco2ePerMonth: N, kwhPerMonth: N, method: "..."}` in its spec.

A finding with no estimate (no vendor disclosure, unknown GPU) has no fix.
"""

from __future__ import annotations

from decimal import Decimal

from ruamel.yaml.nodes import MappingNode, Node

from aiinfralint.estimate.inventory import CARBON_ANNOTATION, CARBON_SOURCE_ANNOTATION, ENERGY_ANNOTATION
from aiinfralint.fixes import yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit

FEATURE_METHOD = "aiinfralint estimate: vendor Wh/request x PUE x grid"


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    imp = finding.impact
    if imp is None or imp.kgco2e_per_month is None:
        return None
    found = yamledit.mapping_at(text, finding.span.line)
    if found is None:
        return None
    src, doc = found
    kg = figure(imp.kgco2e_per_month)
    kwh = figure(imp.kwh_per_month) if imp.kwh_per_month is not None else None
    if finding.key == "feature":
        edits = _feature(src, doc, kg, kwh)
    else:
        edits = _workload(src, doc, kg, kwh, imp.assumptions[0] if imp.assumptions else "")
    if not edits:
        return None
    return Fix(
        description=f"state the estimated {kg} kgCO2e/month" + (f" ({kwh} kWh)" if kwh else "") + " and its source",
        safety="safe",
        path=finding.span.path,
        edits=tuple(edits),
    )


def figure(d: Decimal) -> str:
    """A figure to write: whole units from 10 up, else two decimals."""
    if d >= 10:
        return str(d.quantize(Decimal(1)))
    return f"{d.quantize(Decimal('0.01')):f}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _feature(src: yamledit.Source, doc: MappingNode, kg: str, kwh: str | None) -> list[TextEdit]:
    spec = yamledit.get(doc, "spec")
    if not isinstance(spec, MappingNode) or yamledit.get(spec, "carbon") is not None:
        return []
    parts = [f"kgco2ePerMonth: {kg}", *([f"kwhPerMonth: {kwh}"] if kwh else []), f"method: {_quote(FEATURE_METHOD)}"]
    edit = yamledit.add_entry(src, spec, "carbon", "{" + ", ".join(parts) + "}")
    return [edit] if edit is not None else []


def _workload(src: yamledit.Source, doc: MappingNode, kg: str, kwh: str | None, basis: str) -> list[TextEdit]:
    owner = _holder(doc) or yamledit.get(doc, "metadata")
    if not isinstance(owner, MappingNode):
        return []
    source = "aiinfralint estimate" + (f" for {basis}" if basis else "") + "; replace with a measured figure"
    wanted = [(CARBON_ANNOTATION, _quote(kg))]
    if kwh:
        wanted.append((ENERGY_ANNOTATION, _quote(kwh)))
    wanted.append((CARBON_SOURCE_ANNOTATION, _quote(source)))
    return yamledit.set_entries(src, owner, "annotations", wanted)


def _holder(doc: Node) -> MappingNode | None:
    """The metadata whose annotations already hold a (not a number) carbon figure."""
    for node in yamledit.walk(doc):
        if isinstance(node, MappingNode) and yamledit.get(node, "annotations", CARBON_ANNOTATION) is not None:
            return node
    return None
