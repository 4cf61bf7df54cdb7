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

import errno
import json
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiinfralint import __version__
from aiinfralint.config import ConfigError
from aiinfralint.fileio import read_bytes
from aiinfralint.model.finding import Finding

BASELINE_VERSION = 1
# tens of thousands of findings fit in a few MiB; a baseline is never near this
MAX_BASELINE_BYTES = 64 * 1024 * 1024


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
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    # never through a symlink a pull request may have committed in place of the file
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise BaselineError(f"cannot write baseline {path}: not a regular file")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        reason = "it is a symlink" if exc.errno == errno.ELOOP else exc.strerror or exc
        raise BaselineError(f"cannot write baseline {path}: {reason}") from None
    return len(findings)


def _text(row: dict[str, object], key: str, where: str) -> str:
    value = row.get(key, "")
    if not isinstance(value, str):
        raise BaselineError(f"{where}: '{key}' must be a string")
    return value


def load_baseline(path: str | Path) -> Baseline:
    p = Path(path)
    raw, reason = read_bytes(p, MAX_BASELINE_BYTES)
    if raw is None:
        if not os.path.lexists(p):
            raise BaselineError(f"baseline file not found: {p} (create it with --write-baseline {p})")
        raise BaselineError(f"cannot read baseline {p}: {reason}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BaselineError(f"baseline {p} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {p} is not valid JSON: line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, deep nesting
        raise BaselineError(f"baseline {p} is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"baseline {p} has no 'findings' list; rewrite it with --write-baseline {p}")
    version = data.get("version")
    if type(version) is not int or version != BASELINE_VERSION:
        shown = version if type(version) is int and version.bit_length() < 64 else type(version).__name__
        raise BaselineError(f"baseline {p} has version {shown!r}; this aiinfralint reads version {BASELINE_VERSION}")
    entries = []
    for i, row in enumerate(data["findings"]):
        if isinstance(row, str):
            entries.append(BaselineEntry(row))
            continue
        where = f"baseline {p}: entry {i}"
        if not isinstance(row, dict) or not isinstance(row.get("fingerprint"), str):
            raise BaselineError(f"{where} has no 'fingerprint' string")
        entries.append(
            BaselineEntry(
                row["fingerprint"], _text(row, "code", where), _text(row, "path", where), _text(row, "message", where)
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
