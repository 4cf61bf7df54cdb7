#!/usr/bin/env python3
"""How long the text report takes to render 1,000 findings.

    python bench/text_report.py                          # this checkout's renderer
    python bench/text_report.py --before OLD_TEXT.py     # and another text.py, interleaved

The findings are demo-platform's, repeated to 1,000 (source lines, impacts, assumptions and
fix hints as a real run has them). Each round renders once with each renderer, in turn, piped
(no colour, 100 columns), on a colour terminal and with the assumptions shown (which the
earlier renderer always printed); the median of the rounds is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from aiinfralint.pipeline.engine import RunOptions, RunResult, run
from aiinfralint.report import text
from aiinfralint.report.base import ReportOptions

ROOT = Path(__file__).resolve().parent.parent
Render = Callable[[RunResult, ReportOptions], str]


def thousand_findings() -> RunResult:
    result = run(RunOptions(paths=["demo-platform"], cwd=ROOT, use_cache=False, jobs=1))
    findings = []
    while len(findings) < 1000:
        for f in result.findings:
            imp = f.impact
            if imp is not None:  # reasons as plain strings, which any renderer prints
                imp = imp.model_copy(update={"unpriced": tuple(str(u) for u in imp.unpriced)})
            findings.append(f.model_copy(update={"impact": imp}))
    return replace(result, findings=findings[:1000])


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("text_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time(render: Render, result: RunResult, options: ReportOptions) -> float:
    start = time.perf_counter()
    render(result, options)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="another text.py to compare with")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    result = thousand_findings()
    renderers: dict[str, Render] = {"now": text.render}
    if args.before:
        renderers = {"before": _load(args.before).render, **renderers}
    for label, options in (
        ("piped", ReportOptions(cwd=ROOT)),
        ("colour", ReportOptions(cwd=ROOT, color=True, width=120)),
        ("piped, assumptions shown", ReportOptions(cwd=ROOT, show_assumptions=True)),
    ):
        times: dict[str, list[float]] = {name: [] for name in renderers}
        for name, render in renderers.items():
            render(result, options)  # warm-up: imports, caches
        for _ in range(args.rounds):
            for name, render in renderers.items():
                times[name].append(_time(render, result, options))
        shown = ", ".join(f"{name} {statistics.median(t) * 1000:.1f} ms" for name, t in times.items())
        print(f"1,000 findings, {label}: median of {args.rounds} rounds: {shown}")


if __name__ == "__main__":
    main()
