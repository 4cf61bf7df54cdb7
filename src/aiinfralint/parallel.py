"""Parsing many files: the parse cache first, then a process pool for what is left.

Only parsing is spread over processes; the rules run once, in the parent, on the merged
model of every file, so cross-file rules see the whole project. Results come back in the
order of the (sorted) candidates whatever order the workers finish in, so output is
deterministic and ``--jobs 1`` and ``--jobs N`` give the same report.

Small runs stay in one process: starting workers costs more than parsing a handful of
files (see ``docs/benchmark.md`` for the measurement behind ``MIN_FILES_PER_WORKER``).
A worker that dies (a crash in a C extension, the OOM killer) never takes the run down:
its files are retried one by one, and a file that kills its worker again becomes a
parse-error finding.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from aiinfralint.fileio import read_bytes

if TYPE_CHECKING:
    from aiinfralint.cache import ParseCache
    from aiinfralint.discovery import Candidate
    from aiinfralint.engine import FileResult, RunOptions

# fewer files than this per worker and one process is faster: results come back pickled,
# which costs about a third of parsing them. Measured on 2 idle cores, parse only, median
# of 5 (cache off): 100 synthetic manifests 39 ms alone vs 48 ms with two workers, 500
# files 192 vs 174 ms, 2,000 files 0.86 vs 0.66 s, the 1,533-file corpus 1.25 vs 0.75 s
MIN_FILES_PER_WORKER = 100
MAX_CHUNK = 128

Item = tuple[int, str, str]  # (index in candidates, absolute path, display path)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _skipped(display: str, reason: str) -> FileResult:
    from aiinfralint.engine import FileResult
    from aiinfralint.parsers.base import ParseOutput

    return FileResult(display, ParseOutput(skipped=reason))


def _crashed(display: str) -> FileResult:
    from aiinfralint.engine import FileResult
    from aiinfralint.parsers.base import ParseOutput, ParseProblem

    problem = ParseProblem("the parser process crashed on this file; it was not checked")
    return FileResult(display, ParseOutput(problems=[problem], claimed=True))


def parse_one(path: str, display: str, with_key: bool) -> tuple[str | None, FileResult]:
    """Read and parse one file; with its cache key (of the very bytes parsed) if asked."""
    from aiinfralint.engine import parse_data

    data, reason = read_bytes(path)
    if data is None:
        assert reason is not None
        return None, _skipped(display, reason)
    key = None
    if with_key:
        from aiinfralint.cache import entry_key

        key = entry_key(display, data)
    return key, parse_data(display, data)


def _parse_chunk(items: Sequence[Item], with_key: bool) -> list[tuple[int, str | None, FileResult]]:
    return [(i, *parse_one(path, display, with_key)) for i, path, display in items]


def parse_all(
    candidates: Sequence[Candidate], options: RunOptions, while_waiting: Callable[[], None] | None = None
) -> list[FileResult]:
    """Parse every candidate; `while_waiting` runs in this process while pool workers parse."""
    from aiinfralint.cache import ParseCache

    total = len(candidates)
    done = 0
    results: list[FileResult | None] = [None] * total
    progress = options.progress

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    cache = ParseCache.open(options.config, options.cwd, options.use_cache)
    todo: list[Item] = []
    for i, c in enumerate(candidates):
        if cache is None:
            todo.append((i, str(c.path), c.display))
            continue
        data, reason = read_bytes(str(c.path))
        if data is None:
            assert reason is not None
            results[i] = _skipped(c.display, reason)
            tick()
            continue
        hit = cache.get(cache.key(c.display, data))
        if hit is not None:
            results[i] = hit
            tick()
        else:
            todo.append((i, str(c.path), c.display))

    jobs = options.jobs if options.jobs and options.jobs > 0 else default_jobs()
    workers = min(jobs, len(todo) // MIN_FILES_PER_WORKER)
    with_key = cache is not None
    if workers >= 2:
        parsed = _parse_in_pool(todo, workers, with_key, tick, while_waiting)
    else:
        parsed = []
        for item in todo:
            parsed.extend(_parse_chunk([item], with_key))
            tick()
    for i, key, fr in parsed:
        results[i] = fr
        if cache is not None and key is not None:
            cache.put(key, fr)
    out = [fr if fr is not None else _crashed(candidates[i].display) for i, fr in enumerate(results)]
    return out


def _pool_context():  # type: ignore[no-untyped-def]
    import multiprocessing
    import threading

    # fork shares the already imported parsers with the workers at no cost; it is only
    # safe on Linux and while this process has no other threads (a progress bar has one)
    if sys.platform == "linux":
        return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
    return multiprocessing.get_context()


def _parse_in_pool(
    todo: list[Item],
    workers: int,
    with_key: bool,
    tick: Callable[[int], None],
    while_waiting: Callable[[], None] | None = None,
) -> list[tuple[int, str | None, FileResult]]:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from aiinfralint.parsers.registry import preload_common

    from aiinfralint.parsers.yamlload import preload

    # import the common parsers and the YAML library once here, so forked workers inherit
    # them instead of each importing them (PyYAML alone takes ~40 ms to import); the rarer
    # handlers load in a worker only when one of its files needs them
    preload_common()
    preload()
    if with_key:
        from aiinfralint.cache import parser_fingerprint

        parser_fingerprint()

    # about four chunks per worker balances uneven files without drowning in messages
    size = max(1, min(MAX_CHUNK, -(-len(todo) // (workers * 4))))
    chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
    parsed: list[tuple[int, str | None, FileResult]] = []
    failed: list[Item] = []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            futures = {pool.submit(_parse_chunk, chunk, with_key): chunk for chunk in chunks}
            if while_waiting is not None:
                try:
                    while_waiting()
                except Exception:  # only a head start: whatever failed runs again later
                    pass
            for fut in as_completed(futures):
                try:
                    got = fut.result()
                except BrokenProcessPool:
                    failed.extend(futures[fut])
                    continue
                parsed.extend(got)
                tick(len(got))
    except (OSError, RuntimeError):
        # no processes on this system (a sandbox without /dev/shm, fork limits): one process
        seen = {i for i, _, _ in parsed}
        for item in todo:
            if item[0] not in seen:
                parsed.extend(_parse_chunk([item], with_key))
                tick(1)
        return parsed
    except BrokenProcessPool:
        seen = {i for i, _, _ in parsed}
        failed = [item for item in todo if item[0] not in seen and item not in failed]
    if failed:
        parsed.extend(_retry_alone(sorted(failed), with_key, tick))
    return parsed


def _retry_alone(
    items: list[Item], with_key: bool, tick: Callable[[int], None]
) -> list[tuple[int, str | None, FileResult]]:
    """Parse each file in a process of its own, so one that crashes takes only itself down."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    out: list[tuple[int, str | None, FileResult]] = []
    for item in items:
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=_pool_context()) as pool:
                out.extend(pool.submit(_parse_chunk, [item], with_key).result())
        except BrokenProcessPool:
            out.append((item[0], None, _crashed(item[2])))
        except (OSError, RuntimeError):
            out.extend(_parse_chunk([item], with_key))
        tick(1)
    return out
