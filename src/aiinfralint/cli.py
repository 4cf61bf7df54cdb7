"""Command line: `aiinfralint check|rules|explain|cost|schema`.

`main(argv) -> int` is the only place that maps errors to exit codes:
0 nothing at or above the threshold, 1 findings at or above it, 2 usage or config error.

Two kinds of import stay inside functions, each marked `# lazy:`. The model, the rules and
pydantic (~90 ms) load only once a check is not replayed, so an unchanged run's replay stays
cheap; the replay cache itself (~28 ms) and rich load only for the commands that use them, so
`--version`, `rules`, `explain` and `schema` stay cheap.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiinfralint import __version__
from aiinfralint.configfile import ConfigError, nearest_config
from aiinfralint.report import REPORTERS, get_reporter

if TYPE_CHECKING:
    from aiinfralint.cache.replay import Replay
    from aiinfralint.config import Config
    from aiinfralint.pipeline.engine import RunResult

FORMATS = ("text", "concise", "json", "sarif", "github", "markdown")
COLOR = ("auto", "always", "never")
FAIL_ON = ("error", "warning", "info", "never")
COST_FORMATS = ("text", "json", "markdown")
# --fix checks again after each round of fixes; a fix that keeps bringing new ones stops here
FIX_ROUNDS = 10


class UsageError(Exception):
    pass


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _did_you_mean(value: str, known: Sequence[str]) -> str:
    """`; did you mean X?` for a near miss, else the empty string."""
    import difflib  # lazy: ~1 ms, only on a usage error

    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(value.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
        close = [next(k for k in known if k.lower() == close[0])] if close else []
    return f"; did you mean {close[0]}?" if close else ""


class _Parser(argparse.ArgumentParser):
    """argparse with a did-you-mean for an unknown choice (`--format jsn`)."""

    def _check_value(self, action: argparse.Action, value: object) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            hint = _did_you_mean(str(value), [str(c) for c in action.choices or ()])
            raise argparse.ArgumentError(action, f"{exc.message}{hint}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="aiinfralint",
        description="Static linter and cost/carbon analyzer for AI infrastructure configuration.",
    )
    p.add_argument("--version", action="version", version=f"aiinfralint {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    _add_check(sub.add_parser("check", help="lint files and directories (default: .)"))
    _add_others(sub)
    return p


def _add_check(c: argparse.ArgumentParser) -> None:
    """`check`: what to lint and where the report goes."""
    c.add_argument("paths", nargs="*", default=None, help='files or directories; "-" reads stdin')
    c.add_argument("--format", choices=FORMATS, default=None, help="output format (default: text)")
    c.add_argument("--output", "-o", default=None, help="write the report to FILE instead of stdout")
    c.add_argument("--select", type=_csv, default=None, help="codes, slugs or prefixes to check (comma separated)")
    c.add_argument("--ignore", type=_csv, default=[], help="codes, slugs or prefixes to skip (comma separated)")
    c.add_argument(
        "--fail-on", choices=FAIL_ON, default=None, help="lowest severity that makes the exit code 1 (default: warning)"
    )
    c.add_argument("--config", default=None, help="config file (default: nearest .aiinfralint.toml or pyproject.toml)")
    c.add_argument("--stdin-filename", default=None, help="name to use for input read from stdin")
    _add_check_output(c)
    _add_check_gate(c)
    c.add_argument("--fix", action="store_true", help="apply safe fixes in place, then report what remains")
    c.add_argument(
        "--unsafe-fixes", action="store_true", help="with --fix or --diff-fixes, also fixes that change behaviour"
    )
    c.add_argument(
        "--diff-fixes", action="store_true", help="print the fixes as unified diffs and write nothing (exit 1 if any)"
    )


def _add_check_output(c: argparse.ArgumentParser) -> None:
    """What the report shows and how the run goes: verbosity, colour, progress, jobs, cache."""
    c.add_argument("--quiet", "-q", action="store_true", help="findings only: no summary, defaults or progress")
    c.add_argument(
        "--show-assumptions",
        "--verbose",
        "-v",
        action="store_true",
        help="under each finding, the assumptions, sources and missing figures behind its estimate (text format)",
    )
    c.add_argument(
        "--statistics", action="store_true", help="print findings, $/month and kgCO2e/month per rule instead"
    )
    c.add_argument("--color", choices=COLOR, default="auto", help="colour the text output (default: auto)")
    c.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    c.add_argument("--show-skipped", action="store_true", help="list skipped files with reasons (text format)")
    c.add_argument("--jobs", "-j", type=int, default=None, help="parallel parser processes (default: all cores)")
    c.add_argument(
        "--no-cache", action="store_true", help="bypass both caches: the parse cache and the replay of an unchanged run"
    )


def _add_check_gate(c: argparse.ArgumentParser) -> None:
    """Which findings the report keeps (baseline, --diff) and the extra reports it writes."""
    c.add_argument("--baseline", default=None, metavar="FILE", help="hide findings recorded in this baseline file")
    c.add_argument(
        "--write-baseline", default=None, metavar="FILE", help="record every current finding in FILE and report none"
    )
    c.add_argument(
        "--diff",
        default=None,
        metavar="BASE_REF",
        help="report only findings the change since BASE_REF adds, with the cost/carbon/token delta",
    )
    c.add_argument(
        "--output-format",
        action="append",
        default=[],
        metavar="FORMAT:PATH",
        help="also write a report in FORMAT to PATH (repeatable; PATH '-' is stdout), e.g. sarif:results.sarif",
    )


def _add_others(sub: argparse._SubParsersAction[_Parser]) -> None:
    """The `rules`, `explain`, `cost` and `schema` subcommands."""
    sub.add_parser("rules", help="table of every rule").add_argument(
        "--format", choices=("text", "json"), default="text"
    )
    e = sub.add_parser("explain", help="show a rule's documentation")
    e.add_argument("rule", help="code or slug, e.g. AIL201 or shared-batch-realtime-gpu-pool")
    e.add_argument("--color", choices=COLOR, default="auto", help="render the page for a terminal (default: auto)")
    co = sub.add_parser(
        "cost", help="inventory: every GPU workload, prompt and AI feature with $/month and kgCO2e/month"
    )
    co.add_argument("paths", nargs="*", default=None, help="files or directories (default: .)")
    co.add_argument("--format", choices=COST_FORMATS, default="text", help="output format (default: text)")
    co.add_argument("--output", "-o", default=None, help="write the inventory to FILE instead of stdout")
    co.add_argument("--config", default=None, help="config file (default: nearest .aiinfralint.toml or pyproject.toml)")
    co.add_argument("--no-cache", action="store_true", help="do not read or write the parse cache (cost never replays)")
    sc = sub.add_parser("schema", help="JSON Schema of the project's own kinds (for editors)")
    sc.add_argument("kind", nargs="?", default=None, help="QuotaContract, AIFeature or VectorIndex (default: all)")


def _load_config(args: argparse.Namespace, cwd: Path):  # type: ignore[no-untyped-def]
    from aiinfralint import config as cfg  # lazy: pydantic and the model (~100 ms) a replayed check never loads

    return cfg.load(args.config, cwd, args.paths or ["."])


def _validate_selectors(selectors: Sequence[str], config: object = None) -> None:
    # lazy: the model, rules and pydantic (~90 ms), which a replayed check never loads
    from aiinfralint.rules.registry import all_rules, matches

    rules = all_rules()
    for s in selectors:
        if not any(matches(r, [s]) for r in rules):  # `ALL` matches every rule
            hint = _did_you_mean(s, [n for r in rules for n in (r.code, r.slug)]) or " (see `aiinfralint rules`)"
            raise UsageError(f"unknown rule selector {s!r}{hint}")
    if config is not None:
        from aiinfralint.config import check_rule_keys  # lazy: pydantic, as in _load_config

        check_rule_keys(config, rules)  # type: ignore[arg-type]


def _nearest(paths: Sequence[str], cwd: Path) -> str | None:
    found = nearest_config(paths, cwd)
    return str(found) if found else None


def _check_paths(paths: Sequence[str], cwd: Path) -> None:
    """Every path named on the command line exists: a typo in a CI path is exit 2, not a pass."""
    for raw in paths:
        if raw != "-" and not os.path.lexists(cwd / raw):
            raise UsageError(f"{raw}: no such file or directory")


def _check_today() -> None:
    pinned = os.environ.get("AIINFRALINT_TODAY")
    if pinned is None:
        return
    import datetime  # lazy: ~1.5 ms, only when the date is pinned

    try:
        datetime.date.fromisoformat(pinned)
    except ValueError:
        raise UsageError(f"AIINFRALINT_TODAY={pinned[:40]!r}: expected a date YYYY-MM-DD") from None


def _check_streams(output: str | None, output_formats: Sequence[str]) -> None:
    """Two reports are never written to one stream or file."""
    seen = {output or "-": "--output" if output else "the report (stdout)"}
    for spec in output_formats:
        target = spec.partition(":")[2]
        if target in seen:
            shown = "stdout" if target == "-" else target
            raise UsageError(f"--output-format {spec!r}: {seen[target]} already writes to {shown}")
        seen[target] = f"--output-format {spec!r}"


def cmd_check(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    paths = args.paths or ["."]
    fmt = args.format or "text"
    to_tty = args.output is None and sys.stdout.isatty()
    _check_paths(paths, cwd)
    _check_today()
    _check_streams(args.output, args.output_format)
    replay = None
    fixing = args.fix or args.diff_fixes
    if fixing and (paths == ["-"] or args.diff):
        flag, other = ("--fix" if args.fix else "--diff-fixes"), ("--diff" if args.diff else "stdin")
        raise UsageError(f"{flag} works on files in place: not with {other}")
    if paths != ["-"] and not (args.no_cache or args.diff or args.baseline or args.write_baseline or fixing):
        # an identical earlier run: replay its report before importing the model or any rule
        from aiinfralint.cache.replay import CheckRequest, Replay  # lazy: ~28 ms that --version and rules never need

        request = CheckRequest(
            paths=tuple(paths),
            fmt=fmt,
            output=args.output,
            output_formats=tuple(args.output_format),
            select=tuple(args.select) if args.select is not None else None,
            ignore=tuple(args.ignore),
            fail_on=args.fail_on,
            config=args.config or _nearest(paths, cwd),
            quiet=args.quiet,
            show_skipped=args.show_skipped,
            to_tty=to_tty,
            presentation=_presentation(args, to_tty),
        )
        replay = Replay.plan(request, cwd)
        hit = replay.lookup() if replay is not None else None
        if hit is not None:
            writes, code = hit
            _perform(writes)
            return code
    return _check(args, cwd, paths, fmt, to_tty, replay)


def _check(args: argparse.Namespace, cwd: Path, paths: list[str], fmt: str, to_tty: bool, replay: Replay | None) -> int:
    # a run allocates many small, acyclic objects (model objects, findings) and frees
    # almost none before it ends; collecting cycles every 700 allocations, the default,
    # costs ~10 % of a cold run for nothing. Cycles are still collected, less often.
    saved = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        return _check_run(args, cwd, paths, fmt, to_tty, replay)
    finally:
        gc.set_threshold(*saved)


def _check_run(
    args: argparse.Namespace, cwd: Path, paths: list[str], fmt: str, to_tty: bool, replay: Replay | None
) -> int:
    config = _load_config(args, cwd)
    stdin_text = None
    if paths == ["-"]:
        stdin_text = sys.stdin.buffer.read()
    elif "-" in paths:
        raise UsageError('"-" (stdin) cannot be combined with other paths')
    if fmt not in _available_formats():
        raise UsageError(f"output format {fmt!r} is not available in this build")
    extra_outputs = [_output_spec(spec) for spec in args.output_format]
    baseline_file = args.baseline or config.baseline_path()
    if baseline_file:
        replay = None  # the baseline file's content is not part of the replay key
    if replay is not None:
        replay.before_run(config.exclude, config.respect_gitignore)
    gated = bool(args.diff or baseline_file or args.write_baseline)
    bar = None
    if fmt == "text" and to_tty and not args.no_progress and not args.quiet and stdin_text is None:
        bar = _Progress()
    try:
        result = _execute(args, cwd, paths, config, stdin_text, replay, bar, baseline_file if gated else None)
    finally:
        if bar is not None:
            bar.close()
    # judged after the run, which imports every rule while its workers parse; an unknown
    # selector still fails the command (exit code 2) before anything is reported
    _validate_selectors([*(args.select or []), *args.ignore, *config.select, *config.ignore], config)
    if args.diff_fixes:
        return _diff_fixes(args, cwd, result)
    if args.fix:
        result = _fix(args, cwd, paths, config, result, baseline_file if gated else None)
    writes = _render(args, result, fmt, to_tty, cwd, extra_outputs, gated=gated)
    _perform(writes)
    code = _exit_code(args, args.fail_on or config.fail_on, result)
    from aiinfralint.pipeline.parallel import cut_short  # lazy: loaded by the run already, not by a replay

    # a file that timed out or crashed its worker may parse on an idle machine: not replayed
    if replay is not None and not cut_short(result.files):
        replay.store(config.exclude, config.respect_gitignore, writes, code)
    return code


def _execute(
    args: argparse.Namespace,
    cwd: Path,
    paths: list[str],
    config: Config,
    stdin_text: bytes | None,
    replay: Replay | None,
    bar: _Progress | None,
    baseline_file: str | None,
) -> RunResult:
    """The engine run, with the gate (--diff, baselines) when one is asked for."""
    # lazy: the engine, model and rules (~170 ms), which a replayed check never loads
    from aiinfralint.pipeline.engine import RunOptions, run

    inputs = replay.inputs if replay is not None else None
    options = RunOptions(
        paths=paths,
        config=config,
        select=args.select,
        ignore=args.ignore,
        stdin_text=stdin_text,
        stdin_filename=args.stdin_filename or "stdin.yaml",
        cwd=cwd,
        jobs=args.jobs,
        use_cache=not args.no_cache,
        progress=bar.update if bar is not None else None,
        discovery=inputs.discovery if inputs is not None else None,
        contents=inputs.contents if inputs is not None else None,
    )
    if not (args.diff or baseline_file or args.write_baseline):
        return run(options)
    # lazy: the gate (~18 ms more); a plain check never loads it, which reporters rely on
    from aiinfralint.pipeline.diffmode import run_gate

    return run_gate(
        options, diff_base=args.diff, baseline=baseline_file, write_baseline=args.write_baseline, fail_on=args.fail_on
    )


def _diff_fixes(args: argparse.Namespace, cwd: Path, result: RunResult) -> int:
    """--diff-fixes: the fixes as unified diffs on stdout, nothing written; 1 when there is one."""
    from aiinfralint.pipeline.fix import apply_fixes  # lazy: ruamel.yaml (~30 ms), only for the fix options

    applied = apply_fixes(result.findings, result.fix_digests, cwd, unsafe=args.unsafe_fixes, write=False)
    _report_refused(applied.refused)
    _perform([("-", "".join(applied.diffs))] if applied.diffs else [])
    sys.stderr.write(f"{applied.fixed} fixable\n" if applied.fixed else "nothing to fix\n")
    return 1 if applied.fixed else 0


def _fix(
    args: argparse.Namespace, cwd: Path, paths: list[str], config: Config, result: RunResult, baseline: str | None
) -> RunResult:
    """--fix: apply the fixes and check again, until no fix applies (a fix may bring a finding another
    fix repairs, or one left out by an overlap), so the report shows what remains."""
    from aiinfralint.pipeline.fix import apply_fixes, chosen  # lazy: ruamel.yaml (~30 ms), as above

    fixed = 0
    refused: dict[tuple[str, str], None] = {}
    for _ in range(FIX_ROUNDS):
        applied = apply_fixes(result.findings, result.fix_digests, cwd, unsafe=args.unsafe_fixes, write=True)
        refused.update(dict.fromkeys(applied.refused))
        if not applied.written:
            break
        fixed += applied.fixed
        result = _execute(args, cwd, paths, config, None, None, None, baseline)
    _report_refused(list(refused))
    result.fixes_applied = fixed
    if not args.unsafe_fixes:
        result.unsafe_fixes_available = len(chosen(result.findings, True)) - len(chosen(result.findings, False))
    return result


def _report_refused(refused: Sequence[tuple[str, str]]) -> None:
    for path, why in refused:
        sys.stderr.write(f"aiinfralint: not fixed: {path}: {why}\n")


def _render(
    args: argparse.Namespace,
    result: RunResult,
    fmt: str,
    to_tty: bool,
    cwd: Path,
    extra_outputs: Sequence[tuple[str, str]],
    *,
    gated: bool,
) -> list[tuple[str, str]]:
    """(target, text) of every report: the --output-format ones, then the main one."""
    from aiinfralint.report.base import ReportOptions  # lazy: the model (~90 ms) a replayed check never loads

    reporter = get_reporter(fmt)
    if args.statistics:
        from aiinfralint.report import statistics  # lazy: only --statistics prints this table

        reporter = statistics.render
    color, width, _, _ = _presentation(args, to_tty)
    ropts = ReportOptions(
        color=color,
        width=width,
        cwd=cwd,
        show_skipped=args.show_skipped,
        quiet=args.quiet,
        show_assumptions=args.show_assumptions,
    )
    text = reporter(result, ropts)
    if fmt == "text" and gated:
        from aiinfralint.report.escape import printable_lines  # lazy: hashlib, ~5 ms that --version never needs
        from aiinfralint.report.gate import text_summary  # lazy: only a gated text report appends it

        text += printable_lines(text_summary(result))
    writes = [(path, get_reporter(extra)(result, replace(ropts, color=False))) for extra, path in extra_outputs]
    return [*writes, (args.output or "-", text)]


def _exit_code(args: argparse.Namespace, fail_on: str, result: RunResult) -> int:
    """1 if a finding reaches fail-on, or a --diff's configuration change switches checks off."""
    from aiinfralint.model.finding import Severity  # lazy: the model (~90 ms) a replayed check never loads

    code = 0
    if fail_on != "never":
        threshold = Severity(fail_on).rank
        code = 1 if any(f.severity.rank >= threshold for f in result.findings) else 0
    if args.diff and code == 0:
        from aiinfralint.report.gate import gate_switched_off  # lazy: only --diff asks

        code = 1 if gate_switched_off(result) else 0  # the change switches checks off: see the summary
    return code


