"""What a fixer receives besides the finding and the file's text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiinfralint.config import Config
from aiinfralint.model.finding import Finding, Fix


@dataclass(frozen=True)
class FixContext:
    """The configuration, with the values fixers write already resolved from it."""

    config: Config
    # seconds an AIL205 fix sets on a proxy: `[fix] streaming-timeout`, else the rule's threshold
    streaming_timeout: float
    # the `sizeLimit` an AIL206 fix gives a scratch emptyDir: `[fix] scratch-size-limit`
    scratch_size_limit: str


Fixer = Callable[[Finding, str, FixContext], Fix | None]
