"""aiinfralint: static linter and cost/carbon analyzer for AI infrastructure configuration."""

from __future__ import annotations

__version__ = "0.1.0"