def _presentation(args: argparse.Namespace, to_tty: bool) -> tuple[bool, int | None, bool, bool]:
    """What the text formats also depend on: colour, width, assumptions shown, statistics instead."""
    # lazy: unicodedata, ~1.5 ms that --version (36 ms in the benchmark) never needs
    from aiinfralint.report.ansi import color_enabled

    if args.statistics and (args.format or "text") not in ("text", "concise"):
        raise UsageError("--statistics prints a table: use it with --format text or concise")
    width = shutil.get_terminal_size().columns if to_tty else None
    return color_enabled(args.color, to_tty, os.environ), width, args.show_assumptions, args.statistics


def _perform(writes: Sequence[tuple[str, str]]) -> None:
    from aiinfralint.cache.replay import perform  # lazy: ~28 ms that rules, explain and schema never need

    try:
        perform(writes)
    except BrokenPipeError:
        raise
    except OSError as exc:  # the file's own reason: "it is a symbolic link", "Permission denied"
        raise UsageError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None


def _output_spec(spec: str) -> tuple[str, str]:
    fmt, sep, path = spec.partition(":")
    if not sep or not path:
        raise UsageError(f"--output-format {spec!r}: expected FORMAT:PATH, e.g. sarif:results.sarif")
    if fmt not in _available_formats():
        known = _available_formats()
        hint = _did_you_mean(fmt, known) or f" (one of {', '.join(known)})"
        raise UsageError(f"--output-format {spec!r}: unknown format {fmt!r}{hint}")
    return fmt, path


