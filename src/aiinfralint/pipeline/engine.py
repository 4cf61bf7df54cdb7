"""discover -> read and parse -> rules -> suppress -> sort: one run of aiinfralint.

The CLI and the tests call `run()`; reporters receive its `RunResult`.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from aiinfralint import fileio
from aiinfralint.config import Config
from aiinfralint.estimate.tables import TABLE_NAMES, load_table
from aiinfralint.fixes.registry import has_fixer
from aiinfralint.model.base import Span
from aiinfralint.model.finding import DefaultUsed, Finding
from aiinfralint.model.project import Project
from aiinfralint.parsers.pyprompts.link import Loader, link, needs_link
from aiinfralint.pipeline.discovery import Candidate, Discovery, discover, has_render_markers
from aiinfralint.pipeline.parallel import parse_all, parse_given
from aiinfralint.pipeline.read import FileResult
from aiinfralint.pipeline.suppression_findings import judge_suppressions
from aiinfralint.rules.base import Rule, RuleContext
from aiinfralint.rules.core.engine_finding import is_engine_finding
from aiinfralint.rules.core.parse_error import ParseError
from aiinfralint.rules.registry import all_rules, matches
from aiinfralint.selectors import selector_matches


class InternalError(Exception):
    """A bug met while checking (a rule raised): the run stops with exit code 2.

    The CLI prints one line naming what failed; the run's findings would be incomplete,
    so none are reported and the gate cannot pass.
    """

    def __init__(self, what: str, exc: BaseException) -> None:
        detail = " ".join(str(exc).split())
        if len(detail) > 300:
            detail = detail[:300] + "..."
        super().__init__(
            f"internal error in {what}: {type(exc).__name__}{': ' + detail if detail else ''} (a bug in aiinfralint; please report it)"
        )
        self.what = what


class RuleError(InternalError):
    """A rule raised an exception."""


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
    # what the caller already read of them, by path (bytes, or None and why not): not read again
    contents: Mapping[str, tuple[bytes | None, str | None]] | None = None


@dataclass
class RunResult:
    findings: list[Finding]
    suppressed: list[Finding]
    skipped: list[tuple[str, str]]
    files: list[FileResult]
    project: Project
    rules: list[type[Rule]]
    # the estimate defaults the rules relied on (listed once at the end of a report)
    defaults_used: tuple[DefaultUsed, ...] = ()
    # --fix: findings repaired in place by this run, and those only --unsafe-fixes would repair
    fixes_applied: int = 0
    unsafe_fixes_available: int = 0
    # sha256 of the text each fixable file had when read, by path: --fix leaves a changed file alone
    fix_digests: dict[str, str] = field(default_factory=dict)

    @property
    def files_checked(self) -> int:
        return sum(1 for f in self.files if f.output.claimed)

    @cached_property
    def _by_path(self) -> dict[str, FileResult]:
        return {fr.path: fr for fr in self.files}

    def source_line(self, f: Finding) -> str | None:
        """The line `f` points at, as read for this run (None: not kept, or not a line of the file)."""
        fr = self._by_path.get(f.span.path)
        return fr.line(f.span.line) if fr is not None else None


def parse_candidates(candidates: Sequence[Candidate], options: RunOptions) -> list[FileResult]:
    return parse_all(
        candidates,
        options.config,
        options.cwd,
        jobs=options.jobs,
        use_cache=options.use_cache,
        progress=options.progress,
        contents=options.contents,
        while_waiting=_prepare_rules,
    )


def _prepare_rules() -> None:
    """What the rules will need, done while pool workers parse: import every rule, load the tables."""
    all_rules()
    for name in TABLE_NAMES:
        load_table(name)


def selected_rules(config: Config, select: Sequence[str] | None, ignore: Sequence[str]) -> list[type[Rule]]:
    """The rules (engine findings included) that --select/--ignore and the configuration choose."""
    chosen_select = list(select) if select else list(config.select) or ["ALL"]
    chosen_select += list(config.extend_select)
    chosen_ignore = list(config.ignore) + list(ignore)
    return [r for r in all_rules() if matches(r, chosen_select) and not matches(r, chosen_ignore)]


def _parse_error_findings(results: Sequence[FileResult]) -> list[Finding]:
    return [
        ParseError.make(
            Span(path=fr.path, line=p.line, column=p.column),
            p.message,
            "Fix the file so it parses, or exclude it in configuration.",
            # the gate's identity: the kind of problem, not the parser's wording or line
            key=problem_kind(p.message),
        )
        for fr in results
        for p in fr.output.problems
    ]


def problem_kind(message: str) -> str:
    """What kind of problem an AIL000 finding is, whatever the parser's wording or the line it names."""
    if message.startswith(("cannot read", "cannot decode")):
        return "unreadable"
    if message.startswith("internal error in"):
        return "internal error"
    return "invalid"


