"""Baseline files: adopt the gate on a legacy repository and see only new findings.

``--write-baseline FILE`` records every current finding (with its code, path and
message, for the humans who review the file); ``--baseline FILE`` drops the findings
it lists. An entry is matched by its ``identity``, the gate's: rule, object and
offending value or key, never the message or the line, with the path relative to the
baseline file's folder. So a baseline matches from any working directory and after a
finding's wording changes. Entries written before identities existed (no
``identity`` field) match by the engine's fingerprint, as they always did (paths
relative to the working directory).

The file is deterministic (sorted, no timestamps) so that it diffs cleanly in review.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiinfralint import __version__
from aiinfralint.config import ConfigError
from aiinfralint.fileio import read_bytes
from aiinfralint.model.finding import Finding
from aiinfralint.pipeline.engine import legacy_fingerprint
from aiinfralint.pipeline.gate_types import identity, numbered

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
    identity: str = ""  # empty in a baseline written before identities: matched by fingerprint


@dataclass
class Baseline:
    entries: list[BaselineEntry] = field(default_factory=list)
    source: str = ""

    @property
    def fingerprints(self) -> frozenset[str]:
        """The entries without an identity (an older baseline), matched by fingerprint."""
        return frozenset(e.fingerprint for e in self.entries if not e.identity)

    @property
    def identities(self) -> frozenset[str]:
        return frozenset(e.identity for e in self.entries if e.identity)

    @property
    def folder(self) -> Path:
        return Path(self.source).parent


def anchored_path(path: str, cwd: Path, folder: Path) -> str:
    """A finding's path (relative to `cwd`, or absolute) relative to the baseline's folder."""
    absolute = os.path.normpath(cwd / path)
    try:
        return Path(os.path.relpath(absolute, os.path.normpath(folder))).as_posix()
    except ValueError:  # another drive on Windows
        return Path(absolute).as_posix()


def identities(findings: Sequence[Finding], cwd: Path, folder: Path) -> list[str]:
    """The baseline identity of each finding, repeats numbered in run order."""
    return numbered([identity(f, anchored_path(f.span.path, cwd, folder)) for f in findings])


def baseline_document(findings: Sequence[Finding], cwd: Path, folder: Path) -> dict[str, object]:
    rows = sorted(
        (
            {
                "identity": ident,
                "fingerprint": f.fingerprint,
                "code": f.code,
                "path": anchored_path(f.span.path, cwd, folder),
                "message": f.message,
            }
            for f, ident in zip(findings, identities(findings, cwd, folder), strict=True)
        ),
        key=lambda r: (r["path"], r["code"], r["identity"]),
    )
    return {
        "version": BASELINE_VERSION,
        "tool": "aiinfralint",
        "tool_version": __version__,
        "comment": "Findings accepted when the gate was adopted; `aiinfralint check --baseline FILE` hides them.",
        "findings": rows,
    }


def write_baseline(path: str | Path, findings: Sequence[Finding], cwd: Path | None = None) -> int:
    """Write the baseline; finding paths (relative to `cwd`) are stored relative to its folder."""
    here = Path.cwd() if cwd is None else cwd
    doc = baseline_document(findings, here, (here / path).parent)
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
                row["fingerprint"],
                _text(row, "code", where),
                _text(row, "path", where),
                _text(row, "message", where),
                _text(row, "identity", where),
            )
        )
    return Baseline(entries, str(p))


def apply_baseline(
    findings: Sequence[Finding],
    baseline: Baseline,
    cwd: Path | None = None,
    run_findings: Sequence[Finding] | None = None,
) -> tuple[list[Finding], list[Finding], int]:
    """Split findings into (new, baselined); also count baseline entries nothing matched (fixed since).

    `cwd` is the folder finding paths are relative to; `run_findings` are all the run's
    findings (`findings` may be a part of them, the new ones of a --diff run), so that
    repeats of one identity are numbered as when the baseline was written.
    """
    here = Path.cwd() if cwd is None else cwd
    everything = list(findings if run_findings is None else run_findings)
    folder = here / baseline.folder
    ident = {id(f): i for f, i in zip(everything, identities(everything, here, folder), strict=True)}
    by_identity, by_fingerprint = baseline.identities, baseline.fingerprints

    def known(f: Finding) -> bool:
        return (
            ident.get(id(f)) in by_identity
            or _legacy_identity(f, here, folder) in by_identity
            or bool(_fingerprints(f) & by_fingerprint)
        )

    kept = [f for f in findings if not known(f)]
    dropped = [f for f in findings if known(f)]
    stale = len(
        by_identity - {ident.get(id(f)) for f in dropped} - {_legacy_identity(f, here, folder) for f in dropped}
    )
    stale += len(by_fingerprint - {fp for f in dropped for fp in _fingerprints(f)})
    return kept, dropped, stale


def _legacy_identity(f: Finding, cwd: Path, folder: Path) -> str | None:
    """The identity a baseline written before AIL000 was keyed by the kind of problem holds for
    `f` (its key was the parser's message then); None for every other rule."""
    if f.code != "AIL000":
        return None
    return identity(f.model_copy(update={"key": f.message}), anchored_path(f.span.path, cwd, folder))


def _fingerprints(f: Finding) -> frozenset[str]:
    """The fingerprints an older baseline may hold for `f`: its own, and AIL000's from before
    it was fingerprinted by the kind of problem (by its message then)."""
    legacy = legacy_fingerprint(f)
    return frozenset((f.fingerprint, legacy) if legacy else (f.fingerprint,))
