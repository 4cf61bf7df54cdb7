"""Reading input files safely: regular files only, never blocking, never unbounded.

Kept free of heavy imports: the replay of an unchanged run reads every input through it
before anything else is imported.
"""

from __future__ import annotations

import os
import stat

# larger files are skipped with a reason (a generated bundle, a model dump, a data file)
MAX_FILE_BYTES = 8 * 1024 * 1024


def read_bytes(
    path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, *, follow_symlinks: bool = True
) -> tuple[bytes | None, str | None]:
    """The bytes of a regular file of at most `limit` bytes, or (None, reason).

    Never blocks on a FIFO or device; with `follow_symlinks=False` a symlink is refused
    (cache entries are only ever read as the regular files their writer created).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        if st.st_size > limit:
            return None, f"larger than {limit // (1024 * 1024)} MiB"
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while being read
            return None, f"larger than {limit // (1024 * 1024)} MiB"
        return data, None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
