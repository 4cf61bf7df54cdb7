"""One line per finding, ``path:line:col: CODE message``, then a count (for grep, editors, CI logs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiinfralint.report.ansi import Styler
from aiinfralint.report.escape import printable

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.report.base import ReportOptions

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold cyan"}


def count_line(n: int) -> str:
    if n == 0:
        return "No findings."
    return f"Found {n:,} finding{'s' if n != 1 else ''}."


def render(result: RunResult, options: ReportOptions) -> str:
    s = Styler(options.color)
    lines = [
        f"{s(f'{printable(f.span.path)}:{f.span.line}:{f.span.column}:', 'bold')} "
        f"{s(f.code, _STYLE[f.severity.value])} {printable(f.message)}"
        for f in result.findings
    ]
    if not options.quiet:
        lines.append(count_line(len(result.findings)))
    return "\n".join(lines) + "\n" if lines else ""
