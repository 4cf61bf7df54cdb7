"""The pull-request gate: diff mode and baselines around one engine run.

``--diff BASE_REF`` checks the working tree and the tree of BASE_REF (read from git
into a temporary directory with ``git ls-tree``/``git cat-file``: no worktree is
registered, no network, the directory is always removed), matches findings by
fingerprint and reports only the findings the change adds, lists the ones it fixes,
and computes the delta of the estimated $/month and kgCO2e/month of all findings
and of the static prompt-prefix tokens of every prompt. Both sides are checked with
the working tree's configuration, so the delta reflects the files, not a config edit.

``--baseline``/``--write-baseline`` are applied after the diff (see `baseline`).
The result is a `GateResult`, a `RunResult` that reporters can read the gate from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from aiinfralint.config import ConfigError
from aiinfralint.engine import RunOptions, RunResult, run
from aiinfralint.model.finding import Finding
from aiinfralint.report.base import totals

if TYPE_CHECKING:
    from aiinfralint.model.project import Project

# attribute names under which a prompt object exposes its static-prefix token count
PREFIX_TOKEN_ATTRS = ("static_prefix_tokens", "prefix_tokens", "static_tokens")
GIT_TIMEOUT = 120


class DiffError(ConfigError):
    """--diff cannot run (not a git work tree, unknown ref): exit code 2."""


@dataclass(frozen=True)
class PromptTokens:
    """Static-prefix tokens of one prompt on each side (None: absent on that side)."""

    path: str
    name: str
    base: int | None
    head: int | None

    @property
    def delta(self) -> int:
        return (self.head or 0) - (self.base or 0)


@dataclass
class Delta:
    usd_base: Decimal = Decimal(0)
    usd_head: Decimal = Decimal(0)
    kgco2e_base: Decimal = Decimal(0)
    kgco2e_head: Decimal = Decimal(0)
    prompts: list[PromptTokens] = field(default_factory=list)

    @property
    def usd_per_month(self) -> Decimal:
        return self.usd_head - self.usd_base

    @property
    def kgco2e_per_month(self) -> Decimal:
        return self.kgco2e_head - self.kgco2e_base

    @property
    def prompt_tokens(self) -> int:
        return sum(p.delta for p in self.prompts)


@dataclass
class DiffReport:
    base_ref: str
    base_commit: str
    added: list[Finding]
    fixed: list[Finding]
    unchanged: int
    delta: Delta


@dataclass
class GateResult(RunResult):
    """A run after the gate: `findings` are what is reported (new, not baselined)."""

    diff: DiffReport | None = None
    baselined: list[Finding] = field(default_factory=list)
    baseline_path: str | None = None
    baseline_stale: int = 0
    baseline_written: str | None = None


# --- git --------------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path, *, input: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=input, capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise DiffError("--diff needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"git {args[0]} took longer than {GIT_TIMEOUT} s") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise DiffError(f"git {' '.join(args[:2])} failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout


def resolve_base(ref: str, cwd: Path) -> tuple[Path, str]:
    """(repository root, full commit id of ref)."""
    if ref.startswith("-"):
        raise DiffError(f"--diff {ref!r} is not a git revision")
    try:
        top = _git(["rev-parse", "--show-toplevel"], cwd).decode().strip()
    except DiffError:
        raise DiffError(f"--diff needs a git work tree; {cwd} is not inside one") from None
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], cwd)
    except DiffError:
        raise DiffError(f"--diff {ref}: no such commit, branch or tag in this repository (fetch it first?)") from None
    return Path(top), commit.decode().strip()


def _wanted(path: str, keep: tuple[str, ...], explicit: frozenset[str]) -> bool:
    return path in explicit or PurePosixPath(path).suffix.lower() in keep


def materialise(commit: str, root: Path, dest: Path, explicit: frozenset[str] = frozenset()) -> int:
    """Write the files of `commit` that aiinfralint may read into `dest`; returns the count.

    Reads blobs directly (no checkout, no worktree, no export attributes applied).
    """
    from aiinfralint.discovery import CANDIDATE_SUFFIXES

    keep = tuple(CANDIDATE_SUFFIXES)
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", commit], root)
    blobs: list[tuple[str, str, str]] = []  # (mode, sha, path)
    for raw in listing.split(b"\0"):
        if not raw:
            continue
        meta, _, name = raw.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = name.decode("utf-8", errors="surrogateescape")
        if kind != "blob" or not _wanted(path, keep, explicit):
            continue
        parts = PurePosixPath(path).parts
        if PurePosixPath(path).is_absolute() or ".." in parts or ".git" in parts:
            continue
        blobs.append((mode, sha, path))
    if not blobs:
        return 0
    with subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            for mode, sha, path in blobs:
                proc.stdin.write(sha.encode() + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline().split()
                if len(header) != 3:
                    raise DiffError(f"git cat-file could not read {path} at {commit[:12]}")
                size = int(header[2])
                data = proc.stdout.read(size)
                proc.stdout.read(1)  # trailing newline
                target = dest / path
                target.parent.mkdir(parents=True, exist_ok=True)
                if mode == "120000":
                    os.symlink(data.decode("utf-8", errors="surrogateescape"), target)
                else:
                    target.write_bytes(data)
        finally:
            proc.stdin.close()
            proc.wait(timeout=GIT_TIMEOUT)
    return len(blobs)


@contextmanager
def base_tree(ref: str, options: RunOptions) -> Iterator[tuple[RunOptions, str]]:
    """Options that check BASE_REF's version of the same paths; the tree is removed afterwards."""
    cwd = options.cwd.resolve()
    root, commit = resolve_base(ref, cwd)
    root = root.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="aiinfralint-base-"))
    try:
        explicit: set[str] = set()
        mapped: list[str] = []
        try:
            prefix = cwd.relative_to(root)
        except ValueError:
            raise DiffError(f"the working directory {cwd} is outside the repository {root}") from None
        base_cwd = tmp / prefix
        for raw in options.paths or ["."]:
            absolute = Path(raw) if Path(raw).is_absolute() else cwd / raw
            absolute = Path(os.path.normpath(absolute))
            try:
                rel = absolute.relative_to(root)
            except ValueError:
                continue  # outside the repository: nothing to compare with
            explicit.add(rel.as_posix())
            mapped.append(str(tmp / rel) if Path(raw).is_absolute() else raw)
        materialise(commit, root, tmp, frozenset(explicit))
        base_cwd.mkdir(parents=True, exist_ok=True)
        existing = [p for p in mapped if (Path(p) if Path(p).is_absolute() else base_cwd / p).exists()]
        yield replace(options, cwd=base_cwd, paths=existing, progress=None, stdin_text=None), commit
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- comparing two runs --------------------------------------------------------------------


