"""Which files to read: walk the given paths, honour .gitignore and exclude globs.

What decides that a directory is skipped:

* inside a git work tree, only ``.gitignore`` (when ``respect-gitignore`` is on) and the
  configured ``exclude`` globs. ``build/``, ``dist/``, ``venv/``, ``node_modules/`` and the
  like are checked unless the repository ignores them: a pull request cannot hide a file
  from the check by putting it in a directory with a conventional name. ``.git`` itself is
  never entered, nor an aiinfralint cache directory (it carries aiinfralint's
  ``CACHEDIR.TAG``) that has no tracked files;
* the tree of a commit that ``--diff`` wrote into a temporary directory (tracked files
  only) is treated like the work tree it came from, so both sides are read alike;
* outside a git work tree (or with ``respect-gitignore = false``) the default excludes
  (`DEFAULT_EXCLUDED_DIRS`: virtual environments, dependency and build output, tool caches)
  are skipped, and each one is listed as skipped with the reason, e.g.
  ``default exclude: build/ (not a git work tree)``.

Files:

* directory symlinks are never followed (no loops, no escaping the tree), except a
  directory named on the command line, which is resolved once;
* a file symlink is read only if it resolves to a regular file inside the *checked root*:
  the directory given on the command line (resolved) for files found by walking it; for a
  file named on the command line, the working directory or the directory the file was
  named in (both resolved). A symlink to ``/etc/passwd`` or ``~/.ssh/id_rsa`` committed
  into a tree is therefore listed as skipped and never opened;
* FIFOs, sockets and devices are listed as skipped (``not a regular file: FIFO``) and
  never opened;
* unreadable files are left to the reader: a recognised one becomes an ``AIL000`` finding.

Everything skipped on the way that a user might have expected us to read is reported
with a reason.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from aiinfralint.fileio import read_bytes

# extensions we may have a parser for; everything else is ignored silently
CANDIDATE_SUFFIXES = frozenset(
    {
        ".yaml",
        ".yml",
        ".json",
        ".prompt",
        ".prompty",
        ".j2",
        ".jinja",
        ".jinja2",
        ".mustache",
        ".txt",
        ".md",
        ".py",
        ".ipynb",
        ".sql",
    }
)
# skipped (and listed) only where no .gitignore decides: outside git, or with
# respect-gitignore off
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".aiinfralint_cache",
        ".terraform",
        "site-packages",
        ".eggs",
        "dist",
        "build",
    }
)
GIT_DIR = ".git"  # never entered, never listed
# the start of the CACHEDIR.TAG aiinfralint writes into its cache directories
_CACHE_TAG = b"Signature: 8a477f597d28d172789f06886806bc55"
# `diffmode.base_tree` writes the tracked files of BASE_REF into tempfile.mkdtemp(prefix=...)
BASE_TREE_PREFIX = "aiinfralint-base-"

# how a directory's contents are decided
_GIT = "git"  # a git work tree: .gitignore and configured excludes
_COMMIT = "commit"  # a commit's tracked files written out by --diff: configured excludes only
_PLAIN = "plain"  # no version control: configured and default excludes


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    display: str  # relative to the working directory when possible, posix separators


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # files named `Kustomization` (no suffix, so not candidates): built by `render`
    kustomizations: list[Path] = field(default_factory=list)


# files that make their folder something to render before parsing (pipeline/render.py)
RENDER_MARKERS = frozenset({"Chart.yaml", "kustomization.yaml", "kustomization.yml", "Kustomization"})


def has_render_markers(d: Discovery) -> bool:
    """Whether a Helm chart or a kustomization is among the discovered files."""
    return bool(d.kustomizations) or any(c.path.name in RENDER_MARKERS for c in d.files)


def display_path(path: Path, cwd: Path) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        rel = str(path)
    if rel.startswith(".." + os.sep + ".." + os.sep + ".." + os.sep):
        rel = str(path)
    return rel.replace(os.sep, "/")


def _matches(display: str, globs: Sequence[str]) -> bool:
    name = display.rsplit("/", 1)[-1]
    for g in globs:
        g = g.rstrip("/")
        if fnmatch.fnmatch(display, g) or fnmatch.fnmatch(name, g):
            return True
        if (
            fnmatch.fnmatch(display, g + "/*")
            or fnmatch.fnmatch(display, "*/" + g + "/*")
            or fnmatch.fnmatch(display, "*/" + g)
        ):
            return True
    return False


@lru_cache(maxsize=4096)
def _git_root(start: Path) -> Path | None:
    for parent in (start, *start.parents):
        if (parent / GIT_DIR).exists():
            return parent
    return None


def _is_base_tree(path: Path) -> bool:
    """Inside a temporary directory `diffmode.base_tree` made for BASE_REF's files?"""
    tf = sys.modules.get("tempfile")
    if tf is None:  # never imported: this process made no base tree
        return False
    tmp = tf.gettempdir()
    homes = {tmp, os.path.realpath(tmp)}
    for parent in (path, *path.parents):
        if parent.name.startswith(BASE_TREE_PREFIX) and str(parent.parent) in homes:
            return True
    return False


