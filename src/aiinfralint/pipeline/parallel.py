"""Parsing many files: the parse cache first, then worker processes with a time limit per file.

Every parse runs in a worker process, never in the process that writes the report, so one
hostile file can only ever cost itself: a file whose parse takes longer than the time limit
(``parse-timeout``, default 10 s) or crashes the interpreter (a segfault in a C extension,
the OOM killer) becomes an ``AIL000`` finding for that file, and the run goes on.

How (`_Supervisor`): the workers are forked from this process after the common parsers are
imported, so they start with them loaded (a fork costs about a millisecond; see
``docs/benchmark.md``). Each worker gets a range of the files to parse over a pipe and
sends back, over another pipe, one pickled result per file, in order; so the parent always
knows which file a worker is on and since when. The limit is processor time: the worker
arms ``ITIMER_PROF`` before each file, and SIGPROF's default action ends it (a regular
expression stuck in C code included), so a busy CI runner does not turn a slow file into a
finding; the parent reads the cause from the wait status. A worker that gets no processor
time at all is killed (SIGKILL) after ``WALL_FACTOR`` times the limit of wall-clock time.
Either way that file is reported; a worker whose pipe closes otherwise died on its current
file. In both cases a new worker is forked for the rest of its range. A file
whose worker crashed is tried once more in a fresh worker before it is reported, so a
worker killed for reasons of its own (memory pressure) costs nothing. The pickles come only
from our own child, over a pipe nobody else holds.

Workers never outlive the run: on Linux each asks the kernel for SIGKILL when its parent
dies (``PR_SET_PDEATHSIG``) and checks that its parent is still the process that forked it;
everywhere a worker exits when its command pipe closes, and the parent kills and reaps every
worker when the parse ends, however it ends (a signal, an exception). Workers ignore SIGINT
(the parent decides) and die on SIGTERM.

The rules run once, in the parent, on the merged model of every file, so cross-file rules
see the whole project; while workers parse, the parent imports the rules (`while_waiting`).
Results come back in the order of the (sorted) candidates whatever order the workers finish
in, so output is deterministic and ``--jobs 1`` and ``--jobs N`` give the same report.

Where ``fork`` is not available or not safe (anything but Linux: macOS and Windows start
processes by spawning a new interpreter, which costs more than parsing a small project)
and where processes cannot be created at all (a sandbox without fork), files are parsed in
this process: the same results, but without the per-file time limit.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import struct
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiinfralint import fileio
from aiinfralint.cache.parse import ParseCache
from aiinfralint.config import Config
from aiinfralint.configfile import ConfigError
from aiinfralint.parsers.registry import preload_common
from aiinfralint.pipeline.discovery import Candidate
from aiinfralint.pipeline.read import FileResult, parse_data, problem_result, read_and_parse, unreadable
from aiinfralint.yamlsafe import preload

if sys.platform != "win32":
    import ctypes
    import fcntl

# fewer files than this per worker and fewer workers are faster: results come back pickled,
# which costs about a third of parsing them. Measured on 2 idle cores, parse only, median
# of 5 (cache off): 100 synthetic manifests 39 ms alone vs 48 ms with two workers, 500
# files 192 vs 174 ms, 2,000 files 0.86 vs 0.66 s, the 1,533-file corpus 1.25 vs 0.75 s
MIN_FILES_PER_WORKER = 100
MAX_CHUNK = 128
PIPE_BYTES = 1 << 20  # unprivileged maximum (/proc/sys/fs/pipe-max-size) by default
DEFAULT_PARSE_TIMEOUT = 10.0
MAX_PARSE_TIMEOUT = 3600.0
TIMEOUT_ENV = "AIINFRALINT_PARSE_TIMEOUT"  # overrides `parse-timeout` (seconds)
# the limit counts the worker's processor time; a worker that gets none (a starved machine,
# a blocked read) is stopped after this many times the limit of wall-clock time
WALL_FACTOR = 3

Item = tuple[int, str, str]  # (index in candidates, absolute path, display path)
Parsed = tuple[int, FileResult]  # (index in candidates, result)
Contents = Mapping[str, tuple[bytes | None, str | None]]  # path -> what was read of it, or why not


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_timeout(config: Config) -> float:
    """Seconds one file may take to parse: $AIINFRALINT_PARSE_TIMEOUT, else `parse-timeout`."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return float(config.parse_timeout)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_PARSE_TIMEOUT:  # also false for NaN
        raise ConfigError(f"{TIMEOUT_ENV}={raw!r}: expected seconds, more than 0 and at most {MAX_PARSE_TIMEOUT:g}")
    return value