def _digest(f: Finding, basis: str) -> str:
    raw = f"{f.code}|{f.span.path}|{f.logical_location or ''}|{basis}"
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _fingerprint(f: Finding) -> str:
    """Rule, file, object and the key (the message without one); AIL000 by the kind of problem.

    AIL001/AIL002 keys name the suppression's codes and comment, never its line.
    """
    if f.code == ParseError.code:
        return _digest(f, problem_kind(f.message))
    return _digest(f, f.key or f.message)


def legacy_fingerprint(f: Finding) -> str | None:
    """An AIL000 finding's fingerprint as baselines written before the kinds of problem hold it."""
    return _digest(f, f.message) if f.code == ParseError.code else None  # its key was its message then


class _Finaliser:
    """Every finding goes through `add` once: severity override, fingerprint, suppression.

    Fingerprints are unique within a run: a repeat gets `:1`, `:2`... in the order added.
    """

    def __init__(self, config: Config, results: Sequence[FileResult]) -> None:
        self.config = config
        self.by_path = {fr.path: fr for fr in results}
        self.seen: dict[str, int] = {}
        self.active: list[Finding] = []
        self.suppressed: list[Finding] = []

    def add(self, f: Finding) -> None:
        updates: dict[str, object] = {}
        override = self.config.severity.get(f.code) or self.config.severity.get(f.slug)
        if override is not None:
            updates["severity"] = override
        fp = _fingerprint(f)
        n = self.seen.get(fp, 0)
        self.seen[fp] = n + 1
        updates["fingerprint"] = fp if n == 0 else f"{fp}:{n}"
        f = f.model_copy(update=updates)
        (self.suppressed if self._suppressed(f) else self.active).append(f)

    def _suppressed(self, f: Finding) -> bool:
        if any(selector_matches(c, f.code, f.slug) for c in f.object_ignore):
            return True
        owner = self.by_path.get(f.span.path)
        if owner is not None and owner.suppressions.match(f.code, f.slug, f.span.line):
            return True
        return _per_file_ignored(f, self.config)


def _run_rules(rules: Sequence[type[Rule]], ctx: RuleContext, config: Config) -> list[Finding]:
    """The findings of every selected rule; engine findings are not rules and are skipped here."""
    raw: list[Finding] = []
    for rule_cls in rules:
        if is_engine_finding(rule_cls):
            continue
        rule = rule_cls(config.rule_options(rule_cls.code, rule_cls.slug))
        try:
            raw.extend(rule.check_project(ctx))
        except Exception as exc:
            # never a finding: one on both sides of --diff would cancel out and pass the gate
            raise RuleError(f"rule {rule_cls.code} {rule_cls.slug}", exc) from exc
    return raw


def _parse(options: RunOptions, skipped: list[tuple[str, str]]) -> list[FileResult]:
    config = options.config
    if options.stdin_text is not None:
        return [parse_given(options.stdin_filename, options.stdin_text, config)]
    disc = options.discovery or discover(
        options.paths,
        cwd=options.cwd,
        exclude=config.exclude,
        respect_gitignore=config.respect_gitignore,
    )
    skipped.extend(disc.skipped)
    if not has_render_markers(disc):
        return parse_candidates(disc.files, options)
    # lazy: 10-20 ms (the render module, threads, subprocess) a run with no chart or kustomization never needs
    from aiinfralint.pipeline.render import finish_rendered, plan_renders, rendered_batch

    roots = [options.cwd / p for p in options.paths]
    plan = plan_renders(disc.files, config, options.cwd, roots, disc.kustomizations, options.jobs)
    if not plan.sources and not plan.skipped:
        return parse_candidates(plan.candidates, options)
    skipped.extend(plan.skipped)
    # rendered documents are parsed with the files, by the same pool
    batch = rendered_batch(plan)
    contents = {**(options.contents or {}), **batch.contents}
    parsed = parse_candidates(plan.candidates + batch.candidates, replace(options, contents=contents))
    n = len(plan.candidates)
    return sorted(parsed[:n] + finish_rendered(parsed[n:], batch), key=lambda fr: fr.path)


