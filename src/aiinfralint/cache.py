"""A content-addressed cache of parse results, so an unchanged file is not parsed twice.

What is cached: the `FileResult` of one file (its model objects, parse problems, skip
reason and inline suppressions), pickled. Rules are never cached: they run on the whole
merged model every time, so cross-file rules see every file whether it came from the
cache or the parser.

The key of an entry is the sha256 of

* the file's bytes (content-addressed: editing a file, or switching branches, changes it),
* its display path (spans carry the path, so a moved file gets a new entry),
* the *parser fingerprint*: the package version, the Python version, and the path, size
  and modification time of every module a parse result depends on (the readers in
  ``parsers/``, the pickled classes in ``model/``, the engine's ``FileResult``,
  suppressions, time and cron helpers) and of the installed ruamel.yaml, libcst and
  pydantic (and PyYAML). A release never changes it; in an editable install any edit to a reader or a
  model class invalidates the whole cache, which is what a developer wants from a pickle
  of the package's own classes. Rules, reports and estimate tables are not part of it:
  they run on every check, cached or not.

Where: like ruff, in ``.aiinfralint_cache/`` in the project root (the directory of the
configuration file that was found, otherwise the working directory), with a
``CACHEDIR.TAG`` and a ``.gitignore`` of ``*`` inside. ``AIINFRALINT_CACHE_DIR`` points it
elsewhere. ``--no-cache`` or ``AIINFRALINT_NO_CACHE=1`` bypasses it (no reads, no writes).

Pickles execute code when loaded, and a cache directory inside a repository could have
been committed by anyone. So every entry is signed with HMAC-SHA256 under a per-user
secret kept outside the project (``$XDG_CACHE_HOME/aiinfralint/secret``, mode 0600,
created on first use); an entry whose signature does not verify is never unpickled, it
is treated as a miss and overwritten. Entries are only read as regular files (never
through a symlink) from the directory this module created. Writes go to a temporary file
in the same directory and are moved into place with ``os.replace``, so concurrent runs
never see half an entry; a corrupt or unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiinfralint.config import Config
    from aiinfralint.engine import FileResult

CACHE_DIR_NAME = ".aiinfralint_cache"
FORMAT = "v1"
MAX_ENTRY_BYTES = 64 * 1024 * 1024
KEEP_GENERATIONS = 3  # fingerprint directories kept; older ones are removed
_MAC_SIZE = 32
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This directory holds the aiinfralint cache (parse results and replayable reports).\n"


def disabled_by_env() -> bool:
    return os.environ.get("AIINFRALINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def project_root(config: Config, cwd: Path) -> Path:
    return root_for_source(config.source, cwd)


def root_for_source(source: str | None, cwd: Path) -> Path:
    """The project root: the directory of the configuration file, else the working directory."""
    if source:
        return Path(source).resolve().parent
    return cwd


def cache_root(config: Config, cwd: Path) -> Path:
    return cache_root_for(config.source, cwd)


def cache_root_for(source: str | None, cwd: Path) -> Path:
    explicit = os.environ.get("AIINFRALINT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser().absolute()
    return root_for_source(source, cwd) / CACHE_DIR_NAME


def write_atomic(path: Path, *parts: bytes) -> None:
    """Write through a temporary file in the same directory and move it into place, so a
    concurrent reader sees the old entry or the new one, never half of one. Raises OSError."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in parts:
                fh.write(part)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def sign(secret: bytes, key: str, body: bytes) -> bytes:
    return hmac.new(secret, key.encode("ascii") + b"\0" + body, hashlib.sha256).digest()


