"""Inline `expect` markers in fixtures, compared with what the engine reports.

A fixture case is a directory `fixtures/<family>/<case>/` checked as one project
(so cross-file rules see all its files). In any file, a comment containing
`expect: AIL201` (several: `expect: AIL201, AIL202`) on line L means exactly one
finding of that code at line L. Files that cannot hold comments (JSON) use a
sidecar `<file>.expect` with lines `LINE CODE`. A `.aiinfralint.toml` in the case
directory is used as its configuration.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from aiinfralint.config import Config, load_file
from aiinfralint.pipeline.engine import RunOptions, run

_MARK = re.compile(r"expect:\s*((?:AIL\d{3}[\s,]*)+)")


def expected_markers(case: Path) -> Counter[tuple[str, int, str]]:
    want: Counter[tuple[str, int, str]] = Counter()
    for p in sorted(case.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(case).as_posix()
        if p.suffix == ".expect":
            target = rel[: -len(".expect")]
            for line in p.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 2:
                    want[(target, int(parts[0]), parts[1])] += 1
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.splitlines(), start=1):
            m = _MARK.search(line)
            if m:
                for code in re.findall(r"AIL\d{3}", m.group(1)):
                    want[(rel, n, code)] += 1
    return want


def actual_findings(case: Path) -> Counter[tuple[str, int, str]]:
    cfg_path = case / ".aiinfralint.toml"
    config = load_file(cfg_path) if cfg_path.exists() else Config()
    result = run(RunOptions(paths=["."], config=config, cwd=case, use_cache=False, jobs=1))
    return Counter((f.span.path, f.span.line, f.code) for f in result.findings)


def fixture_cases(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for fam in root.iterdir() if fam.is_dir() for p in fam.iterdir() if p.is_dir())
