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
  selector: {{app: chat}}
  ports:
  - port: 80
    targetPort: 8000{comment}
"""


class ExpiredSuppression(EngineFinding):
    """An inline suppression is past its `until=` date, so it silences nothing any more.

    ## What it does
    Reads the `until=YYYY-MM-DD` of every inline suppression
    (`# aiinfralint: ignore[AIL201] nightly job paused for the migration until=2027-01-31`)
    and reports the suppression from the day after that date, or at once when the date
    cannot be read. An expired suppression no longer silences the findings it names: they
    are reported again next to this one.

    ## Why is this bad?
    "Temporary" exceptions are the ones nobody revisits. A date turns an exception into a
    decision with a deadline: when it passes, the gate shows the hidden problem again
    instead of carrying it forever. An unreadable date is treated as expired, so a typo
    cannot hide a finding indefinitely.

    ## How the estimate is computed
    No estimate of its own; the findings the suppression was hiding carry theirs.

    ## How to fix
    Fix what the suppression was hiding and delete the comment, or, if the exception
    still holds, move the date forward and update the reason so reviewers see why.
    Dates are ISO 8601 (`until=2027-01-31`) and inclusive.

    ## References
    - Suppression syntax: README, "Suppressing a finding"
    """

    code: ClassVar[str] = "AIL002"
    slug: ClassVar[str] = "expired-suppression"
    severity: ClassVar[Severity] = Severity.WARNING
    inputs: ClassVar[str] = "inline suppression comments"
    summary: ClassVar[str] = "An inline suppression is past its until= date"
    examples = (
        Example(
            "deploy/chat.yaml",
            _MANIFEST.format(comment="  # aiinfralint: ignore-file[AIL000] waiting for the chart fix until=2021-03-31"),
            expect=("AIL002",),
            title="a suppression whose date has passed",
        ),
        Example(
            "deploy/chat.yaml",
            "# aiinfralint: ignore-file[AIL000] vendored upstream file, tracked in OPS-412 until=2099-12-31\n"
            + _MANIFEST.format(comment="").replace("ports:\n  - port: 80", "ports:\n - port: 80 ["),
            title="a dated suppression that still holds",
        ),
    )