def _count(text: str) -> int | None:
    try:
        from aiinfralint.tokens import count_tokens
    except ImportError:
        return None
    return count_tokens(text).tokens


def prompt_prefix_tokens(project: Project) -> dict[tuple[str, str], int]:
    """(path, prompt name) -> static-prefix tokens, for every prompt object that knows it.

    A prompt either states its count (`static_prefix_tokens`) or exposes the cacheable
    prefix text (`cacheable_prefix()`, `PromptTemplate`), counted with `aiinfralint.tokens`.
    """
    out: dict[tuple[str, str], int] = {}
    for obj in project.objects:
        value: object = None
        for attr in PREFIX_TOKEN_ATTRS:
            value = getattr(obj, attr, None)
            if value is not None:
                break
        if value is None:
            prefix = getattr(obj, "cacheable_prefix", None)
            if callable(prefix):
                text = prefix()
                value = _count(text) if isinstance(text, str) else None
        if isinstance(value, int) and not isinstance(value, bool):
            key = (obj.span.path, obj.display_name)
            n = 1
            while key in out:  # two prompts of one name in one file: keep both, in order
                n += 1
                key = (obj.span.path, f"{obj.display_name} #{n}")
            out[key] = value
    return out


def compare(base: RunResult, head: RunResult, base_ref: str, commit: str) -> DiffReport:
    base_fps = {f.fingerprint for f in base.findings}
    head_fps = {f.fingerprint for f in head.findings}
    added = [f for f in head.findings if f.fingerprint not in base_fps]
    fixed = [f for f in base.findings if f.fingerprint not in head_fps]
    tb, th = totals(base.findings), totals(head.findings)
    pb, ph = prompt_prefix_tokens(base.project), prompt_prefix_tokens(head.project)
    prompts = [
        PromptTokens(path, name, pb.get((path, name)), ph.get((path, name)))
        for path, name in sorted(set(pb) | set(ph))
        if pb.get((path, name)) != ph.get((path, name))
    ]
    delta = Delta(tb.usd_per_month, th.usd_per_month, tb.kgco2e_per_month, th.kgco2e_per_month, prompts)
    return DiffReport(base_ref, commit, added, fixed, len(head.findings) - len(added), delta)


def _as_gate(result: RunResult, **extra: Any) -> GateResult:
    values = {f.name: getattr(result, f.name) for f in fields(RunResult)}
    return GateResult(**values, **extra)


