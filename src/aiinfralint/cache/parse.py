"""A content-addressed cache of parse results, so an unchanged file is not parsed twice.

What is cached: the `FileResult` of one file (its model objects, parse problems, skip
reason and inline suppressions), as msgpack built by ``cache/codec.py`` (data only: loading an
entry can build the model's own classes and nothing else). Rules are never cached: they run
on the whole merged model every time, so cross-file rules see every file whether it came
from the cache or the parser.

The key of an entry is the sha256 of

* the file's bytes (content-addressed: editing a file, or switching branches, changes it),
* its display path (spans carry the path, so a moved file gets a new entry),
* the *code fingerprint*: the Python version, the sha256 of every file of the aiinfralint
  package (modules and data, not their paths or modification times) and the installed
  versions of the libraries a parse depends on (PyYAML, ruamel.yaml, libcst, pydantic).
  The same release installed anywhere gives the same fingerprint, so a cache restored on
  another CI runner hits; any edit to the package starts a new generation.

Where (see ``cache/store.py``): ``<anchor>/parse-v2/<fingerprint>/<xx>/<key>.msgpack``, the anchor
being the user's cache directory (``~/.cache/aiinfralint``) or ``AIINFRALINT_CACHE_DIR``,
never the tree being checked. Parse results are a pure function of a file's bytes and path,
so projects share them. ``--no-cache`` or ``AIINFRALINT_NO_CACHE=1`` bypasses the cache (no
reads, no writes). From the anchor down nothing is reached through a symlink; only the last
KEEP_GENERATIONS fingerprint directories are kept, and pruning removes only what this module
writes.

Every entry is also signed with HMAC-SHA256 under a per-user secret
(``~/.cache/aiinfralint/secret``, mode 0600, created on first use and never taken from
``AIINFRALINT_CACHE_DIR``): an entry that does not verify is a miss and is overwritten.
Entries are written to a temporary file and renamed into place, so concurrent runs never
see half an entry; a corrupt, unreadable or undecodable entry is a miss.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import aiinfralint
from aiinfralint.cache import store as cachedir

if TYPE_CHECKING:
    from aiinfralint.config import Config
    from aiinfralint.pipeline.read import FileResult

FORMAT = "parse-v2"
SUFFIX = ".msgpack"
MAX_ENTRY_BYTES = 64 * 1024 * 1024
KEEP_GENERATIONS = 3  # fingerprint directories kept; older ones are removed
_MAC_SIZE = 32
GENERATION = re.compile(r"[0-9a-f]{16}")
SHARD = re.compile(r"[0-9a-f]{2}")
ENTRY = re.compile(r"[0-9a-f]{64}\.msgpack")


def disabled_by_env() -> bool:
    return os.environ.get("AIINFRALINT_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def sign(secret: bytes, key: str, body: bytes) -> bytes:
    return hmac.new(secret, key.encode("ascii") + b"\0" + body, hashlib.sha256).digest()


@cache
def _secret() -> bytes | None:
    """The per-user signing key; None if it cannot be kept safely (then nothing is cached)."""
    home = cachedir.SafeDir.anchor(cachedir.user_cache_home())
    if home is None:
        return None
    try:
        try:
            fd = os.open("secret", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=home.fd)
        except OSError:
            pass
        else:
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
        key = os.urandom(32)
        try:
            home.write_atomic("secret", key, mode=0o600)
        except OSError:
            return None
        return key
    finally:
        home.close()


# --- the code fingerprint -------------------------------------------------------------------

# the distributions whose behaviour a parse result depends on: an upgraded YAML or CST
# library may place nodes differently, another pydantic may build objects differently
PARSE_LIBRARIES = ("pyyaml", "ruamel.yaml", "libcst", "pydantic", "pydantic_core")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def installed_distributions() -> tuple[tuple[str, str], ...]:
    """(normalised name, version) of every distribution in the site directories on sys.path,
    read from their ``*.dist-info``/``*.egg-info`` names (one directory listing each, no import).
    Editable installs are included through their ``.pth`` files."""
    found: set[tuple[str, str]] = set()
    for entry in sys.path:
        if not entry.endswith(("site-packages", "dist-packages")):
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                dist, _, version = name.rsplit(".", 1)[0].partition("-")
                found.add((_norm(dist), version.split("-")[0]))
            elif name.endswith((".pth", ".egg-link")):
                found.add((name, ""))
    return tuple(sorted(found))


def library_versions(names: tuple[str, ...] = PARSE_LIBRARIES) -> list[str]:
    versions = dict(installed_distributions())
    return [f"{name}={versions.get(_norm(name), '-')}" for name in names]


def package_files() -> list[tuple[str, str]]:
    """(path relative to the package, absolute path) of every file of the aiinfralint package."""
    pkg = os.path.dirname(os.path.abspath(aiinfralint.__file__))
    out = []
    for dirpath, dirnames, filenames in os.walk(pkg):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in filenames:
            if not f.endswith((".pyc", ".pyo")):
                full = os.path.join(dirpath, f)
                out.append((os.path.relpath(full, pkg).replace(os.sep, "/"), full))
    out.sort()
    return out


def file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


@cache
def package_digest() -> str:
    """The sha256 over every file of the package: names and contents, nothing about where."""
    h = hashlib.sha256()
    for rel, full in package_files():
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        h.update((file_digest(full) or "missing").encode() + b"\n")
    return h.hexdigest()


@cache
def parser_fingerprint() -> str:
    """Changes whenever the code that produces a parse result may have changed."""
    impl = f"{sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}"
    basis = "|".join((FORMAT, impl, package_digest(), *library_versions()))
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def entry_key(display: str, data: bytes) -> str:
    """The cache key of one file: its bytes, its display path and the parser fingerprint."""
    h = hashlib.sha256()
    h.update(parser_fingerprint().encode())
    h.update(b"\0")
    h.update(display.encode("utf-8", errors="surrogateescape"))
    h.update(b"\0")
    h.update(data)
    return h.hexdigest()


def open_anchor(source: str | None, cwd: Path) -> tuple[cachedir.SafeDir, str] | None:
    """The verified cache anchor of a run and its project directory name, or None when the
    cache cannot be used safely (then the run goes without)."""
    where = cachedir.locate(source, cwd)
    if where is None:
        return None
    anchor = cachedir.SafeDir.anchor(where[0])
    if anchor is None:
        return None
    anchor.mark()
    return anchor, where[1]


class ParseCache:
    """Read and write signed parse results under one cache anchor."""

    def __init__(self, anchor: cachedir.SafeDir, secret: bytes) -> None:
        self.anchor = anchor
        self.secret = secret
        self.fingerprint = parser_fingerprint()
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._generation: cachedir.SafeDir | None = None
        self._opened = False
        self._shards: dict[str, cachedir.SafeDir | None] = {}

    @classmethod
    def open(cls, config: Config, cwd: Path, enabled: bool = True) -> ParseCache | None:
        """The cache for this run, or None when it is disabled or cannot be used."""
        if not enabled or disabled_by_env():
            return None
        found = open_anchor(config.source, cwd)
        if found is None:
            return None
        secret = _secret()
        if secret is None:
            return None
        return cls(found[0], secret)

    # keys ------------------------------------------------------------------------------

    def key(self, display: str, data: bytes) -> str:
        return entry_key(display, data)

    # directories -----------------------------------------------------------------------

    def _gen(self, create: bool) -> cachedir.SafeDir | None:
        if self._generation is None and (create or not self._opened):
            self._opened = True
            self._generation = self.anchor.walk(FORMAT, self.fingerprint, create=create)
            if self._generation is not None and create:
                self._prune()
        return self._generation

    def _shard(self, key: str, create: bool) -> cachedir.SafeDir | None:
        name = key[:2]
        if name in self._shards and (self._shards[name] is not None or not create):
            return self._shards[name]
        gen = self._gen(create)
        shard = gen.child(name, create) if gen is not None else None
        self._shards[name] = shard
        return shard

    # read ------------------------------------------------------------------------------

    def get(self, key: str) -> FileResult | None:
        shard = self._shard(key, create=False)
        raw = shard.read(key + SUFFIX, MAX_ENTRY_BYTES) if shard is not None else None
        if raw is None or len(raw) <= _MAC_SIZE:
            self.misses += 1
            return None
        mac, body = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
        if not hmac.compare_digest(mac, sign(self.secret, key, body)):
            self.misses += 1
            return None
        # a replayed run imports this module for its secret and signatures, never to decode:
        # lazy: the codec loads pydantic and the parsers, ~90 ms a replayed run never needs
        from aiinfralint.cache.codec import decode

        try:
            value = decode(body)
        except (ValueError, RecursionError):  # signed but not decodable (a damaged disk): a miss
            self.misses += 1
            return None
        self.hits += 1
        return value

    # write -----------------------------------------------------------------------------

    def put(self, key: str, value: FileResult) -> None:
        from aiinfralint.cache.codec import CodecError, encode  # lazy: as in `get`

        try:
            body = encode(value)
        except (CodecError, TypeError, ValueError, OverflowError):  # not cacheable: parse it next time
            return
        if len(body) + _MAC_SIZE > MAX_ENTRY_BYTES:
            return
        shard = self._shard(key, create=True)
        if shard is None:
            return  # a read-only or unsafe location must not fail the run
        try:
            shard.write_atomic(key + SUFFIX, sign(self.secret, key, body), body)
        except OSError:
            return
        self.writes += 1

    def _prune(self) -> None:
        """Drop the oldest fingerprint directories (left behind by upgrades and edits)."""
        base = self.anchor.child(FORMAT)
        if base is None:
            return
        try:
            gens = [g for g in base.entries(GENERATION, dirs=True) if g[0] != self.fingerprint]
            for old in cachedir.newest_first(gens)[KEEP_GENERATIONS - 1 :]:
                base.remove_tree(old, (SHARD,), ENTRY)
        finally:
            base.close()