def run(options: RunOptions) -> RunResult:
    config = options.config
    skipped: list[tuple[str, str]] = []
    results = _parse(options, skipped)
    for fr in results:
        if fr.output.skipped and not fr.output.objects and not fr.output.problems:
            skipped.append((fr.path, fr.output.skipped))

    objects = [o for fr in results for o in fr.output.objects]
    if options.stdin_text is None and needs_link(objects):
        # Python prompts that take text from other modules: read it from the checked files
        objects = link(objects, [fr.path for fr in results], _loader(options, results))
    project = Project(objects)
    rules = selected_rules(config, options.select, options.ignore)
    raw = _parse_error_findings(results) if ParseError in rules else []
    ctx = RuleContext(project=project, config=config)
    raw += _run_rules(rules, ctx, config)

    done = _Finaliser(config, results)
    for f in sorted(raw, key=Finding.sort_key):
        done.add(f)
    # AIL001/AIL002 judge the suppressions themselves, so they can only run now
    try:
        for f in judge_suppressions(((fr.path, fr.suppressions, not fr.output.problems) for fr in results), rules):
            done.add(f)
    except Exception as exc:
        raise RuleError("the suppression rules AIL001/AIL002", exc) from exc
    done.active.sort(key=Finding.sort_key)
    digests: dict[str, str] = {}
    if any(has_fixer(f.code) for f in done.active):
        # lazy: ruamel.yaml (~30 ms), which only a run with a fixable finding needs
        from aiinfralint.pipeline.fix import attach_fixes

        digests = attach_fixes(done.active, results, config)
    _keep_quoted_lines(results, done.active + done.suppressed)
    skipped.sort()
    used = ctx.estimator.defaults_used() if ctx.estimator_built else ()
    return RunResult(done.active, done.suppressed, skipped, results, project, rules, used, fix_digests=digests)


def _loader(options: RunOptions, results: Sequence[FileResult]) -> Loader:
    """Text of a file of the checked tree, by the path the run shows: already read, or read now.

    Only inside the checked roots (a symlink resolving outside them is not followed), regular
    files within the size limit of every input.
    """
    texts = {fr.path: fr.text for fr in results if fr.text is not None}
    roots = [(options.cwd / p).resolve() for p in options.paths]

    def load(display: str) -> str | None:
        if display in texts:
            return texts[display]
        try:
            target = (options.cwd / display).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not any(target == r or target.is_relative_to(r) for r in roots):
            return None
        data, _ = fileio.read_bytes(target)
        return data.decode("utf-8", errors="replace") if data is not None else None

    return load


def _keep_quoted_lines(results: Sequence[FileResult], findings: Sequence[Finding]) -> None:
    """Each file keeps the lines its findings point at (and the lines their fixes edit), not its whole
    text (memory)."""
    wanted: dict[str, set[int]] = {}
    for f in findings:
        wanted.setdefault(f.span.path, set()).add(f.span.line)
        if f.fix is not None:
            wanted[f.span.path].update(n for e in f.fix.edits for n in range(e.start_line, e.end_line + 1))
    for fr in results:
        fr.quote_lines(wanted.get(fr.path, set()))


def _per_file_ignored(f: Finding, config: Config) -> bool:
    for glob, codes in config.per_file_ignores.items():
        if fnmatch.fnmatch(f.span.path, glob) or fnmatch.fnmatch(f.span.path, f"*/{glob}"):
            if any(selector_matches(c, f.code, f.slug) for c in codes):
                return True
    return False
