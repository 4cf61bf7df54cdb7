"""Baseline files: adopt the gate on a legacy repository and see only new findings.

``--write-baseline FILE`` records the fingerprint of every current finding (with its
code, path and message, for the humans who review the file); ``--baseline FILE``
drops findings whose fingerprint it lists. Fingerprints come from the engine: code,
path, object and problem key, never the line, so unrelated edits do not resurface
baselined findings. Paths are relative to the working directory, so write and use a
baseline from the same directory (normally the repository root).

The file is deterministic (sorted, no timestamps) so that it diffs cleanly in review.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiinfralint import __version__
from aiinfralint.config import ConfigError
from aiinfralint.model.finding import Finding

BASELINE_VERSION = 1


class BaselineError(ConfigError):
    """The baseline file cannot be read or written (exit code 2)."""


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    code: str = ""
    path: str = ""
    message: str = ""


@dataclass
class Baseline:
    entries: list[BaselineEntry] = field(default_factory=list)
    source: str = ""

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


def baseline_document(findings: Iterable[Finding]) -> dict[str, object]:
    rows = sorted(
        ({"fingerprint": f.fingerprint, "code": f.code, "path": f.span.path, "message": f.message} for f in findings),
        key=lambda r: (r["path"], r["code"], r["fingerprint"]),
    )
    return {
        "version": BASELINE_VERSION,
        "tool": "aiinfralint",
        "tool_version": __version__,
        "comment": "Findings accepted when the gate was adopted; `aiinfralint check --baseline FILE` hides them.",
        "findings": rows,
    }


def write_baseline(path: str | Path, findings: Sequence[Finding]) -> int:
    doc = baseline_document(findings)
    try:
        Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(findings)


def load_baseline(path: str | Path) -> Baseline:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {p} (create it with --write-baseline {p})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {p}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {p} is not valid JSON: line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"baseline {p} has no 'findings' list; rewrite it with --write-baseline {p}")
    version = data.get("version")
    if version != BASELINE_VERSION:
        raise BaselineError(f"baseline {p} has version {version!r}; this aiinfralint reads version {BASELINE_VERSION}")
    entries = []
    for i, row in enumerate(data["findings"]):
        if isinstance(row, str):
            entries.append(BaselineEntry(row))
            continue
        if not isinstance(row, dict) or not isinstance(row.get("fingerprint"), str):
            raise BaselineError(f"baseline {p}: entry {i} has no 'fingerprint' string")
        entries.append(
            BaselineEntry(
                row["fingerprint"], str(row.get("code", "")), str(row.get("path", "")), str(row.get("message", ""))
            )
        )
    return Baseline(entries, str(p))


def apply_baseline(findings: Sequence[Finding], baseline: Baseline) -> tuple[list[Finding], list[Finding], int]:
    """Split findings into (new, baselined); also count baseline entries nothing matched (fixed since)."""
    known = baseline.fingerprints
    kept = [f for f in findings if f.fingerprint not in known]
    dropped = [f for f in findings if f.fingerprint in known]
    stale = len(known - {f.fingerprint for f in dropped})
    return kept, dropped, stale