def run_gate(
    options: RunOptions,
    *,
    diff_base: str | None = None,
    baseline: str | None = None,
    write_baseline: str | None = None,
) -> GateResult:
    """One engine run with the pull-request gate applied (diff, then baseline)."""
    from aiinfralint import baseline as bl

    if diff_base is not None and options.stdin_text is not None:
        raise DiffError("--diff cannot be combined with input from stdin")
    if diff_base is not None:
        resolve_base(diff_base, options.cwd.resolve())  # fail early, before the long run
    head = run(options)
    gate = _as_gate(head)
    if write_baseline is not None:
        bl.write_baseline(write_baseline, head.findings)
        gate.baseline_written = write_baseline
        gate.baselined = list(head.findings)
        gate.findings = []
        return gate
    if diff_base is not None:
        with base_tree(diff_base, options) as (base_options, commit):
            base = run(base_options)
        gate.diff = compare(base, head, diff_base, commit)
        gate.findings = list(gate.diff.added)
    if baseline is not None:
        loaded = bl.load_baseline(baseline)
        gate.findings, gate.baselined, gate.baseline_stale = bl.apply_baseline(gate.findings, loaded)
        gate.baseline_path = baseline
    return gate


# --- what reporters show ------------------------------------------------------------------


def _money(d: Decimal) -> float:
    return float(d.quantize(Decimal("0.01")))


def gate_summary(result: RunResult) -> dict[str, Any]:
    """The gate's outcome as plain data (SARIF run properties, JSON consumers)."""
    if not isinstance(result, GateResult):
        return {}
    out: dict[str, Any] = {}
    if result.baseline_path or result.baseline_written:
        out["baseline"] = {
            "file": result.baseline_path or result.baseline_written,
            "baselined": len(result.baselined),
            "stale_entries": result.baseline_stale,
            "written": result.baseline_written is not None,
        }
    d = result.diff
    if d is not None:
        out["diff"] = {
            "base_ref": d.base_ref,
            "base_commit": d.base_commit,
            "added": len(d.added),
            "fixed": [{"code": f.code, "path": f.span.path, "message": f.message, "fingerprint": f.fingerprint} for f in d.fixed],
            "unchanged": d.unchanged,
            "usd_per_month": {"base": _money(d.delta.usd_base), "head": _money(d.delta.usd_head), "delta": _money(d.delta.usd_per_month)},
            "kgco2e_per_month": {
                "base": float(d.delta.kgco2e_base.quantize(Decimal("0.001"))),
                "head": float(d.delta.kgco2e_head.quantize(Decimal("0.001"))),
                "delta": float(d.delta.kgco2e_per_month.quantize(Decimal("0.001"))),
            },
            "prompt_prefix_tokens": [
                {"path": p.path, "prompt": p.name, "base": p.base, "head": p.head, "delta": p.delta} for p in d.delta.prompts
            ],
        }
    return out


def signed_usd(d: Decimal) -> str:
    sign = "+" if d > 0 else "-" if d < 0 else "±"
    return f"{sign}${abs(d):,.2f}"


def signed(d: Decimal | int, places: str = "0.1") -> str:
    sign = "+" if d > 0 else "-" if d < 0 else "±"
    if isinstance(d, int):
        return f"{sign}{abs(d):,}"
    return f"{sign}{abs(d.quantize(Decimal(places))):,}"


def text_summary(result: RunResult) -> str:
    """A few plain lines about the gate, appended to the text report."""
    if not isinstance(result, GateResult):
        return ""
    lines: list[str] = []
    d = result.diff
    if d is not None:
        lines.append(
            f"diff against {d.base_ref} ({d.base_commit[:12]}): {len(d.added)} new, {len(d.fixed)} fixed, "
            f"{d.unchanged} unchanged finding(s)"
        )
        lines.append(
            f"  estimated impact of findings: {signed_usd(d.delta.usd_per_month)}/month, "
            f"{signed(d.delta.kgco2e_per_month)} kgCO2e/month"
        )
        for p in d.delta.prompts:
            lines.append(f"  prompt {p.name} ({p.path}): static prefix {p.base or 0} -> {p.head or 0} tokens ({signed(p.delta)})")
        for f in d.fixed:
            lines.append(f"  fixed: {f.code} {f.span.path}: {f.message}")
    if result.baseline_written:
        lines.append(f"wrote {len(result.baselined)} finding(s) to baseline {result.baseline_written}")
    elif result.baseline_path:
        line = f"{len(result.baselined)} finding(s) hidden by baseline {result.baseline_path}"
        if result.baseline_stale:
            line += f"; {result.baseline_stale} baseline entr{'y' if result.baseline_stale == 1 else 'ies'} matched nothing (fixed? rewrite the baseline)"
        lines.append(line)
    return "\n".join(lines) + ("\n" if lines else "")
