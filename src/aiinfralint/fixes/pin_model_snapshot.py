"""AIL304 (unsafe): pin a moving model alias to the dated snapshot the model table lists.

The snapshot comes from the `aliases` of the alias's row in `estimate/data/models.yaml`
(`gpt-4o` -> `gpt-4o-2024-08-06`, `claude-sonnet-4-5` -> `claude-sonnet-4-5-20250929`); a
provider prefix is kept (`openai/gpt-4o` -> `openai/gpt-4o-2024-08-06`). Every deployment of
the reported LiteLLM model group is pinned, and an AIFeature's `model`. Not fixed: an alias the
table lists no snapshot for (`gemini-2.0-flash`), an Azure deployment (its version is set on
the Azure deployment, not in LiteLLM's `base_model`), and a feature whose Azure deployments
auto-upgrade. Unsafe: the pinned snapshot may answer differently from what the alias serves
today, and it is retired on the provider's schedule.
"""

from __future__ import annotations

import re

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aiinfralint.estimate.tables import load_table
from aiinfralint.fixes import yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix, TextEdit

_SNAPSHOT = r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3})$"


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    found = yamledit.mapping_at(text, finding.span.line)
    if found is None:
        return None
    src, doc = found
    if yamledit.scalar(yamledit.get(doc, "kind")) == "AIFeature":
        upgrade = (yamledit.scalar(yamledit.get(doc, "spec", "modelVersionUpgrade")) or "").lower()
        nodes = [] if upgrade == "oncenewdefaultversionavailable" else [yamledit.get(doc, "spec", "model")]
    else:
        nodes = _group_models(doc, finding.key)
    edits, pins = _pins(src, nodes)
    if not edits:
        return None
    return Fix(
        description=f"pin {', '.join(pins)} (the dated snapshot the model table lists); answers may change",
        safety="unsafe",
        path=finding.span.path,
        edits=tuple(edits),
    )


def _pins(src: yamledit.Source, nodes: list[Node | None]) -> tuple[list[TextEdit], list[str]]:
    edits: list[TextEdit] = []
    pins: list[str] = []
    for node in nodes:
        if not isinstance(node, ScalarNode):
            continue
        pinned = pinned_name(node.value)
        edit = yamledit.replace_scalar(src, node, yamledit.quoted_like(node, pinned)) if pinned else None
        if edit is not None:
            edits.append(edit)
            pin = f"`{node.value}` to `{pinned}`"
            pins += [pin] if pin not in pins else []
    return edits, pins


def _group_models(doc: MappingNode, group: str) -> list[Node | None]:
    """The `litellm_params.model` of each deployment of one LiteLLM model group (Azure left out)."""
    items = yamledit.get(doc, "model_list")
    if not isinstance(items, SequenceNode):
        return []
    out: list[Node | None] = []
    for item in items.value:
        if yamledit.scalar(yamledit.get(item, "model_name")) != group:
            continue
        model = yamledit.get(item, "litellm_params", "model")
        if not (yamledit.scalar(model) or "").startswith("azure"):
            out.append(model)
    return out


def pinned_name(model: str) -> str | None:
    """`model` with its alias replaced by the dated snapshot the table lists, or None."""
    prefix, _, bare = model.strip().rpartition("/")
    bare = bare.removesuffix("-latest")
    rows = load_table("models").rows
    row = rows.get(bare)
    if row is None:
        row = next((r for r in rows.values() if bare in (r.get("aliases") or ())), None)
    if row is None:
        return None
    pattern = re.compile(re.escape(bare) + _SNAPSHOT)
    snapshot = next((a for a in row.get("aliases") or () if pattern.match(str(a))), None)
    if snapshot is None:
        return None
    return f"{prefix}/{snapshot}" if prefix else str(snapshot)
