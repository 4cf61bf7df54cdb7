"""The pull-request gate: diff mode and baselines around one engine run.

``--diff BASE_REF`` checks the working tree and the tree of BASE_REF (read from git
into a temporary directory with ``git ls-tree``/``git cat-file``: no worktree is
registered, no network, the directory is always removed), matches findings by
fingerprint and reports only the findings the change adds, lists the ones it fixes
with what they put at stake, and computes the spend and carbon delta from the cost
inventories of both sides (`estimate.inventory`, the figures `aiinfralint cost` shows:
per changed GPU workload, prompt and AI feature, before and after, and the total), and
the delta of the static prompt-prefix tokens of every prompt. Both sides are checked and
priced with the working tree's configuration, so the delta reflects the files, not a
config edit.

``--baseline``/``--write-baseline`` are applied after the diff (see `baseline`).
The result is a `GateResult`, a `RunResult` that reporters can read the gate from.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from aiinfralint.config import Config, ConfigError, defaults, parse_text, show
from aiinfralint.configfile import MAX_CONFIG_BYTES, nearest_config
from aiinfralint.estimate import Estimator, inventory
from aiinfralint.fileio import read_bytes
from aiinfralint.model.finding import Finding, Severity
from aiinfralint.model.totals import totals
from aiinfralint.pipeline import baseline as bl
from aiinfralint.pipeline.discovery import CANDIDATE_SUFFIXES, discover
from aiinfralint.pipeline.engine import RunOptions, RunResult, parse_candidates, run, selected_rules
from aiinfralint.pipeline.gate_types import (
    ConfigChange,
    Delta,
    DiffReport,
    GateResult,
    PromptTokens,
    SpendChange,
    Stakes,
    match,
)
from aiinfralint.rules import registry
from aiinfralint.rules.registry import find_rule, matches
from aiinfralint.tokens import count_tokens

if TYPE_CHECKING:
    from aiinfralint.model.project import Project

# attribute names under which a prompt object exposes its static-prefix token count
PREFIX_TOKEN_ATTRS = ("static_prefix_tokens", "prefix_tokens", "static_tokens")
GIT_TIMEOUT = 120


class DiffError(ConfigError):
    """--diff cannot run (not a git work tree, unknown ref): exit code 2."""


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
        if ref == "HEAD" and not _has_commits(cwd):
            return Path(top), UNBORN  # the first commit: everything is new
        raise DiffError(f"--diff {ref}: no such commit, branch or tag in this repository (fetch it first?)") from None
    return Path(top), commit.decode().strip()


UNBORN = ""  # the base "commit" of --diff HEAD before the first commit: an empty tree


def _has_commits(cwd: Path) -> bool:
    try:
        return bool(_git(["rev-list", "-n", "1", "--all"], cwd).strip())
    except DiffError:
        return False


def _wanted(path: str, keep: tuple[str, ...], explicit: frozenset[str]) -> bool:
    return path in explicit or PurePosixPath(path).suffix.lower() in keep


def materialise(commit: str, root: Path, dest: Path, explicit: frozenset[str] = frozenset()) -> int:
    """Write the files of `commit` that aiinfralint may read into `dest`; returns the count.

    Reads blobs directly (no checkout, no worktree, no export attributes applied).
    """
    if commit == UNBORN:
        return 0
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


def anchor(options: RunOptions) -> Path:
    """Where git and the configuration are looked up: the first checked path's folder.

    As `configfile.nearest_config` does for the head: `cd /tmp && aiinfralint check
    --diff main /tmp/proj` compares /tmp/proj's repository, not the working directory's.
    """
    cwd = options.cwd.resolve()
    raw = (options.paths or ["."])[0]
    target = cwd if raw == "-" else Path(os.path.normpath(cwd / raw))
    return target if target.is_dir() else target.parent


@dataclass(frozen=True)
class BaseTree:
    """Where BASE_REF's files were written: `tree` stands for the repository `root`."""

    options: RunOptions
    commit: str
    tree: Path
    root: Path

    def base_path(self, path: str) -> Path:
        """Where the base's version of a file the head shows as `path` was written."""
        p = Path(path)
        if not p.is_absolute():
            return self.options.cwd / p
        try:
            return self.tree / p.relative_to(self.root)
        except ValueError:
            return p

    def has_value(self, f: Finding, value: str) -> bool:
        """Does `value` occur, as a whole name, in the base's version of `f`'s file?

        (If it cannot be read: yes, and a changed key stays "unchanged", as it always was.)
        """
        if not value:
            return True
        data, _ = read_bytes(self.base_path(f.span.path))
        if data is None:
            return True
        pattern = r"(?<![\w.])" + re.escape(value) + r"(?![\w.])"
        return re.search(pattern, data.decode("utf-8", errors="replace")) is not None

    def relocated(self, path: str) -> str:
        """A base finding's path as the head shows it (absolute paths name the repository)."""
        inside = str(self.tree)
        if path == inside or path.startswith(inside + os.sep):
            return str(self.root) + path[len(inside) :]
        return path