def _tree_kind(start: Path) -> str:
    if _git_root(start) is not None:
        return _GIT
    return _COMMIT if _is_base_tree(start) else _PLAIN


def _kind_name(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "directory"
    return "special file"


def _within(target: Path, roots: Sequence[Path]) -> bool:
    return any(target == r or target.is_relative_to(r) for r in roots)


def _git_ignored(root: Path) -> tuple[set[str], list[str]]:
    """Ignored files and directories (absolute posix paths; dirs end with /)."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"],
            cwd=root,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set(), []
    if proc.returncode != 0:
        return set(), []
    files: set[str] = set()
    dirs: list[str] = []
    for raw in proc.stdout.split(b"\0"):
        if not raw:
            continue
        rel = raw.decode("utf-8", errors="replace")
        full = (root / rel).as_posix()
        if rel.endswith("/"):
            dirs.append(full.rstrip("/") + "/")
        else:
            files.add(full)
    return files, dirs


def _has_tracked_files(directory: Path) -> bool:
    root = _git_root(directory)
    if root is None:
        return False
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--", str(directory)], cwd=root, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return True  # cannot tell: read it
    return proc.returncode != 0 or bool(proc.stdout)


def _is_cache_dir(directory: Path, names: set[str]) -> bool:
    """A directory aiinfralint made for its cache (its CACHEDIR.TAG says so)."""
    if "CACHEDIR.TAG" not in names:
        return False
    data, _ = read_bytes(directory / "CACHEDIR.TAG", 4096, follow_symlinks=False)
    return data is not None and data.startswith(_CACHE_TAG) and b"aiinfralint" in data


class _Ignore:
    def __init__(self, respect_gitignore: bool) -> None:
        self.respect = respect_gitignore
        self.roots: dict[Path, tuple[set[str], list[str]]] = {}

    def ignored(self, path: Path) -> bool:
        if not self.respect:
            return False
        root = _git_root(path.parent if not path.is_dir() else path)
        if root is None:
            return False
        if root not in self.roots:
            self.roots[root] = _git_ignored(root)
        files, dirs = self.roots[root]
        posix = path.as_posix()
        if posix in files or (posix + "/") in dirs:
            return True
        return any(posix.startswith(d) for d in dirs)


def discover(
    paths: Iterable[str],
    *,
    cwd: Path,
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> Discovery:
    """The files to read under `paths`, and what was skipped on the way (with reasons).

    `exclude` applies to files named on the command line too: pre-commit passes file
    names, and a file the project hook skips must not fail the per-file hook (ruff's
    `--force-exclude`, always on). A directory named on the command line is walked even
    if its own name is excluded: naming it asks for it.
    """
    walker = _Walker(cwd, exclude, respect_gitignore)
    for raw in paths:
        walker.start(raw)
    out = walker.out
    out.files.sort(key=lambda c: c.display)
    out.skipped.sort()
    return out


class _Walker:
    def __init__(self, cwd: Path, exclude: Sequence[str], respect_gitignore: bool) -> None:
        self.cwd = cwd
        self.exclude = exclude
        self.respect_gitignore = respect_gitignore
        self.out = Discovery()
        self.ignore = _Ignore(respect_gitignore)
        self.seen: set[str] = set()
        self.here = cwd.resolve()

    def skip(self, path: Path, reason: str) -> None:
        self.out.skipped.append((display_path(path, self.cwd), reason))

    def excluded(self, display: str) -> bool:
        return bool(self.exclude) and _matches(display, self.exclude)

    def consider_file(self, p: Path, explicit: bool, roots: Sequence[Path], mode: int | None = None) -> None:
        display = display_path(p, self.cwd)
        if display in self.seen:
            return
        self.seen.add(display)
        if p.is_symlink():
            try:
                target = p.resolve(strict=True)
                mode = target.stat().st_mode
            except (OSError, RuntimeError):
                self.out.skipped.append((display, "broken or looping symlink"))
                return
            if not _within(target, roots):
                where = "the working directory" if explicit else "the checked directory"
                self.out.skipped.append((display, f"symlink to a file outside {where} (not read)"))
                return
            if not stat.S_ISREG(mode):
                self.out.skipped.append((display, f"symlink to a non-regular file: {_kind_name(mode)}"))
                return
        elif mode is not None and not stat.S_ISREG(mode):
            self.out.skipped.append((display, f"not a regular file: {_kind_name(mode)}"))
            return
        if not explicit and p.suffix.lower() not in CANDIDATE_SUFFIXES:
            return
        if self.excluded(display):
            self.out.skipped.append((display, "excluded by configuration"))
            return
        self.out.files.append(Candidate(p.absolute(), display))

    def default_exclude_reason(self, kind: str) -> str | None:
        if kind == _PLAIN:
            return "not a git work tree"
        if not self.respect_gitignore:
            return "respect-gitignore is off"
        return None

    def start(self, raw: str) -> None:
        root = (self.cwd / raw) if not os.path.isabs(raw) else Path(raw)
        if root.is_symlink() and root.is_dir():
            # the user named it: follow once, but never a symlinked dir inside the walk
            root = root.resolve()
        if root.exists() and not root.is_dir():
            try:
                st_mode: int | None = os.lstat(root).st_mode
            except OSError:
                st_mode = None
            self.consider_file(root, True, (self.here, root.parent.resolve()), st_mode)
            return
        if not root.exists():
            self.skip(root, "broken or looping symlink" if root.is_symlink() else "no such file or directory")
            return
        self.walk(root)

    def walk(self, root: Path) -> None:
        boundary = (root.resolve(),)
        stack: list[tuple[Path, str]] = [(root, _tree_kind(root))]
        while stack:
            d, kind = stack.pop()
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError as exc:
                self.skip(Path(d), f"cannot list directory: {exc.strerror}")
                continue
            names = {e.name for e in entries}
            if kind != _GIT and GIT_DIR in names:
                kind = _GIT  # a repository nested in a plain directory
            if _is_cache_dir(d, names) and d != root:
                if kind == _GIT:
                    if not _has_tracked_files(d):
                        continue  # ours, and not part of the repository
                elif kind == _PLAIN:
                    self.skip(d, "aiinfralint cache directory")
                    continue
            subdirs: list[tuple[Path, str]] = []
            for e in entries:
                try:
                    self.entry(e, kind, boundary, subdirs)
                except OSError as exc:
                    self.skip(Path(e.path), f"cannot stat: {exc.strerror}")
            stack.extend(reversed(subdirs))

    def entry(self, e: os.DirEntry[str], kind: str, boundary: Sequence[Path], subdirs: list[tuple[Path, str]]) -> None:
        """One directory entry: a folder to walk, a file to read, or something listed as skipped."""
        p = Path(e.path)
        if e.is_dir(follow_symlinks=False):
            if e.name == GIT_DIR:
                return
            disp = display_path(p, self.cwd)
            defaults_why = self.default_exclude_reason(kind)
            if self.excluded(disp):
                self.out.skipped.append((disp, "excluded by configuration"))
            elif defaults_why is not None and e.name in DEFAULT_EXCLUDED_DIRS:
                self.out.skipped.append((disp, f"default exclude: {e.name}/ ({defaults_why})"))
            elif not self.ignore.ignored(p):
                subdirs.append((p, kind))
        elif e.is_symlink():
            if os.path.isdir(e.path):
                if not self.ignore.ignored(p):
                    self.skip(p, "symlink to a directory not followed")
                return
            if p.suffix.lower() in CANDIDATE_SUFFIXES and not self.ignore.ignored(p):
                self.consider_file(p, False, boundary)
        elif e.is_file(follow_symlinks=False):
            if e.name == "Kustomization" and not self.ignore.ignored(p):
                self.out.kustomizations.append(p.absolute())
            if p.suffix.lower() in CANDIDATE_SUFFIXES and not self.ignore.ignored(p):
                self.consider_file(p, False, boundary)
        elif not self.ignore.ignored(p):  # a FIFO, socket or device: listed, never opened
            disp = display_path(p, self.cwd)
            if self.excluded(disp):
                if p.suffix.lower() in CANDIDATE_SUFFIXES:
                    self.out.skipped.append((disp, "excluded by configuration"))
                return
            self.consider_file(p, True, boundary, e.stat(follow_symlinks=False).st_mode)