def can_fork() -> bool:
    """Whether parses run in forked workers with a time limit (Linux), or in this process."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


_CRASHED = "the parser crashed on this file"
_TIMED_OUT = "parsing took longer than "


def _crashed(display: str, why: str = "") -> FileResult:
    return problem_result(display, f"{_CRASHED}{why}; not checked")


def _timed_out(display: str, seconds: float) -> FileResult:
    return problem_result(display, f"{_TIMED_OUT}{seconds:g} s; not checked")


def cut_short(results: Sequence[FileResult]) -> bool:
    """Whether a file ran out of time or crashed its worker: a run not to be replayed later
    (on an idle machine the same file may well parse)."""
    return any(p.message.startswith((_CRASHED, _TIMED_OUT)) for fr in results for p in fr.output.problems)


def parse_given(display: str, data: bytes, config: Config) -> FileResult:
    """Parse bytes that are not a file (standard input), in a worker with the same time limit."""
    timeout = parse_timeout(config)
    if not can_fork():
        return parse_data(display, data)
    parsed = _Supervisor([(0, "", display)], timeout, lambda n: None, {0: data}).run(1, None, lambda: None)
    return parsed[0][1] if parsed else _crashed(display)


def parse_one(path: str, display: str, data: bytes | None) -> FileResult:
    """Parse one file: the bytes already read for it, else read here (its only read this run)."""
    if data is None:
        return read_and_parse(path, display)
    return parse_data(display, data)


def _parse_here(
    items: Sequence[Item], given: dict[int, bytes], tick: Callable[[int], None], positions: Sequence[int] | None = None
) -> list[Parsed]:
    """Parse `items` in this process (no time limit); `given` holds bytes by position in todo."""
    out: list[Parsed] = []
    for pos, (i, path, display) in zip(positions or range(len(items)), items):
        try:
            fr = parse_one(path, display, given.get(pos))
        except RecursionError:
            fr = _crashed(display, " (RecursionError)")
        out.append((i, fr))
        tick(1)
    return out


@dataclass
class _Lookup:
    """What the parse cache answered: results by candidate index, and what is left to parse."""

    results: list[FileResult | None]
    todo: list[Item] = field(default_factory=list)
    given: dict[int, bytes] = field(default_factory=dict)  # bytes read for the key, by position in todo
    keys: dict[int, str] = field(default_factory=dict)  # cache key by candidate index
    hits: int = 0


def _look_up(candidates: Sequence[Candidate], cache: ParseCache | None, contents: Contents) -> _Lookup:
    """Answer what the cache can. A file read here for its key is handed to its parse, not read again;
    so is one the caller read already (`contents`)."""
    found = _Lookup([None] * len(candidates))
    for i, c in enumerate(candidates):
        item = (i, str(c.path), c.display)
        known = contents.get(item[1])
        if cache is None and known is None:
            found.todo.append(item)
            continue
        data, reason = known if known is not None else fileio.read_bytes(item[1])
        if data is None:
            found.results[i] = unreadable(c.display, reason or "cannot read")
            found.hits += 1
            continue
        key = cache.key(c.display, data) if cache is not None else None
        hit = cache.get(key) if cache is not None and key is not None else None
        if hit is not None:
            found.results[i] = hit
            found.hits += 1
        else:
            if key is not None:
                found.keys[i] = key
            found.given[len(found.todo)] = data
            found.todo.append(item)
    return found


def parse_all(
    candidates: Sequence[Candidate],
    config: Config,
    cwd: Path,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    contents: Contents | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> list[FileResult]:
    """Parse every candidate, each file read once; `while_waiting` runs here while workers parse."""
    total = len(candidates)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    cache = ParseCache.open(config, cwd, use_cache)
    found = _look_up(candidates, cache, contents or {})
    jobs = jobs if jobs and jobs > 0 else default_jobs()
    workers = max(1, min(jobs, len(found.todo) // MIN_FILES_PER_WORKER))
    if not found.todo:
        parsed: list[Parsed] = []
        tick(found.hits)
    elif can_fork():
        # progress (a bar runs a thread) only after the first fork
        job = _Supervisor(found.todo, parse_timeout(config), tick, found.given)
        parsed = job.run(workers, while_waiting, lambda: tick(found.hits))
    else:
        tick(found.hits)
        parsed = _parse_here(found.todo, found.given, tick)
    results = found.results
    for i, fr in parsed:
        results[i] = fr
        key = found.keys.get(i)
        if cache is not None and key is not None and not cut_short([fr]):
            cache.put(key, fr)
    return [fr if fr is not None else _crashed(candidates[i].display) for i, fr in enumerate(results)]


# --- the supervisor ------------------------------------------------------------------------


class _Worker:
    """A forked worker: its pid, its pipes, and the range of `todo` it has yet to answer."""

    __slots__ = ("buf", "cmd", "hi", "lo", "pid", "res", "since")

    def __init__(self, pid: int, cmd: int, res: int) -> None:
        self.pid = pid
        self.cmd = cmd  # parent -> worker: ranges to parse
        self.res = res  # worker -> parent: one framed pickle per file
        self.buf = bytearray()
        self.lo = 0  # the position it is parsing now (when lo < hi)
        self.hi = 0
        self.since = 0.0  # when the parent last heard of it: `lo` started no earlier

    @property
    def busy(self) -> bool:
        return self.lo < self.hi


_RANGE = "<II"
_SIGNALS = frozenset({2, 15})  # SIGINT, SIGTERM
_HEADER = "<Q"


class _Supervisor:
    def __init__(
        self,
        todo: list[Item],
        timeout: float,
        tick: Callable[[int], None],
        given: dict[int, bytes] | None = None,
    ) -> None:
        self.todo = todo
        # bytes already read, by position in todo (standard input, a file read for its cache
        # key): workers are forked after it is filled, so they parse these without reading
        self.given = given or {}
        self.timeout = timeout  # processor seconds per file, enforced in the worker
        self.wall_limit = timeout * WALL_FACTOR  # the backstop, for a worker that gets no CPU
        self.tick = tick
        self.workers: dict[int, _Worker] = {}  # by result fd
        self.pending: deque[tuple[int, int]] = deque()
        self.parsed: dict[int, Parsed] = {}  # by position in todo
        self.crashes: dict[int, int] = {}  # position -> how many workers died on it

    # parent side -------------------------------------------------------------------------

    def run(self, n: int, while_waiting: Callable[[], None] | None, after_fork: Callable[[], None]) -> list[Parsed]:
        # every worker would import them itself: do it once, before forking (PyYAML alone
        # takes ~40 ms to import). Even for one worker: this process imports most of them
        # again for the rules anyway
        preload_common()
        preload()
        # about four ranges per worker balances uneven files without drowning in messages
        size = max(1, min(MAX_CHUNK, -(-len(self.todo) // (n * 4))))
        self.pending.extend((lo, min(lo + size, len(self.todo))) for lo in range(0, len(self.todo), size))
        self.sel = selectors.DefaultSelector()
        try:
            for _ in range(n):
                if not self.pending or self._start(*self.pending.popleft()) is None:
                    break
            after_fork()
            if not self.workers:  # no processes on this system: parse here, without a limit
                return self._finish_here()
            if while_waiting is not None:
                try:
                    while_waiting()
                except Exception:  # only a head start: whatever failed runs again later
                    pass
            now = time.monotonic()
            for w in self.workers.values():
                w.since = now  # our own work must not count against a file
            self._loop()
            return [self.parsed[pos] for pos in sorted(self.parsed)]
        finally:
            self._close()

    def _start(self, lo: int, hi: int) -> _Worker | None:
        """Fork a worker for todo[lo:hi]; None (range put back) if no process can be made."""
        cmd_r = cmd_w = res_r = res_w = -1
        inherited = [fd for w in self.workers.values() for fd in (w.cmd, w.res) if fd >= 0]
        # no Python signal handler may run in the child before it has its own (the parent's
        # would raise there and unwind the parent's code: its cleanup, its report)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            try:
                cmd_r, cmd_w = os.pipe()
                res_r, res_w = os.pipe()
                parent = os.getpid()
                pid = os.fork()
            except OSError:
                for fd in (cmd_r, cmd_w, res_r, res_w):
                    if fd >= 0:
                        os.close(fd)
                self.pending.appendleft((lo, hi))
                return None
            if pid == 0:  # the worker: never returns
                try:
                    _worker_main(cmd_r, res_w, parent, self, [*inherited, cmd_w, res_r], blocked)
                finally:
                    os._exit(1)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(cmd_r)
        os.close(res_w)
        os.set_blocking(res_r, False)
        _widen(res_r)
        w = _Worker(pid, cmd_w, res_r)
        self.workers[res_r] = w
        self.sel.register(res_r, 1, w)  # EVENT_READ
        self._assign(w, lo, hi)
        return w

    def _assign(self, w: _Worker, lo: int, hi: int) -> None:
        w.lo, w.hi, w.since = lo, hi, time.monotonic()
        try:
            os.write(w.cmd, struct.pack(_RANGE, lo, hi))  # 8 bytes: atomic, never blocks
            if not self.pending:
                # its last range: it exits when done, instead of sharing (copy-on-write)
                # our memory while we import and run the rules
                os.close(w.cmd)
                w.cmd = -1
        except OSError:
            pass  # it died already: its result pipe says so next

    def _loop(self) -> None:
        while len(self.parsed) < len(self.todo):
            for w in self.workers.values():
                if not w.busy and self.pending and w.cmd >= 0:
                    self._assign(w, *self.pending.popleft())
            busy = [w for w in self.workers.values() if w.busy]
            if not busy:
                if not self.pending:
                    break  # cannot happen: every range is answered
                if self._start(*self.pending.popleft()) is None:  # no process can be made
                    self._finish_here()
                    break
                continue
            wait = max(0.0, min(w.since for w in busy) + self.wall_limit - time.monotonic())
            for key, _ in self.sel.select(wait):
                live = self.workers.get(key.fd)
                if live is not None and live is key.data:  # not one killed (its fd reused) meanwhile
                    self._read(live)
            now = time.monotonic()
            for w in list(self.workers.values()):
                if w.busy and now - w.since > self.wall_limit:  # starved or blocked, not computing
                    self._kill(w)
                    pos = w.lo
                    self._record(pos, _timed_out(self.todo[pos][2], self.timeout))
                    self._resume(w.lo + 1, w.hi)

    def _read(self, w: _Worker) -> None:
        while True:
            try:
                chunk = os.read(w.res, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:  # the worker is gone: it died on its current file
                self._gone(w)
                return
            w.buf += chunk
            self._take_results(w)
            if not w.busy and self.pending and w.cmd >= 0:
                self._assign(w, *self.pending.popleft())

    def _gone(self, w: _Worker) -> None:
        """A worker's pipe closed: its current file timed out (SIGPROF) or crashed it."""
        status = self._kill(w)
        if not w.busy:
            return
        pos = w.lo
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGPROF:
            self._record(pos, _timed_out(self.todo[pos][2], self.timeout))
            self._resume(pos + 1, w.hi)
            return
        self.crashes[pos] = self.crashes.get(pos, 0) + 1
        if self.crashes[pos] >= 2:
            self._record(pos, _crashed(self.todo[pos][2]))
            self._resume(pos + 1, w.hi)
        else:
            self._resume(pos, w.hi)

    def _take_results(self, w: _Worker) -> None:
        """Record every whole result in a worker's buffer: (position, result, exception name)."""
        while len(w.buf) >= 8:
            (size,) = struct.unpack_from(_HEADER, w.buf)
            if len(w.buf) < 8 + size:
                break
            try:
                pos, fr, error = pickle.loads(w.buf[8 : 8 + size])
            except Exception:  # cannot happen with our own child; still only this file
                pos, fr, error = w.lo, None, "unreadable result"
            del w.buf[: 8 + size]
            if fr is None:  # a Python exception escaped the parser
                fr = _crashed(self.todo[pos][2], f" ({error})" if error else "")
            self._record(pos, fr)
            w.lo, w.since = pos + 1, time.monotonic()

    def _record(self, pos: int, fr: FileResult) -> None:
        if pos not in self.parsed:
            self.parsed[pos] = (self.todo[pos][0], fr)
            self.tick(1)

    def _resume(self, lo: int, hi: int) -> None:
        """The rest of a range whose worker is gone: in a new worker (or later, by another)."""
        if lo < hi:
            self.pending.appendleft((lo, hi))
        if self.pending:
            self._start(*self.pending.popleft())

    def _kill(self, w: _Worker) -> int:
        """Stop and reap a worker; its wait status (0 if it could not be had)."""
        self.workers.pop(w.res, None)
        try:
            self.sel.unregister(w.res)
        except (KeyError, ValueError):
            pass
        for fd in (w.cmd, w.res):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        try:
            os.kill(w.pid, signal.SIGKILL)
        except OSError:
            pass
        while True:
            try:
                return os.waitpid(w.pid, 0)[1]
            except ChildProcessError:
                return 0
            except InterruptedError:
                continue

    def _close(self) -> None:
        for w in list(self.workers.values()):
            self._kill(w)
        self.sel.close()

    def _finish_here(self) -> list[Parsed]:
        """What no worker could parse (no processes on this system), parsed in this process."""
        left = [pos for pos in range(len(self.todo)) if pos not in self.parsed]
        for (_, fr), pos in zip(_parse_here([self.todo[p] for p in left], self.given, lambda n: None, left), left):
            self._record(pos, fr)
        return [self.parsed[pos] for pos in sorted(self.parsed)]


