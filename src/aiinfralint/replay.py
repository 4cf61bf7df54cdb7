"""The result cache: replay the report of an identical earlier run without running anything.

The parse cache (``cache.py``) saves parsing, but every run still imports the model, runs
every rule on the whole project and renders the report. When *nothing* that the report
depends on has changed since the last run with the same options, all of that would
produce the same bytes again (output is deterministic, SPEC §8), so the run replays the
stored report instead. This path imports no pydantic, no rules and no parser.

What the report depends on, and how each is checked:

* the command line: paths, format, output files, select/ignore, fail-on, config file,
  quiet, show-skipped (``--jobs`` and ``--no-progress`` do not change output), the
  working directory, whether stdout is a terminal, and the colour environment
  (``NO_COLOR``, ``FORCE_COLOR``, ``TERM``, ``COLORTERM``, ``COLUMNS``);
* the configuration: the path and bytes of the config file that applies;
* the date, because dated suppressions expire (``AIINFRALINT_TODAY`` pins it);
* the code: every module file the original run imported (aiinfralint, its rules and
  plugins, pydantic, rich, the YAML and CST libraries, the standard library) and every
  file of the aiinfralint package (the estimate tables), by path, size and mtime; and
  the mtime of each ``site-packages`` directory, which changes when a package (a new
  rule plugin) is installed or removed;
* the inputs: discovery is run again (new, deleted, renamed, newly ignored or excluded
  files all count), and every file read is hashed: display path, then its bytes, or the
  reason it could not be read.

Those are the key of one entry per set of options (``<cache root>/replay-v1/<key>.json``;
a later run with other inputs overwrites it). The inputs digest and the module list are
stored in the entry and compared on lookup. An entry is written only after a run that
ended normally (exit 0 or 1) without ``--diff`` or a baseline (those read git objects
and baseline files that are not part of the key), and only when every file hashed before
the run still has the size and mtime it had then, so a file edited during the run cannot
pin a stale report. Entries are JSON, signed with the same per-user secret as parse results: an
entry that was tampered with, committed by someone else or cut short is a miss.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiinfralint.discovery import Discovery

FORMAT = "replay-v1"
KEEP_ENTRIES = 16  # one per set of options; the oldest go first
# a report this large is cheap to make again next to the disk it would take 16 times over
MAX_ENTRY_BYTES = 32 * 1024 * 1024
_MAC_SIZE = 32
_ENV = ("NO_COLOR", "FORCE_COLOR", "TERM", "COLORTERM", "COLUMNS")

# (target, text): "-" is standard output, anything else a file path as given
Write = tuple[str, str]


@dataclass(frozen=True)
class CheckRequest:
    """What `aiinfralint check` was asked to do, as far as its output depends on it."""

    paths: tuple[str, ...]
    fmt: str
    output: str | None
    output_formats: tuple[str, ...]
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]
    fail_on: str | None
    config: str | None
    quiet: bool
    show_skipped: bool
    to_tty: bool


@dataclass(frozen=True)
class Inputs:
    """What a check would read: a digest of it, and the stat of every file that went into it."""

    digest: str
    stats: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns)
    discovery: Discovery = field(compare=False)  # handed to the run, so it does not walk again

    def unchanged(self) -> bool:
        """True when no file that was hashed has changed since (size or mtime)."""
        for path, size, mtime in self.stats:
            try:
                st = os.stat(path)
            except OSError:
                return False
            if (st.st_size, st.st_mtime_ns) != (size, mtime):
                return False
        return True


def inputs_digest(paths: Sequence[str], cwd: Path, exclude: Sequence[str], respect_gitignore: bool) -> Inputs:
    """Discover the files a check would read and hash what it would see of them."""
    from aiinfralint.discovery import discover
    from aiinfralint.fileio import read_bytes

    disc = discover(paths, cwd=cwd, exclude=exclude, respect_gitignore=respect_gitignore)
    h = hashlib.sha256()
    stats: list[tuple[str, int, int]] = []
    for display, why in disc.skipped:
        h.update(f"skip\0{display}\0{why}\0".encode("utf-8", "surrogateescape"))
    for c in disc.files:
        path = str(c.path)
        try:
            st = os.stat(path)  # before reading: a later edit changes it
            stats.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            pass
        data, reason = read_bytes(path)
        h.update(f"file\0{c.display}\0".encode("utf-8", "surrogateescape"))
        if data is None:
            h.update(f"unreadable\0{reason}\0".encode("utf-8", "surrogateescape"))
        else:
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return Inputs(h.hexdigest(), tuple(stats), disc)


def _file_stat(path: str) -> list[Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [path, st.st_size, st.st_mtime_ns]


def code_files() -> list[list[Any]]:
    """Every module file this process imported, and every file of the aiinfralint package."""
    import aiinfralint

    files: set[str] = set()
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if isinstance(f, str) and os.path.isabs(f):
            files.add(f)
    # the libraries the parse workers use may never be imported by this process (libcst
    # for Python files): their entry files stand for their versions
    from aiinfralint.cache import library_origins

    files.update(library_origins())
    pkg = os.path.dirname(aiinfralint.__file__)
    for dirpath, dirnames, filenames in os.walk(pkg):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        files.update(os.path.join(dirpath, f) for f in filenames if not f.endswith(".pyc"))
    out = []
    for f in sorted(files):
        st = _file_stat(f)
        if st is not None:
            out.append(st)
    return out


def _code_unchanged(recorded: Any) -> bool:
    if not isinstance(recorded, list):
        return False
    for row in recorded:
        if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str)):
            return False
        if _file_stat(row[0]) != row:
            return False
    return True


class Replay:
    """One entry of the result cache: look it up before a run, store it after one."""

    def __init__(self, root: Path, secret: bytes, key: str, request: CheckRequest, cwd: Path) -> None:
        self.root = root
        self.secret = secret
        self.key = key
        self.request = request
        self.cwd = cwd
        self.path = root / FORMAT / f"{key}.json"
        self.inputs: Inputs | None = None  # what the run about to happen reads
        self._seen: tuple[tuple[tuple[str, ...], bool], Inputs] | None = None  # hashed by lookup

    @classmethod
    def plan(cls, request: CheckRequest, cwd: Path) -> Replay | None:
        """The entry for this request, or None when replay cannot apply (cache off, no safe secret)."""
        from aiinfralint import __version__
        from aiinfralint.cache import _secret, cache_root_for, disabled_by_env
        from aiinfralint.configfile import find_config
        from aiinfralint.suppress import today

        if disabled_by_env():
            return None
        secret = _secret()
        if secret is None:
            return None
        source = request.config or (str(p) if (p := find_config(cwd)) else None)
        config_bytes = b""
        if source is not None:
            try:
                with open(source, "rb") as fh:
                    config_bytes = fh.read(16 * 1024 * 1024)
            except OSError:
                return None  # the normal path reports the unreadable config
        site = [_file_stat(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
        parts = {
            "format": FORMAT,
            "version": __version__,
            "python": sys.version,
            "prefix": sys.prefix,
            "cwd": str(cwd),
            "request": request.__dict__,
            "config": [source, hashlib.sha256(config_bytes).hexdigest()],
            "today": today().isoformat(),
            "env": [os.environ.get(name) for name in _ENV],
            "site": site,
        }
        key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
        return cls(cache_root_for(source, cwd), secret, key, request, cwd)

    # lookup ----------------------------------------------------------------------------

    def load(self) -> dict[str, Any] | None:
        from aiinfralint.cache import sign
        from aiinfralint.fileio import read_bytes

        raw, _ = read_bytes(self.path, MAX_ENTRY_BYTES, follow_symlinks=False)
        if raw is None or len(raw) <= _MAC_SIZE:
            return None
        mac, body = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
        if not hmac.compare_digest(mac, sign(self.secret, self.key, body)):
            return None
        try:
            entry = json.loads(body)
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("key") != self.key:
            return None
        return entry

    def lookup(self) -> tuple[list[Write], int] | None:
        """The stored writes and exit code when nothing the report depends on changed."""
        entry = self.load()
        if entry is None:
            return None
        disc = entry.get("discovery")
        writes = entry.get("writes")
        code = entry.get("exit")
        if not (isinstance(disc, dict) and isinstance(writes, list) and code in (0, 1)):
            return None
        if not _code_unchanged(entry.get("code")):
            return None
        exclude = disc.get("exclude")
        respect = disc.get("respect_gitignore")
        if not (isinstance(exclude, list) and all(isinstance(g, str) for g in exclude) and isinstance(respect, bool)):
            return None
        seen = inputs_digest(self.request.paths, self.cwd, exclude, respect)
        self._seen = ((tuple(exclude), respect), seen)
        if seen.digest != entry.get("inputs"):
            return None
        out: list[Write] = []
        for w in writes:
            if not (isinstance(w, list) and len(w) == 2 and all(isinstance(x, str) for x in w)):
                return None
            out.append((w[0], w[1]))
        return out, int(code)

    # store -----------------------------------------------------------------------------

    def before_run(self, exclude: Sequence[str], respect_gitignore: bool) -> None:
        if self._seen is not None and self._seen[0] == (tuple(exclude), respect_gitignore):
            self.inputs = self._seen[1]  # the lookup just hashed the same discovery
        else:
            self.inputs = inputs_digest(self.request.paths, self.cwd, exclude, respect_gitignore)

    def store(self, exclude: Sequence[str], respect_gitignore: bool, writes: list[Write], exit_code: int) -> bool:
        """Record the run; False (and nothing written) if an input changed while it ran."""
        from aiinfralint.cache import mark_cache_dir, sign, write_atomic

        if self.inputs is None or exit_code not in (0, 1):
            return False
        if not self.inputs.unchanged():
            return False
        entry = {
            "key": self.key,
            "discovery": {"exclude": list(exclude), "respect_gitignore": respect_gitignore},
            "inputs": self.inputs.digest,
            "code": code_files(),
            "writes": [list(w) for w in writes],
            "exit": exit_code,
        }
        body = json.dumps(entry, separators=(",", ":")).encode("utf-8")
        if len(body) > MAX_ENTRY_BYTES:
            return False
        try:
            mark_cache_dir(self.root)
            self.path.parent.mkdir(exist_ok=True)
            write_atomic(self.path, sign(self.secret, self.key, body), body)
        except OSError:
            return False  # a read-only tree or a full disk must not fail the run
        self._prune()
        return True

    def _prune(self) -> None:
        from aiinfralint.cache import oldest_beyond

        try:
            entries = [p for p in self.path.parent.iterdir() if p.suffix == ".json" and not p.is_symlink()]
        except OSError:
            return
        for old in oldest_beyond(entries, KEEP_ENTRIES):
            try:
                old.unlink()
            except OSError:
                pass


def perform(writes: Sequence[Write]) -> None:
    """Write a report's texts where they go: standard output or files (OSError propagates)."""
    for target, text in writes:
        if target == "-":
            sys.stdout.write(text)
        else:
            Path(target).write_text(text, encoding="utf-8")
    sys.stdout.flush()
