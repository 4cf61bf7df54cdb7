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


def find_config(start: Path) -> Path | None:
    for parent in (start, *start.parents):
        own = parent / ".aiinfralint.toml"
        if own.is_file():
            return own
        py = parent / "pyproject.toml"
        if py.is_file():
            try:
                if "aiinfralint" in py.read_text(encoding="utf-8", errors="replace") and (
                    _toml().loads(py.read_text(encoding="utf-8")).get("tool", {}).get("aiinfralint") is not None
                ):
                    return py
            except (OSError, ValueError):  # TOMLDecodeError is a ValueError
                continue
        if (parent / ".git").exists():
            break
    return None