def _widen(fd: int) -> None:
    """A 1 MiB pipe: workers go on parsing while this process imports the rules."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        pass  # the default 64 KiB: workers wait for us a little sooner


# --- worker side -----------------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit if that already happened."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # the command pipe's EOF still ends the worker between files
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _worker_main(cmd: int, res: int, parent: int, job: _Supervisor, inherited: list[int], mask: set[int]) -> None:
    """A worker's whole life: parse the ranges it is sent, one result per file, then exit."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _die_with_parent(parent)
        for fd in inherited:  # the parent's ends of other workers' pipes
            try:
                os.close(fd)
            except OSError:
                pass
        warnings.simplefilter("ignore")
        # nothing a crashing parser prints (faulthandler, a fatal error) reaches the user:
        # the crash is reported as a finding instead
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
        faults = sys.modules.get("faulthandler")  # it writes to a descriptor of its own
        if faults is not None and faults.is_enabled():
            faults.disable()
        while True:
            got = _read_exact(cmd, 8)
            if got is None:  # the parent closed the pipe (or died)
                break
            lo, hi = struct.unpack(_RANGE, got)
            for pos in range(lo, hi):
                _, path, display = job.todo[pos]
                # the limit is processor time, so a busy machine does not make a file time out:
                # SIGPROF's default action ends this process, the parent reads why from its status
                signal.setitimer(signal.ITIMER_PROF, job.timeout)
                try:
                    body = pickle.dumps(
                        (pos, parse_one(path, display, job.given.get(pos)), ""), pickle.HIGHEST_PROTOCOL
                    )
                except BaseException as exc:  # a parser bug (RecursionError, MemoryError): this file only
                    body = pickle.dumps((pos, None, type(exc).__name__), pickle.HIGHEST_PROTOCOL)
                signal.setitimer(signal.ITIMER_PROF, 0)
                _write_all(res, struct.pack(_HEADER, len(body)) + body)
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # never the parent's atexit handlers, never its buffered output
