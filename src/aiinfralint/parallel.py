"""Parsing many files: sequential for now; the pool and cache live here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiinfralint.discovery import Candidate
    from aiinfralint.engine import FileResult, RunOptions


def parse_all(candidates: Sequence[Candidate], options: RunOptions) -> list[FileResult]:
    from aiinfralint.engine import read_and_parse

    results = []
    total = len(candidates)
    for i, c in enumerate(candidates, start=1):
        results.append(read_and_parse(str(c.path), c.display))
        if options.progress is not None:
            options.progress(i, total)
    return results
