"""Where the configuration lives, found without validating it.

Light on purpose (no pydantic): the replay of an unchanged run needs to know which
config file applies, and its bytes, before anything heavy is imported. `config.py`
validates what is found.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType


class ConfigError(Exception):
    """Invalid configuration or usage; the CLI turns it into exit code 2."""


def _toml() -> ModuleType:
    import tomllib

    return tomllib


MAX_CONFIG_BYTES = 1024 * 1024  # a configuration file is a few kilobytes


def find_config(start: Path) -> Path | None:
    """The nearest `.aiinfralint.toml`, or `pyproject.toml` with a `[tool.aiinfralint]` table.

    A `pyproject.toml` that mentions aiinfralint but cannot be read or parsed is returned
    all the same, so loading it fails with the reason (exit 2) instead of the run silently
    falling back to the defaults. Files are read through the size-capped safe reader.
    """
    from aiinfralint.fileio import read_bytes

    for parent in (start, *start.parents):
        own = parent / ".aiinfralint.toml"
        if own.is_file():
            return own
        py = parent / "pyproject.toml"
        if py.is_file():
            data, _reason = read_bytes(py, MAX_CONFIG_BYTES)
            if data is None:
                return py
            if b"aiinfralint" in data:
                try:
                    if _toml().loads(data.decode("utf-8")).get("tool", {}).get("aiinfralint") is not None:
                        return py
                except ValueError:  # not UTF-8 or not TOML (TOMLDecodeError is a ValueError)
                    return py
        if (parent / ".git").exists():
            break
    return None
