#!/usr/bin/env python3
"""Python checking time against the standard library's `ast.parse` on the same files.

    python bench/python_ratio.py                       # the Python files of ../shared/corpus
    python bench/python_ratio.py path/to/tree --runs 5

Copies only the `.py` files of a tree into ``$TMPDIR/aiinfralint-bench/python-<name>/`` (so
nothing else in the tree is timed), then prints: the number of files, the median time of
`ast.parse` over all of them (text already read, one process), the median wall clock of
``aiinfralint check <copy> --no-cache --fail-on never --format json`` (a whole run: start-up,
discovery, reading, every rule, the report), and the ratio of the two. One untimed run of each
comes first, with bytecode caching on, as on a developer machine.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = Path(os.environ.get("AIINFRALINT_BENCH_DIR") or Path(tempfile.gettempdir()) / "aiinfralint-bench")
DEFAULT_TREE = REPO.parent / "shared" / "corpus"


def copy_python(tree: Path) -> Path:
    """A fresh copy of the tree's `.py` files (paths kept), outside any repository."""
    dest = WORK / f"python-{tree.name}"
    if dest.exists():
        shutil.rmtree(dest)
    for src in sorted(tree.rglob("*.py")):
        if src.is_file() and not src.is_symlink():
            target = dest / src.relative_to(tree)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    return dest


def parse_all(texts: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for text in texts:
            try:
                ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # untimed warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio(tree: Path, runs: int, jobs: int | None) -> dict[str, float]:
    copy = copy_python(tree)
    files = sorted(copy.rglob("*.py"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    parse_s = median_time(lambda: parse_all(texts), runs)
    cmd = [sys.executable, "-m", "aiinfralint", "check", str(copy), "--no-cache", "--fail-on", "never"]
    cmd += ["--format", "json"] + (["--jobs", str(jobs)] if jobs else [])
    env = dict(os.environ, NO_COLOR="1", PYTHONPYCACHEPREFIX=str(HERE / "out" / "pycache"))
    env.pop("AIINFRALINT_NO_CACHE", None)

    def check() -> None:
        subprocess.run(cmd, cwd=copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    check_s = median_time(check, runs)
    return {"files": len(files), "ast_parse_s": parse_s, "check_s": check_s, "ratio": check_s / parse_s}


def report(name: str, r: dict[str, float]) -> str:
    return (
        f"{name}: {int(r['files'])} .py files; ast.parse {r['ast_parse_s']:.2f} s; "
        f"aiinfralint check {r['check_s']:.2f} s; ratio {r['ratio']:.2f}x"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tree", nargs="?", default=str(DEFAULT_TREE), help="a tree holding Python files")
    p.add_argument("--runs", type=int, default=5, help="timed runs per measurement; the median is reported")
    p.add_argument("--jobs", type=int, default=None, help="pass --jobs to aiinfralint (default: all cores)")
    args = p.parse_args(argv)
    tree = Path(args.tree)
    if not tree.is_dir():
        print(f"{tree}: not a directory", file=sys.stderr)
        return 2
    print(report(tree.name, ratio(tree, args.runs, args.jobs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
