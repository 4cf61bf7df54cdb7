"""`--fix`: attach each finding's repair, then apply the chosen ones to the files.

Attaching runs in every check (reporters show fixes): for each finding whose rule has a fixer,
the fixer reads the file's text, kept by the engine until the findings are known. Applying
groups the fixes by file and, for each file: refuses a file whose bytes changed since it was
read, one reached through a symbolic link, or one that would no longer parse; drops an edit
that overlaps one already taken (the first finding wins, the rest stay reported); and writes
through a temporary file renamed over the original in the same directory, keeping its mode.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiinfralint.config import Config
from aiinfralint.fixes import yamledit
from aiinfralint.fixes.base import FixContext
from aiinfralint.fixes.registry import fixer_for
from aiinfralint.model.finding import Finding, TextEdit
from aiinfralint.parsers.files import parse_bytes
from aiinfralint.parsers.pysource import parse_quietly
from aiinfralint.pipeline.read import FileResult
from aiinfralint.rules.registry import find_rule

STREAMING_RULE = "AIL205"


def context(config: Config) -> FixContext:
    """The values fixers write, resolved from the configuration."""
    timeout = config.fix.streaming_timeout
    if timeout is None:
        rule = find_rule(STREAMING_RULE)
        options = config.options_for(rule) if rule is not None else None
        timeout = float(getattr(options, "min_timeout_seconds", 300))
    return FixContext(config=config, streaming_timeout=timeout, scratch_size_limit=config.fix.scratch_size_limit)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def attach_fixes(findings: list[Finding], results: Sequence[FileResult], config: Config) -> dict[str, str]:
    """Give each fixable finding its `fix` (in place); the digest of each file a fix edits, by path."""
    texts = {fr.path: fr.text for fr in results if fr.text is not None}
    ctx: FixContext | None = None
    digests: dict[str, str] = {}
    for i, f in enumerate(findings):
        fixer = fixer_for(f.code)
        text = texts.get(f.span.path)
        if fixer is None or text is None or f.fix is not None:
            continue
        ctx = ctx or context(config)
        fix = fixer(f, text, ctx)
        if fix is None or not fix.edits:
            continue
        findings[i] = f.model_copy(update={"fix": fix})
        digests.setdefault(f.span.path, digest(text))
    return digests


@dataclass
class Applied:
    """What applying fixes did: findings fixed, files written, and files left alone with why."""

    fixed: int = 0
    written: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)


def chosen(findings: Iterable[Finding], unsafe: bool) -> list[Finding]:
    """The findings whose fix this run applies (safe ones, and unsafe ones with --unsafe-fixes)."""
    return [f for f in findings if f.fix is not None and (unsafe or f.fix.safety == "safe")]


def apply_fixes(
    findings: Sequence[Finding], digests: dict[str, str], cwd: Path, *, unsafe: bool, write: bool
) -> Applied:
    """Apply the chosen fixes file by file; with `write` False only collect unified diffs."""
    by_path: dict[str, list[Finding]] = {}
    for f in chosen(findings, unsafe):
        by_path.setdefault(f.span.path, []).append(f)
    out = Applied()
    for path in sorted(by_path):
        _apply_file(cwd / path, path, by_path[path], digests.get(path), out, write)
    return out


def _apply_file(target: Path, path: str, findings: list[Finding], want: str | None, out: Applied, write: bool) -> None:
    text, why = _current(target, want)
    if text is None:
        out.refused.append((path, why))
        return
    edits: list[TextEdit] = []
    fixed = 0
    for f in findings:
        assert f.fix is not None
        if not _overlaps(edits, f.fix.edits):
            edits.extend(f.fix.edits)
            fixed += 1
    new = apply_edits(text, edits)
    if new is None or new == text:
        out.refused.append((path, "the fixes do not apply to the file as read"))
        return
    if not parses(path, new):
        out.refused.append((path, "the fixed file would not parse"))
        return
    if write:
        try:
            write_atomic(target, new)
        except OSError as exc:
            out.refused.append((path, f"cannot write: {exc.strerror or exc}"))
            return
        out.written.append(path)
    else:
        out.diffs.append(unified_diff(path, text, new))
    out.fixed += fixed


def _current(target: Path, want: str | None) -> tuple[str | None, str]:
    """The file's text now, or None and why it is left alone."""
    if want is None:
        return None, "not read as a file this run"
    if target.is_symlink():
        return None, "it is a symbolic link"
    try:
        text = target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read it: {exc}"
    if digest(text) != want:
        return None, "it changed since it was checked"
    if not parses(str(target), text):
        return None, "it does not parse"
    return text, ""


def parses(path: str, text: str) -> bool:
    """Whether the file's text still parses: Python with `ast`, YAML/JSON with the YAML composer,
    anything else (prompt templates) with the reader that checks it (no parse problem)."""
    if path.endswith(".py"):
        try:
            parse_quietly(text)
        except (SyntaxError, ValueError):
            return False
        return True
    if path.endswith((".yaml", ".yml", ".json")):
        return yamledit.parses(text)
    return not parse_bytes(path, text.encode("utf-8")).problems


def _span(e: TextEdit) -> tuple[tuple[int, int], tuple[int, int]]:
    return (e.start_line, e.start_column), (e.end_line, e.end_column)


def _overlaps(taken: Sequence[TextEdit], new: Sequence[TextEdit]) -> bool:
    """Whether an edit of `new` overlaps one taken (two insertions at one point overlap too)."""
    for a in new:
        (a0, a1) = _span(a)
        for b in taken:
            (b0, b1) = _span(b)
            if (a0 < b1 and b0 < a1) or a0 == b0:
                return True
    return False


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str | None:
    """`text` with the edits made (positions of the original text), or None if one is out of range."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def offset(line: int, column: int) -> int | None:
        if not 1 <= line <= len(starts):
            return None
        end = starts[line] - 1 if line < len(starts) else len(text)
        pos = starts[line - 1] + column - 1
        return pos if starts[line - 1] <= pos <= end else None

    spans: list[tuple[int, int, str]] = []
    for e in edits:
        a, b = offset(e.start_line, e.start_column), offset(e.end_line, e.end_column)
        if a is None or b is None or b < a:
            return None
        spans.append((a, b, e.text))
    for a, b, new in sorted(spans, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def write_atomic(target: Path, text: str) -> None:
    """Write `text` to `target` via a temporary file in its directory, renamed over it; mode kept."""
    mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".fix", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def unified_diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), fromfile=f"a/{path}", tofile=f"b/{path}")
    )
