"""Reading input files and writing reports safely: regular files only, never through a
symbolic link, never blocking, never unbounded.

Kept free of heavy imports: the replay of an unchanged run reads every input through it
before anything else is imported.
"""

from __future__ import annotations

import errno
import os
import stat

# larger files are skipped with a reason (a generated bundle, a model dump, a data file)
MAX_FILE_BYTES = 8 * 1024 * 1024


def read_bytes(
    path: str | os.PathLike[str],
    limit: int = MAX_FILE_BYTES,
    *,
    follow_symlinks: bool = True,
    dir_fd: int | None = None,
) -> tuple[bytes | None, str | None]:
    """The bytes of a regular file of at most `limit` bytes, or (None, reason).

    Never blocks on a FIFO or device; with `follow_symlinks=False` a symlink is refused
    (cache entries are only ever read as the regular files their writer created); `dir_fd`
    opens `path` relative to an open directory, as `os.open` does.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        if st.st_size > limit:
            return None, f"larger than {limit // (1024 * 1024)} MiB"
        # sized reads: one for the whole file, one more to see its end (a read into a buffer
        # much larger than the file costs more than reading it)
        chunks = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(limit + 1 - total, max(st.st_size - total, 0) + 1))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while being read
            return None, f"larger than {limit // (1024 * 1024)} MiB"
        return data, None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)


def write_text_nofollow(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to a report file without following a symbolic link.

    A committed ``comment.md -> /some/file`` must not redirect a report, so the file is opened
    with ``O_NOFOLLOW``, and for a relative path every directory on the way from the working
    directory is opened the same way (a committed ``reports -> /elsewhere`` is refused too;
    an absolute path is the caller's own choice above its last component). The file must be
    a regular file before it is truncated: a FIFO or a device is refused, and ``O_NONBLOCK``
    keeps a FIFO without a reader from blocking the open. Raises OSError with the path as
    ``filename`` and a reason a person can act on ("it is a symbolic link").
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # an undecodable file-name byte the report left in: \xNN
        try:
            data = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate that is no escaped byte: \udNNN
            data = text.encode("utf-8", "backslashreplace")
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    flags = os.O_WRONLY | os.O_CREAT | nofollow | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not nofollow and os.path.islink(path):  # no O_NOFOLLOW (Windows): the best check there is
        raise _refused(path, "it is a symbolic link")
    dir_fd, name = _open_parent(path, nofollow)
    try:
        fd = os.open(name, flags, 0o666, dir_fd=dir_fd)
    except OSError as exc:
        raise _why_not(path, exc) from None
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refused(path, "it is not a regular file")
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _open_parent(path: str | os.PathLike[str], nofollow: int) -> tuple[int | None, str]:
    """(directory fd, last component) for a relative path with directories, each directory
    opened without following a symlink; (None, path) for anything else."""
    p = os.fspath(path)
    directory = getattr(os, "O_DIRECTORY", 0)
    if not nofollow or not directory or os.path.isabs(p) or os.open not in os.supports_dir_fd:
        return None, p
    parts = [c for c in p.split(os.sep) if c not in ("", ".")]
    if len(parts) < 2:
        return None, p
    fd = os.open(".", os.O_RDONLY | directory)
    walked = ""
    try:
        for part in parts[:-1]:
            walked = os.path.join(walked, part)
            try:
                sub = os.open(part, os.O_RDONLY | directory | nofollow, dir_fd=fd)
            except OSError as exc:
                if os.path.islink(walked):
                    raise _refused(path, f"{walked} is a symbolic link") from None
                raise OSError(exc.errno, exc.strerror, p) from None
            os.close(fd)
            fd = sub
    except BaseException:
        os.close(fd)
        raise
    return fd, parts[-1]


def _refused(path: str | os.PathLike[str], reason: str) -> OSError:
    return OSError(errno.EPERM, reason, os.fspath(path))


def _why_not(path: str | os.PathLike[str], exc: OSError) -> OSError:
    """The open's error, with the reason spelled out where the errno alone would mislead."""
    try:
        st = os.lstat(path)
    except OSError:
        return OSError(exc.errno, exc.strerror, os.fspath(path))
    if stat.S_ISLNK(st.st_mode):  # ELOOP under O_NOFOLLOW (EMLINK on some BSDs)
        return _refused(path, "it is a symbolic link")
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):  # a FIFO without a reader: ENXIO
        return _refused(path, "it is not a regular file")
    return OSError(exc.errno, exc.strerror, os.fspath(path))
