"""The result cache: replay the report of an identical earlier run without running anything.

The parse cache (``cache/parse.py``) saves parsing, but every run still imports the model, runs
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
* the code: the Python version and the name and version of every installed distribution
  (a new rule plugin, an upgraded library) are part of the key; every file of the
  aiinfralint package and every other module file the original run imported from outside
  the standard library and the site directories (plugins, editable installs) is recorded
  with its sha256 and must still have it (the size and modification time are only a
  shortcut to avoid hashing again, so a cache restored on another machine still hits);
  standard-library and installed-library files are named by the versions in the key and
  must only still exist with their size;
* the inputs: discovery is run again (new, deleted, renamed, newly ignored or excluded
  files all count), and every file read is hashed: display path, then its bytes, or the
  reason it could not be read.

Those are the key of one entry per set of options, kept per project in the user's cache
directory, never in the tree being checked (``<anchor>/projects/<project>/replay-v2/<key>.json``,
see ``cachedir``; a later run with other inputs overwrites it, the oldest beyond
KEEP_ENTRIES are removed). The inputs digest and the code list are stored in the entry and
compared on lookup. An entry is written only after a run that ended normally (exit 0 or 1)
without ``--diff`` or a baseline (those read git objects and baseline files that are not
part of the key), and only when every file hashed before the run still has the size and
mtime it had then, so a file edited during the run cannot pin a stale report. Entries are
JSON, signed with the same per-user secret as parse results: an entry that was tampered
with, written by someone else or cut short is a miss.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiinfralint import __version__, fileio
from aiinfralint.cache.parse import (
    _secret,
    disabled_by_env,
    file_digest,
    installed_distributions,
    open_anchor,
    package_files,
    sign,
)
from aiinfralint.cache.store import SafeDir, newest_first, project_dir
from aiinfralint.configfile import MAX_CONFIG_BYTES, find_config
from aiinfralint.pipeline.discovery import Discovery, discover
from aiinfralint.pipeline.suppress import today
from aiinfralint.report.escape import no_surrogates

FORMAT = "replay-v2"
KEEP_ENTRIES = 16  # one per set of options; the oldest go first
# a report this large is cheap to make again next to the disk it would take 16 times over
MAX_ENTRY_BYTES = 32 * 1024 * 1024
_MAC_SIZE = 32
_ENV = ("NO_COLOR", "FORCE_COLOR", "TERM", "COLORTERM", "COLUMNS")
ENTRY = re.compile(r"[0-9a-f]{64}\.json")
# what a project directory may hold, for pruning a whole project
LAYOUT = ((re.compile(re.escape(FORMAT)),), ENTRY)

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
    presentation: tuple[object, ...] = ()  # colour, width and other text-output options


@dataclass(frozen=True)
class Inputs:
    """What a check would read: a digest of it, and the stat of every file that went into it."""

    digest: str
    stats: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns)
    discovery: Discovery = field(compare=False)  # handed to the run, so it does not walk again
    # what was read of each file (bytes, or None and why not), by path: handed to the run,
    # so a file is read once per run and parsed from the very bytes hashed here
    contents: dict[str, tuple[bytes | None, str | None]] = field(compare=False, default_factory=dict)

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
    disc = discover(paths, cwd=cwd, exclude=exclude, respect_gitignore=respect_gitignore)
    h = hashlib.sha256()
    stats: list[tuple[str, int, int]] = []
    contents: dict[str, tuple[bytes | None, str | None]] = {}
    for display, why in disc.skipped:
        h.update(f"skip\0{display}\0{why}\0".encode("utf-8", "surrogateescape"))
    for c in disc.files:
        path = str(c.path)
        try:
            st = os.stat(path)  # before reading: a later edit changes it
            stats.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            pass
        data, reason = contents[path] = fileio.read_bytes(path)
        h.update(f"file\0{c.display}\0".encode("utf-8", "surrogateescape"))
        if data is None:
            h.update(f"unreadable\0{reason}\0".encode("utf-8", "surrogateescape"))
        else:
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return Inputs(h.hexdigest(), tuple(stats), disc, contents)


def _versioned_dirs() -> tuple[str, ...]:
    """Directories whose files are named by versions in the key: the standard library (the
    Python version) and the site directories (the distribution list)."""
    dirs = [os.path.dirname(os.__file__)]
    dirs.extend(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(d, "") for d in dirs)


def code_files() -> list[list[Any]]:
    """[path, size, mtime_ns, sha256 or ""] of every module file this process imported and
    every file of the aiinfralint package; "" for files named by a version in the key."""
    package = {full for _, full in package_files()}
    files: set[str] = set(package)
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if isinstance(f, str) and os.path.isabs(f):
            files.add(f)
    versioned = _versioned_dirs()
    out = []
    for f in sorted(files):
        try:
            st = os.stat(f)
        except OSError:
            continue
        if f not in package and f.startswith(versioned):
            digest = ""
        else:
            digest = file_digest(f) or ""
            if not digest:
                continue
        out.append([f, st.st_size, st.st_mtime_ns, digest])
    return out


def _code_unchanged(recorded: Any) -> tuple[bool, bool]:
    """(every recorded file is as it was, some were verified by content: their stats are refreshed in place)."""
    if not isinstance(recorded, list):
        return False, False
    refreshed = False
    for row in recorded:
        if not (isinstance(row, list) and len(row) == 4 and isinstance(row[0], str) and isinstance(row[3], str)):
            return False, False
        path, size, mtime, digest = row
        try:
            st = os.stat(path)
        except OSError:
            return False, False
        if st.st_size != size:
            return False, False
        if digest and st.st_mtime_ns != mtime:
            if file_digest(path) != digest:
                return False, False
            row[2] = st.st_mtime_ns
            refreshed = True
    return True, refreshed


class Replay:
    """One entry of the result cache: look it up before a run, store it after one."""

    def __init__(
        self, anchor: SafeDir, project: str, secret: bytes, key: str, request: CheckRequest, cwd: Path
    ) -> None:
        self.anchor = anchor
        self.project = project
        self.secret = secret
        self.key = key
        self.request = request
        self.cwd = cwd
        self.name = f"{key}.json"
        self.inputs: Inputs | None = None  # what the run about to happen reads
        self._seen: tuple[tuple[tuple[str, ...], bool], Inputs] | None = None  # hashed by lookup

    @classmethod
    def plan(cls, request: CheckRequest, cwd: Path) -> Replay | None:
        """The entry for this request, or None when replay cannot apply (cache off, no safe secret)."""
        if disabled_by_env():
            return None
        source = request.config or (str(p) if (p := find_config(cwd)) else None)
        config_bytes = b""
        if source is not None:
            data, _ = fileio.read_bytes(source, MAX_CONFIG_BYTES)
            if data is None:
                return None  # the normal path reports the unreadable config
            config_bytes = data
        found = open_anchor(source, cwd)
        if found is None:
            return None
        secret = _secret()
        if secret is None:
            return None
        parts = {
            "format": FORMAT,
            "version": __version__,
            "python": sys.version,
            "cwd": str(cwd),
            "request": request.__dict__,
            "config": [source, hashlib.sha256(config_bytes).hexdigest()],
            "today": today().isoformat(),
            "env": [os.environ.get(name) for name in _ENV],
            "distributions": installed_distributions(),
        }
        key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
        return cls(found[0], found[1], secret, key, request, cwd)

    def _dir(self, create: bool) -> SafeDir | None:
        project = project_dir(self.anchor, self.project, create, LAYOUT)
        if project is None:
            return None
        try:
            if create:
                project.touch()  # the least recently used projects are pruned first
            return project.child(FORMAT, create)
        finally:
            project.close()

    # lookup ----------------------------------------------------------------------------

    def load(self) -> dict[str, Any] | None:
        where = self._dir(create=False)
        if where is None:
            return None
        try:
            raw = where.read(self.name, MAX_ENTRY_BYTES)
        finally:
            where.close()
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
        unchanged, refreshed = _code_unchanged(entry.get("code"))
        if not unchanged:
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
        if refreshed:  # restored from another machine: record this one's file times
            self._write(entry)
        return out, int(code)

    # store -----------------------------------------------------------------------------

    def before_run(self, exclude: Sequence[str], respect_gitignore: bool) -> None:
        if self._seen is not None and self._seen[0] == (tuple(exclude), respect_gitignore):
            self.inputs = self._seen[1]  # the lookup just hashed the same discovery
        else:
            self.inputs = inputs_digest(self.request.paths, self.cwd, exclude, respect_gitignore)

    def store(self, exclude: Sequence[str], respect_gitignore: bool, writes: list[Write], exit_code: int) -> bool:
        """Record the run; False (and nothing written) if an input changed while it ran."""
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
        return self._write(entry)

    def _write(self, entry: dict[str, Any]) -> bool:
        body = json.dumps(entry, separators=(",", ":")).encode("utf-8")
        if len(body) > MAX_ENTRY_BYTES:
            return False
        where = self._dir(create=True)
        if where is None:
            return False  # an unsafe or read-only location must not fail the run
        try:
            where.write_atomic(self.name, sign(self.secret, self.key, body), body)
        except OSError:
            return False
        else:
            self._prune(where)
        finally:
            where.close()
        return True

    def _prune(self, where: SafeDir) -> None:
        for old in newest_first(where.entries(ENTRY, dirs=False))[KEEP_ENTRIES:]:
            where.unlink_file(old)


def perform(writes: Sequence[Write]) -> None:
    """Write a report's texts where they go: standard output or files (OSError propagates).

    A file is never written through a symbolic link, nor is a FIFO or device opened as one
    (``fileio.write_text_nofollow``); text that still holds an undecodable file-name byte is
    written with it as ``\\xNN`` rather than failing half-way.
    """
    for target, text in writes:
        if target == "-":
            try:
                text.encode("utf-8")  # standard output may be lenient (surrogateescape); the report is not
            except UnicodeEncodeError:
                text = no_surrogates(text)
            sys.stdout.write(text)
        else:
            fileio.write_text_nofollow(target, text)
    sys.stdout.flush()
