"""Reading input files safely: regular files only, never blocking, never unbounded.

Kept free of heavy imports: the replay of an unchanged run reads every input through it
before anything else is imported.
"""

from __future__ import annotations

import os
import stat

# larger files are skipped with a reason (a generated bundle, a model dump, a data file)
MAX_FILE_BYTES = 8 * 1024 * 1024


def read_bytes(path: str) -> tuple[bytes | None, str | None]:
    """The bytes of a regular file, or (None, reason). Never blocks on a FIFO or device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        if st.st_size > MAX_FILE_BYTES:
            return None, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
        chunks = []
        remaining = MAX_FILE_BYTES + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks), None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
