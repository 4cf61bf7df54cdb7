from __future__ import annotations

from typing import ClassVar

from aiinfralint.model.finding import Severity
from aiinfralint.rules.base import Example
from aiinfralint.rules.core.engine_finding import EngineFinding

_MANIFEST = """apiVersion: v1
kind: Service
metadata:
  name: chat
  namespace: ml
spec:
  selector: {app: chat}
  ports:
  - port: 80
    targetPort: 8000
"""


class UnusedSuppression(EngineFinding):
    """An inline suppression names a rule that reports nothing on its line or file.

    ## What it does
    After all rules ran, reports each `# aiinfralint: ignore[CODE]` (and
    `ignore-file[CODE]`) whose code, slug or prefix silenced no finding, and each one
    naming a rule that does not exist. A suppression is only judged for the rules that
    ran: with `--select AIL2`, a suppression of `AIL101` is left alone. Files that failed
    to parse are not judged (their rules could not run). Kubernetes
    `aiinfralint/ignore` annotations are not checked.

    ## Why is this bad?
    A stale suppression is a loaded gun: the problem it was written for is gone or moved,
    and the comment now silently hides the next real finding that lands on that line. A
    misspelled code hides nothing while reviewers believe something is handled.

    ## How the estimate is computed
    No estimate: the finding is about hygiene, not cost.

    ## How to fix
    Delete the suppression, or correct its code list so that it names the finding it is
    meant for (`aiinfralint rules` lists every code and slug).

    ## References
    - Suppression syntax: README, "Suppressing a finding"
    - The same idea in ruff: `RUF100` unused-noqa
    """

    code: ClassVar[str] = "AIL001"
    slug: ClassVar[str] = "unused-suppression"
    severity: ClassVar[Severity] = Severity.INFO
    inputs: ClassVar[str] = "inline suppression comments"
    summary: ClassVar[str] = "An inline suppression silences nothing"
    examples = (
        Example(
            "deploy/chat.yaml",
            "# aiinfralint: ignore-file[AIL000] was broken in 2023\n" + _MANIFEST,
            expect=("AIL001",),
            title="the file parses now, so the suppression hides nothing",
        ),
        Example(
            "deploy/chat.yaml",
            "# aiinfralint: ignore-file[AIL000] vendored upstream file, tracked in OPS-412\n"
            + _MANIFEST.replace("ports:\n  - port: 80", "ports:\n - port: 80 ["),
            title="the suppression silences a real finding",
        ),
    )