def _available_formats() -> tuple[str, ...]:
    return tuple(REPORTERS)


class _Progress:
    """A progress bar on stderr for long runs on a terminal."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        if total < 200:
            return
        if self._bar is None:
            from rich.progress import Progress  # lazy: ~28 ms, only a terminal run of 200+ files shows it

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task("checking", total=total)
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def cmd_rules(args: argparse.Namespace) -> int:
    from aiinfralint.rules.registry import all_rules  # lazy: the rules (~130 ms) --version never loads

    rules = all_rules()
    if args.format == "json":
        import json  # lazy: ~1.5 ms that --version and the rules table never need

        data = [
            {"code": r.code, "slug": r.slug, "severity": r.severity.value, "inputs": r.inputs, "summary": r.title()}
            for r in rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    from rich.console import Console  # lazy: ~20 ms that `rules --format json` never needs
    from rich.table import Table  # lazy: ~16 ms, likewise

    table = Table(show_header=True, header_style="bold")
    for col in ("code", "slug", "severity", "inputs", "summary"):
        table.add_column(col)
    for r in rules:
        table.add_row(r.code, r.slug, r.severity.value, r.inputs, r.title())
    Console(width=160 if not sys.stdout.isatty() else None).print(table)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from aiinfralint.docs import render_rule, render_terminal  # lazy: the rules (~130 ms) --version never loads
    from aiinfralint.report.ansi import color_enabled  # lazy: likewise
    from aiinfralint.rules.registry import all_rules, find_rule  # lazy: likewise

    rule = find_rule(args.rule)
    if rule is None:
        names = [n for r in all_rules() for n in (r.code, r.slug)]
        raise UsageError(f"unknown rule {args.rule!r}{_did_you_mean(args.rule, names) or ' (see `aiinfralint rules`)'}")
    page = render_rule(rule)
    if color_enabled(args.color, sys.stdout.isatty(), os.environ):
        page = render_terminal(page, shutil.get_terminal_size().columns)
    sys.stdout.write(page)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from aiinfralint import schema  # lazy: pydantic and the model (~55 ms) only this command needs

    kind = None
    if args.kind:
        kind = schema.resolve_kind(args.kind)
        if kind is None:
            raise UsageError(f"unknown kind {args.kind!r} (known: {', '.join(schema.kind_names())})")
    sys.stdout.write(schema.render(kind))
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    from aiinfralint.estimate import inventory  # lazy: the estimates (~175 ms) only cost and a check load
    from aiinfralint.pipeline.engine import InternalError, RunOptions, run  # lazy: likewise
    from aiinfralint.report.base import ReportOptions  # lazy: likewise

    cwd = Path.cwd()
    config = _load_config(args, cwd)
    paths = args.paths or ["."]
    if "-" in paths:
        raise UsageError('cost reads files and directories; "-" (stdin) is not supported')
    _check_paths(paths, cwd)
    # parse only: AIL000 keeps the run from evaluating any other rule
    result = run(RunOptions(paths=paths, config=config, select=["AIL000"], cwd=cwd, use_cache=not args.no_cache))
    try:
        inv = inventory.build(result.project, config)
    except Exception as exc:
        raise InternalError("the cost inventory", exc) from exc
    to_tty = args.output is None and sys.stdout.isatty()
    ropts = ReportOptions(color=to_tty and os.environ.get("NO_COLOR") is None, cwd=cwd)
    text = importlib.import_module(f"aiinfralint.report.cost_{args.format}").render(inv, result, ropts)
    _perform([(args.output or "-", text)])
    return 0


COMMANDS = {"check": cmd_check, "rules": cmd_rules, "explain": cmd_explain, "cost": cmd_cost, "schema": cmd_schema}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the message
        return int(exc.code) if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError) as exc:
        sys.stderr.write(f"aiinfralint: error: {exc}\n")
        return 2
    except BrokenPipeError:  # the reader went away (`aiinfralint check | head`)
        return 0
    except Exception as exc:
        internal = sys.modules.get("aiinfralint.pipeline.engine")
        if internal is None or not isinstance(exc, internal.InternalError):
            raise
        sys.stderr.write(f"aiinfralint: error: {exc}\n")  # a rule crashed: no report, never a pass
        return 2
    except KeyboardInterrupt:  # SIGINT: every `finally` ran (temporary trees, workers)
        sys.stderr.write("aiinfralint: interrupted\n")
        return 130
    except Terminated:  # SIGTERM, likewise
        sys.stderr.write("aiinfralint: terminated\n")
        return 143


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread, so cleanup runs as for Ctrl-C (exit 143)."""


def _on_signal(signum: int, frame: object) -> None:
    # once: a second signal must not interrupt the cleanup the first one started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signum == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt


def entrypoint() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    # the report is written and every worker has exited: skip the interpreter's teardown,
    # which spends tens of milliseconds freeing the model of a large project one object at
    # a time
    os._exit(code)
