"""The fixer of each rule code that has a mechanical repair.

Fixers are named by module and imported on first use: they load ruamel.yaml (~30 ms), which a
run with no fixable finding never needs.
"""

from __future__ import annotations

import importlib
from typing import cast

from aiinfralint.fixes.base import Fixer

# rule code -> module of `aiinfralint.fixes` whose `fix` function repairs its findings
FIXERS: dict[str, str] = {
    "AIL203": "scale_to_zero",
    "AIL205": "streaming_timeout",
    "AIL206": "agent_scratch_volume",
    "AIL304": "pin_model_snapshot",
    "AIL501": "carbon_line_item",
    "AIL105": "nondeterministic_prefix",
    "AIL101": "prefix_cache_buster",
}


def has_fixer(code: str) -> bool:
    return code in FIXERS


def fixer_for(code: str) -> Fixer | None:
    name = FIXERS.get(code)
    if name is None:
        return None
    return cast(Fixer, importlib.import_module(f"aiinfralint.fixes.{name}").fix)
