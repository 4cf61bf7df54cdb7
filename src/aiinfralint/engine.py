"""discover -> parse -> rules -> suppress -> sort: one run of aiinfralint.

The CLI and the tests call `run()`; reporters receive its `RunResult`.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiinfralint.config import Config
from aiinfralint.discovery import Candidate, Discovery, discover
from aiinfralint.model.base import ModelObject, Span
from aiinfralint.model.finding import Finding
from aiinfralint.model.project import Project
from aiinfralint.parsers.base import ParseOutput
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.rules.base import Rule, RuleContext
from aiinfralint.rules.registry import all_rules, matches, selector_matches
from aiinfralint.suppress import FileSuppressions, parse_suppressions


class InternalError(Exception):
    """A bug met while checking (a rule raised): the run stops with exit code 2.

    The CLI prints one line naming what failed; the run's findings would be incomplete,
    so none are reported and the gate cannot pass.
    """

    def __init__(self, what: str, exc: BaseException) -> None:
        detail = " ".join(str(exc).split())
        if len(detail) > 300:
            detail = detail[:300] + "..."
        super().__init__(f"internal error in {what}: {type(exc).__name__}{': ' + detail if detail else ''} (a bug in aiinfralint; please report it)")
        self.what = what


class RuleError(InternalError):
    """A rule raised an exception."""


@dataclass
class FileResult:
    """Everything the engine keeps about one file after parsing."""

    path: str
    output: ParseOutput
    suppressions: FileSuppressions = field(default_factory=FileSuppressions)


@dataclass
class RunOptions:
    paths: Sequence[str] = (".",)
    config: Config = field(default_factory=Config)
    select: Sequence[str] | None = None  # CLI --select (replaces config)
    ignore: Sequence[str] = ()  # CLI --ignore (adds to config)
    stdin_text: bytes | None = None
    stdin_filename: str = "stdin.yaml"
    cwd: Path = field(default_factory=Path.cwd)
    jobs: int | None = None
    use_cache: bool = True
    progress: Callable[[int, int], None] | None = None
    # the files to check when the caller has already discovered them (with this config)
    discovery: Discovery | None = None


@dataclass
class RunResult:
    findings: list[Finding]
    suppressed: list[Finding]
    skipped: list[tuple[str, str]]
    files: list[FileResult]
    project: Project
    rules: list[type[Rule]]

    @property
    def files_checked(self) -> int:
        return sum(1 for f in self.files if f.output.claimed)


def read_and_parse(path: str, display: str) -> FileResult:
    """Parse one file from disk, in this process. Pure function of the file's bytes.

    Unreadable (permission denied) recognised files are an AIL000 problem at line 1; FIFOs,
    devices and oversized files are skips (see `parallel.unreadable`).
    """
    from aiinfralint.fileio import read_bytes
    from aiinfralint.parallel import unreadable

    data, reason = read_bytes(path)  # never blocks on a FIFO, skips oversized files
    if data is None:
        return unreadable(display, reason or "cannot read")
    return parse_data(display, data)


def parse_data(display: str, data: bytes) -> FileResult:
    output = parse_bytes(display, data)
    sup = FileSuppressions()
    if output.claimed or output.objects:
        sup = parse_suppressions(data.decode("utf-8", errors="replace"))
    return FileResult(display, output, sup)


def parse_candidates(candidates: Sequence[Candidate], options: RunOptions) -> list[FileResult]:
    from aiinfralint import parallel

    return parallel.parse_all(candidates, options, while_waiting=_prepare_rules)


def _prepare_rules() -> None:
    """What the rules will need, done while pool workers parse: import every rule, load the tables."""
    from aiinfralint.estimate.tables import TABLE_NAMES, load_table

    all_rules()
    for name in TABLE_NAMES:
        load_table(name)


def selected_rules(config: Config, select: Sequence[str] | None, ignore: Sequence[str]) -> list[type[Rule]]:
    chosen_select = list(select) if select else list(config.select) or ["ALL"]
    chosen_select += list(config.extend_select)
    chosen_ignore = list(config.ignore) + list(ignore)
    out = []
    for rule in all_rules():
        if rule.code == "AIL000":
            # parse errors are always collected; select/ignore still decide if they are shown
            pass
        if matches(rule, chosen_select) and not matches(rule, chosen_ignore):
            out.append(rule)
    return out


def _parse_error_findings(results: Sequence[FileResult]) -> list[Finding]:
    from aiinfralint.rules.core.parse_error import ParseError

    out = []
    for fr in results:
        for p in fr.output.problems:
            out.append(
                Finding(
                    code=ParseError.code,
                    slug=ParseError.slug,
                    severity=ParseError.severity,
                    span=Span(path=fr.path, line=p.line, column=p.column),
                    message=p.message,
                    remediation="Fix the file so it parses, or exclude it in configuration.",
                    key=p.message,
                )
            )
    return out


def _fingerprint(f: Finding) -> str:
    basis = f.key or f.message
    raw = f"{f.code}|{f.span.path}|{f.logical_location or ''}|{basis}"
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _object_ignores(f: Finding) -> bool:
    return any(selector_matches(c, f.code, f.slug) for c in f.object_ignore)


def run(options: RunOptions) -> RunResult:
    config = options.config
    skipped: list[tuple[str, str]] = []
    if options.stdin_text is not None:
        from aiinfralint.parallel import parse_given  # parallel imports this module

        results = [parse_given(options.stdin_filename, options.stdin_text, options)]
    else:
        disc = options.discovery or discover(
            options.paths,
            cwd=options.cwd,
            exclude=config.exclude,
            respect_gitignore=config.respect_gitignore,
        )
        skipped.extend(disc.skipped)
        results = parse_candidates(disc.files, options)
    for fr in results:
        if fr.output.skipped and not fr.output.objects and not fr.output.problems:
            skipped.append((fr.path, fr.output.skipped))

    objects: list[ModelObject] = [o for fr in results for o in fr.output.objects]
    project = Project(objects)
    rules = selected_rules(config, options.select, options.ignore)
    ctx = RuleContext(project=project, config=config)

    raw: list[Finding] = []
    codes = {r.code for r in rules}
    if "AIL000" in codes:
        raw.extend(_parse_error_findings(results))
    for rule_cls in rules:
        if rule_cls.code == "AIL000":
            continue
        rule = rule_cls(config.rule_options(rule_cls.code, rule_cls.slug))
        try:
            raw.extend(rule.check_project(ctx))
        except Exception as exc:
            # never a finding: one on both sides of --diff would cancel out and pass the gate
            raise RuleError(f"rule {rule_cls.code} {rule_cls.slug}", exc) from exc

    by_path = {fr.path: fr for fr in results}
    active: list[Finding] = []
    suppressed: list[Finding] = []
    seen_fp: dict[str, int] = {}
    for f in sorted(raw, key=Finding.sort_key):
        updates: dict[str, object] = {}
        override = config.severity.get(f.code) or config.severity.get(f.slug)
        if override is not None:
            updates["severity"] = override
        fp = _fingerprint(f)
        n = seen_fp.get(fp, 0)
        seen_fp[fp] = n + 1
        updates["fingerprint"] = fp if n == 0 else f"{fp}:{n}"
        f = f.model_copy(update=updates)
        owner = by_path.get(f.span.path)
        if _object_ignores(f) or (owner is not None and owner.suppressions.match(f.code, f.slug, f.span.line)):
            suppressed.append(f)
            continue
        if _per_file_ignored(f, config):
            suppressed.append(f)
            continue
        active.append(f)
    # AIL001/AIL002 judge the suppressions themselves, so they can only run now
    from aiinfralint.rules.core.unused_suppression import suppression_findings

    try:
        judged = list(suppression_findings(results, rules))
    except Exception as exc:
        raise RuleError("the suppression rules AIL001/AIL002", exc) from exc
    for f in judged:
        override = config.severity.get(f.code) or config.severity.get(f.slug)
        fp = _fingerprint(f)
        n = seen_fp.get(fp, 0)
        seen_fp[fp] = n + 1
        fp = fp if n == 0 else f"{fp}:{n}"
        f = f.model_copy(update={"fingerprint": fp, **({"severity": override} if override else {})})
        owner = by_path.get(f.span.path)
        if (owner is not None and owner.suppressions.match(f.code, f.slug, f.span.line)) or _per_file_ignored(f, config):
            suppressed.append(f)
        else:
            active.append(f)
    active.sort(key=Finding.sort_key)
    skipped.sort()
    return RunResult(active, suppressed, skipped, results, project, rules)


def _per_file_ignored(f: Finding, config: Config) -> bool:
    for glob, codes in config.per_file_ignores.items():
        if fnmatch.fnmatch(f.span.path, glob) or fnmatch.fnmatch(f.span.path, f"*/{glob}"):
            if any(selector_matches(c, f.code, f.slug) for c in codes):
                return True
    return False
