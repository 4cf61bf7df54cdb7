"""Where the configuration lives, found without validating it.

Light on purpose (no pydantic): the replay of an unchanged run needs to know which
config file applies, and its bytes, before anything heavy is imported. `config.py`
validates what is found.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


class ConfigError(Exception):
    """Invalid configuration or usage; the CLI turns it into exit code 2."""


MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file is a few kilobytes


def find_config(start: Path) -> Path | None:
    """The nearest `.aiinfralint.toml`, or `pyproject.toml` with a `[tool.aiinfralint]` table.

    A `pyproject.toml` on the way that cannot be read or parsed is returned all the same,
    so loading it fails with the reason (exit 2) instead of the run silently falling back
    to the defaults. Files are read through the size-capped safe reader.
    """
    from aiinfralint.fileio import read_bytes  # lazy: ~1.5 ms that --version (36 ms) never needs

    for parent in (start, *start.parents):
        own = parent / ".aiinfralint.toml"
        if own.is_file():
            return own
        py = parent / "pyproject.toml"
        if py.is_file():
            data, _reason = read_bytes(py, MAX_CONFIG_BYTES)
            if data is None:
                return py
            import tomllib  # lazy: ~2.5 ms at every start; needed only when a pyproject.toml is on the way

            try:
                tool = tomllib.loads(data.decode("utf-8")).get("tool")
            except (ValueError, RecursionError):  # not UTF-8 or not TOML (TOMLDecodeError is a ValueError)
                return py  # loading it names the file and the reason (exit 2), as ruff does
            if isinstance(tool, dict) and tool.get("aiinfralint") is not None:
                return py
        if (parent / ".git").exists():
            break
    return None


def nearest_config(paths: Sequence[str], cwd: Path) -> Path | None:
    """The one configuration file that applies to every checked path (the nearest to each).

    Like ruff, the configuration is found from the checked paths, not the working
    directory: `cd /tmp && aiinfralint check /tmp/proj` uses /tmp/proj/pyproject.toml.
    One run uses one configuration: paths whose nearest files differ are a usage error
    (check them in separate runs, or name one file with --config).
    """
    found: dict[Path | None, str] = {}
    by_folder: dict[str, Path | None] = {}  # pre-commit passes many files of few folders
    for raw in paths or ["."]:
        target = cwd if raw == "-" else cwd / raw
        start = os.path.abspath(target if target.is_dir() else target.parent)
        if start not in by_folder:
            by_folder[start] = find_config(Path(start))
        found.setdefault(by_folder[start], raw)
    if len(found) > 1:
        shown = ", ".join(f"{raw} → {_shown(c) if c else '(defaults)'}" for c, raw in found.items())
        raise ConfigError(
            f"the checked paths have different configuration files ({shown}); check them in separate runs "
            "or choose one with --config"
        )
    return next(iter(found))


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel
