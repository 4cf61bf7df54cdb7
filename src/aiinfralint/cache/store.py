"""Where the caches live, and directories under it that are never reached through a symlink.

The caches are kept outside the tree being checked, so nothing a pull request commits can
be read or written as cache: by default in the user's cache directory
(``$XDG_CACHE_HOME/aiinfralint``, else ``~/.cache/aiinfralint``); ``AIINFRALINT_CACHE_DIR``
names another directory (relative to the working directory). That directory is the
*anchor*:

    <anchor>/CACHEDIR.TAG, .gitignore        markers, created only if absent
    <anchor>/parse-v2/<fingerprint>/<xx>/    parse results (cache.py), shared by projects
    <anchor>/projects/<name>-<hash>/replay-v2/   replayable reports (replay.py), per project

The directories above the anchor are the user's own choice and are followed as they are.
From the anchor down, every directory is opened with ``O_NOFOLLOW`` relative to its parent's
descriptor and must be a real directory owned by this user; entries are read, created,
replaced and removed relative to that descriptor, so no symlink planted anywhere below the
anchor is ever followed. Anything unexpected (a symlink, another owner, a file where a
directory should be) turns the cache off for the run: a cache is an optimisation, never a
reason to fail or to write somewhere else. Pruning removes only names this module's callers
create (strict patterns) and only regular files and real directories.

Platforms without ``dir_fd`` support or ``O_NOFOLLOW`` run without caches.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from aiinfralint.fileio import read_bytes

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
SUPPORTED = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd

PROJECTS = "projects"
KEEP_PROJECTS = 32  # replay entries of the projects used least recently go first
# a directory or file name this module creates or accepts below the anchor: no separators,
# no leading dot (markers and temporary files are created by name, never taken from input)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_PROJECT_DIR = re.compile(r"[A-Za-z0-9_.-]{0,32}-[0-9a-f]{16}")
_TMP = re.compile(r"\.tmp-[0-9a-f]{16}")
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This directory holds the aiinfralint cache (parse results and replayable reports).\n"
)
_GITIGNORE = "# created by aiinfralint\n*\n"


def user_cache_home() -> Path:
    """``$XDG_CACHE_HOME/aiinfralint`` (an absolute XDG_CACHE_HOME only), else ``~/.cache/aiinfralint``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aiinfralint"


def explicit_dir() -> Path | None:
    raw = os.environ.get("AIINFRALINT_CACHE_DIR")
    return Path(raw).expanduser().absolute() if raw else None


def project_root(source: str | None, cwd: Path) -> Path:
    """The directory of the configuration file, else the git work tree around `cwd`, else `cwd`."""
    if source:
        return Path(source).resolve().parent
    here = cwd.resolve()
    for parent in (here, *here.parents):
        if os.path.lexists(parent / ".git"):
            return parent
    return here


def project_dir_name(root: Path) -> str:
    """A readable, collision-free directory name for a project: ``<basename>-<16 hex>``."""
    raw = os.fsencode(str(root))
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", root.name)[:32].lstrip(".")
    return f"{readable}-{hashlib.sha256(raw).hexdigest()[:16]}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def locate(source: str | None, cwd: Path) -> tuple[Path, str] | None:
    """(anchor, project directory name) for a run, or None when the default location would
    be inside the project (a checkout must never be its own cache)."""
    root = project_root(source, cwd)
    anchor = explicit_dir()
    if anchor is None:
        anchor = user_cache_home()
        if _inside(anchor, root):
            return None
    return anchor, project_dir_name(root)


def _owned(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


class SafeDir:
    """A directory held open by descriptor: a real directory, owned by this user, reached
    without following any symlink from the anchor down."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path  # for messages and tests only; never used to reach anything

    # opening ---------------------------------------------------------------------------

    @classmethod
    def anchor(cls, path: Path, create: bool = True) -> SafeDir | None:
        """Open the anchor itself (its parents are followed; it is not)."""
        if not SUPPORTED:
            return None
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
            except OSError:
                return None
        return cls._open(path, None, str(path))

    @classmethod
    def _open(cls, path: Path, dir_fd: int | None, name: str) -> SafeDir | None:
        try:
            fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            return None
        if not stat.S_ISDIR(st.st_mode) or not _owned(st):
            os.close(fd)
            return None
        return cls(fd, path)

    def child(self, name: str, create: bool = False) -> SafeDir | None:
        """The subdirectory `name` (created 0700 if asked); None if it is missing, a symlink,
        not a directory or not ours."""
        if not _NAME.fullmatch(name):
            return None
        if create:
            try:
                os.mkdir(name, 0o700, dir_fd=self.fd)
            except FileExistsError:
                pass
            except OSError:
                return None
        return self._open(self.path / name, self.fd, name)

    def walk(self, *names: str, create: bool = False) -> SafeDir | None:
        """`child` repeated; the intermediate descriptors are closed."""
        cur: SafeDir | None = self
        for name in names:
            assert cur is not None
            nxt = cur.child(name, create)
            if cur is not self:
                cur.close()
            if nxt is None:
                return None
            cur = nxt
        return cur

    def close(self) -> None:
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1

    def __del__(self) -> None:
        self.close()

    # files -----------------------------------------------------------------------------

    def read(self, name: str, limit: int) -> bytes | None:
        """The bytes of the regular file `name` (at most `limit`), never through a symlink."""
        return read_bytes(name, limit, follow_symlinks=False, dir_fd=self.fd)[0]

    def write_atomic(self, name: str, *parts: bytes, mode: int = 0o600) -> None:
        """Write a temporary file next to `name` and rename it into place, so a concurrent
        reader sees the old entry or the new one, never half of one. A symlink at `name` is
        replaced, never written through. Raises OSError."""
        tmp = f".tmp-{os.urandom(8).hex()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, dir_fd=self.fd)
        try:
            with open(fd, "wb", closefd=True) as fh:
                fh.writelines(parts)
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=self.fd)
            except OSError:
                pass
            raise

    def create_exclusive(self, name: str, text: str) -> None:
        """Create `name` with `text` unless something (anything) already has that name."""
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644, dir_fd=self.fd)
        except OSError:
            return
        with open(fd, "w", encoding="utf-8", closefd=True) as fh:
            try:
                fh.write(text)
            except OSError:
                pass

    def mark(self) -> None:
        """The markers that keep backups and git away from a cache directory."""
        self.create_exclusive("CACHEDIR.TAG", _TAG)
        self.create_exclusive(".gitignore", _GITIGNORE)

    def touch(self) -> None:
        try:
            os.utime(self.fd)
        except (OSError, NotImplementedError):
            pass

    # listing and pruning ---------------------------------------------------------------

    def entries(self, pattern: re.Pattern[str], dirs: bool) -> list[tuple[str, float]]:
        """(name, mtime) of the real directories (`dirs`) or regular files whose whole name
        matches `pattern`; symlinks and anything else are left out."""
        out: list[tuple[str, float]] = []
        try:
            with os.scandir(self.fd) as it:
                for e in it:
                    if not pattern.fullmatch(e.name):
                        continue
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if (stat.S_ISDIR(st.st_mode) if dirs else stat.S_ISREG(st.st_mode)) and _owned(st):
                        out.append((e.name, st.st_mtime))
        except OSError:
            pass
        return out

    def unlink_file(self, name: str) -> None:
        """Remove `name` if it is still a regular file of ours (a symlink is never followed)."""
        try:
            st = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and _owned(st):
                os.unlink(name, dir_fd=self.fd)
        except OSError:
            pass

    def remove_tree(self, name: str, levels: tuple[re.Pattern[str], ...], files: re.Pattern[str]) -> None:
        """Remove the directory `name` as this module's callers lay it out: below it, one
        directory level per pattern in `levels`, then files matching `files`. Anything that
        does not fit (a symlink, a stranger's file) stays, and so do the directories holding it."""
        sub = self.child(name)
        if sub is None:
            return
        try:
            if levels:
                for inner, _ in sub.entries(levels[0], dirs=True):
                    sub.remove_tree(inner, levels[1:], files)
            else:
                for fname, _ in sub.entries(files, dirs=False):
                    sub.unlink_file(fname)
                for fname, _ in sub.entries(_TMP, dirs=False):
                    sub.unlink_file(fname)
        finally:
            sub.close()
        try:
            os.rmdir(name, dir_fd=self.fd)
        except OSError:
            pass


def newest_first(entries: list[tuple[str, float]]) -> list[str]:
    return [name for name, _ in sorted(entries, key=lambda e: (e[1], e[0]), reverse=True)]


def project_dir(
    anchor: SafeDir, name: str, create: bool, layout: tuple[tuple[re.Pattern[str], ...], re.Pattern[str]]
) -> SafeDir | None:
    """The project's own directory under ``projects/``; creating one prunes the least
    recently used beyond KEEP_PROJECTS (`layout`: what may be inside one, see `remove_tree`)."""
    projects = anchor.child(PROJECTS, create)
    if projects is None:
        return None
    try:
        existing = projects.child(name)
        if existing is not None or not create:
            return existing
        made = projects.child(name, create=True)
        if made is not None:
            others = [e for e in projects.entries(_PROJECT_DIR, dirs=True) if e[0] != name]
            for old in newest_first(others)[KEEP_PROJECTS - 1 :]:
                projects.remove_tree(old, *layout)
        return made
    finally:
        projects.close()
