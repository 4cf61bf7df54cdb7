"""Which files to read: walk the given paths, honour .gitignore and exclude globs.

Directory symlinks are never followed (no loops, no escaping the tree); file
symlinks are read if they resolve to a regular file. Everything skipped on the
way that a user might have expected us to read is reported with a reason.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# extensions we may have a parser for; everything else is ignored silently
CANDIDATE_SUFFIXES = frozenset(
    {
        ".yaml", ".yml", ".json",
        ".prompt", ".prompty", ".j2", ".jinja", ".jinja2", ".mustache",
        ".txt", ".md",
        ".py", ".sql",
    }
)
ALWAYS_SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".aiinfralint_cache", ".terraform",
        "site-packages", ".eggs", "dist", "build",
    }
)


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    display: str  # relative to the working directory when possible, posix separators


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


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
        if fnmatch.fnmatch(display, g + "/*") or fnmatch.fnmatch(display, "*/" + g + "/*") or fnmatch.fnmatch(display, "*/" + g):
            return True
    return False


@lru_cache(maxsize=4096)
def _git_root(start: Path) -> Path | None:
    for parent in (start, *start.parents):
        if (parent / ".git").exists():
            return parent
    return None


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
    out = Discovery()
    ignore = _Ignore(respect_gitignore)
    seen: set[str] = set()

    def consider_file(p: Path, explicit: bool) -> None:
        display = display_path(p, cwd)
        if display in seen:
            return
        seen.add(display)
        if p.is_symlink():
            try:
                target = p.resolve(strict=True)
            except (OSError, RuntimeError):
                out.skipped.append((display, "broken or looping symlink"))
                return
            if not target.is_file():
                out.skipped.append((display, "symlink to a non-regular file"))
                return
        if not explicit:
            if p.suffix.lower() not in CANDIDATE_SUFFIXES:
                return
            if exclude and _matches(display, exclude):
                out.skipped.append((display, "excluded by configuration"))
                return
        out.files.append(Candidate(p.absolute(), display))

    for raw in paths:
        root = (cwd / raw) if not os.path.isabs(raw) else Path(raw)
        if root.is_symlink() and root.is_dir():
            # the user named it: follow once, but never a symlinked dir inside the walk
            root = root.resolve()
        if root.is_file() or (root.exists() and not root.is_dir()):
            consider_file(root, explicit=True)
            continue
        if not root.exists():
            out.skipped.append((display_path(root, cwd), "no such file or directory"))
            continue
        stack = [root]
        while stack:
            d = stack.pop()
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError as exc:
                out.skipped.append((display_path(Path(d), cwd), f"cannot list directory: {exc.strerror}"))
                continue
            subdirs = []
            for e in entries:
                p = Path(e.path)
                try:
                    if e.is_dir(follow_symlinks=False):
                        if e.name in ALWAYS_SKIPPED_DIRS:
                            continue
                        disp = display_path(p, cwd)
                        if exclude and _matches(disp, exclude):
                            out.skipped.append((disp, "excluded by configuration"))
                            continue
                        if ignore.ignored(p):
                            continue
                        subdirs.append(p)
                    elif e.is_symlink():
                        if os.path.isdir(e.path):
                            out.skipped.append((display_path(p, cwd), "symlink to a directory not followed"))
                            continue
                        if p.suffix.lower() in CANDIDATE_SUFFIXES and not ignore.ignored(p):
                            consider_file(p, explicit=False)
                        elif p.suffix.lower() in CANDIDATE_SUFFIXES and not os.path.exists(e.path):
                            out.skipped.append((display_path(p, cwd), "broken or looping symlink"))
                    elif e.is_file(follow_symlinks=False):
                        if p.suffix.lower() not in CANDIDATE_SUFFIXES:
                            continue
                        if ignore.ignored(p):
                            continue
                        consider_file(p, explicit=False)
                except OSError as exc:
                    out.skipped.append((display_path(p, cwd), f"cannot stat: {exc.strerror}"))
            stack.extend(reversed(subdirs))
    out.files.sort(key=lambda c: c.display)
    out.skipped.sort()
    return out
