"""Reporters: one module per output format, listed explicitly."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiinfralint.pipeline.engine import RunResult
    from aiinfralint.report.base import ReportOptions

REPORTERS: dict[str, str] = {
    "text": "aiinfralint.report.text",
    "concise": "aiinfralint.report.concise",
    "json": "aiinfralint.report.json_report",
    "sarif": "aiinfralint.report.sarif",
    "github": "aiinfralint.report.github",
    "markdown": "aiinfralint.report.markdown",
}


def get_reporter(name: str) -> Callable[[RunResult, ReportOptions], str]:
    module = importlib.import_module(REPORTERS[name])
    return module.render  # type: ignore[no-any-return]