@contextmanager
def base_tree(ref: str, options: RunOptions) -> Iterator[BaseTree]:
    """Options that check BASE_REF's version of the same paths; the tree is removed afterwards.

    The temporary directory mirrors the working directory and the repository from their
    common folder, so relative paths (also `../proj` from outside it) read the same.
    """
    cwd = options.cwd.resolve()
    root, commit = resolve_base(ref, anchor(options))
    root = root.resolve()
    try:
        common = Path(os.path.commonpath([cwd, root]))
    except ValueError:  # another drive
        raise DiffError(f"the working directory {cwd} and the repository {root} share no folder") from None
    tmp = Path(tempfile.mkdtemp(prefix="aiinfralint-base-"))
    try:
        tree = tmp / root.relative_to(common)
        base_cwd = tmp / cwd.relative_to(common)
        explicit: set[str] = set()
        mapped: list[str] = []
        for raw in options.paths or ["."]:
            absolute = Path(os.path.normpath(Path(raw) if Path(raw).is_absolute() else cwd / raw))
            try:
                rel = absolute.relative_to(root)
            except ValueError:
                continue  # outside the repository: nothing to compare with
            explicit.add(rel.as_posix())
            mapped.append(str(tree / rel) if Path(raw).is_absolute() else raw)
        tree.mkdir(parents=True, exist_ok=True)
        materialise(commit, root, tree, frozenset(explicit))
        base_cwd.mkdir(parents=True, exist_ok=True)
        existing = [p for p in mapped if (Path(p) if Path(p).is_absolute() else base_cwd / p).exists()]
        base_options = replace(options, cwd=base_cwd, paths=existing, progress=None, stdin_text=None)
        yield BaseTree(base_options, commit, tree, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- comparing two runs --------------------------------------------------------------------


def _count(text: str) -> int | None:
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


def _relocated(findings: Sequence[Finding], where: Callable[[str], str]) -> list[Finding]:
    return [
        f
        if where(f.span.path) == f.span.path
        else f.model_copy(update={"span": f.span.model_copy(update={"path": where(f.span.path)})})
        for f in findings
    ]


def compare(
    base: RunResult,
    head: RunResult,
    base_ref: str,
    commit: str,
    where: Callable[[str], str] = str,
    in_base: Callable[[Finding, str], bool] | None = None,
    config: Config | None = None,
) -> DiffReport:
    """Findings paired by identity (rule, object, offending value; never the message).

    `where` maps a base path to the head's (an absolute path into the base tree).
    `config` prices both sides' inventories (None: no spend delta, only the findings).
    """
    base_findings = _relocated(base.findings, where)
    paired = match(base_findings, head.findings, in_base)
    pb = {(where(path), name): n for (path, name), n in prompt_prefix_tokens(base.project).items()}
    ph = prompt_prefix_tokens(head.project)
    prompts = [
        PromptTokens(path, name, pb.get((path, name)), ph.get((path, name)))
        for path, name in sorted(set(pb) | set(ph))
        if pb.get((path, name)) != ph.get((path, name))
    ]
    if config is None:
        delta = Delta(prompts=prompts)
    else:
        inv_base, inv_head = spend_inventories(base, head, config)
        delta = spend_delta(inv_base, inv_head, where)
        delta.prompts = prompts
    delta.added_stakes, delta.fixed_stakes = stakes(paired.added), stakes(paired.fixed)
    report = DiffReport(base_ref, commit, paired.added, paired.fixed, len(paired.unchanged), delta)
    report.unchanged_findings = paired.unchanged
    return report


def stakes(findings: Sequence[Finding]) -> Stakes:
    """What a list of findings puts at stake, counted once per object (`model.totals`)."""
    t = totals(list(findings))
    return Stakes(t.usd_per_month, t.kgco2e_per_month, t.priced, t.unpriced)


def spend_inventories(base: RunResult, head: RunResult, config: Config) -> tuple[inventory.Inventory, ...]:
    """The cost inventories of both sides, priced by one estimator with the head's configuration."""
    est = Estimator(config)
    return inventory.build(base.project, config, est), inventory.build(head.project, config, est)


def _keyed(inv: inventory.Inventory, where: Callable[[str], str]) -> dict[tuple[str, str, str], inventory.Item]:
    out: dict[tuple[str, str, str], inventory.Item] = {}
    for item in inv.items:
        key = (item.category, where(item.path), item.name)
        n = 1
        while key in out:  # two objects of one name in one file: paired in order
            n += 1
            key = (item.category, where(item.path), f"{item.name} #{n}")
        out[key] = item
    return out


def spend_delta(base: inventory.Inventory, head: inventory.Inventory, where: Callable[[str], str] = str) -> Delta:
    """The inventories' totals on each side and every item whose $ or kgCO2e changed."""
    kb, kh = _keyed(base, where), _keyed(head, where)
    items: list[SpendChange] = []
    for key in sorted(set(kb) | set(kh), key=lambda k: (inventory.CATEGORIES.index(k[0]), k[1], k[2])):
        b, h = kb.get(key), kh.get(key)
        change = SpendChange(
            key[0],
            key[1],
            key[2],
            b.basis if b else None,
            h.basis if h else None,
            b.usd_per_month if b else None,
            h.usd_per_month if h else None,
            b.kgco2e_per_month if b else None,
            h.kgco2e_per_month if h else None,
        )
        if b is None or h is None or (change.usd_base, change.kgco2e_base) != (change.usd_head, change.kgco2e_head):
            items.append(change)
    tb, th = base.totals(), head.totals()
    return Delta(tb.usd_per_month, th.usd_per_month, tb.kgco2e_per_month, th.kgco2e_per_month, items=items)


def _as_gate(result: RunResult, **extra: Any) -> GateResult:
    values = {f.name: getattr(result, f.name) for f in fields(RunResult)}
    return GateResult(**values, **extra)


def run_gate(
    options: RunOptions,
    *,
    diff_base: str | None = None,
    baseline: str | None = None,
    write_baseline: str | None = None,
    fail_on: str | None = None,
) -> GateResult:
    """One engine run with the pull-request gate applied (diff, then baseline).

    `fail_on` is the command line's --fail-on (None: the configuration decides); with
    --diff, configuration changes that switch checks off are judged against it.
    """
    if diff_base is not None and options.stdin_text is not None:
        raise DiffError("--diff cannot be combined with input from stdin")
    base_config: BaseConfig | None = None
    if diff_base is not None:
        root, commit = resolve_base(diff_base, anchor(options))  # fail early, before the long run
        base_config = load_base_config(diff_base, commit, root.resolve(), options)
    head = run(options)
    gate = _as_gate(head)
    if write_baseline is not None:
        bl.write_baseline(write_baseline, head.findings, options.cwd)
        gate.baseline_written = write_baseline
        gate.baselined = list(head.findings)
        gate.findings = []
        return gate
    if diff_base is not None:
        with base_tree(diff_base, options) as tree:
            base = run(tree.options)
            gate.diff = compare(
                base, head, diff_base, tree.commit, tree.relocated, tree.has_value, config=options.config
            )
        gate.findings = list(gate.diff.added)
        assert base_config is not None
        gate.diff.fail_on = fail_on or base_config.config.fail_on
        gate.diff.config_changes = config_changes(
            base_config,
            options.config,
            head,
            options,
            root=root.resolve(),
            fail_on=fail_on,
            cli_baseline=baseline is not None and baseline != options.config.baseline_path(),
        )
    if baseline is not None:
        loaded = bl.load_baseline(baseline)
        gate.findings, gate.baselined, gate.baseline_stale = bl.apply_baseline(
            gate.findings, loaded, options.cwd, head.findings
        )
        gate.baseline_path = baseline
        if gate.diff is not None and gate.baselined:
            gate.diff.config_changes = [
                replace(c, effect=f"hides {len(gate.baselined)} finding(s)", switches_off=True)
                if c.key == "baseline"
                else c
                for c in gate.diff.config_changes
            ]
    return gate


# --- configuration changes ----------------------------------------------------------------


@dataclass
class BaseConfig:
    """The base commit's effective configuration and where it came from."""

    config: Config
    where: str | None  # "pyproject.toml" (repository-relative), None: no file
    problem: str | None = None  # the base's file could not be used: compared with the defaults


def _blob_entries(commit: str, root: Path, paths: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    """path -> (mode, sha, size) for the paths that exist as files in `commit`."""
    if not paths or commit == UNBORN:
        return {}
    out: dict[str, tuple[str, str, int]] = {}
    listing = _git(["ls-tree", "-l", "-z", "--full-tree", commit, "--", *paths], root)
    for raw in listing.split(b"\0"):
        meta, _, name = raw.partition(b"\t")
        parts = meta.decode(errors="replace").split()
        if len(parts) != 4 or parts[1] != "blob":
            continue
        size = int(parts[3]) if parts[3].isdigit() else 0
        out[name.decode("utf-8", errors="surrogateescape")] = (parts[0], parts[2], size)
    return out


def load_base_config(ref: str, commit: str, root: Path, options: RunOptions) -> BaseConfig:
    """The configuration the base commit would have used, found as `config.load` finds it.

    From the checked paths, as `configfile.nearest_config` (not the working directory).
    Read straight from git (never from the temporary tree), within the same size cap.
    """
    head = options.config
    start = anchor(options)

    def rel(path: Path) -> str | None:
        try:
            return path.resolve().relative_to(root).as_posix()
        except (ValueError, OSError):
            return None

    head_path = Path(head.source) if head.source else None
    discovered = nearest_config(options.paths, options.cwd.resolve())
    explicit = head_path is not None and (discovered is None or discovered.resolve() != head_path.resolve())
    if head_path is not None and explicit:
        # --config FILE: the same file at the base commit (outside the repository: not part of the change)
        inside = rel(head_path)
        if inside is None:
            return BaseConfig(head, str(head_path))
        candidates = [inside]
    else:
        try:
            prefix = PurePosixPath(start.relative_to(root).as_posix())
        except ValueError:
            return BaseConfig(defaults(), None)
        dirs = [prefix, *prefix.parents] if str(prefix) != "." else [PurePosixPath(".")]
        candidates = []
        for d in dirs:
            for name in (".aiinfralint.toml", "pyproject.toml"):
                candidates.append(name if str(d) == "." else f"{d}/{name}")
    entries = _blob_entries(commit, root, candidates)
    for path in candidates:
        entry = entries.get(path)
        if entry is None:
            continue
        mode, sha, size = entry
        where = f"{ref}:{path}"
        if mode == "120000" or size > MAX_CONFIG_BYTES:
            why = "a symlink" if mode == "120000" else f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB"
            return BaseConfig(defaults(), path, f"{where} is {why}")
        data = _git(["cat-file", "blob", sha], root)
        if not explicit and path.rsplit("/", 1)[-1] == "pyproject.toml":
            try:
                tool = tomllib.loads(data.decode("utf-8")).get("tool")
            except (ValueError, RecursionError):
                tool = None
            if not isinstance(tool, dict) or tool.get("aiinfralint") is None:
                continue  # a pyproject.toml without our section is not a configuration
        try:
            return BaseConfig(parse_text(data, root / path, where=where), path)
        except ConfigError as exc:
            return BaseConfig(defaults(), path, str(exc))
    return BaseConfig(defaults(), None)


_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/*?")
MAX_LISTED = 5


def _v(value: Any) -> str:
    """A configuration value for a summary line: plain words as they are, anything else quoted."""
    if isinstance(value, str) and value and len(value) <= 80 and set(value) <= _PLAIN:
        return value
    if value is None:
        return "(none)"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_v(v) for v in value[:MAX_LISTED]) + (", ..." if len(value) > MAX_LISTED else "") + "]"
    return show(value)


def _listed(items: Sequence[str]) -> str:
    head = ", ".join(items[:MAX_LISTED])
    return head if len(items) <= MAX_LISTED else f"{head} and {len(items) - MAX_LISTED} more"


def _kebab(key: str) -> str:
    return key.replace("_", "-")


def _list_change(key: str, before: Sequence[str], after: Sequence[str]) -> str | None:
    added = [x for x in after if x not in before]
    removed = [x for x in before if x not in after]
    parts = []
    if added:
        parts.append(f"+= {', '.join(_v(x) for x in added[:MAX_LISTED])}{', ...' if len(added) > MAX_LISTED else ''}")
    if removed:
        parts.append(
            f"-= {', '.join(_v(x) for x in removed[:MAX_LISTED])}{', ...' if len(removed) > MAX_LISTED else ''}"
        )
    return f"{_kebab(key)} {'; '.join(parts)}" if parts else None


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def config_changes(
    base_cfg: BaseConfig,
    head: Config,
    head_run: RunResult,
    options: RunOptions,
    *,
    fail_on: str | None = None,
    cli_baseline: bool = False,
    root: Path | None = None,
) -> list[ConfigChange]:
    """What the change does to the configuration, and what that switches off."""
    base = base_cfg.config
    out = _file_changes(base_cfg, _repo_relative(head.source, root or anchor(options)))
    out += _selector_changes(base, head, options)
    out += _per_file_ignore_changes(base, head, head_run, options)
    out += _exclude_changes(base, head, head_run, options)
    out += _severity_changes(base, head, options, fail_on or base.fail_on)
    out += _fail_on_changes(base, head, fail_on)
    if base.baseline != head.baseline:
        text = f"baseline {_v(base.baseline)} → {_v(head.baseline)}"
        out.append(ConfigChange("baseline", text, "overridden by --baseline" if cli_baseline else ""))
    return out + _other_changes(base, head)


def _ran(cfg: Config, options: RunOptions) -> set[str]:
    return {r.code for r in selected_rules(cfg, options.select, options.ignore)}


def _file_changes(base_cfg: BaseConfig, head_where: str | None) -> list[ConfigChange]:
    out: list[ConfigChange] = []
    if base_cfg.problem:
        text = f"the base configuration is unusable ({base_cfg.problem}); compared with the defaults"
        out.append(ConfigChange("configuration file", text))
    if base_cfg.where == head_where:
        return out
    if base_cfg.where is None:
        text = f"configuration file {_v(head_where)} added"
    elif head_where is None:
        text = f"configuration file {_v(base_cfg.where)} removed"
    else:
        text = f"configuration file {_v(base_cfg.where)} → {_v(head_where)}"
    return [*out, ConfigChange("configuration file", text)]


def _selector_changes(base: Config, head: Config, options: RunOptions) -> list[ConfigChange]:
    out: list[ConfigChange] = []
    base_rules = _ran(base, options)
    for key in ("select", "extend_select", "ignore"):
        b, h = list(getattr(base, key)), list(getattr(head, key))
        if b == h:
            continue
        text = _list_change(key, b, h)
        if key == "select" and not b:
            text = f"select (all) → {_v(h)}"
        elif key == "select" and not h:
            text = f"select {_v(b)} → (all)"
        if text is None:
            continue
        if options.select and key == "select":
            out.append(ConfigChange(key, text, "overridden by --select"))
            continue
        alone = _ran(base.model_copy(update={key: h}), options)
        off = sorted(base_rules - alone)
        if off and not alone:
            out.append(ConfigChange(key, text, "switches off every rule", True))
        elif off:
            out.append(ConfigChange(key, text, f"switches off {_listed(off)}", True))
        else:
            out.append(ConfigChange(key, text))
    return out


def _per_file_ignore_changes(
    base: Config, head: Config, head_run: RunResult, options: RunOptions
) -> list[ConfigChange]:
    out: list[ConfigChange] = []
    head_ran = _ran(head, options)
    head_rules = [r for r in registry.all_rules() if r.code in head_ran]
    head_files = [fr.path for fr in head_run.files if fr.output.claimed]
    for glob in sorted(set(base.per_file_ignores) | set(head.per_file_ignores)):
        b, h = base.per_file_ignores.get(glob, []), head.per_file_ignores.get(glob, [])
        text = _list_change(f"per-file-ignores {_v(glob)}", b, h)
        if text is None:
            continue
        added = [c for c in h if c not in b]
        off = sorted(r.code for r in head_rules if added and (matches(r, added)))
        hit = [p for p in head_files if fnmatch.fnmatch(p, glob) or fnmatch.fnmatch(p, f"*/{glob}")]
        if off and hit:
            what = "every rule" if len(off) == len(head_rules) else _listed(off)
            files = "every checked file" if len(hit) == len(head_files) else f"{len(hit)} file(s)"
            out.append(ConfigChange("per-file-ignores", text, f"switches off {what} for {files}", True))
        else:
            out.append(ConfigChange("per-file-ignores", text, "matches no checked file" if added and not hit else ""))
    return out


def _exclude_changes(base: Config, head: Config, head_run: RunResult, options: RunOptions) -> list[ConfigChange]:
    if list(base.exclude) == list(head.exclude) and base.respect_gitignore == head.respect_gitignore:
        return []
    lost = _files_no_longer_checked(base, head_run, options)
    changes = [t for t in (_list_change("exclude", base.exclude, head.exclude),) if t]
    if base.respect_gitignore != head.respect_gitignore:
        changes.append(f"respect-gitignore {_v(base.respect_gitignore)} → {_v(head.respect_gitignore)}")
    text = "; ".join(changes)
    if lost and not any(fr.output.claimed for fr in head_run.files):
        return [ConfigChange("exclude", text, "no file is checked", True)]
    if lost:
        effect = f"{len(lost)} file(s) no longer checked: {_listed([_v(p) for p in lost])}"
        return [ConfigChange("exclude", text, effect, True)]
    return [ConfigChange("exclude", text)]


_RANK = {"info": 1, "warning": 2, "error": 3, "never": 4}


def _severity_changes(base: Config, head: Config, options: RunOptions, threshold: str) -> list[ConfigChange]:
    out: list[ConfigChange] = []
    head_ran = _ran(head, options)
    for key in sorted(set(base.severity) | set(head.severity)):
        b_sev, h_sev = base.severity.get(key), head.severity.get(key)
        if b_sev == h_sev:
            continue
        rule = find_rule(key)
        default = rule.severity if rule is not None else None
        before = b_sev.value if b_sev else f"(default {default.value})" if default else "(default)"
        after = h_sev.value if h_sev else f"(default {default.value})" if default else "(default)"
        text = f"severity {_v(key)} {before} → {after}"
        old = (b_sev or default or Severity.INFO).rank
        new = (h_sev or default or Severity.INFO).rank
        if rule is not None and rule.code in head_ran and threshold != "never" and old >= _RANK[threshold] > new:
            effect = f"{rule.code} findings no longer fail the gate at fail-on {threshold}"
            out.append(ConfigChange("severity", text, effect, True))
        else:
            out.append(ConfigChange("severity", text))
    return out


def _fail_on_changes(base: Config, head: Config, fail_on: str | None) -> list[ConfigChange]:
    if base.fail_on == head.fail_on:
        return []
    text = f"fail-on {base.fail_on} → {head.fail_on}"
    if fail_on is not None:
        return [ConfigChange("fail-on", text, f"overridden by --fail-on {fail_on}")]
    if _RANK[head.fail_on] > _RANK[base.fail_on]:
        effect = (
            "no finding fails the gate"
            if head.fail_on == "never"
            else f"{base.fail_on} findings no longer fail the gate"
        )
        return [ConfigChange("fail-on", text, effect, True)]
    return [ConfigChange("fail-on", text)]


# the keys judged above; every other key's change is listed as it is
_HANDLED = frozenset(
    {
        "select",
        "extend_select",
        "ignore",
        "per_file_ignores",
        "exclude",
        "respect_gitignore",
        "severity",
        "fail_on",
        "baseline",
        "source",
    }
)


def _other_changes(base: Config, head: Config) -> list[ConfigChange]:
    out: list[ConfigChange] = []
    b_flat = _flatten(base.model_dump(exclude=set(_HANDLED), mode="json"), "")
    h_flat = _flatten(head.model_dump(exclude=set(_HANDLED), mode="json"), "")
    for key in sorted(set(b_flat) | set(h_flat)):
        if b_flat.get(key) != h_flat.get(key):
            top = key.split(".", 1)[0]
            shown = ".".join(
                _kebab(p) if i == 0 or top not in Config.DATA_KEYS else _v(p) for i, p in enumerate(key.split("."))
            )
            out.append(ConfigChange(top, f"{shown} {_v(b_flat.get(key))} → {_v(h_flat.get(key))}"))
    return out


def _repo_relative(source: str | None, root: Path) -> str | None:
    if not source:
        return None
    path = Path(source).resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _files_no_longer_checked(base: Config, head_run: RunResult, options: RunOptions) -> list[str]:
    """Files of the head tree that the base's exclude settings would check and the head's do not.

    Only files some reader claims count (excluding a README is not switching anything off).
    """
    wider = discover(options.paths, cwd=options.cwd, exclude=base.exclude, respect_gitignore=base.respect_gitignore)
    checked = {fr.path for fr in head_run.files}
    lost = [c for c in wider.files if c.display not in checked]
    if not lost:
        return []
    parsed = parse_candidates(lost, replace(options, progress=None))
    return sorted(fr.path for fr in parsed if fr.output.claimed)