def oldest_beyond(paths: list[Path], keep: int) -> list[Path]:
    """What is left of `paths` after the `keep` most recently modified."""
    if len(paths) <= keep:
        return []

    def mtime(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    return sorted(paths, key=mtime, reverse=True)[keep:]


def mark_cache_dir(root: Path) -> None:
    """Create the cache root with a CACHEDIR.TAG and a .gitignore of `*` (never committed)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# created by aiinfralint\n*\n")):
        marker = root / name
        if not marker.exists():
            try:
                marker.write_text(text, encoding="utf-8")
            except OSError:
                pass


def _user_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aiinfralint"


@cache
def _secret() -> bytes | None:
    """The per-user signing key; None if it cannot be kept safely (then nothing is cached)."""
    path = _user_dir() / "secret"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            st = os.fstat(fd)
            if (
                stat.S_ISREG(st.st_mode)
                and (not hasattr(os, "getuid") or st.st_uid == os.getuid())
                and not st.st_mode & 0o077
            ):
                key = os.read(fd, 64)
                if len(key) == 32:
                    return key
        finally:
            os.close(fd)
    except OSError:
        pass
    import tempfile

    key = os.urandom(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # created 0600
        try:
            os.write(fd, key)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        return None
    return key


# what a parse result depends on: the readers, the model classes that get pickled, and
# the helpers they call; rules, reports and estimates do not change a parse result
_PARSE_SOURCES = ("parsers", "model", "__init__.py", "engine.py", "suppress.py", "timeutil.py", "cron.py", "tokens.py")
_PARSE_LIBRARIES = ("yaml", "ruamel.yaml", "libcst", "pydantic", "pydantic_core")


def library_origins() -> list[str]:
    """The entry file of each installed library a parse result depends on (not imported)."""
    import importlib.util

    out = []
    for lib in _PARSE_LIBRARIES:
        try:
            spec = importlib.util.find_spec(lib)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            out.append(spec.origin)
    return out


@cache
def parser_fingerprint() -> str:
    """Changes whenever the code that produces a parse result may have changed."""
    import aiinfralint

    h = hashlib.sha256()
    h.update(f"{FORMAT}|{aiinfralint.__version__}|{sys.version}|".encode())
    pkg = Path(aiinfralint.__file__).parent
    files: list[str] = []
    for name in _PARSE_SOURCES:
        top = pkg / name
        if top.is_dir():
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                files.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
        else:
            files.append(str(top))
    for lib in _PARSE_LIBRARIES:  # an upgraded YAML or CST library may place nodes differently
        h.update(f"{lib}|".encode())
    files.extend(library_origins())
    for full in files:
        try:
            st = os.stat(full)
        except OSError:
            h.update(f"{full}|missing\n".encode())
            continue
        rel = os.path.relpath(full, pkg) if full.startswith(str(pkg)) else full
        h.update(f"{rel}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def entry_key(display: str, data: bytes) -> str:
    """The cache key of one file: its bytes, its display path and the parser fingerprint."""
    h = hashlib.sha256()
    h.update(parser_fingerprint().encode())
    h.update(b"\0")
    h.update(display.encode("utf-8", errors="surrogateescape"))
    h.update(b"\0")
    h.update(data)
    return h.hexdigest()


class ParseCache:
    """Read and write signed parse results under one cache root."""

    def __init__(self, root: Path, secret: bytes) -> None:
        self.root = root
        self.secret = secret
        self.generation = root / FORMAT / parser_fingerprint()
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._ready = False
        self._dirs: set[Path] = set()

    @classmethod
    def open(cls, config: Config, cwd: Path, enabled: bool = True) -> ParseCache | None:
        """The cache for this run, or None when it is disabled or cannot be used."""
        if not enabled or disabled_by_env():
            return None
        secret = _secret()
        if secret is None:
            return None
        return cls(cache_root(config, cwd), secret)

    # keys ------------------------------------------------------------------------------

    def key(self, display: str, data: bytes) -> str:
        return entry_key(display, data)

    def _path(self, key: str) -> Path:
        return self.generation / key[:2] / f"{key}.pickle"

    # read ------------------------------------------------------------------------------

    def get(self, key: str) -> FileResult | None:
        raw = self._read(self._path(key))
        if raw is None or len(raw) <= _MAC_SIZE:
            self.misses += 1
            return None
        mac, body = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
        if not hmac.compare_digest(mac, self._mac(key, body)):
            self.misses += 1
            return None
        import pickle

        try:
            value = pickle.loads(body)
        except Exception:  # signed but unloadable (a class changed shape): a miss
            self.misses += 1
            return None
        from aiinfralint.engine import FileResult

        if not isinstance(value, FileResult):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def _read(self, path: Path) -> bytes | None:
        from aiinfralint.fileio import read_bytes

        return read_bytes(path, MAX_ENTRY_BYTES, follow_symlinks=False)[0]

    def _mac(self, key: str, body: bytes) -> bytes:
        return sign(self.secret, key, body)

    # write -----------------------------------------------------------------------------

    def put(self, key: str, value: FileResult) -> None:
        import pickle

        try:
            body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # something unpicklable: just do not cache this file
            return
        if len(body) + _MAC_SIZE > MAX_ENTRY_BYTES:
            return
        path = self._path(key)
        try:
            self._prepare()
            if path.parent not in self._dirs:
                path.parent.mkdir(exist_ok=True)
                self._dirs.add(path.parent)
            write_atomic(path, self._mac(key, body), body)
        except OSError:
            return  # a read-only tree or a full disk must not fail the run
        self.writes += 1

    def _prepare(self) -> None:
        if self._ready:
            return
        mark_cache_dir(self.root)
        self.generation.mkdir(parents=True, exist_ok=True)
        self._prune()
        self._ready = True

    def _prune(self) -> None:
        """Drop the oldest fingerprint directories (left behind by upgrades and edits)."""
        import shutil

        base = self.root / FORMAT
        try:
            gens = [p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and p != self.generation]
        except OSError:
            return
        for old in oldest_beyond(gens, KEEP_GENERATIONS - 1):
            shutil.rmtree(old, ignore_errors=True)
