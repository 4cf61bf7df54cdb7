"""AIL206: give an agent's scratch `emptyDir` a `sizeLimit` (`[fix] scratch-size-limit`).

`emptyDir: {}` becomes `emptyDir: {sizeLimit: 10Gi}` (the flow style is kept), an empty
`emptyDir:` gets a block `sizeLimit` line under it, and a mapping with entries (`medium:
Memory`) gets the entry in its own style. A `hostPath` volume has no mechanical repair.
"""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode

from aiinfralint.fixes import yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.model.finding import Finding, Fix


def fix(finding: Finding, text: str, ctx: FixContext) -> Fix | None:
    src = yamledit.load(text)
    if src is None:
        return None
    doc = yamledit.document_at(src, finding.span.line)
    volume = _volume_at(doc, finding.span.line) if doc is not None else None
    if volume is None:
        return None
    limit = ctx.scratch_size_limit
    current = yamledit.get(volume, "emptyDir")
    if isinstance(current, MappingNode) and current.value:
        edit = yamledit.set_entry(src, current, "sizeLimit", limit)
    else:
        edit = yamledit.fill_empty(src, volume, "emptyDir", [("sizeLimit", limit)])
    if edit is None:
        return None
    name = yamledit.scalar(yamledit.get(volume, "name")) or "scratch"
    return Fix(
        description=f"give emptyDir `{name}` sizeLimit {limit} ([fix] scratch-size-limit)",
        safety="safe",
        path=finding.span.path,
        edits=(edit,),
    )


def _volume_at(doc: object, line: int) -> MappingNode | None:
    """The volume mapping (with `emptyDir`) that starts on 1-based `line`."""
    for node in yamledit.walk(doc):  # type: ignore[arg-type]
        if isinstance(node, MappingNode) and node.start_mark.line + 1 == line:
            if yamledit.key_node(node, "emptyDir") is not None:
                return node
    return None
